/**
 * @module translators/gateway
 * The generator for gateways (`router~` nodes), after istiod: the Gateways whose selector picks the
 * proxy's labels; each server port binds the gateway's container port (the targetPort of the
 * gateway Service port with that number, else the number itself). HTTP servers → listener
 * `0.0.0.0_<port>` with route config `http.<port>`; HTTPS servers with SIMPLE/MUTUAL/ISTIO_MUTUAL →
 * a TLS-terminating chain per server (certificates by SDS name `kubernetes://<credentialName>`, or
 * for file-mounted ones the agent's `file-cert:<cert>~<key>` / `file-root:<ca>`)
 * with route config `https.<port>.<portName>.<gateway>.<namespace>`; PASSTHROUGH/TLS servers →
 * SNI chains from the VirtualServices' tls routes; TCP servers and terminating TLS servers → a
 * tcp_proxy chain from the first applying `tcp` route (behind the server's TLS when it terminates). Virtual hosts: one per VirtualService host bound
 * to the gateway (`gateways: [ns/name]`, exported to the gateway's namespace) within the server's hosts, named `host:<server port>`
 * (`*:80` for `*`); VirtualServices for one host are merged in namespace/name order. Clusters and
 * endpoints: every visible service, as istiod gives gateways. AuthorizationPolicies selecting the
 * gateway apply to its HCMs through the filter registry and to its TLS-passthrough chains as network
 * filters.
 */
import type { MeshConfig } from '../model/config.js';
import type { Gateway, GatewayServer, VirtualService } from '../model/istio.js';
import type { Proxy } from '../model/proxy.js';
import type { FilterChain, Listener, RouteConfiguration, VirtualHost } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { outboundClusters } from './cluster.js';
import { HCM_FILTER, HCM_TYPE, listenerContext, rdsHcm } from './hcm.js';
import { istioMetadata } from './metadata.js';
import { vsRoutes, type RouteFlavor } from './route.js';
import { buildScope, exported, type Scope } from './scope.js';
import { hostSubsetOf, resolveShortName } from '../model/hosts.js';
import { selectorMatches, serviceSelects } from '../model/labels.js';
import { dedupeDomains } from './outbound-routes.js';
import { gatewayTcpChain, tlsChains, TLS_INSPECTOR } from './tcp.js';
import { clusterOutput, eager, edsOutput, fixedClusters } from './sidecar.js';
import { downstreamTlsSocket } from './server-tls.js';
import { networkAuthzFilters } from './authz/workload.js';
import type { Generated } from './generated.js';
import type { ListenerPort } from './filters/types.js';
import { protocolNamed } from './protocol.js';
import { versionGates } from './versions.js';

const gwName = (g: Gateway): string => `${g.meta.namespace}/${g.meta.name}`;
const gwPath = (g: Gateway): string => `/apis/networking.istio.io/v1/namespaces/${g.meta.namespace}/gateway/${g.meta.name}`;

/** The container port a gateway server binds: the gateway Service's targetPort for that port number. */
function listenPort(scope: Scope, port: number): number {
  for (const svc of scope.mesh.services) {
    if (svc.namespace !== scope.namespace || !serviceSelects(svc.selector, scope.labels)) continue;
    const sp = svc.ports.find((p) => p.port === port);
    if (sp && typeof sp.targetPort === 'number') return sp.targetPort;
  }
  return port;
}

/** VirtualServices bound to `g` (namespace/name order) and the hosts each shares with the server. */
function boundVirtualServices(scope: Scope, g: Gateway, server: GatewayServer): { vs: VirtualService; hosts: string[] }[] {
  const out: { vs: VirtualService; hosts: string[] }[] = [];
  for (const vs of scope.mesh.virtualServices) {
    if (!exported(vs.spec.exportTo, vs.meta.namespace, scope.namespace)) continue;
    const bound = (vs.spec.gateways ?? []).some((n) => (n.includes('/') ? n : `${vs.meta.namespace}/${n}`) === gwName(g));
    if (!bound) continue;
    const hosts: string[] = [];
    for (const sh of server.hosts) {
      const slash = sh.indexOf('/');
      const ns = slash >= 0 ? sh.slice(0, slash) : '*';
      const host = slash >= 0 ? sh.slice(slash + 1) : sh;
      if (ns !== '*' && !(ns === '.' && vs.meta.namespace === g.meta.namespace) && ns !== vs.meta.namespace) continue;
      for (const vh of vs.spec.hosts) {
        const full = resolveShortName(vh, vs.meta.namespace, scope.mesh.domainSuffix);
        if (hostSubsetOf(full, host)) hosts.push(vh);
        else if (hostSubsetOf(host, full)) hosts.push(host);
      }
    }
    if (hosts.length) out.push({ vs, hosts: [...new Set(hosts)].sort() });
  }
  return out;
}

