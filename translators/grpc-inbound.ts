/**
 * @module translators/grpc-inbound
 * Server-side listeners for xDS-enabled gRPC servers (gRFC A36), as istiod's gRPC generator
 * builds them. A server bound to `<ip>:<port>` asks LDS for
 * `xds.istio.io/grpc/lds/inbound/<ip>:<port>` (the template pilot-agent writes into the gRPC
 * bootstrap); the answer is a Listener with that address (gRPC refuses one whose address differs
 * from what it bound) and one filter chain without a match:
 * - `inbound-mtls` (DownstreamTlsContext from the certificate provider, client certificates
 *   required) when the effective PeerAuthentication mode for that port is STRICT — or PERMISSIVE
 *   on a pod labelled `security.istio.io/tlsMode=istio` (clients with auto-mTLS will send TLS,
 *   and a gRPC server can't serve TLS and plaintext on one port);
 * - `inbound-plaintext` otherwise (DISABLE, and PERMISSIVE without that label).
 * Its HCM carries an inline route config (one virtual host `*`, one `non_forwarding_action`
 * route: the server handles the RPC itself) and the HTTP filters: AuthorizationPolicy as RBAC
 * (DENY filter first, then ALLOW, gRFC A41), then the router.
 * A port the workload doesn't serve (no Service selecting it has that target port) gets no
 * listener, as istiod. The security inputs come through `InboundSecurity`, so the mode and RBAC
 * translations live in their own modules. Pure.
 */
import type { MeshService } from '../model/config.js';
import type { MtlsMode } from '../model/peerauth.js';
import type { FilterChain, HttpConnectionManager, HttpFilter, Listener } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { HCM_TYPE } from './hcm.js';
import { ROUTER_FILTER, ROUTER_TYPE } from './filters/router.js';
import { inboundPorts } from './inbound.js';
import { istioMetadata } from './metadata.js';
import { configPath } from './names.js';
import { grpcServerTls } from './grpc-tls.js';
import type { Scope } from './scope.js';

export const GRPC_INBOUND_PREFIX = 'xds.istio.io/grpc/lds/inbound/';
/** The label istiod's injector puts on pods with a sidecar (or proxyless agent) that speaks mTLS. */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

/** What the inbound listener needs from the security policies of the workload. */
export interface InboundSecurity {
  /** The effective PeerAuthentication mode for the workload (scope's namespace and labels) on `port`. */
  mtlsMode(scope: Scope, port: number): MtlsMode;
  /** The RBAC HTTP filters for the workload, DENY before ALLOW (none when no policy applies). */
  rbacFilters(scope: Scope, port: number): readonly HttpFilter[];
  /** Provenance: the config paths of the policies that shaped this port's chain. */
  sources(scope: Scope, port: number): readonly string[];
}

/** Splits `<ip>:<port>` or `[<ipv6>]:<port>`; undefined when it isn't one. */
export function parseInboundName(name: string): { host: string; port: number } | undefined {
  if (!name.startsWith(GRPC_INBOUND_PREFIX)) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(name.slice(GRPC_INBOUND_PREFIX.length));
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

/** The mode a gRPC server gets: PERMISSIVE becomes STRICT with the tlsMode label, else DISABLE. */
export function grpcServerMode(mode: MtlsMode, labels: Readonly<Record<string, string>>): 'STRICT' | 'DISABLE' {
  const m = mode === 'UNSET' ? 'PERMISSIVE' : mode;
  if (m === 'STRICT') return 'STRICT';
  if (m === 'PERMISSIVE' && labels[TLS_MODE_LABEL] === 'istio') return 'STRICT';
  return 'DISABLE';
}

function chain(scope: Scope, port: number, svc: MeshService, sec: InboundSecurity): FilterChain {
  const tls = grpcServerMode(sec.mtlsMode(scope, port), scope.labels) === 'STRICT';
  const suffix = tls ? 'mtls' : 'plaintext';
  const hcm: HttpConnectionManager = {
    // The mode is in the stat prefix so that the HCM's bytes differ between modes: grpc-js-xds
    // 1.14 compares a new listener with the running one by the filters' bytes first, and only when
    // those are equal looks at transport_socket — where it ignores a change that removes TLS and
    // throws (killing the server) on one that adds it.
    stat_prefix: `inbound_${suffix}_${port}`,
    route_config: {
      name: 'inbound',
      virtual_hosts: [{ name: `inbound|http|${port}`, domains: ['*'], routes: [{ match: { prefix: '/' }, non_forwarding_action: {} }] }],
    },
    http_filters: [...sec.rbacFilters(scope, port), { name: ROUTER_FILTER, typed_config: typedAny(ROUTER_TYPE, {}) }],
  };
  const policies = sec.sources(scope, port);
  return {
    name: `inbound-${suffix}`,
    filters: [{ name: `inbound-hcm${suffix}`, typed_config: typedAny(HCM_TYPE, hcm) }],
    ...(tls ? { transport_socket: grpcServerTls() } : {}),
    metadata: istioMetadata({
      config: configPath('Service', svc.namespace, svc.name),
      ...(policies.length ? { policies: [...policies] } : {}),
    }),
  } as FilterChain;
}

/** The server listener named `name`, or undefined when the name isn't one or the workload has no such port. */
export function grpcInboundListener(scope: Scope, name: string, sec: InboundSecurity): Listener | undefined {
  const addr = parseInboundName(name);
  if (!addr) return undefined;
  const p = inboundPorts(scope).find((x) => x.port === addr.port);
  if (!p) return undefined;
  return {
    name,
    address: { socket_address: { address: addr.host, port_value: addr.port } },
    filter_chains: [chain(scope, addr.port, p.services[0]!, sec)],
  };
}
