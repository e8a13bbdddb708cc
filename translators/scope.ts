/**
 * @module translators/scope
 * What one proxy may see, as istiod's SidecarScope: services, VirtualServices and
 * DestinationRules exported to its namespace (`exportTo`: `*`, `.`, `~`, namespaces; the Service
 * annotation `networking.istio.io/exportTo`), narrowed by the Sidecar that applies to it (one in
 * its namespace selecting its labels, else its namespace's default, else the root namespace's)
 * through egress `namespace/host` entries (an egress listener with a port admits only that
 * port). Also the proxy's labels (the registry pod's over node metadata LABELS, as
 * model/resolve-proxy.ts), and the effective outbound traffic policy. Every list is sorted.
 * The security policies are read through it too (`policies`, `peerAuth`, `autoMtls`), memoized per
 * scope, so a recording scope (translators/deps.ts) notes them as it notes routes and rules.
 */
import { workloadLabels } from '../model/resolve-proxy.js';
import type { MeshConfig, MeshService } from '../model/config.js';
import type { DestinationRule, IstioEgressListener, LoadBalancerSettings, Sidecar, VirtualService } from '../model/istio.js';
import type { OutboundTrafficPolicy } from '../model/meshconfig.js';
import type { Proxy } from '../model/proxy.js';
import { hostSubsetOf, isWildcardHost, resolveShortName } from '../model/hosts.js';
import { selectorMatches } from '../model/labels.js';
import { PASSTHROUGH_CLUSTER, clusterName } from './names.js';
import { appliedPolicies, type AppliedPolicies } from './authz/select.js';
import { effectiveMtls, type EffectiveMtls } from '../model/peerauth.js';
import { autoMtlsApplies } from './mtls-upstream.js';

export interface Scope {
  readonly mesh: MeshConfig;
  readonly proxy: Proxy;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly sidecar: Sidecar | undefined;
  readonly services: readonly MeshService[];
  readonly serviceByHost: ReadonlyMap<string, MeshService>;
  /** Mesh-bound VirtualServices visible to the proxy, by namespace/name. */
  readonly virtualServices: readonly VirtualService[];
  readonly outboundPolicy: OutboundTrafficPolicy;
  /** With ALLOW_ANY, the cluster unknown destinations go to: the Sidecar's egressProxy, else PassthroughCluster. */
  readonly passthroughCluster: string;
  /** The VirtualService that routes `host` for this proxy (the first one wins, as istiod). */
  vsFor(host: string): VirtualService | undefined;
  /** The DestinationRule for `host`: the proxy's namespace, then the service's, then the root namespace, then any exported. */
  destinationRule(host: string): DestinationRule | undefined;
  /**
   * All a route to `host`'s `subset` reads of its DestinationRule: the subset's load balancer, else
   * the rule's (translators/deps.ts keys it apart, so a rule edit that leaves it alone re-translates no route).
   */
  routeLoadBalancer(host: string, subset: string): LoadBalancerSettings | undefined;
  /**
   * The mesh's service for `host` whether or not the proxy sees it (a route's destination port
   * defaults to a single-port service's port): read through here, translators/deps.ts records it.
   */
  meshService(host: string): MeshService | undefined;
  /**
   * The AuthorizationPolicies and RequestAuthentications that apply to the workload (authz/select.ts):
   * every policy reader asks here, translators/policy-deps.ts records it.
   */
  policies(): AppliedPolicies;
  /** The workload's effective PeerAuthentication (model/peerauth.ts): read through here, policy-deps.ts records it. */
  peerAuth(): EffectiveMtls;
  /** Whether auto mTLS applies to `svc` (mtls-upstream.ts autoMtlsApplies): read through here, policy-deps.ts records it. */
  autoMtls(svc: MeshService): boolean;
}

/** Whether an object in `owner` with `exportTo` is visible from namespace `ns`. */
export function exported(exportTo: readonly string[] | undefined, owner: string, ns: string): boolean {
  const list = exportTo?.length ? exportTo : ['*'];
  return list.some((e) => e === '*' || (e === '.' && owner === ns) || e === ns);
}

