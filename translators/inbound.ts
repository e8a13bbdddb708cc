/**
 * @module translators/inbound
 * A sidecar's inbound side, as current istiod builds it: `virtualInbound` on 15006 (original_dst
 * listener filter) with a filter chain per workload port named `0.0.0.0_<port>` (matched on
 * destination_port) — an HCM with RDS `inbound|<port>||` for HTTP ports, a tcp_proxy otherwise —
 * plus `virtualInbound-blackhole` (port 15006 itself) and the catch-all chains to
 * InboundPassthroughCluster (`virtualInbound-catchall-http` for HTTP found by ALPN, `virtualInbound` for TCP); per port, one chain per match option of the effective
 * PeerAuthentication mode (TLS-terminating and/or plaintext, mtls-inbound.ts), in istiod's order
 * (blackhole, passthrough, ports); clusters `inbound|<port>||` (STATIC to 127.0.0.1:<port>, the app in
 * the same pod or VM) and route configs `inbound|<port>||` with one vhost `inbound|http|<port>`.
 * The workload's ports come from the services whose selector picks the proxy's labels (Service
 * selectors, ServiceEntry workloadSelectors) in its namespace — or, as istiod, from the ingress
 * listeners of the Sidecar that applies to it (port, protocol, defaultEndpoint, bind/captureMode —
 * a bound port gets its own listener in inbound-bind.ts —, tls terminated with file certificates where
 * mTLS is DISABLE, connectionPool); a proxy with INTERCEPTION_MODE NONE and no ingress listeners has
 * no inbound ports; a named targetPort is resolved
 * against the first matching Pod or WorkloadEntry. AuthorizationPolicies reach TCP chains (ports
 * and the passthrough catch-all) as network filters before tcp_proxy, HTTP ones through the HCM's
 * filter registry. Output depends only on namespace and labels, so proxies of one workload shape
 * share it.
 */
import type { MeshConfig, MeshService } from '../model/config.js';
import type { ServicePort } from '../model/k8s.js';
import type { ConnectionPoolSettings, ServerTLSSettings } from '../model/istio.js';
import { bindsToPort, canBind, globalUnicastIp, interceptionMode } from '../model/interception.js';
import { policyFields } from './policy.js';
import { downstreamTlsSocket } from './server-tls.js';
import type { Cluster, Filter, FilterChain, Listener, RouteConfiguration } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { durationOf } from '../model/duration.js';
import { selectorMatches, serviceSelects } from '../model/labels.js';
import { HCM_FILTER, HCM_TYPE, listenerContext, rdsHcm } from './hcm.js';
import { BLACKHOLE_CLUSTER, clusterKey, clusterKeyName, clusterName, configPath, type ClusterKey } from './names.js';
import { istioMetadata } from './metadata.js';
import { isHttp, portProtocol, protocolNamed, type Protocol } from './protocol.js';
import { tcpProxy, ORIGINAL_DST } from './tcp.js';
import type { Scope } from './scope.js';
import { networkAuthzFilters } from './authz/workload.js';
import { mtlsModeForPort, type EffectiveMtls, type EffectiveMtlsMode } from '../model/peerauth.js';
import { chainOptions, chainTls, httpInspectorFor, passthroughOptions, tlsInspectorFor } from './mtls-inbound.js';

/** AuthorizationPolicy network filters (before tcp_proxy) for the workload's TCP chains, passthrough included, as istiod. */
const networkAuthz = (scope: Scope): Filter[] => networkAuthzFilters(scope);

export const INBOUND_PASSTHROUGH = 'InboundPassthroughCluster';

