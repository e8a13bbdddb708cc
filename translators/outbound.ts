/**
 * @module translators/outbound
 * A sidecar's outbound listeners and route configs, as istiod builds them:
 * - `virtualOutbound` on 15001 (use_original_dst) whose catch-all chain `virtualOutbound-catchall-tcp`
 *   sends unmatched traffic to PassthroughCluster (ALLOW_ANY) or BlackHoleCluster (REGISTRY_ONLY);
 * - per HTTP port `0.0.0.0_<port>` with route config `"<port>"` over RDS: a virtual host per
 *   service on that port plus `allow_any` (or `block_all`), `ignore_port_in_host_matching`;
 * - per TCP/TLS service port with a VIP `<vip>_<port>` with tcp_proxy (VirtualService tcp/tls routes
 *   apply); without a VIP, `0.0.0.0_<port>` (SNI chains for TLS, else the first service's chain);
 * - a port whose protocol is not declared (no known name prefix or appProtocol) is sniffed as istiod
 *   does: its VIP listener runs http_inspector and sends HTTP/1.1 and h2c to the HCM of route config
 *   `"<port>"` (where the service gets its virtual host) and everything else to tcp_proxy;
 * - a Sidecar egress `bind`/`captureMode: NONE` or a proxy without iptables moves a listener to
 *   `<bind>_<port>` and makes it bind its port (egress-bind.ts); the catch-all chain goes to the
 *   Sidecar's egressProxy when set.
 */
import type { MeshService } from '../model/config.js';
import type { FilterChain, Listener } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { versionGates } from './versions.js';
import { HCM_FILTER, HCM_TYPE, listenerContext, rdsHcm } from './hcm.js';
import { BLACKHOLE_CLUSTER, clusterName, configPath, outboundListenerName, outboundRouteName } from './names.js';
import { istioMetadata } from './metadata.js';
import { portProtocol, isHttp } from './protocol.js';
import type { RouteFlavor } from './route.js';
import { tcpChain, tcpProxy, tlsChains, TLS_INSPECTOR } from './tcp.js';
import type { Scope } from './scope.js';
import { egressBinding } from './egress-bind.js';
import { canBind } from '../model/interception.js';

export const SIDECAR_ROUTES: RouteFlavor = {
  headerStyle: 'string_match',
  defaultRetries: true,
  timeoutAs: 'timeout',
  listenerClass: 'sidecar-outbound',
};

const byNum = (a: [number, unknown], b: [number, unknown]): number => a[0] - b[0];

/**
 * Per services list (immutable, kept by the store across snapshots when no service changed), its
 * HTTP ports and route ports: a VirtualService edit does not group every service again per part.
 */
const portMaps = new WeakMap<readonly MeshService[], { http?: Map<number, MeshService[]>; route?: Map<number, MeshService[]> }>();

function portMapsOf(services: readonly MeshService[]): { http?: Map<number, MeshService[]>; route?: Map<number, MeshService[]> } {
  let m = portMaps.get(services);
  if (!m) portMaps.set(services, (m = {}));
  return m;
}

/** HTTP service ports visible to the proxy: port → services exposing it (sorted by hostname). Memoized: do not change the result. */
export function httpPorts(services: readonly MeshService[]): ReadonlyMap<number, readonly MeshService[]> {
  const memo = portMapsOf(services);
  return (memo.http ??= groupHttp(services));
}

function groupHttp(services: readonly MeshService[]): Map<number, MeshService[]> {
  const m = new Map<number, MeshService[]>();
  for (const s of services) {
    for (const p of s.ports) {
      if (!isHttp(portProtocol(p))) continue;
      const list = m.get(p.port);
      if (!list) m.set(p.port, [s]);
      else list.push(s);
    }
  }
  return new Map([...m.entries()].sort(byNum));
}

/** Whether a service port's protocol is sniffed (undeclared, TCP, with a VIP to listen on). */
export function sniffed(svc: MeshService, p: MeshService['ports'][number]): boolean {
  return p.protocol === 'TCP' && portProtocol(p) === 'Unsupported' && svc.clusterIP !== '';
}

