/**
 * @module translators/mtls-inbound
 * The mTLS side of a sidecar's inbound chains, as istiod's listener_inbound/authn builders: for a
 * port's effective PeerAuthentication mode and protocol, which filter chain matches exist
 * (istiod's FilterChainMatchOptions) and which of them terminate istio mTLS:
 *
 * | mode       | HTTP port                                          | TCP port                                                       |
 * |------------|----------------------------------------------------|----------------------------------------------------------------|
 * | STRICT     | tls (terminate)                                    | tls (terminate)                                                |
 * | PERMISSIVE | tls + istio ALPNs (terminate); raw_buffer          | tls + istio ALPNs (terminate); tls (app's own TLS); raw_buffer |
 * | DISABLE    | raw_buffer                                         | raw_buffer                                                     |
 *
 * The DownstreamTlsContext takes the workload certificate and root from the agent over SDS
 * (`default`, `ROOTCA` via `sds-grpc`), TLS 1.2–1.3 with istiod's cipher suites, peers of the mesh's
 * trust domain (`spiffe://<td>/` prefix), and requires a client certificate. The passthrough
 * (ports no service declares) uses istiod's "auto" options: HTTP catch-all chains found by ALPN
 * beside the TCP ones. The TLS inspector is added when a chain matches on transport `tls`, the HTTP
 * inspector when one matches `http/1.1`/`h2c`, each disabled for the ports whose chains never do
 * (istiod's buildTLSInspector/buildHTTPInspector).
 */
import type { EffectiveMtlsMode } from '../model/peerauth.js';
import type { FilterChain, Listener } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { sds, TLS_SOCKET } from './policy.js';
import { TLS_INSPECTOR } from './tcp.js';

type ListenerFilter = NonNullable<Listener['listener_filters']>[number];
type Match = NonNullable<FilterChain['filter_chain_match']>;

const DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
/** HTTP sent over istio mTLS by a sidecar whose outbound side detected HTTP. */
export const MTLS_HTTP_ALPNS = ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'] as const;
/** Every ALPN an istio sidecar client offers over mTLS. */
export const ALL_ISTIO_MTLS_ALPNS = ['istio', 'istio-peer-exchange', ...MTLS_HTTP_ALPNS] as const;
const CIPHER_SUITES = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
];

/** One filter chain match option: what it matches and whether the chain terminates mTLS. */
export interface ChainOption {
  readonly transport: 'tls' | 'raw_buffer';
  readonly alpns?: readonly string[];
  readonly terminate: boolean;
}

/** istiod's getFilterChainMatchOptions for HTTP and TCP ports. */
export function chainOptions(mode: EffectiveMtlsMode, http: boolean): readonly ChainOption[] {
  const mtls: ChainOption = { transport: 'tls', terminate: true };
  const plain: ChainOption = { transport: 'raw_buffer', terminate: false };
  switch (mode) {
    case 'STRICT':
      return [mtls];
    case 'DISABLE':
      return [plain];
    case 'PERMISSIVE':
      return http
        ? [{ ...mtls, alpns: ALL_ISTIO_MTLS_ALPNS }, plain]
        : [{ ...mtls, alpns: ALL_ISTIO_MTLS_ALPNS }, { transport: 'tls', terminate: false }, plain];
  }
}

/** A passthrough option: its match and whether the chain runs HTTP (the catch-all HCM) or TCP. */
export interface PassthroughOption {
  readonly option: ChainOption;
  readonly http: boolean;
}

const PLAINTEXT_HTTP_ALPNS = ['http/1.1', 'h2c'] as const;
const MXC_TCP_ALPNS = ['istio-peer-exchange', 'istio'] as const;

/**
 * istiod's options for the passthrough (protocol "auto"): HTTP chains (`virtualInbound-catchall-http`,
 * found by ALPN — istio's HTTP ALPNs over mTLS, `http/1.1`/`h2c` from the HTTP inspector in
 * plaintext) beside the TCP ones.
 */
export function passthroughOptions(mode: EffectiveMtlsMode): readonly PassthroughOption[] {
  const httpMtls: PassthroughOption = { http: true, option: { transport: 'tls', alpns: MTLS_HTTP_ALPNS, terminate: true } };
  const httpPlain: PassthroughOption = { http: true, option: { transport: 'raw_buffer', alpns: PLAINTEXT_HTTP_ALPNS, terminate: false } };
  const tcpPlain: PassthroughOption = { http: false, option: { transport: 'raw_buffer', terminate: false } };
  switch (mode) {
    case 'STRICT':
      return [httpMtls, { http: false, option: { transport: 'tls', terminate: true } }];
    case 'DISABLE':
      return [httpPlain, tcpPlain];
    case 'PERMISSIVE':
      return [
        httpMtls,
        httpPlain,
        { http: false, option: { transport: 'tls', alpns: MXC_TCP_ALPNS, terminate: true } },
        tcpPlain,
        { http: false, option: { transport: 'tls', terminate: false } },
      ];
  }
}

