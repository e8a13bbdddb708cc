/**
 * @module watchers/mesh-eps
 * An endpoint-only change — EndpointSlices, core Endpoints and Pods: a rollout, scaling, Pods
 * moving IPs or changing labels — applied to the previous MeshConfig instead of rebuilding it from
 * every stored object (issue 18: at 1,000 services and 10,000 Pods a full build is ~110 ms, most of
 * an endpoint push). Only the Services those objects feed get their endpoints computed again, with
 * the same code as a full build (mesh-endpoints.ts); `pods`, `endpoints` and `objects` are the
 * previous maps with those entries replaced; policy notices are recomputed when Pods changed (a
 * policy may now select one); every other field is the previous snapshot's.
 *
 * The Services a change feeds: a slice's Service before and after the change (a slice can be
 * relabelled to another), an Endpoints object's namesake, and for a Pod every Service whose
 * endpoints name it, whose slices name it (a held-back endpoint whose Pod arrives), or whose
 * selector picks it before or after (file mode derives endpoints from Pods).
 * Returns undefined — the caller builds in full — where the change reaches further: a slice naming
 * no Service (a configz notice), a ServiceEntry selecting workloads while Pods changed. Pure.
 */
import type { ConfigKey, MeshConfig, MeshEndpoint, MeshService, Rejection } from '../model/config.js';
import type { Pod } from '../model/k8s.js';
import { serviceSelects } from '../model/labels.js';
import type { MeshOptions } from './mesh.js';
import { serviceEndpoints } from './mesh-endpoints.js';
import { allRejections, byKey } from './mesh-vs.js';
import { OverlayMap } from './overlay-map.js';
import { adopt, sliceIndexFor } from './slice-index.js';
import { authzNotices, peerAuthNotices } from './policy-notices.js';
import type { Entry, StoreState } from './store/reduce.js';

/** The kinds an endpoint-only change is made of. */
export const ENDPOINT_OBJECT_KINDS: ReadonlySet<string> = new Set(['EndpointSlice', 'Endpoints', 'Pod']);

const byConfigKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `previous` updated for a change of only the endpoint objects `keys`, or undefined when it cannot
 * be (see the module comment). `problems` are the previous build's VirtualService problems (they
 * do not depend on endpoints) for the rejection list.
 */
export function endpointsOnlyMesh(
  st: StoreState,
  opts: MeshOptions,
  previous: MeshConfig,
  problems: ReadonlyMap<ConfigKey, Rejection>,
  keys: ReadonlySet<ConfigKey>,
): MeshConfig | undefined {
  const services = new Set<string>(); // namespace/name of the Services to compute again
  const podKeys = new Set<string>(); // namespace/name of the changed Pods
  for (const key of keys) {
    const [kind, ns, name] = key.split('/') as [string, string, string];
    if (kind === 'Pod') podKeys.add(`${ns}/${name}`);
    else if (kind === 'Endpoints') services.add(`${ns}/${name}`);
    else if (kind === 'EndpointSlice') {
      for (const o of [st.objects.get(key)?.object, previous.objects.get(key)?.object]) {
        if (o?.kind !== 'EndpointSlice') continue;
        if (!o.serviceName) return undefined;
        services.add(`${ns}/${o.serviceName}`);
      }
    } else return undefined;
  }
  if (podKeys.size && previous.serviceEntries.some((se) => se.spec.workloadSelector)) return undefined;

  let pods: ReadonlyMap<string, Pod> = previous.pods;
  if (podKeys.size) {
    const next = new Map(previous.pods);
    for (const pk of podKeys) {
      const o = st.objects.get(`Pod/${pk}`)?.object;
      if (o?.kind === 'Pod') next.set(pk, o);
      else next.delete(pk);
    }
    pods = next;
    podServices(previous, pods, podKeys, services);
  }

  // The slices (else the Endpoints object) of each Service to compute, in a full build's order,
  // from the index handed over by the previous mesh (slice-index.ts) instead of a walk of the store.
  const ix = sliceIndexFor(previous, st.objects, keys);
  for (const pk of podKeys) for (const svc of ix.byPod.get(pk)?.values() ?? []) services.add(svc);

  let sorted: readonly Pod[] | undefined;
  const sortedPods = (): readonly Pod[] => (sorted ??= [...pods.values()].sort(byKey));
  const endpoints = new Map(previous.endpoints);
  for (const k of services) {
    const svc = ix.services.get(k);
    if (!svc) continue; // endpoints of no Service: not in the mesh, before or after
    const hostname = `${svc.meta.name}.${svc.meta.namespace}.svc.${opts.domainSuffix}`;
    const ms = previous.serviceByHost.get(hostname);
    if (!ms || ms.origin !== 'Service') continue;
    const byThis = ix.byService.get(k);
    const own = byThis ? [...byThis.values()].sort(byKey) : undefined;
    const core = st.objects.get(`Endpoints/${k}`)?.object;
    const svcSlices = own?.length ? own : core?.kind === 'Endpoints' ? [...core.slices] : undefined;
    endpoints.set(hostname, serviceEndpoints(svc, ms, svcSlices, pods, sortedPods, opts, previous.workloadEntries));
  }

  const set = new Map<ConfigKey, Entry>();
  const del: ConfigKey[] = [];
  for (const key of keys) {
    const e = st.objects.get(key);
    if (e) set.set(key, e);
    else del.push(key);
  }
  const settings = previous.settings;
  const policies = previous.peerAuthentications.length + previous.authorizationPolicies.length + previous.requestAuthentications.length;
  const policyNotices =
    podKeys.size && policies
      ? [
          ...peerAuthNotices(previous.peerAuthentications, settings.rootNamespace, sortedPods(), previous.workloadEntries),
          ...authzNotices(
            [...previous.authorizationPolicies, ...previous.requestAuthentications],
            settings.rootNamespace,
            sortedPods(),
            previous.workloadEntries,
          ),
        ].sort((a, b) => a.key.localeCompare(b.key))
      : previous.policyNotices;
  const next: MeshConfig = {
    ...previous,
    generation: st.generation,
    endpoints,
    pods: pods as Map<string, Pod>,
    objects: OverlayMap.withChanges(previous.objects, set, del, byConfigKey),
    rejected: allRejections(st, problems),
    policyNotices,
  };
  adopt(next, ix);
  return next;
}

/** Into `out`: the Services whose endpoints name a changed Pod, or whose selector picks it before or after. */
function podServices(previous: MeshConfig, pods: ReadonlyMap<string, Pod>, podKeys: ReadonlySet<string>, out: Set<string>): void {
  const named = (eps: readonly MeshEndpoint[]): boolean => eps.some((e) => e.pod !== null && podKeys.has(e.pod));
  for (const [host, byPort] of previous.endpoints) {
    const ms = previous.serviceByHost.get(host);
    if (ms?.origin === 'Service' && [...byPort.values()].some(named)) out.add(`${ms.namespace}/${ms.name}`);
  }
  const selecting = new Map<string, MeshService[]>(); // namespace → its Services with a selector
  for (const ms of previous.services)
    if (ms.origin === 'Service' && ms.selector)
      (selecting.get(ms.namespace) ?? selecting.set(ms.namespace, []).get(ms.namespace)!).push(ms);
  for (const pk of podKeys) {
    const labels = [previous.pods.get(pk)?.meta.labels, pods.get(pk)?.meta.labels];
    for (const ms of selecting.get(pk.slice(0, pk.indexOf('/'))) ?? [])
      if (labels.some((l) => l && serviceSelects(ms.selector, l))) out.add(`${ms.namespace}/${ms.name}`);
  }
}