function routeConfig(scope: Scope, name: string, entries: { g: Gateway; server: GatewayServer }[]): RouteConfiguration {
  const byHost = new Map<string, VirtualService[]>();
  let port = 0;
  for (const { g, server } of entries) {
    port = server.port.number;
    for (const { vs, hosts } of boundVirtualServices(scope, g, server)) {
      for (const h of hosts) if (!(byHost.get(h) ?? []).includes(vs)) byHost.set(h, [...(byHost.get(h) ?? []), vs]);
    }
  }
  const flavor: RouteFlavor = {
    headerStyle: versionGates(scope.proxy).legacyHeaderMatchers ? 'legacy' : 'string_match',
    defaultRetries: true,
    timeoutAs: 'timeout',
    listenerClass: 'gateway',
    gateway: gwName(entries[0]!.g),
  };
  const vhosts: VirtualHost[] = [...byHost.keys()]
    .sort()
    .map((h) => ({
      name: `${h}:${port}`,
      domains: h === '*' ? ['*'] : [h, `${h}:*`],
      routes: vsRoutes(scope, byHost.get(h)!, h, port, flavor, false),
      include_request_attempt_count: true,
    }))
    .filter((v) => v.routes.length > 0);
  if (entries.some((e) => e.server.tls?.httpsRedirect)) for (const v of vhosts) v.require_tls = 'ALL';
  return { name, virtual_hosts: dedupeDomains(vhosts), validate_clusters: { value: false } };
}

/** The filter registry's port for a server bound on listen port `lp`. */
function serverPort(lp: number, server: GatewayServer): ListenerPort {
  return { number: lp, name: server.port.name, protocol: protocolNamed(server.port.protocol) };
}

/** AuthorizationPolicies selecting the gateway, as network filters before the chain's tcp_proxy (as istiod). */
function withNetworkAuthz(scope: Scope, chain: FilterChain): FilterChain {
  const authz = networkAuthzFilters(scope);
  return authz.length ? { ...chain, filters: [...authz, ...(chain.filters ?? [])] } : chain;
}

function sniOf(server: GatewayServer): string[] {
  return server.hosts
    .map((h) => h.slice(h.indexOf('/') + 1))
    .filter((h) => h !== '*')
    .sort();
}

