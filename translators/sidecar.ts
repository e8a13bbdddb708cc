/**
 * @module translators/sidecar
 * The generator for Envoy (and MOSN) sidecars: everything within the proxy's scope (scope.ts).
 * Clusters: outbound per visible service port and subset, BlackHoleCluster, PassthroughCluster,
 * inbound per workload port and InboundPassthroughCluster. Listeners: virtualOutbound,
 * virtualInbound, `0.0.0.0_<port>` per HTTP port, TCP/TLS listeners. Routes: `"<port>"` per
 * HTTP port, `inbound|<port>||` per inbound HTTP port. EDS: the outbound EDS clusters.
 * Built as three parts — outbound (clusters, EDS, routes), outbound listeners, inbound — which
 * depend on different inputs, so the server can share each among the proxies it is the same for
 * (translators/share.ts); merged, they are the whole output, sorted by name as before.
 */
import type { MeshConfig } from '../model/config.js';
import type { Proxy } from '../model/proxy.js';
import type { Cluster, ClusterLoadAssignment } from '../proto/types.js';
import { edsResolution, outboundCluster, outboundClusterKeys, type ClusterFlavor } from './cluster.js';
import { outboundEndpoints } from './endpoint.js';
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER, type ClusterKey } from './names.js';
import { httpListeners, httpPorts, outboundRouteConfig, routePorts, tcpListenerBuilders, virtualOutbound } from './outbound.js';
import { inboundClusters, inboundPorts, inboundRoutes } from './inbound.js';
import { inboundListeners } from './inbound-bind.js';
import { interceptionMode } from '../model/interception.js';
import { buildScope, type Scope } from './scope.js';
import { EMPTY_OUTPUT, mergeOutputs, type ClusterOutput, type Generated, type KeyedOutput, type TypeOutput } from './generated.js';
import { durationOf } from '../model/duration.js';
import { joinedOutput, keyedClusters, once, perNameOutput, record, wholeClusters, wholeOutput, type DepOutput, type Deps } from './deps.js';

export { SIDECAR_ROUTES } from './outbound.js';

const ENVOY_CLUSTERS: ClusterFlavor = { defaultLb: 'LEAST_REQUEST', envoyPolicy: true };

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

/** The EDS assignments of the EDS clusters among `clusters`, found by the clusters' keys (listed on first use; each records what it read). */
export function edsOutput(
  scope: Scope,
  clusters: ClusterOutput<Cluster> & Partial<DepOutput<Cluster>> & { edsNames?(): readonly string[] },
): ClusterOutput<ClusterLoadAssignment> & DepOutput<ClusterLoadAssignment> & KeyedOutput<ClusterLoadAssignment> {
  const eds = once(() => {
    const edsNames = clusters.edsNames?.() ?? clusters.names().filter((n) => clusters.get(n)?.type === 'EDS');
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
    /** The assignment of `n` when its key is already known (a part carrying its name list): no cluster list is built. */
    getWithKey: (n: string, k: ClusterKey) => {
      const r = record(scope, (s) => outboundEndpoints(s, k));
      deps.set(n, r.deps);
      return r.value;
    },
    deps: (n) => deps.get(n),
    namesDeps: () => clusters.namesDeps?.(),
  };
}

/**
 * The outbound part: fixed and outbound clusters, their EDS, the outbound route configs. Depends on
 * the scope (namespace, Sidecar, version gates) and, of the workload's labels, only on what
 * translators/share.ts `outboundShareKey` names (sourceLabels matches, locality, failover labels).
 */
export function sidecarOutbound(scope: Scope): Generated {
  // Built on first use, recording what each resource read (translators/deps.ts): clusters as a
  // whole, EDS assignments and route configs one by one, so a carried-over resource is never built.
  const fixed = once(() => new Map(fixedClusters(scope).map((c) => [c.name!, c])));
  const clusters = keyedClusters<Cluster>(
    scope,
    (s) => {
      const m = new Map<string, ClusterKey | undefined>([...fixed().keys()].map((n) => [n, undefined]));
      for (const [n, k] of outboundClusterKeys(s)) m.set(n, k);
      return new Map([...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    },
    (s, n, k) => (k ? outboundCluster(s, k, ENVOY_CLUSTERS) : fixed().get(n)),
    (s, k) => {
      const svc = s.serviceByHost.get(k.host);
      return svc !== undefined && edsResolution(svc);
    },
  );
  const routeSvcs = once(() => routePorts(scope.services));
  const routes = perNameOutput(
    scope,
    () => [...routeSvcs().keys()].map(String).sort(),
    (s, n) => outboundRouteConfig(s, Number(n), routeSvcs().get(Number(n))!),
  );
  return { ...EMPTY_OUTPUT, clusters, endpoints: edsOutput(scope, clusters), routes };
}

/** The outbound listeners: as the outbound part, plus the HCMs' per-workload values (tracing tags). */
export function sidecarOutboundListeners(scope: Scope): Generated {
  const ports = once(() => httpPorts(scope.services));
  const tcp = once(() => tcpListenerBuilders(scope, ports()));
  const listeners = joinedOutput([
    wholeOutput(scope, (s) => [...(interceptionMode(s.proxy) === 'NONE' ? [] : [virtualOutbound(s)]), ...httpListeners(s, ports())]),
    // One by one: a <vip>_<port> listener reads only its service's VirtualService. A VIP-less
    // 0.0.0.0_<port> one may have no chain left: built to be listed (what it read goes with the list).
    perNameOutput(
      scope,
      (s) => [...tcp()].filter(([, b]) => !b.mayBeEmpty || b.build(s) !== undefined).map(([n]) => n),
      (s, n) => tcp().get(n)?.build(s),
    ),
  ]);
  return { ...EMPTY_OUTPUT, listeners };
}

/** The inbound part: inbound clusters, virtualInbound and bound ingress listeners, inbound route configs — the workload's own shape. */
export function sidecarInbound(scope: Scope): Generated {
  const inPorts = once(() => inboundPorts(scope));
  return {
    ...EMPTY_OUTPUT,
    clusters: wholeClusters(scope, (s) => clusterOutput(inboundClusters(s, inPorts()))),
    listeners: wholeOutput(scope, (s) => inboundListeners(s, inPorts())),
    routes: wholeOutput(scope, () => inboundRoutes(inPorts())),
  };
}

/** Everything for one sidecar: the three parts (share.ts caches them separately) merged. */
export function sidecarGenerator(mesh: MeshConfig, proxy: Proxy): Generated {
  const scope = buildScope(mesh, proxy);
  return mergeOutputs([sidecarOutbound(scope), sidecarOutboundListeners(scope), sidecarInbound(scope)]);
}
