/**
 * @module translators/sidecar
 * The generator for Envoy (and MOSN) sidecars: everything within the proxy's scope (scope.ts).
 * Clusters: outbound per visible service port and subset, BlackHoleCluster, PassthroughCluster,
 * inbound per workload port and InboundPassthroughCluster. Listeners: virtualOutbound,
 * virtualInbound, `0.0.0.0_<port>` per HTTP port, TCP/TLS listeners. Routes: `"<port>"` per
 * HTTP port, `inbound|<port>||` per inbound HTTP port. EDS: the outbound EDS clusters.
 */
import type { MeshConfig } from '../model/config.js';
import type { Proxy } from '../model/proxy.js';
import type { Cluster, ClusterLoadAssignment } from '../proto/types.js';
import { outboundClusters } from './cluster.js';
import { outboundEndpoints } from './endpoint.js';
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER, type ClusterKey } from './names.js';
import { httpListeners, httpPorts, outboundRouteConfig, routePorts, tcpListenerBuilders, virtualOutbound } from './outbound.js';
import { inboundClusters, inboundPorts, inboundRoutes, virtualInbound } from './inbound.js';
import { buildScope, type Scope } from './scope.js';
import type { ClusterOutput, Generated, TypeOutput } from './generated.js';
import { durationOf } from '../model/duration.js';
import { once, record, type DepOutput, type Deps } from './deps.js';

export { SIDECAR_ROUTES } from './outbound.js';

export function fixedClusters(scope: Scope): Cluster[] {
  const timeout = durationOf(scope.mesh.settings.connectTimeout);
  return [
    { name: BLACKHOLE_CLUSTER, type: 'STATIC', connect_timeout: timeout },
    { name: PASSTHROUGH_CLUSTER, type: 'ORIGINAL_DST', connect_timeout: timeout, lb_policy: 'CLUSTER_PROVIDED' },
  ];
}

export function eager<T>(items: readonly T[], nameOf: (t: T) => string): TypeOutput<T> {
  const m = new Map(items.map((i) => [nameOf(i), i]));
  return { names: () => [...m.keys()], get: (n) => m.get(n) };
}

const byName = <T extends { name?: string | null }>(a: T, b: T): number => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0);

/** Clusters served by name, sorted, each with its key (fixed clusters have none). */
export function clusterOutput(
  items: readonly { readonly cluster: Cluster; readonly key?: ClusterKey | undefined }[],
): ClusterOutput<Cluster> {
  const m = new Map([...items].sort((a, b) => byName(a.cluster, b.cluster)).map((i) => [i.cluster.name!, i]));
  return { names: () => [...m.keys()], get: (n) => m.get(n)?.cluster, key: (n) => m.get(n)?.key };
}

/** The EDS assignments of the EDS clusters among `clusters`, found by the clusters' keys (built on first use; deps per assignment). */
export function edsOutput(
  scope: Scope,
  clusters: ClusterOutput<Cluster> & Partial<DepOutput<Cluster>>,
): ClusterOutput<ClusterLoadAssignment> & DepOutput<ClusterLoadAssignment> {
  const eds = once(() => {
    const edsNames = clusters.names().filter((n) => clusters.get(n)?.type === 'EDS');
    return { edsNames, set: new Set(edsNames) };
  });
  const key = (n: string): ClusterKey | undefined => (eds().set.has(n) ? clusters.key(n) : undefined);
  const deps = new Map<string, Deps>();
  return {
    names: () => eds().edsNames,
    key,
    get: (n) => {
      const k = key(n);
      if (!k) return undefined;
      const r = record(scope, (s) => outboundEndpoints(s, k));
      deps.set(n, r.deps);
      return r.value;
    },
    deps: (n) => deps.get(n),
    namesDeps: () => clusters.namesDeps?.(),
  };
}

/** An output built as a whole on first use (one recording: every resource shares its deps). */
function wholeOutput<T extends { name?: string | null }>(scope: Scope, build: (s: Scope) => readonly T[]): DepOutput<T> {
  const all = once(() => {
    const r = record(scope, build);
    return { m: new Map([...r.value].sort(byName).map((i) => [i.name!, i])), deps: r.deps };
  });
  return {
    names: () => [...all().m.keys()],
    get: (n) => all().m.get(n),
    deps: (n) => (all().m.has(n) ? all().deps : undefined),
    namesDeps: () => all().deps,
  };
}