/** Whether egress listener `e` imports `host` of namespace `ns` (its `namespace/host` entries). */
function admits(e: IstioEgressListener, proxyNs: string, ns: string, host: string): boolean {
  return e.hosts.some((h) => {
    const i = h.indexOf('/');
    const hns = h.slice(0, i);
    const nsOk = hns === '*' || (hns === '.' && ns === proxyNs) || hns === ns;
    return nsOk && hostSubsetOf(host, h.slice(i + 1));
  });
}

/**
 * The egress listener a service port's outbound listener comes from, as istiod walks them: the
 * listener declaring that port, else the catch-all (no port) one; undefined without a Sidecar.
 */
export function egressListenerFor(scope: Scope, svc: MeshService, port: number): IstioEgressListener | undefined {
  const egress = scope.sidecar?.spec.egress ?? [];
  const admitted = egress.filter((e) => admits(e, scope.namespace, svc.namespace, svc.hostname));
  return admitted.find((e) => e.port?.number === port) ?? admitted.find((e) => !e.port);
}

/** Ports of `host` the Sidecar's egress allows: 'all', a set (egress listeners with a port), or none. */
function egressPorts(sc: Sidecar, proxyNs: string, ns: string, host: string): 'all' | Set<number> | undefined {
  let out: 'all' | Set<number> | undefined;
  for (const e of sc.spec.egress ?? []) {
    if (!admits(e, proxyNs, ns, host)) continue;
    if (!e.port) return 'all';
    out ??= new Set<number>();
    if (out !== 'all') out.add(e.port.number);
  }
  return out;
}

function egressAllows(sc: Sidecar, proxyNs: string, ns: string, host: string): boolean {
  return egressPorts(sc, proxyNs, ns, host) !== undefined;
}

/** The service as the Sidecar lets the proxy see it (only the egress ports, when listeners name ports), or undefined. */
function scoped(sc: Sidecar | undefined, proxyNs: string, s: MeshService): MeshService | undefined {
  if (!sc) return s;
  const ports = egressPorts(sc, proxyNs, s.namespace, s.hostname);
  if (ports === undefined) return undefined;
  const kept = (ports === 'all' ? s.ports : s.ports.filter((p) => ports.has(p.port))).map((p) => {
    // istiod builds the listener of an egress port with that port's declared protocol.
    const declared = sc.spec.egress?.find(
      (e) => e.port?.number === p.port && e.port.protocol && admits(e, proxyNs, s.namespace, s.hostname),
    )?.port?.protocol;
    return declared && p.protocol !== 'UDP' ? { ...p, appProtocol: declared.toLowerCase() } : p;
  });
  if (!kept.length) return undefined;
  return kept.every((p, i) => p === s.ports[i]) && kept.length === s.ports.length ? s : { ...s, ports: kept };
}

/** istiod's GetDestinationCluster for the Sidecar's egressProxy (outbound|<port>|<subset>|<host>), when set. */
function egressProxyCluster(sc: Sidecar | undefined): string | undefined {
  const ep = sc?.spec.outboundTrafficPolicy?.egressProxy;
  return ep ? clusterName('outbound', ep.port.number, ep.subset ?? '', ep.host) : undefined;
}

/** The proxy's workload labels: model/resolve-proxy.ts's rule (the registry pod's over metadata LABELS). */
export function proxyLabels(mesh: MeshConfig, proxy: Proxy): Readonly<Record<string, string>> {
  return workloadLabels(proxy, mesh);
}

export function sidecarFor(mesh: MeshConfig, ns: string, labels: Readonly<Record<string, string>>): Sidecar | undefined {
  const inNs = mesh.sidecars.filter((s) => s.meta.namespace === ns);
  return (
    inNs.find((s) => s.spec.workloadSelector && selectorMatches(s.spec.workloadSelector.labels, labels)) ??
    inNs.find((s) => !s.spec.workloadSelector) ??
    mesh.sidecars.find((s) => s.meta.namespace === mesh.settings.rootNamespace && !s.spec.workloadSelector)
  );
}

/**
 * The services a namespace sees through a Sidecar, memoized per services list (the store keeps the
 * same list across snapshots when no service changed, watchers/mesh.ts), so a VirtualService edit
 * does not filter every service again for every proxy class. Pure: same inputs, same answer.
 */
