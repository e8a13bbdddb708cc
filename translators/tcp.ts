/**
 * @module translators/tcp
 * TCP and TLS (SNI) routing as istiod does it: a `envoy.filters.network.tcp_proxy` filter to one
 * cluster or weighted clusters; VirtualService `tcp` routes (first matching route for the port)
 * and `tls` routes (one filter chain per SNI match) for a service; a gateway's TCP servers from the
 * first applying `tcp` route; the listener filters by name.
 */
import type { MeshService } from '../model/config.js';
import type { RouteDestination, VirtualService } from '../model/istio.js';
import type { Filter, FilterChain } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { BLACKHOLE_CLUSTER, clusterName, configPath } from './names.js';
import { istioMetadata } from './metadata.js';
import { resolveShortName } from '../model/hosts.js';
import { selectorMatches } from '../model/labels.js';
import type { Scope } from './scope.js';

export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';
const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
export const TLS_INSPECTOR = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: typedAny('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {}),
};
export const ORIGINAL_DST = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: typedAny('envoy.extensions.filters.listener.original_dst.v3.OriginalDst', {}),
};

export function tcpProxy(statPrefix: string, cluster: string | { name: string; weight: number }[]): Filter {
  const target =
    typeof cluster === 'string'
      ? { cluster }
      : cluster.length === 1
        ? { cluster: cluster[0]!.name }
        : { weighted_clusters: { clusters: cluster } };
  return { name: TCP_PROXY_FILTER, typed_config: typedAny(TCP_PROXY_TYPE, { stat_prefix: statPrefix, ...target }) };
}

function destinations(
  scope: Scope,
  vs: VirtualService,
  route: readonly RouteDestination[],
  port: number,
): { name: string; weight: number }[] {
  return route
    .filter((d) => route.length === 1 || (d.weight ?? 0) > 0)
    .map((d) => {
      const host = resolveShortName(d.destination.host, vs.meta.namespace, scope.mesh.domainSuffix);
      const svc = scope.meshService(host);
      const p = d.destination.port?.number ?? (svc?.ports.length === 1 ? svc.ports[0]!.port : port);
      return { name: clusterName('outbound', p, d.destination.subset ?? '', host), weight: route.length === 1 ? 1 : (d.weight ?? 0) };
    });
}

function l4Applies(
  scope: Scope,
  m: { port?: number; gateways?: readonly string[]; sourceLabels?: Readonly<Record<string, string>> },
  port: number,
  gateway: string,
): boolean {
  if (m.port && m.port !== port) return false;
  if (m.gateways && !m.gateways.includes(gateway)) return false;
  if (!selectorMatches(m.sourceLabels, scope.labels)) return false;
  return true;
}

/** The filter chain for TCP traffic to `svc:port`: the VirtualService's TCP route if one applies, else the service's cluster. */
export function tcpChain(scope: Scope, svc: MeshService, port: number, vs: VirtualService | undefined, gateway = 'mesh'): FilterChain {
  const cluster = clusterName('outbound', port, '', svc.hostname);
  const tcp = vs?.spec.tcp?.find((t) => !t.match || t.match.some((m) => l4Applies(scope, m, port, gateway)));
  if (vs && tcp) {
    return {
      filters: [tcpProxy(cluster, destinations(scope, vs, tcp.route, port))],
      metadata: istioMetadata({ config: configPath('VirtualService', vs.meta.namespace, vs.meta.name) }),
    } as FilterChain;
  }
  return { filters: [tcpProxy(cluster, cluster)] };
}

/** SNI chains from a VirtualService's TLS routes for `port` (one per route), most specific first as written. */
export function tlsChains(scope: Scope, vs: VirtualService | undefined, port: number, gateway = 'mesh'): FilterChain[] {
  if (!vs?.spec.tls) return [];
  const out: FilterChain[] = [];
  for (const t of vs.spec.tls) {
    const sni = [...new Set(t.match.filter((m) => l4Applies(scope, m, port, gateway)).flatMap((m) => m.sniHosts))].sort();
    if (!sni.length) continue;
    const dests = destinations(scope, vs, t.route, port);
    out.push({
      // SNI `*` (a TLSRoute without hostnames) matches every name: no server_names, as istiod.
      ...(sni.includes('*') ? {} : { filter_chain_match: { server_names: sni } }),
      filters: [tcpProxy(dests[0]!.name, dests)],
      metadata: istioMetadata({ config: t.provenance ?? configPath('VirtualService', vs.meta.namespace, vs.meta.name) }),
    } as FilterChain);
  }
  return out;
}

/**
 * The chain of a gateway's TCP server (or a TLS server that terminates): the first `tcp` route of
 * the bound VirtualServices (in their order) that applies to the server's port and gateway, as
 * istiod; a route without destinations (a TCPRoute whose backends all failed or weigh 0) goes to
 * BlackHoleCluster, which closes the connection. None applies → no chain.
 */
export function gatewayTcpChain(scope: Scope, bound: readonly VirtualService[], port: number, gateway: string): FilterChain | undefined {
  for (const vs of bound) {
    const tcp = vs.spec.tcp?.find((t) => !t.match?.length || t.match.some((m) => l4Applies(scope, m, port, gateway)));
    if (!tcp) continue;
    const dests = tcp.route.length ? destinations(scope, vs, tcp.route, port) : [{ name: BLACKHOLE_CLUSTER, weight: 1 }];
    return {
      filters: [tcpProxy(dests[0]!.name, dests)],
      metadata: istioMetadata({ config: tcp.provenance ?? configPath('VirtualService', vs.meta.namespace, vs.meta.name) }),
    } as FilterChain;
  }
  return undefined;
}