export interface InboundPort {
  readonly port: number;
  readonly protocol: Protocol;
  readonly services: readonly MeshService[];
  /** Where the inbound cluster sends traffic, from a Sidecar ingress listener's defaultEndpoint (default 127.0.0.1:<port>). */
  readonly endpoint?: { readonly address: string; readonly port: number } | { readonly pipe: string };
  /** The config the chain comes from when not a Service (a Sidecar with ingress listeners). */
  readonly config?: string;
  /**
   * The address in the chain's name `<address>_<port>` and, when `bindToPort`, the address a real
   * listener binds: the ingress listener's `bind`, else for a bound listener the workload's IP, else 0.0.0.0.
   */
  readonly address?: string;
  /** A real listener bound to the port (captureMode NONE, or a proxy without iptables), not a virtualInbound chain. */
  readonly bindToPort?: boolean;
  /** TLS the sidecar terminates on the port (Sidecar ingress `tls`; used where the port's mTLS mode is DISABLE, as istiod). */
  readonly tls?: ServerTLSSettings;
  /** The inbound cluster's connection pool: the ingress listener's, else the Sidecar's inboundConnectionPool. */
  readonly connectionPool?: ConnectionPoolSettings;
}

/** Ingress TLS modes the sidecar terminates (PASSTHROUGH leaves the bytes to the app). */
const TERMINATING: readonly string[] = ['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'];

/** istiod's Protocol.AfterTLSTermination. */
function afterTlsTermination(p: Protocol): Protocol {
  return p === 'HTTPS' ? 'HTTP' : p === 'TLS' ? 'TCP' : p;
}

/**
 * The inbound ports a Sidecar's ingress listeners declare (istiod: they replace the ports derived
 * from services). defaultEndpoint `127.0.0.1:P` → loopback, `0.0.0.0:P` → the workload's own IP
 * (istiod's PodIPAddressPrefix), `unix://path` → a pipe; without one, the workload IP on the
 * listener's port.
 */
function ingressPorts(scope: Scope): InboundPort[] | undefined {
  const sc = scope.sidecar;
  if (!sc?.spec.ingress?.length) return undefined;
  const config = configPath('Sidecar', sc.meta.namespace, sc.meta.name);
  return sc.spec.ingress
    .map((l) => {
      const ep = l.defaultEndpoint ?? '';
      const m = /^(.*):(\d+)$/.exec(ep);
      const endpoint: InboundPort['endpoint'] = ep.startsWith('unix://')
        ? { pipe: ep.slice('unix://'.length) }
        : m && m[1] === '127.0.0.1'
          ? { address: '127.0.0.1', port: Number(m[2]) }
          : m
            ? { address: scope.proxy.ip, port: Number(m[2]) }
            : { address: scope.proxy.ip, port: l.port.number };
      const services = scope.mesh.services.filter(
        (svc) =>
          svc.namespace === scope.namespace &&
          serviceSelects(svc.selector, scope.labels) &&
          svc.ports.some((sp) => resolveTarget(scope.mesh, scope.namespace, scope.labels, sp) === l.port.number),
      );
      const named = protocolNamed(l.port.protocol);
      const declared =
        named !== 'Unsupported'
          ? named
          : portProtocol({ name: l.port.name, port: l.port.number, targetPort: l.port.number, protocol: 'TCP', appProtocol: '' });
      // istiod terminates the ingress TLS itself, so the chain speaks the protocol inside it (HTTPS → HTTP, TLS → TCP).
      const tls = l.tls && TERMINATING.includes(l.tls.mode ?? '') ? l.tls : undefined;
      const protocol = tls ? afterTlsTermination(declared) : declared;
      const bindToPort = bindsToPort(l.captureMode, scope.proxy);
      const address = l.bind ?? (bindToPort ? (globalUnicastIp(scope.proxy.ips) ?? '0.0.0.0') : '0.0.0.0');
      const connectionPool = l.connectionPool ?? sc.spec.inboundConnectionPool;
      return {
        port: l.port.number,
        protocol,
        services,
        endpoint,
        config,
        address,
        bindToPort,
        ...(tls ? { tls } : {}),
        ...(connectionPool ? { connectionPool } : {}),
      };
    })
    .filter((p) => !p.bindToPort || canBind(scope.proxy, p.address, p.port)) // istiod skips ports it cannot bind
    .sort((a, b) => a.port - b.port);
}