/** Outputs concatenated: names sorted, each name answered by the part that lists it. */
function joined<T>(parts: readonly DepOutput<T>[]): DepOutput<T> {
  const index = once(() => {
    const m = new Map<string, DepOutput<T>>();
    for (const p of parts) for (const n of p.names()) if (!m.has(n)) m.set(n, p);
    return new Map([...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  });
  return {
    names: () => [...index().keys()],
    get: (n) => index().get(n)?.get(n),
    deps: (n) => index().get(n)?.deps(n),
    namesDeps: () => {
      const out = new Set<string>();
      for (const p of parts) for (const d of p.namesDeps() ?? ['?']) out.add(d);
      return out;
    },
  };
}

/** One resource per name of `names` (a cheap list), each built on first use with its own recording. */
function perName<T>(scope: Scope, names: (s: Scope) => readonly string[], build: (s: Scope, name: string) => T | undefined): DepOutput<T> {
  const list = once(() => {
    const r = record(scope, names);
    return { ...r, set: new Set(r.value) };
  });
  const built = new Map<string, { value: T | undefined; deps: Deps }>();
  const one = (n: string): { value: T | undefined; deps: Deps } | undefined => {
    if (!list().set.has(n)) return undefined;
    let b = built.get(n);
    if (!b) {
      b = record(scope, (s) => build(s, n));
      built.set(n, b);
    }
    return b;
  };
  return { names: () => list().value, get: (n) => one(n)?.value, deps: (n) => one(n)?.deps, namesDeps: () => list().deps };
}

/**
 * Every output is built on first use and records what it read (translators/deps.ts): clusters
 * and listeners as a whole, route configs and EDS assignments one by one, so a push that carries a
 * resource over (server/cache) never builds it.
 */
export function sidecarGenerator(mesh: MeshConfig, proxy: Proxy): Generated {
  const scope = buildScope(mesh, proxy);
  const inPorts = once(() => inboundPorts(scope));
  const ports = once(() => httpPorts(scope.services));
  const routeSvcs = once(() => routePorts(scope.services));
  const clusterParts = once(() =>
    record(scope, (s) =>
      clusterOutput([
        ...fixedClusters(s).map((cluster) => ({ cluster })),
        ...outboundClusters(s, { defaultLb: 'LEAST_REQUEST', envoyPolicy: true }),
        ...inboundClusters(s, inPorts()),
      ]),
    ),
  );
  const clusters: ClusterOutput<Cluster> & DepOutput<Cluster> = {
    names: () => clusterParts().value.names(),
    get: (n) => clusterParts().value.get(n),
    key: (n) => clusterParts().value.key(n),
    deps: (n) => (clusterParts().value.get(n) ? clusterParts().deps : undefined),
    namesDeps: () => clusterParts().deps,
  };
  const tcpBuilders = once(() => tcpListenerBuilders(scope, ports()));
  const listeners = joined([
    wholeOutput(scope, (s) => [virtualOutbound(s), virtualInbound(s, inPorts()), ...httpListeners(s, ports())]),
    // One by one: a <vip>_<port> listener reads only its service's VirtualService. A VIP-less
    // 0.0.0.0_<port> one may have no chain left: built to be listed (what it read goes with the list).
    perName(
      scope,
      (s) => [...tcpBuilders()].filter(([n, b]) => !n.startsWith('0.0.0.0_') || b(s) !== undefined).map(([n]) => n),
      (s, n) => tcpBuilders().get(n)?.(s),
    ),
  ]);
  const outboundRoutes = perName(
    scope,
    () => [...routeSvcs().keys()].map(String),
    (s, n) => outboundRouteConfig(s, Number(n), routeSvcs().get(Number(n))!),
  );
  const routes = joined([outboundRoutes, wholeOutput(scope, () => inboundRoutes(inPorts()))]);
  return { clusters, endpoints: edsOutput(scope, clusters), listeners, routes };
}