/** Route configs per port: the HTTP ports' services plus the services sniffed on that port. Memoized: do not change the result. */
export function routePorts(services: readonly MeshService[]): ReadonlyMap<number, readonly MeshService[]> {
  const memo = portMapsOf(services);
  if (memo.route) return memo.route;
  const m = new Map<number, MeshService[]>([...httpPorts(services)].map(([p, l]) => [p, [...l]]));
  const sniffedOn = new Set<number>();
  for (const s of services) {
    for (const p of s.ports) {
      if (!sniffed(s, p)) continue;
      const list = m.get(p.port);
      if (list?.includes(s)) continue;
      if (!list) m.set(p.port, [s]);
      else list.push(s);
      sniffedOn.add(p.port);
    }
  }
  for (const p of sniffedOn) m.get(p)!.sort((a, b) => a.hostname.localeCompare(b.hostname));
  return (memo.route = new Map([...m.entries()].sort(byNum)));
}

const HTTP_INSPECTOR = {
  name: 'envoy.filters.listener.http_inspector',
  typed_config: typedAny('envoy.extensions.filters.listener.http_inspector.v3.HttpInspector', {}),
};

export function virtualOutbound(scope: Scope): Listener {
  const target = scope.outboundPolicy === 'REGISTRY_ONLY' ? BLACKHOLE_CLUSTER : scope.passthroughCluster;
  return {
    name: 'virtualOutbound',
    address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
    use_original_dst: { value: true },
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ name: 'virtualOutbound-catchall-tcp', filters: [tcpProxy(target, target)] }],
  };
}

function httpListener(scope: Scope, port: number, address: string, bound: boolean): Listener {
  const name = address === '0.0.0.0' ? outboundListenerName(port) : `${address}_${port}`;
  const ctx = listenerContext(scope, 'sidecar-outbound', { number: port });
  return {
    name,
    address: { socket_address: { address, port_value: port } },
    traffic_direction: 'OUTBOUND',
    ...(bound ? {} : noBind(scope)),
    filter_chains: [
      { filters: [{ name: HCM_FILTER, typed_config: typedAny(HCM_TYPE, rdsHcm(`outbound_${name}`, outboundRouteName(port), ctx)) }] },
    ],
  };
}

/** A listener that must not bind its port; older proxies also read it from deprecated_v1 (translators/versions.ts). */
function noBind(scope: Scope): Pick<Listener, 'bind_to_port' | 'deprecated_v1'> {
  return versionGates(scope.proxy).deprecatedV1BindToPort
    ? { bind_to_port: { value: false }, deprecated_v1: { bind_to_port: { value: false } } }
    : { bind_to_port: { value: false } };
}

/** The sidecar route flavor for this proxy: header matchers in the form its version reads. */
export function sidecarRoutes(scope: Scope): RouteFlavor {
  return versionGates(scope.proxy).legacyHeaderMatchers ? { ...SIDECAR_ROUTES, headerStyle: 'legacy' } : SIDECAR_ROUTES;
}

function tcpListener(
  scope: Scope,
  name: string,
  address: string,
  port: number,
  chains: FilterChain[],
  tls: boolean,
  svc: MeshService | undefined,
  bound = false,
): Listener {
  return {
    name,
    address: { socket_address: { address, port_value: port } },
    traffic_direction: 'OUTBOUND',
    ...(bound ? {} : noBind(scope)),
    ...(tls ? { listener_filters: [TLS_INSPECTOR] } : {}),
    filter_chains: chains,
    ...(svc ? { metadata: istioMetadata({ config: configPath('Service', svc.namespace, svc.name) }) } : {}),
  };
}

function isTls(svc: MeshService, port: number): boolean {
  const p = svc.ports.find((x) => x.port === port);
  const proto = p ? portProtocol(p) : 'TCP';
  return proto === 'TLS' || proto === 'HTTPS';
}