function resolveTarget(mesh: MeshConfig, ns: string, labels: Readonly<Record<string, string>>, sp: ServicePort): number | undefined {
  if (typeof sp.targetPort === 'number') return sp.targetPort;
  const name = sp.targetPort;
  for (const pod of [...mesh.pods.values()].sort((a, b) => a.meta.name.localeCompare(b.meta.name))) {
    if (pod.meta.namespace !== ns || !selectorMatches(labels, pod.meta.labels)) continue;
    const cp = pod.containerPorts.find((c) => c.name === name);
    if (cp) return cp.containerPort;
  }
  for (const we of mesh.workloadEntries) {
    if (we.meta.namespace === ns && serviceSelects(we.spec.labels, labels) && we.spec.ports?.[sp.name]) return we.spec.ports[sp.name];
  }
  return undefined;
}

/** The workload's inbound ports, from every service selecting it (HTTP wins when services disagree). */
export function inboundPorts(scope: Scope): InboundPort[] {
  const fromSidecar = ingressPorts(scope);
  if (fromSidecar) return fromSidecar;
  // Without iptables nothing reaches the proxy on a Service's port, and binding it would take the
  // app's own port: istiod builds no inbound side then unless Sidecar ingress listeners declare one.
  if (interceptionMode(scope.proxy) === 'NONE') return [];
  const inboundPool = scope.sidecar?.spec.inboundConnectionPool;
  const byPort = new Map<number, { protocol: Protocol; services: MeshService[] }>();
  if (!Object.keys(scope.labels).length) return [];
  for (const svc of scope.mesh.services) {
    if (svc.namespace !== scope.namespace || !serviceSelects(svc.selector, scope.labels)) continue;
    for (const sp of svc.ports) {
      if (sp.protocol === 'UDP') continue;
      const tp =
        svc.origin === 'ServiceEntry'
          ? typeof sp.targetPort === 'number'
            ? sp.targetPort
            : sp.port
          : resolveTarget(scope.mesh, scope.namespace, scope.labels, sp);
      if (tp === undefined) continue;
      const proto = portProtocol(sp);
      const cur = byPort.get(tp);
      if (!cur) byPort.set(tp, { protocol: proto, services: [svc] });
      else {
        cur.services.push(svc);
        if (!isHttp(cur.protocol) && isHttp(proto)) cur.protocol = proto;
      }
    }
  }
  return [...byPort.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([port, v]) => ({ port, ...v, ...(inboundPool ? { connectionPool: inboundPool } : {}) }));
}

function endpointAddress(p: InboundPort): Record<string, unknown> {
  const e = p.endpoint;
  if (e && 'pipe' in e) return { pipe: { path: e.pipe } };
  return { socket_address: { address: e?.address ?? '127.0.0.1', port_value: e?.port ?? p.port } };
}

/** The inbound clusters (`inbound|<port>||`, with their keys) and InboundPassthroughCluster. */
export function inboundClusters(scope: Scope, ports: readonly InboundPort[]): { readonly cluster: Cluster; readonly key?: ClusterKey }[] {
  const out: { cluster: Cluster; key?: ClusterKey }[] = ports.map((p) => {
    const key = clusterKey('inbound', p.port, '', '');
    const name = clusterKeyName(key);
    const h2 = p.protocol === 'HTTP2' || p.protocol === 'GRPC';
    const pool = p.connectionPool ? policyFields({ connectionPool: p.connectionPool }, scope.mesh.settings.connectTimeout, h2) : {};
    return {
      key,
      cluster: {
        name,
        type: 'STATIC',
        connect_timeout: durationOf(scope.mesh.settings.connectTimeout),
        lb_policy: 'ROUND_ROBIN',
        load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: endpointAddress(p) } }] }] },
        ...(h2
          ? {
              typed_extension_protocol_options: {
                'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typedAny(
                  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
                  { explicit_http_config: { http2_protocol_options: {} } },
                ),
              },
            }
          : {}),
        ...pool,
        metadata: istioMetadata({ services: p.services.map((s) => ({ host: s.hostname, name: s.name, namespace: s.namespace })) }),
      } as Cluster,
    };
  });
  out.push({
    cluster: {
      name: INBOUND_PASSTHROUGH,
      type: 'ORIGINAL_DST',
      lb_policy: 'CLUSTER_PROVIDED',
      connect_timeout: durationOf(scope.mesh.settings.connectTimeout),
      upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } },
    },
  });
  return out;
}

