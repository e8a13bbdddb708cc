/**
 * @module translators/policy
 * DestinationRule traffic policy → Envoy cluster fields: connectionPool → circuit_breakers
 * (istiod's MaxUint32 defaults), connect_timeout, HttpProtocolOptions (idle timeout, max requests
 * per connection, HTTP/2 for h2/gRPC ports); outlierDetection → outlier_detection and
 * healthy_panic_threshold; localityLbSetting → locality_weighted_lb_config; tls → transport_socket (SIMPLE/MUTUAL with SDS secrets
 * `kubernetes://<credentialName>`), or for ISTIO_MUTUAL the `tlsMode-istio`/`tlsMode-disabled`
 * transport_socket_matches; the per-port override (portLevelSettings) for one port.
 */
import type { ClientTLSSettings, TrafficPolicy } from '../model/istio.js';
import type { Cluster } from '../proto/types.js';

type TransportSocket = NonNullable<Cluster['transport_socket']>;
import { durationOf } from '../model/duration.js';
import { typedAny } from '../proto/any.js';

const MAX_U32 = 4294967295;
export const TLS_SOCKET = 'envoy.transport_sockets.tls';
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** The policy for one port: the port-level entry replaces the top-level fields it sets (as istiod). */
export function policyForPort(p: TrafficPolicy | undefined, port: number): TrafficPolicy | undefined {
  const pl = p?.portLevelSettings?.find((x) => x.port.number === port);
  if (!pl) return p;
  const { port: _port, ...rest } = pl;
  void _port;
  return { ...p, ...rest };
}

function u32(v: number | undefined): { value: number } {
  return { value: v === undefined || v === 0 ? MAX_U32 : v };
}

/**
 * A secret by SDS name, fetched as istiod configures it: from the proxy's own agent through the
 * bootstrap cluster `sds-grpc` (istio-agent serves `default`, `ROOTCA` and, for gateways,
 * `kubernetes://<credentialName>`), not from the control plane.
 */
export function sds(name: string): Record<string, unknown> {
  return {
    name,
    sds_config: {
      api_config_source: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }], set_node_on_first_message_only: true, transport_api_version: 'V3' },
      initial_fetch_timeout: { seconds: 0 }, resource_api_version: 'V3',
    },
  };
}

function tlsContext(tls: ClientTLSSettings, defaultSni: string): Record<string, unknown> {
  const istio = tls.mode === 'ISTIO_MUTUAL';
  const common: Record<string, unknown> = {};
  if (istio) {
    common['tls_certificate_sds_secret_configs'] = [sds('default')];
    common['combined_validation_context'] = { default_validation_context: sans(tls.subjectAltNames), validation_context_sds_secret_config: sds('ROOTCA') };
    common['alpn_protocols'] = ['istio-peer-exchange', 'istio'];
  } else {
    if (tls.mode === 'MUTUAL' && tls.credentialName) common['tls_certificate_sds_secret_configs'] = [sds(`kubernetes://${tls.credentialName}`)];
    if (tls.credentialName) common['combined_validation_context'] = { default_validation_context: sans(tls.subjectAltNames), validation_context_sds_secret_config: sds(`kubernetes://${tls.credentialName}-cacert`) };
    else if (tls.caCertificates) common['validation_context'] = { trusted_ca: { filename: tls.caCertificates }, ...sans(tls.subjectAltNames) };
    if (tls.mode === 'MUTUAL' && !tls.credentialName && tls.clientCertificate && tls.privateKey) {
      common['tls_certificates'] = [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }];
    }
  }
  const sni = tls.sni ?? (istio ? defaultSni : '');
  return { common_tls_context: common, ...(sni ? { sni } : {}) };
}

function sans(list: readonly string[] | undefined): Record<string, unknown> {
  return list?.length ? { match_subject_alt_names: list.map((s) => ({ exact: s })) } : {};
}