/** The DownstreamTlsContext of an inbound mTLS chain (HTTP chains offer h2/http1.1, TCP ones the peer-exchange ALPN first). */
export function inboundTlsContext(trustDomain: string, http: boolean): Record<string, unknown> {
  return {
    common_tls_context: {
      tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3', cipher_suites: CIPHER_SUITES },
      alpn_protocols: http ? ['h2', 'http/1.1'] : ['istio-peer-exchange', 'h2', 'http/1.1'],
      tls_certificate_sds_secret_configs: [sds('default')],
      combined_validation_context: {
        default_validation_context: { match_subject_alt_names: [{ prefix: `spiffe://${trustDomain}/` }] },
        validation_context_sds_secret_config: sds('ROOTCA'),
      },
    },
    require_client_certificate: { value: true },
  };
}

/** The match and transport socket of one chain for `option` (`base` carries destination_port / prefix_ranges). */
export function chainTls(
  option: ChainOption,
  base: Match,
  trustDomain: string,
  http: boolean,
): Pick<FilterChain, 'filter_chain_match' | 'transport_socket'> {
  const match: Match = {
    ...base,
    transport_protocol: option.transport,
    ...(option.alpns ? { application_protocols: [...option.alpns] } : {}),
  };
  return {
    filter_chain_match: match,
    ...(option.terminate
      ? { transport_socket: { name: TLS_SOCKET, typed_config: typedAny(DOWNSTREAM_TLS, inboundTlsContext(trustDomain, http)) } }
      : {}),
  };
}

function portRange(p: number): Record<string, unknown> {
  return { destination_port_range: { start: p, end: p + 1 } };
}

function excludePorts(ports: readonly number[]): Record<string, unknown> {
  return ports.length > 1 ? { or_match: { rules: ports.map(portRange) } } : portRange(ports[0]!);
}

/** The HTTP inspector, when a chain matches plaintext HTTP by ALPN; off for the ports whose chains never do (istiod's buildHTTPInspector). */
export function httpInspectorFor(chains: readonly FilterChain[]): ListenerFilter | undefined {
  const needs = new Map<number, boolean>();
  for (const c of chains) {
    const port = c.filter_chain_match?.destination_port?.value ?? 0;
    const http = (c.filter_chain_match?.application_protocols ?? []).some((a) => a === 'http/1.1' || a === 'h2c');
    needs.set(port, (needs.get(port) ?? false) || http);
  }
  if (![...needs.values()].some(Boolean)) return undefined;
  const off = [...needs.keys()].filter((p) => !needs.get(p)).sort((a, b) => a - b);
  return off.length ? ({ ...HTTP_INSPECTOR, filter_disabled: excludePorts(off) } as ListenerFilter) : HTTP_INSPECTOR;
}

const HTTP_INSPECTOR = {
  name: 'envoy.filters.listener.http_inspector',
  typed_config: typedAny('envoy.extensions.filters.listener.http_inspector.v3.HttpInspector', {}),
};

/**
 * The TLS inspector for a listener with `chains`, or undefined when no chain matches on `tls`:
 * on for every port when the passthrough chains need it (off for ports that never do), else on
 * only for the ports that need it.
 */
export function tlsInspectorFor(chains: readonly FilterChain[]): ListenerFilter | undefined {
  const needs = new Map<number, boolean>();
  for (const c of chains) {
    const port = c.filter_chain_match?.destination_port?.value ?? 0;
    needs.set(port, (needs.get(port) ?? false) || c.filter_chain_match?.transport_protocol === 'tls');
  }
  if (![...needs.values()].some(Boolean)) return undefined;
  const ports = [...needs.keys()].filter((p) => p !== 0).sort((a, b) => a - b);
  if (needs.get(0)) {
    const off = ports.filter((p) => !needs.get(p));
    return off.length ? ({ ...TLS_INSPECTOR, filter_disabled: excludePorts(off) } as ListenerFilter) : TLS_INSPECTOR;
  }
  const on = ports.filter((p) => needs.get(p));
  return { ...TLS_INSPECTOR, filter_disabled: { not_match: excludePorts(on) } } as ListenerFilter;
}
