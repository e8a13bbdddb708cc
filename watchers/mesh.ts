/**
 * @module watchers/mesh
 * Builds the immutable, indexed MeshConfig from the store state: services by hostname, endpoints
 * per service port (EndpointSlices, else core Endpoints, else — in file mode, acting as the
 * endpoints controller — the Pods the Service selects), pod labels for subset membership, and
 * DestinationRules by host. Cross-object checks live here because only here both sides are known:
 * a VirtualService naming a subset that no DestinationRule defines is rejected (its previous good
 * version stays if that one still checks out: the previous snapshot's, passed as `previous`).
 * The objects are bucketed by kind in mesh-buckets.ts; services and endpoints are built in
 * mesh-services.ts, VirtualService checks and the VirtualService-only path in mesh-vs.ts, the
 * endpoint-only path in mesh-eps.ts.
 */
import { configKey, type ConfigKey, type ConfigNotice, type MeshConfig, type PolicyNotice, type Rejection } from '../model/config.js';
import { authzNotices, peerAuthNotices } from './policy-notices.js';
import type { DestinationRule, VirtualService } from '../model/istio.js';
import { DEFAULT_MESH_SETTINGS, type MeshSettings } from '../model/meshconfig.js';
import { resolveShortName } from '../model/hosts.js';
import type { Entry, StoreState } from './store/reduce.js';
import { convertGatewayApi } from './gatewayapi/convert.js';
import { allRejections, byKey, checkVirtualService, conflictsOf, HostClaims, vsOnlyMesh, vsSections } from './mesh-vs.js';
import { endpointsOnlyMesh, ENDPOINT_OBJECT_KINDS } from './mesh-eps.js';
import { bucketObjects } from './mesh-buckets.js';
import { handOver, indexMesh } from './slice-index.js';
import { SERVICE_KINDS, serviceSection, type ServiceSection } from './mesh-services.js';

export interface MeshOptions {
  readonly domainSuffix: string;
  /** Derive endpoints from selected Pods when a Service has no EndpointSlices or Endpoints (file mode). */
  readonly endpointsFromPods: boolean;
  /** Mesh-wide settings (`--mesh-config`); istiod's defaults when absent. */
  readonly settings?: MeshSettings;
  /**
   * Leave out an EndpointSlice endpoint whose targetRef Pod is not known yet (Kubernetes mode, as
   * istiod does): published without the Pod's labels it would fall out of every subset cluster.
   * It appears with the next snapshot after its Pod arrives.
   */
  readonly holdEndpointsWithoutPod?: boolean;
  /**
   * tspilot's own GatewayClass name (`--gateway-class-name`, istiod's built-in `istio`): Gateways of
   * this class are served even with no GatewayClass object.
   */
  readonly gatewayClassName?: string;
}

export const DEFAULT_MESH_OPTIONS: MeshOptions = { domainSuffix: 'cluster.local', endpointsFromPods: true };

/** The service section of each mesh built, and the options it was built with (for reuse by the next build). */
const sections = new WeakMap<MeshConfig, { readonly section: ServiceSection; readonly opts: MeshOptions }>();

/**
 * `previous` is the snapshot built before this one (none for a first build): a VirtualService that
 * fails the cross-object checks falls back to its version there, if that one still checks out.
 * `accepted` lists the VirtualServices that passed (each is also in `mesh.objects`).
 * `changedKinds` (the kinds changed since `previous`, as the store stage knows them): when none of
 * them is a kind services and endpoints are made of, `previous`'s services, endpoints and their
 * notices are reused as they are (same objects), so a VirtualService edit costs no per-service work.
 * `changedKeys` too, and only VirtualServices changed: `previous` is updated where they are
 * (mesh-vs.ts `vsOnlyMesh`) instead of rebuilt from every stored object; only EndpointSlices,
 * Endpoints and Pods changed: the endpoints of the Services they feed are computed again
 * (mesh-eps.ts `endpointsOnlyMesh`).
 */