/** The config an inbound port comes from: the Sidecar's ingress listener, else its first Service. */
function provenance(p: InboundPort): string {
  const svc = p.services[0];
  return p.config ?? (svc ? configPath('Service', svc.namespace, svc.name) : '');
}

/** The inbound HCM for a port: RDS `inbound|<port>||`, and istiod's client-certificate headers (XFCC) for the app. */
function inboundHcm(scope: Scope, p: InboundPort): Record<string, unknown> {
  const ctx = listenerContext(scope, 'sidecar-inbound', { number: p.port, protocol: p.protocol });
  return {
    ...rdsHcm(`inbound_${chainName(p)}`, clusterName('inbound', p.port, '', ''), ctx),
    forward_client_cert_details: 'APPEND_FORWARD',
    set_current_client_cert_details: { subject: { value: true }, dns: true, uri: true },
  };
}

/** A port's chain name, istiod's `<bind>_<port>`. */
export const chainName = (p: InboundPort): string => `${p.address ?? '0.0.0.0'}_${p.port}`;

/**
 * The chains of one workload port: one per match option of its effective mTLS mode (mtls-inbound.ts);
 * with Sidecar ingress `tls` and mTLS DISABLE, one chain terminating the user's TLS (istiod's
 * getTLSFilterChainMatchOptions; with mTLS on, istio mTLS wins as in istiod).
 */
export function chainsFor(scope: Scope, p: InboundPort, mode: EffectiveMtlsMode, trustDomain: string): FilterChain[] {
  const name = clusterName('inbound', p.port, '', '');
  const http = isHttp(p.protocol);
  const filters = http
    ? [{ name: HCM_FILTER, typed_config: typedAny(HCM_TYPE, inboundHcm(scope, p)) }]
    : [...networkAuthz(scope), tcpProxy(name, name)];
  const meta = { filters, metadata: istioMetadata({ config: provenance(p) }) };
  if (p.tls && mode === 'DISABLE')
    return [
      {
        name: chainName(p),
        filter_chain_match: { destination_port: { value: p.port }, transport_protocol: 'tls' },
        transport_socket: downstreamTlsSocket(p.tls),
        ...meta,
      } as FilterChain,
    ];
  return chainOptions(mode, http).map(
    (o) => ({ name: chainName(p), ...chainTls(o, { destination_port: { value: p.port } }, trustDomain, http), ...meta }) as FilterChain,
  );
}

/** istiod's catch-all HCM: an inline route to InboundPassthroughCluster for HTTP to ports no service declares. */
function passthroughHcm(scope: Scope): Record<string, unknown> {
  const ctx = listenerContext(scope, 'sidecar-inbound', { number: 0, protocol: 'HTTP' });
  const { rds: _rds, ...base } = rdsHcm(INBOUND_PASSTHROUGH, INBOUND_PASSTHROUGH, ctx);
  void _rds;
  return {
    ...base,
    route_config: {
      name: INBOUND_PASSTHROUGH,
      validate_clusters: { value: false },
      virtual_hosts: [
        {
          name: 'inbound|http|0',
          domains: ['*'],
          routes: [
            {
              name: 'default',
              match: { prefix: '/' },
              decorator: { operation: ':0/*' },
              route: {
                cluster: INBOUND_PASSTHROUGH,
                timeout: { seconds: 0 },
                max_stream_duration: { max_stream_duration: { seconds: 0 }, grpc_timeout_header_max: { seconds: 0 } },
              },
            },
          ],
        },
      ],
    },
    forward_client_cert_details: 'APPEND_FORWARD',
    set_current_client_cert_details: { subject: { value: true }, dns: true, uri: true },
  };
}

