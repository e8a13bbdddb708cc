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
import { outboundClusters } from './cluster.js';
import { outboundEndpoints } from './endpoint.js';
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER, type ClusterKey } from './names.js';
import { httpListeners, httpPorts, outboundRouteConfig, routePorts, tcpListeners, virtualOutbound } from './outbound.js';
import { inboundClusters, inboundPorts, inboundRoutes } from './inbound.js';
import { inboundListeners } from './inbound-bind.js';
import { interceptionMode } from '../model/interception.js';
import { buildScope, type Scope } from './scope.js';
import { EMPTY_OUTPUT, mergeOutputs, type ClusterOutput, type Generated, type TypeOutput } from './generated.js';
import { durationOf } from '../model/duration.js';

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

/** The EDS assignments of the EDS clusters among `clusters`, found by the clusters' keys. */
export function edsOutput(scope: Scope, clusters: ClusterOutput<Cluster>): ClusterOutput<ClusterLoadAssignment> {
  const edsNames = clusters.names().filter((n) => clusters.get(n)?.type === 'EDS');
  const set = new Set(edsNames);
  const key = (n: string): ClusterKey | undefined => (set.has(n) ? clusters.key(n) : undefined);
  return {
    names: () => edsNames,
    key,
    get: (n) => {
      const k = key(n);
      return k ? outboundEndpoints(scope, k) : undefined;
    },
  };
}

/**
 * The outbound part: fixed and outbound clusters, their EDS, the outbound route configs. Depends on
 * the scope (namespace, Sidecar, version gates) and, of the workload's labels, only on what
 * translators/share.ts `outboundShareKey` names (sourceLabels matches, locality, failover labels).
 */
export function sidecarOutbound(scope: Scope): Generated {
  const clusters = clusterOutput([
    ...fixedClusters(scope).map((cluster) => ({ cluster })),
    ...outboundClusters(scope, { defaultLb: 'LEAST_REQUEST', envoyPolicy: true }),
  ]);
  const routes = [...routePorts(scope.services).entries()].map(([port, svcs]) => outboundRouteConfig(scope, port, svcs)).sort(byName);
  return { ...EMPTY_OUTPUT, clusters, endpoints: edsOutput(scope, clusters), routes: eager(routes, (r) => r.name!) };
}

/** The outbound listeners: as the outbound part, plus the HCMs' per-workload values (tracing tags). */
export function sidecarOutboundListeners(scope: Scope): Generated {
  const ports = httpPorts(scope.services);
  const listeners = [
    ...(interceptionMode(scope.proxy) === 'NONE' ? [] : [virtualOutbound(scope)]),
    ...httpListeners(scope, ports),
    ...tcpListeners(scope, ports),
  ].sort(byName);
  return { ...EMPTY_OUTPUT, listeners: eager(listeners, (l) => l.name!) };
}

/** The inbound part: inbound clusters, virtualInbound and bound ingress listeners, inbound route configs — the workload's own shape. */
export function sidecarInbound(scope: Scope): Generated {
  const inPorts = inboundPorts(scope);
  return {
    ...EMPTY_OUTPUT,
    clusters: clusterOutput(inboundClusters(scope, inPorts)),
    listeners: eager(inboundListeners(scope, inPorts).sort(byName), (l) => l.name!),
    routes: eager([...inboundRoutes(inPorts)].sort(byName), (r) => r.name!),
  };
}

/** Everything for one sidecar: the three parts (share.ts caches them separately) merged. */
export function sidecarGenerator(mesh: MeshConfig, proxy: Proxy): Generated {
  const scope = buildScope(mesh, proxy);
  return mergeOutputs([sidecarOutbound(scope), sidecarOutboundListeners(scope), sidecarInbound(scope)]);
}