export function gatewayGenerator(mesh: MeshConfig, proxy: Proxy): Generated {
  const scope = buildScope(mesh, proxy);
  const gateways = mesh.gateways.filter((g) => selectorMatches(g.spec.selector, scope.labels));
  const byPort = new Map<number, { g: Gateway; server: GatewayServer }[]>();
  for (const g of gateways)
    for (const server of g.spec.servers) {
      const lp = listenPort(scope, server.port.number);
      byPort.set(lp, [...(byPort.get(lp) ?? []), { g, server }]);
    }
  const listeners: Listener[] = [];
  const routes: RouteConfiguration[] = [];
  for (const [lp, entries] of [...byPort.entries()].sort((a, b) => a[0] - b[0])) {
    const chains: { chain: FilterChain; rc?: RouteConfiguration }[] = [];
    const http = entries.filter(
      (e) =>
        ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'].includes(e.server.port.protocol) || (e.server.port.protocol === 'HTTPS' && !e.server.tls),
    );
    const terminated = entries.filter(
      (e) =>
        e.server.port.protocol === 'HTTPS' &&
        e.server.tls &&
        e.server.tls.mode !== 'PASSTHROUGH' &&
        e.server.tls.mode !== 'AUTO_PASSTHROUGH',
    );
    // TCP servers, and TLS servers that terminate (SIMPLE/MUTUAL…): routed by the VirtualServices' tcp routes, as istiod.
    const tcp = entries.filter(
      (e) =>
        !http.includes(e) &&
        !terminated.includes(e) &&
        (e.server.port.protocol === 'TCP' ||
          (e.server.port.protocol === 'TLS' &&
            !!e.server.tls &&
            e.server.tls.mode !== 'PASSTHROUGH' &&
            e.server.tls.mode !== 'AUTO_PASSTHROUGH')),
    );
    const passthrough = entries.filter((e) => !http.includes(e) && !terminated.includes(e) && !tcp.includes(e));
    if (http.length) {
      const rc = `http.${lp}`;
      const ctx = listenerContext(scope, 'gateway', http.length === 1 ? serverPort(lp, http[0]!.server) : { number: lp });
      chains.push({
        chain: { filters: [{ name: HCM_FILTER, typed_config: typedAny(HCM_TYPE, rdsHcm(`outbound_0.0.0.0_${lp}`, rc, ctx)) }] },
        rc: routeConfig(scope, rc, http),
      });
    }
    for (const e of terminated) {
      const rc = `https.${e.server.port.number}.${e.server.port.name}.${e.g.meta.name}.${e.g.meta.namespace}`;
      const sni = sniOf(e.server);
      chains.push({
        rc: routeConfig(scope, rc, [e]),
        chain: {
          ...(sni.length ? { filter_chain_match: { server_names: sni } } : {}),
          transport_socket: downstreamTlsSocket(e.server.tls!),
          filters: [
            {
              name: HCM_FILTER,
              typed_config: typedAny(
                HCM_TYPE,
                rdsHcm(`outbound_0.0.0.0_${lp}`, rc, listenerContext(scope, 'gateway', serverPort(lp, e.server))),
              ),
            },
          ],
          metadata: istioMetadata({ config: gwPath(e.g) }),
        } as FilterChain,
      });
    }
    for (const e of tcp) {
      const chain = gatewayTcpChain(
        scope,
        boundVirtualServices(scope, e.g, e.server).map((b) => b.vs),
        e.server.port.number,
        gwName(e.g),
      );
      if (!chain) continue;
      const sni = e.server.tls ? sniOf(e.server) : [];
      chains.push({
        chain: withNetworkAuthz(scope, {
          ...(sni.length ? { filter_chain_match: { server_names: sni } } : {}),
          ...(e.server.tls ? { transport_socket: downstreamTlsSocket(e.server.tls, false) } : {}),
          ...chain,
        } as FilterChain),
      });
    }
    for (const e of passthrough) {
      for (const { vs } of boundVirtualServices(scope, e.g, e.server))
        chains.push(...tlsChains(scope, vs, e.server.port.number, gwName(e.g)).map((chain) => ({ chain: withNetworkAuthz(scope, chain) })));
    }
    // Servers that collide on one port and match (istiod reports them as conflicts): the first keeps it.
    const seen = new Set<string>();
    const kept = chains.filter((c) => {
      const k = JSON.stringify(c.chain.filter_chain_match ?? {});
      return seen.has(k) ? false : (seen.add(k), true);
    });
    if (!kept.length) continue;
    for (const c of kept) if (c.rc && !routes.some((r) => r.name === c.rc!.name)) routes.push(c.rc);
    const uniq = kept.map((c) => c.chain);
    listeners.push({
      name: `0.0.0.0_${lp}`,
      address: { socket_address: { address: '0.0.0.0', port_value: lp } },
      traffic_direction: 'OUTBOUND',
      ...(uniq.some((c) => c.filter_chain_match?.server_names) ? { listener_filters: [TLS_INSPECTOR] } : {}),
      filter_chains: uniq,
      metadata: istioMetadata({ config: gwPath(entries[0]!.g) }),
    });
  }
  const clusters = clusterOutput([
    ...fixedClusters(scope).map((cluster) => ({ cluster })),
    ...outboundClusters(scope, { defaultLb: 'LEAST_REQUEST', envoyPolicy: true }),
  ]);
  return {
    clusters,
    endpoints: edsOutput(scope, clusters),
    listeners: eager(listeners, (l) => l.name!),
    routes: eager(
      routes.sort((a, b) => (a.name! < b.name! ? -1 : 1)),
      (r) => r.name!,
    ),
  };
}