/**
 * The passthrough chains (traffic to ports no service declares) for the workload's mode —
 * `virtualInbound-catchall-http` (HTTP, found by ALPN) and `virtualInbound` (TCP) — plus, as
 * istiod's ForPassthrough, chains for portLevelMtls ports that are not workload ports.
 */
function passthroughChains(scope: Scope, eff: EffectiveMtls, ports: readonly InboundPort[], trustDomain: string): FilterChain[] {
  const any = { prefix_ranges: [{ address_prefix: '0.0.0.0', prefix_len: { value: 0 } }] };
  const extra = eff.perPort.filter((pp) => !ports.some((p) => p.port === pp.port));
  const hcm = { name: HCM_FILTER, typed_config: typedAny(HCM_TYPE, passthroughHcm(scope)) };
  return [
    { mode: eff.mode, base: any },
    ...extra.map((pp) => ({ mode: pp.mode, base: { ...any, destination_port: { value: pp.port } } })),
  ].flatMap(({ mode, base }) =>
    passthroughOptions(mode).map(
      ({ option, http }) =>
        ({
          name: http ? 'virtualInbound-catchall-http' : 'virtualInbound',
          ...chainTls(option, base, trustDomain, http),
          filters: http ? [hcm] : [...networkAuthz(scope), tcpProxy(INBOUND_PASSTHROUGH, INBOUND_PASSTHROUGH)],
        }) as FilterChain,
    ),
  );
}

/** The workload's effective PeerAuthentication (mesh → namespace → workload → port). */
export function workloadMtls(scope: Scope): EffectiveMtls {
  return scope.peerAuth();
}

export function virtualInbound(scope: Scope, ports: readonly InboundPort[]): Listener {
  const eff = workloadMtls(scope);
  const td = scope.mesh.settings.trustDomain;
  const chains: FilterChain[] = [
    {
      name: 'virtualInbound-blackhole',
      filter_chain_match: { destination_port: { value: 15006 } },
      filters: [tcpProxy(BLACKHOLE_CLUSTER, BLACKHOLE_CLUSTER)],
    },
    ...passthroughChains(scope, eff, ports, td),
    // Ports with a listener of their own (inbound-bind.ts) have no chain here, as istiod.
    ...ports.filter((p) => !p.bindToPort).flatMap((p) => chainsFor(scope, p, mtlsModeForPort(eff, p.port), td)),
  ];
  const inspectors = [tlsInspectorFor(chains), httpInspectorFor(chains)].filter((f) => f !== undefined);
  return {
    name: 'virtualInbound',
    address: { socket_address: { address: '0.0.0.0', port_value: 15006 } },
    traffic_direction: 'INBOUND',
    listener_filters: [ORIGINAL_DST, ...inspectors],
    listener_filters_timeout: { seconds: 0 },
    continue_on_listener_filters_timeout: true,
    filter_chains: chains,
  };
}

export function inboundRoutes(ports: readonly InboundPort[]): RouteConfiguration[] {
  return ports
    .filter((p) => isHttp(p.protocol))
    .map((p) => {
      const name = clusterName('inbound', p.port, '', '');
      const svc = p.services[0];
      return {
        name,
        validate_clusters: { value: false },
        virtual_hosts: [
          {
            name: `inbound|http|${p.port}`,
            domains: ['*'],
            routes: [
              {
                name: 'default',
                match: { prefix: '/' },
                route: {
                  cluster: name,
                  timeout: { seconds: 0 },
                  max_stream_duration: { max_stream_duration: { seconds: 0 }, grpc_timeout_header_max: { seconds: 0 } },
                },
                decorator: { operation: `${svc?.hostname ?? ''}:${p.port}/*` },
                metadata: istioMetadata({ config: provenance(p) }),
              },
            ],
          },
        ],
      };
    });
}
