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
import { httpListeners, httpPorts, outboundRouteConfig, routePorts, tcpListeners, virtualOutbound } from './outbound.js';
import { inboundClusters, inboundPorts, inboundRoutes } from './inbound.js';
import { inboundListeners } from './inbound-bind.js';
import { interceptionMode } from '../model/interception.js';
import { buildScope, type Scope } from './scope.js';
import type { ClusterOutput, Generated, TypeOutput } from './generated.js';
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

export function sidecarGenerator(mesh: MeshConfig, proxy: Proxy): Generated {
  const scope = buildScope(mesh, proxy);
  const inPorts = inboundPorts(scope);
  const clusters = clusterOutput([
    ...fixedClusters(scope).map((cluster) => ({ cluster })),
    ...outboundClusters(scope, { defaultLb: 'LEAST_REQUEST', envoyPolicy: true }),
    ...inboundClusters(scope, inPorts),
  ]);
  const ports = httpPorts(scope.services);
  const listeners = [
    ...(interceptionMode(proxy) === 'NONE' ? [] : [virtualOutbound(scope)]),
    ...inboundListeners(scope, inPorts),
    ...httpListeners(scope, ports),
    ...tcpListeners(scope, ports),
  ].sort(byName);
  const routes = [
    ...[...routePorts(scope.services).entries()].map(([port, svcs]) => outboundRouteConfig(scope, port, svcs)),
    ...inboundRoutes(inPorts),
  ].sort(byName);
  return {
    clusters,
    endpoints: edsOutput(scope, clusters),
    listeners: eager(listeners, (l) => l.name!),
    routes: eager(routes, (r) => r.name!),
  };
}