const visible = new WeakMap<
  readonly MeshService[],
  Map<string, Map<Sidecar | undefined, { services: MeshService[]; serviceByHost: Map<string, MeshService> }>>
>();

function visibleServices(
  all: readonly MeshService[],
  ns: string,
  sidecar: Sidecar | undefined,
): { services: MeshService[]; serviceByHost: Map<string, MeshService> } {
  let byNs = visible.get(all);
  if (!byNs) visible.set(all, (byNs = new Map()));
  let bySc = byNs.get(ns);
  if (!bySc) byNs.set(ns, (bySc = new Map()));
  let v = bySc.get(sidecar);
  if (!v) {
    const services = all
      .filter((s) => exported(s.exportTo, s.namespace, ns))
      .map((s) => scoped(sidecar, ns, s))
      .filter((s): s is MeshService => s !== undefined);
    v = { services, serviceByHost: new Map(services.map((s) => [s.hostname, s])) };
    bySc.set(sidecar, v);
  }
  return v;
}

/** A mesh's DestinationRules by resolved host (exact), plus the wildcard ones with theirs. */
interface DrIndex {
  readonly exact: ReadonlyMap<string, readonly DestinationRule[]>;
  readonly wild: readonly { readonly dr: DestinationRule; readonly host: string }[];
}

/** Per rule list (one per MeshConfig), so the parts of every class index the rules once per push. */
const drIndexes = new WeakMap<readonly DestinationRule[], Map<string, DrIndex>>();

function drIndex(mesh: MeshConfig): DrIndex {
  let bySuffix = drIndexes.get(mesh.destinationRules);
  if (!bySuffix) drIndexes.set(mesh.destinationRules, (bySuffix = new Map()));
  let idx = bySuffix.get(mesh.domainSuffix);
  if (!idx) {
    const exact = new Map<string, DestinationRule[]>();
    const wild: { dr: DestinationRule; host: string }[] = [];
    for (const dr of mesh.destinationRules) {
      const host = resolveShortName(dr.spec.host, dr.meta.namespace, mesh.domainSuffix);
      if (isWildcardHost(host)) wild.push({ dr, host });
      else {
        const l = exact.get(host);
        if (l) l.push(dr);
        else exact.set(host, [dr]);
      }
    }
    bySuffix.set(mesh.domainSuffix, (idx = { exact, wild }));
  }
  return idx;
}

/** A VirtualService as a scope reads it: its resolved hosts and whether the scope takes it. */
interface VsFacts {
  readonly hosts: readonly string[];
  readonly in: boolean;
}

/**
 * Per proxy namespace (and whether a Sidecar applies): the last VirtualService list a scope was built from (with the Sidecar and
 * domain suffix it was built for) and each element's facts. A VirtualService edit makes a list of
 * the same length with the edited element replaced: the other elements are matched by identity and
 * their hosts are not resolved and matched against the Sidecar again (issue 18: an edit costs what
 * it touches). Pure: same inputs, same answer.
 */
const lastFacts = new Map<
  string,
  {
    readonly vss: readonly VirtualService[];
    readonly sidecar: Sidecar | undefined;
    readonly suffix: string;
    readonly facts: readonly VsFacts[];
  }
>();

function vsFacts(vss: readonly VirtualService[], suffix: string, ns: string, sidecar: Sidecar | undefined): readonly VsFacts[] {
  // A slot for proxies under a Sidecar and one for the others (gateways) of each namespace.
  const slot = sidecar ? `${ns}\u0000sidecar` : ns;
  const last = lastFacts.get(slot);
  const prev = last && last.sidecar === sidecar && last.suffix === suffix && last.vss.length === vss.length ? last : undefined;
  if (prev?.vss === vss) return prev.facts;
  const facts = vss.map((vs, i): VsFacts => {
    if (prev && prev.vss[i] === vs) return prev.facts[i]!;
    const hosts = vs.spec.hosts.map((x) => resolveShortName(x, vs.meta.namespace, suffix));
    const taken =
      (vs.spec.gateways === undefined || vs.spec.gateways.includes('mesh')) &&
      exported(vs.spec.exportTo, vs.meta.namespace, ns) &&
      (!sidecar || hosts.some((h) => egressAllows(sidecar, ns, vs.meta.namespace, h)));
    return { hosts, in: taken };
  });
  lastFacts.set(slot, { vss, sidecar, suffix, facts });
  return facts;
}