/** A listener on `address:port` shared by several services (no VIP, or a Sidecar egress bind). */
interface SharedListener {
  readonly address: string;
  readonly port: number;
  readonly bound: boolean;
  readonly services: MeshService[];
}

/** A listener sniffing HTTP (http_inspector) on an undeclared port: HTTP/1.1 and h2c to route config `"<port>"`, the rest to tcp_proxy. */
function sniffedListener(scope: Scope, svc: MeshService, p: MeshService['ports'][number], address: string, bound: boolean): Listener {
  const name = `${address}_${p.port}`;
  const http: FilterChain = {
    filter_chain_match: { application_protocols: ['http/1.1', 'h2c'] },
    filters: [
      {
        name: HCM_FILTER,
        typed_config: typedAny(
          HCM_TYPE,
          rdsHcm(
            `outbound_${name}`,
            outboundRouteName(p.port),
            listenerContext(scope, 'sidecar-outbound', { number: p.port, name: p.name }),
          ),
        ),
      },
    ],
  };
  const chains = [http, tcpChain(scope, svc, p.port, scope.vsFor(svc.hostname))];
  return { ...tcpListener(scope, name, address, p.port, chains, false, svc, bound), listener_filters: [HTTP_INSPECTOR] };
}

/** TCP/TLS listeners for the non-HTTP ports of the visible services. */
export function tcpListeners(scope: Scope, http: ReadonlyMap<number, readonly MeshService[]>): Listener[] {
  return [...tcpListenerBuilders(scope, http).values()]
    .map((b) => b.build(scope))
    .filter((l): l is Listener => l !== undefined)
    .sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
}

/** One TCP/TLS listener, built from the scope it is given; `mayBeEmpty`: a shared listener left with no chain builds undefined. */
export interface TcpListenerBuilder {
  readonly mayBeEmpty: boolean;
  build(scope: Scope): Listener | undefined;
}

/**
 * The TCP/TLS listeners by name, each built from the scope it is given: a `<vip>_<port>` listener
 * reads only its own service's VirtualService, so translated one by one each records only that
 * dependency (translators/deps.ts). Enumerating them reads services, ports and Sidecar bindings only.
 */
export function tcpListenerBuilders(scope: Scope, http: ReadonlyMap<number, readonly MeshService[]>): Map<string, TcpListenerBuilder> {
  const out = new Map<string, TcpListenerBuilder>();
  const vipLess = new Map<number, MeshService[]>();
  // The HTTP listeners own their address:port (istiod merges the two into a sniffed listener; tspilot keeps HTTP).
  const taken = new Set(httpBindings(scope, http).map((b) => `${b.address}_${b.port}`));
  const shared = new Map<string, SharedListener>();
  for (const svc of scope.services) {
    for (const p of svc.ports) {
      const proto = portProtocol(p);
      if (p.protocol === 'UDP' || isHttp(proto)) continue;
      const b = egressBinding(scope, svc, p.port);
      if (b.address) {
        const key = `${b.address}_${p.port}`;
        if (taken.has(key) || (b.bindToPort && !canBind(scope.proxy, b.address, p.port))) continue;
        const cur = shared.get(key);
        if (cur) cur.services.push(svc);
        else shared.set(key, { address: b.address, port: p.port, bound: b.bindToPort, services: [svc] });
        continue;
      }
      if (!svc.clusterIP) {
        vipLess.set(p.port, [...(vipLess.get(p.port) ?? []), svc]);
        continue;
      }
      const name = `${svc.clusterIP}_${p.port}`;
      out.delete(name); // a later service with the same VIP and port wins
      out.set(name, { mayBeEmpty: false, build: (sc) => vipListener(sc, svc, p, name) });
    }
  }
  const vipLessShared = [...vipLess.entries()]
    .sort(byNum)
    .filter(([port]) => !taken.has(`0.0.0.0_${port}`)) // the HTTP listener owns 0.0.0.0_<port>; istiod does the same
    .map(([port, services]): SharedListener => ({ address: '0.0.0.0', port, bound: false, services }));
  for (const sl of [...vipLessShared, ...shared.values()])
    out.set(`${sl.address}_${sl.port}`, { mayBeEmpty: true, build: (sc) => sharedTcpListener(sc, sl) });
  return out;
}