function tlsSocket(tls: ClientTLSSettings, sni: string): TransportSocket {
  return { name: TLS_SOCKET, typed_config: typedAny(UPSTREAM_TLS, tlsContext(tls, sni)) };
}

/** Cluster fields for a traffic policy. `sni` is istiod's mTLS SNI for the cluster; `h2` for HTTP/2 and gRPC ports. */
export function policyFields(p: TrafficPolicy | undefined, defaultConnectTimeout: string, sni: string, h2: boolean): Partial<Cluster> {
  const out: Partial<Cluster> = { connect_timeout: durationOf(p?.connectionPool?.tcp?.connectTimeout ?? defaultConnectTimeout) };
  const cp = p?.connectionPool;
  out.circuit_breakers = {
    thresholds: [{
      max_connections: u32(cp?.tcp?.maxConnections), max_pending_requests: u32(cp?.http?.http1MaxPendingRequests),
      max_requests: u32(cp?.http?.http2MaxRequests), max_retries: u32(cp?.http?.maxRetries), track_remaining: true,
    }],
  };
  const common: Record<string, unknown> = {};
  if (cp?.http?.idleTimeout) common['idle_timeout'] = durationOf(cp.http.idleTimeout);
  if (cp?.http?.maxRequestsPerConnection) common['max_requests_per_connection'] = { value: cp.http.maxRequestsPerConnection };
  if (h2 || Object.keys(common).length) {
    out.typed_extension_protocol_options = {
      [HTTP_OPTIONS]: typedAny(HTTP_OPTIONS, {
        ...(Object.keys(common).length ? { common_http_protocol_options: common } : {}),
        explicit_http_config: h2 ? { http2_protocol_options: {} } : { http_protocol_options: {} },
      }),
    };
  }
  const od = p?.outlierDetection;
  if (od) {
    const c5 = od.consecutive5xxErrors;
    out.outlier_detection = {
      ...(c5 !== undefined ? { consecutive_5xx: { value: c5 }, enforcing_consecutive_5xx: { value: c5 > 0 ? 100 : 0 } } : {}),
      ...(od.consecutiveGatewayErrors !== undefined ? { consecutive_gateway_failure: { value: od.consecutiveGatewayErrors }, enforcing_consecutive_gateway_failure: { value: 100 } } : {}),
      ...(od.interval ? { interval: durationOf(od.interval) } : {}),
      ...(od.baseEjectionTime ? { base_ejection_time: durationOf(od.baseEjectionTime) } : {}),
      ...(od.maxEjectionPercent !== undefined ? { max_ejection_percent: { value: od.maxEjectionPercent } } : {}),
    };
    if (od.minHealthPercent !== undefined) out.common_lb_config = { healthy_panic_threshold: { value: od.minHealthPercent } };
  }
  // istiod's applyLocalityLoadBalancer: Envoy honours EDS locality weights only with
  // locality_weighted_lb_config, set for distribute, or for failover/failoverPriority with outlier detection.
  const loc = p?.loadBalancer?.localityLbSetting;
  if (loc && loc.enabled !== false && (loc.distribute?.length || (od && (loc.failover?.length || loc.failoverPriority?.length)))) {
    out.common_lb_config = { ...out.common_lb_config, locality_weighted_lb_config: {} };
  }
  const tls = p?.tls;
  if (tls?.mode === 'ISTIO_MUTUAL') {
    out.transport_socket_matches = [
      { name: 'tlsMode-istio', match: { fields: { tlsMode: { stringValue: 'istio' } } }, transport_socket: tlsSocket(tls, sni) },
      { name: 'tlsMode-disabled', match: {}, transport_socket: { name: 'envoy.transport_sockets.raw_buffer', typed_config: typedAny('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer', {}) } },
    ] as Cluster['transport_socket_matches'];
  } else if (tls?.mode === 'SIMPLE' || tls?.mode === 'MUTUAL') {
    out.transport_socket = tlsSocket(tls, sni);
  }
  return out;
}