export function buildScope(mesh: MeshConfig, proxy: Proxy): Scope {
  const ns = proxy.namespace;
  const labels = proxyLabels(mesh, proxy);
  const sidecar = proxy.type === 'sidecar' ? sidecarFor(mesh, ns, labels) : undefined;
  const { services, serviceByHost } = visibleServices(mesh.services, ns, sidecar);
  const facts = vsFacts(mesh.virtualServices, mesh.domainSuffix, ns, sidecar);
  const virtualServices = mesh.virtualServices.filter((_, i) => facts[i]!.in);
  const vsCache = new Map<string, VirtualService | undefined>();
  const drCache = new Map<string, DestinationRule | undefined>();
  // Indexes by resolved host (exact), plus the few wildcard ones, so lookups stay O(1) in big meshes.
  const vsExact = new Map<string, VirtualService>();
  const vsWild: VirtualService[] = [];
  mesh.virtualServices.forEach((vs, i) => {
    const f = facts[i]!;
    if (!f.in) return;
    for (const h of f.hosts) {
      if (isWildcardHost(h)) {
        if (!vsWild.includes(vs)) vsWild.push(vs);
      } else if (!vsExact.has(h)) vsExact.set(h, vs);
    }
  });
  const drs = drIndex(mesh);
  const visibleDr = (d: DestinationRule): boolean => exported(d.spec.exportTo, d.meta.namespace, ns);
  const byKey = (a: VirtualService, b: VirtualService): number =>
    a.meta.namespace.localeCompare(b.meta.namespace) || a.meta.name.localeCompare(b.meta.name);
  let applied: AppliedPolicies | undefined;
  let mtls: EffectiveMtls | undefined;
  const self: Scope = {
    mesh,
    proxy,
    namespace: ns,
    labels,
    sidecar,
    services,
    serviceByHost,
    virtualServices,
    outboundPolicy: sidecar?.spec.outboundTrafficPolicy?.mode ?? mesh.settings.outboundTrafficPolicy,
    passthroughCluster: egressProxyCluster(sidecar) ?? PASSTHROUGH_CLUSTER,
    vsFor(host) {
      if (!vsCache.has(host)) {
        // The first VirtualService (namespace/name) naming the host exactly, else the first matching it by wildcard.
        const exact = vsExact.get(host);
        vsCache.set(
          host,
          exact ??
            vsWild
              .filter((vs) => vs.spec.hosts.some((h) => hostSubsetOf(host, resolveShortName(h, vs.meta.namespace, mesh.domainSuffix))))
              .sort(byKey)[0],
        );
      }
      return vsCache.get(host);
    },
    destinationRule(host) {
      if (drCache.has(host)) return drCache.get(host);
      const exact = (drs.exact.get(host) ?? []).filter(visibleDr);
      const pool = exact.length ? exact : drs.wild.filter((w) => visibleDr(w.dr) && hostSubsetOf(host, w.host)).map((w) => w.dr);
      const svcNs = mesh.serviceByHost.get(host)?.namespace;
      const dr =
        pool.find((d) => d.meta.namespace === ns) ??
        pool.find((d) => d.meta.namespace === svcNs) ??
        pool.find((d) => d.meta.namespace === mesh.settings.rootNamespace) ??
        pool[0];
      drCache.set(host, dr);
      return dr;
    },
    meshService: (host) => mesh.serviceByHost.get(host),
    policies: () => (applied ??= appliedPolicies(mesh, { namespace: ns, labels })),
    peerAuth: () => (mtls ??= effectiveMtls(mesh.peerAuthentications, mesh.settings.rootNamespace, ns, labels)),
    autoMtls: (svc) => autoMtlsApplies(mesh, svc),
    routeLoadBalancer(host, subset) {
      const dr = self.destinationRule(host);
      return dr?.spec.subsets?.find((s) => s.name === subset)?.trafficPolicy?.loadBalancer ?? dr?.spec.trafficPolicy?.loadBalancer;
    },
  };
  return self;
}