export function buildMesh(
  st: StoreState,
  opts: MeshOptions = DEFAULT_MESH_OPTIONS,
  previous?: MeshConfig,
  changedKinds?: ReadonlySet<string>,
  changedKeys?: ReadonlySet<ConfigKey>,
): { mesh: MeshConfig; accepted: Map<ConfigKey, Entry> } {
  // Only VirtualServices changed (their keys known): the previous snapshot updated where they are (mesh-vs.ts).
  if (previous && changedKeys && changedKinds?.size && [...changedKinds].every((k) => k === 'VirtualService')) {
    const prevSection = sections.get(previous);
    const r = prevSection?.opts === opts ? vsOnlyMesh(st, opts, previous, changedKeys) : undefined;
    if (r && prevSection) {
      sections.set(r.mesh, prevSection);
      vsSections.set(r.mesh, r.section);
      handOver(previous, r.mesh);
      return { mesh: r.mesh, accepted: r.accepted };
    }
  }
  // Only endpoint objects changed (slices, Endpoints, Pods): the previous snapshot with the endpoints
  // of the Services they feed computed again (mesh-eps.ts).
  if (previous && changedKeys && changedKinds?.size && [...changedKinds].every((k) => ENDPOINT_OBJECT_KINDS.has(k))) {
    const prevSection = sections.get(previous);
    const vsSection = vsSections.get(previous);
    const mesh =
      prevSection?.opts === opts && vsSection ? endpointsOnlyMesh(st, opts, previous, vsSection.problems, changedKeys) : undefined;
    if (mesh && prevSection && vsSection) {
      sections.set(mesh, { section: { ...prevSection.section, endpoints: mesh.endpoints }, opts });
      vsSections.set(mesh, vsSection);
      return { mesh, accepted: new Map(vsSection.accepted.map((x) => [x.key, x.entry])) };
    }
  }
  const b = bucketObjects(st);
  const { services, slices, endpointsObjects, pods, vss, drs, ses, wes, sidecars, gateways, secrets, configMaps, gatewayApi } = b;
  const { authzPolicies, requestAuthns, peerAuthentications, envoyFilters, telemetries } = b;
  // EnvoyFilter BOOTSTRAP patches are noticed per build (cheap: filters only), apart from the reusable service section.
  const efNotices: ConfigNotice[] = [];
  for (const f of envoyFilters)
    f.spec.configPatches.forEach((p, i) => {
      if (p.applyTo === 'BOOTSTRAP')
        efNotices.push({
          key: configKey('EnvoyFilter', f.meta.namespace, f.meta.name),
          field: `spec.configPatches[${i}].applyTo`,
          reason:
            'BOOTSTRAP is not applied: it patches the bootstrap pilot-agent writes at start-up, which is never served over xDS; the other patches apply',
        });
    });
  // A change of none of the kinds services and endpoints are made of (a VirtualService edit) keeps
  // the previous build's services, endpoints and their notices: no per-service work (issue 18).
  const prevSection = previous ? sections.get(previous) : undefined;
  const reuse = prevSection && prevSection.opts === opts && changedKinds && ![...changedKinds].some((k) => SERVICE_KINDS.has(k));
  const sortedPods = [...pods.values()].sort(byKey);
  const section = reuse ? prevSection.section : serviceSection(st, opts, services, slices, endpointsObjects, pods, sortedPods, ses, wes);
  const { meshServices, serviceByHost, endpoints } = section;
  const notices = efNotices.length ? [...efNotices, ...section.notices] : section.notices;

  const destinationRuleByHost = new Map<string, DestinationRule>();
  for (const dr of drs) {
    const host = resolveShortName(dr.spec.host, dr.meta.namespace, opts.domainSuffix);
    if (!destinationRuleByHost.has(host)) destinationRuleByHost.set(host, dr);
  }

  const problems = new Map<ConfigKey, Rejection>();
  const accepted = new Map<ConfigKey, Entry>();
  const vsAccepted: { key: ConfigKey; entry: Entry }[] = [];
  for (const { vs, entry } of vss.sort((a, b) => byKey(a.vs, b.vs))) {
    const key = configKey('VirtualService', vs.meta.namespace, vs.meta.name);
    const r = checkVirtualService(key, entry as Entry & { object: VirtualService }, destinationRuleByHost, opts.domainSuffix, previous);
    if (r.problem) problems.set(key, r.problem);
    if (r.accepted) {
      vsAccepted.push({ key, entry: r.accepted });
      accepted.set(key, r.accepted);
    }
  }
  const virtualServices = vsAccepted.map((x) => x.entry.object as VirtualService);
  // What VirtualServices are checked against: the user's rules, before the Gateway API's are merged in below.
  const userDrByHost = gatewayApi.length ? new Map(destinationRuleByHost) : destinationRuleByHost;

  const objects = new Map<ConfigKey, Entry>();
  for (const k of [...st.objects.keys()].sort()) {
    const e = st.objects.get(k)!;
    if (e.object.kind === 'VirtualService') {
      const a = accepted.get(k);
      if (a) objects.set(k, a);
    } else objects.set(k, e);
  }
  // The Gateway API, converted to Istio Gateways and VirtualServices after the user's own (which win a shared host).
  const claims = HostClaims.of(virtualServices, opts.domainSuffix);
  const conflicts = conflictsOf(claims);
  const gwapi = gatewayApi.length
    ? convertGatewayApi({
        objects: gatewayApi,
        services: meshServices,
        serviceByHost,
        secrets: new Set(secrets.keys()),
        domainSuffix: opts.domainSuffix,
        ...(opts.gatewayClassName ? { className: opts.gatewayClassName } : {}),
        configMaps,
      })
    : undefined;
  if (gwapi) {
    virtualServices.push(...gwapi.virtualServices);
    gateways.push(...gwapi.gateways);
    // BackendTLSPolicy's upstream TLS: into the user's DestinationRule for the host when it sets no TLS of its own, else a rule of its own.
    for (const gen of gwapi.destinationRules) {
      const user = destinationRuleByHost.get(gen.spec.host);
      const merged = user ? withBackendTls(user, gen) : gen;
      if (user) drs[drs.indexOf(user)] = merged;
      else drs.push(merged);
      destinationRuleByHost.set(gen.spec.host, merged);
    }
  }
  const rejected = allRejections(st, problems);
  const settings = opts.settings ?? DEFAULT_MESH_SETTINGS;
  const policyNotices: PolicyNotice[] = [
    ...peerAuthNotices(peerAuthentications, settings.rootNamespace, sortedPods, wes),
    ...authzNotices([...authzPolicies, ...requestAuthns], settings.rootNamespace, sortedPods, wes),
  ].sort((a, b) => a.key.localeCompare(b.key));
  const mesh: MeshConfig = {
    generation: st.generation,
    domainSuffix: opts.domainSuffix,
    services: meshServices,
    serviceByHost,
    endpoints,
    pods,
    virtualServices,
    destinationRules: drs,
    destinationRuleByHost,
    objects,
    rejected,
    settings,
    serviceEntries: ses.map((x) => x.se),
    workloadEntries: wes,
    sidecars,
    gateways,
    conflicts,
    secrets,
    envoyFilters,
    ...(gwapi ? { gatewayApiStatus: gwapi.status } : {}),
    peerAuthentications,
    policyNotices,
    authorizationPolicies: authzPolicies,
    requestAuthentications: requestAuthns,
    ...(notices.length ? { notices } : {}),
    ...(telemetries.length ? { telemetries } : {}),
  };
  sections.set(mesh, { section, opts });
  indexMesh(mesh, st.objects);
  vsSections.set(mesh, { opts, drByHost: userDrByHost, accepted: vsAccepted, problems, converted: gwapi?.virtualServices ?? [], claims });
  return { mesh, accepted };
}

/**
 * A user's DestinationRule with a BackendTLSPolicy's TLS added where the user set none (rule-wide,
 * and per port): the user's own `tls` wins, as a user's explicit traffic policy does in istiod.
 */
function withBackendTls(user: DestinationRule, gen: DestinationRule): DestinationRule {
  const tp = user.spec.trafficPolicy ?? {};
  const gp = gen.spec.trafficPolicy ?? {};
  const ports = [...(tp.portLevelSettings ?? [])];
  for (const g of gp.portLevelSettings ?? []) {
    const i = ports.findIndex((p) => p.port.number === g.port.number);
    if (i < 0) ports.push(g);
    else if (!ports[i]!.tls) ports[i] = { ...ports[i]!, tls: g.tls! };
  }
  return {
    ...user,
    spec: {
      ...user.spec,
      trafficPolicy: { ...tp, ...(!tp.tls && gp.tls ? { tls: gp.tls } : {}), ...(ports.length ? { portLevelSettings: ports } : {}) },
    },
  };
}
