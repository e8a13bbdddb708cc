/**
 * @module translators/sidecar
 * The generator for Envoy (and MOSN) sidecars, outbound side: a cluster per service port and
 * subset plus istiod's PassthroughCluster/BlackHoleCluster; for every HTTP port in the mesh a
 * listener `0.0.0.0_<port>` whose HCM takes route config `"<port>"` over RDS; that route config
 * holds one virtual host per service with that port (istiod's names and domains) and `allow_any`.
 */
import type { MeshConfig, MeshService } from '../model/config.js';
import type { Proxy } from '../model/proxy.js';
import type { Cluster, Listener, RouteConfiguration, VirtualHost } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { outboundClusters } from './cluster.js';
import { outboundEndpoints } from './endpoint.js';
import { serviceDomains } from './domains.js';
import { HCM_FILTER, HCM_TYPE, rdsHcm } from './hcm.js';
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER, outboundListenerName, outboundRouteName, vhostName } from './names.js';
import { portProtocol, isHttp } from './protocol.js';
import { hostRoutes, type RouteFlavor } from './route.js';
import type { Generated, TypeOutput } from './generated.js';

export const SIDECAR_ROUTES: RouteFlavor = { headerStyle: 'string_match', defaultRetries: true, timeoutAs: 'timeout' };

function fixedClusters(): Cluster[] {
  return [
    { name: BLACKHOLE_CLUSTER, type: 'STATIC', connect_timeout: { seconds: 10 } },
    { name: PASSTHROUGH_CLUSTER, type: 'ORIGINAL_DST', connect_timeout: { seconds: 10 }, lb_policy: 'CLUSTER_PROVIDED' },
  ];
}

/** HTTP service ports in the mesh: port → services exposing it (services sorted by hostname). */
function httpPorts(services: readonly MeshService[]): Map<number, MeshService[]> {
  const m = new Map<number, MeshService[]>();
  for (const s of services) {
    for (const p of s.ports) if (isHttp(portProtocol(p))) m.set(p.port, [...(m.get(p.port) ?? []), s]);
  }
  return new Map([...m.entries()].sort((a, b) => a[0] - b[0]));
}

function listenerFor(port: number): Listener {
  const name = outboundListenerName(port);
  return {
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    traffic_direction: 'OUTBOUND',
    bind_to_port: { value: false },
    filter_chains: [{ filters: [{ name: HCM_FILTER, typed_config: typedAny(HCM_TYPE, rdsHcm(`outbound_${name}`, outboundRouteName(port), 'envoy')) }] }],
  };
}

function routeConfigFor(mesh: MeshConfig, proxy: Proxy, port: number, services: readonly MeshService[]): RouteConfiguration {
  const vhosts: VirtualHost[] = services.map((svc) => ({
    name: vhostName(svc.hostname, port),
    domains: serviceDomains(svc, proxy.namespace, port, false),
    routes: hostRoutes(mesh, svc.hostname, port, SIDECAR_ROUTES),
    include_request_attempt_count: true,
  }));
  vhosts.push({ name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: PASSTHROUGH_CLUSTER, timeout: { seconds: 0 } } }], include_request_attempt_count: true });
  return { name: outboundRouteName(port), virtual_hosts: vhosts, validate_clusters: { value: false }, ignore_port_in_host_matching: true };
}

function eager<T>(items: readonly T[], nameOf: (t: T) => string): TypeOutput<T> {
  const m = new Map(items.map((i) => [nameOf(i), i]));
  return { names: () => [...m.keys()], get: (n) => m.get(n) };
}

export function sidecarGenerator(mesh: MeshConfig, proxy: Proxy): Generated {
  const clusters = [...fixedClusters(), ...outboundClusters(mesh, mesh.services, { defaultLb: 'LEAST_REQUEST' })];
  const edsNames = new Set(clusters.filter((c) => c.type === 'EDS').map((c) => c.name!));
  const ports = httpPorts(mesh.services);
  const listeners = [...ports.keys()].map(listenerFor);
  const routes = [...ports.entries()].map(([port, svcs]) => routeConfigFor(mesh, proxy, port, svcs));
  return {
    clusters: eager(clusters, (c) => c.name!),
    endpoints: { names: () => [...edsNames], get: (n) => (edsNames.has(n) ? outboundEndpoints(mesh, n) : undefined) },
    listeners: eager(listeners, (l) => l.name!),
    routes: eager(routes, (r) => r.name!),
  };
}