function vipListener(scope: Scope, svc: MeshService, p: MeshService['ports'][number], name: string): Listener {
  if (sniffed(svc, p)) return sniffedListener(scope, svc, p, svc.clusterIP, false);
  const vs = scope.vsFor(svc.hostname);
  const tls = isTls(svc, p.port);
  const chains = [...(tls ? tlsChains(scope, vs, p.port) : []), tcpChain(scope, svc, p.port, vs)];
  return tcpListener(scope, name, svc.clusterIP, p.port, chains, tls && chains.length > 1, svc);
}

/** A listener several services share (VIP-less, or a Sidecar egress bind); undefined when no chain is left. */
function sharedTcpListener(scope: Scope, { address, port, bound, services: svcs }: SharedListener): Listener | undefined {
  // A sniffed port on a bound address: the first service's sniffing listener (istiod: AUTO over AUTO keeps the first).
  const first = svcs[0]!;
  const fp = first.ports.find((x) => x.port === port);
  if (address !== '0.0.0.0' && fp && sniffed(first, fp)) return sniffedListener(scope, first, fp, address, bound);
  const chains: FilterChain[] = [];
  let fallback: FilterChain | undefined;
  const seen = new Set<string>();
  for (const svc of svcs) {
    const vs = scope.vsFor(svc.hostname);
    if (isTls(svc, port)) {
      for (const c of tlsChains(scope, vs, port)) chains.push(c);
      if (!seen.has(svc.hostname)) {
        seen.add(svc.hostname);
        const cluster = clusterName('outbound', port, '', svc.hostname);
        chains.push({ filter_chain_match: { server_names: [svc.hostname] }, filters: [tcpProxy(cluster, cluster)] });
      }
    } else fallback ??= tcpChain(scope, svc, port, vs);
  }
  const uniq = dedupeSni(chains);
  if (fallback) uniq.push(fallback);
  if (!uniq.length) return undefined;
  return tcpListener(
    scope,
    `${address}_${port}`,
    address,
    port,
    uniq,
    uniq.some((c) => c.filter_chain_match),
    undefined,
    bound,
  );
}

/** Envoy rejects two chains with the same match: keep the first chain for each SNI set. */
function dedupeSni(chains: FilterChain[]): FilterChain[] {
  const seen = new Set<string>();
  const out: FilterChain[] = [];
  for (const c of chains) {
    const names = (c.filter_chain_match?.server_names ?? []).filter((n) => !seen.has(n));
    if (!names.length) continue;
    names.forEach((n) => seen.add(n));
    out.push({ ...c, filter_chain_match: { server_names: names } });
  }
  return out;
}

/**
 * The HTTP listeners per port: one per address the port's services bind (egress-bind.ts), the
 * default being `0.0.0.0`; the first service's binding decides whether that address is bound.
 */
function httpBindings(
  scope: Scope,
  ports: ReadonlyMap<number, readonly MeshService[]>,
): { readonly port: number; readonly address: string; readonly bound: boolean }[] {
  const out: { port: number; address: string; bound: boolean }[] = [];
  for (const [port, svcs] of ports) {
    const seen = new Set<string>();
    for (const svc of svcs) {
      const b = egressBinding(scope, svc, port);
      const address = b.address ?? '0.0.0.0';
      if (seen.has(address) || (b.bindToPort && !canBind(scope.proxy, address, port))) continue;
      seen.add(address);
      out.push({ port, address, bound: b.bindToPort });
    }
  }
  return out;
}

export function httpListeners(scope: Scope, ports: ReadonlyMap<number, readonly MeshService[]>): Listener[] {
  return httpBindings(scope, ports).map((b) => httpListener(scope, b.port, b.address, b.bound));
}
