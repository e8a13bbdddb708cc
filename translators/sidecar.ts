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
import type { Cluster } from '../proto/types.js';
import { outboundClusters } from './cluster.js';
import { outboundEndpoints } from './endpoint.js';
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER } from './names.js';
import { httpListeners, httpPorts, outboundRouteConfig, routePorts, tcpListeners, virtualOutbound } from './outbound.js';
import { inboundClusters, inboundPorts, inboundRoutes, virtualInbound } from './inbound.js';
import { buildScope, type Scope } from './scope.js';
import type { Generated, TypeOutput } from './generated.js';
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

export function edsOutput(scope: Scope, clusters: readonly Cluster[]): TypeOutput<ReturnType<typeof outboundEndpoints> & object> {
  const edsNames = clusters.filter((c) => c.type === 'EDS').map((c) => c.name!);
  const set = new Set(edsNames);
  return { names: () => edsNames, get: (n) => (set.has(n) ? outboundEndpoints(scope, n) : undefined) };
}

const byName = <T extends { name?: string | null }>(a: T, b: T): number => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0);

export function sidecarGenerator(mesh: MeshConfig, proxy: Proxy): Generated {
  const scope = buildScope(mesh, proxy);
  const inPorts = inboundPorts(scope);
  const clusters = [...fixedClusters(scope), ...outboundClusters(scope, { defaultLb: 'LEAST_REQUEST', envoyPolicy: true }), ...inboundClusters(scope, inPorts)].sort(byName);
  const ports = httpPorts(scope.services);
  const listeners = [virtualOutbound(scope), virtualInbound(scope, inPorts), ...httpListeners(scope, ports), ...tcpListeners(scope, ports)].sort(byName);
  const routes = [...[...routePorts(scope.services).entries()].map(([port, svcs]) => outboundRouteConfig(scope, port, svcs)), ...inboundRoutes(inPorts)].sort(byName);
  return {
    clusters: eager(clusters, (c) => c.name!),
    endpoints: edsOutput(scope, clusters),
    listeners: eager(listeners, (l) => l.name!),
    routes: eager(routes, (r) => r.name!),
  };
}
