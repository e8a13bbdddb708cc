/**
 * @module translators/policy
 * DestinationRule traffic policy → Envoy cluster fields: connectionPool → circuit_breakers
 * (istiod's MaxUint32 defaults), connect_timeout, HttpProtocolOptions (idle timeout, max requests
 * per connection, HTTP/2 for h2/gRPC ports); outlierDetection → outlier_detection and
 * healthy_panic_threshold; localityLbSetting → locality_weighted_lb_config; the per-port override
 * (portLevelSettings) for one port; the SDS config source of the agent's secrets. TLS (the
 * rule's `tls` and auto mTLS) is translators/mtls-upstream.ts.
 */
import type { TrafficPolicy } from '../model/istio.js';
import type { Cluster } from '../proto/types.js';

import { durationOf } from '../model/duration.js';
import { typedAny } from '../proto/any.js';

const MAX_U32 = 4294967295;
export const TLS_SOCKET = 'envoy.transport_sockets.tls';
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
      api_config_source: {
        api_type: 'GRPC',
        grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
        set_node_on_first_message_only: true,
        transport_api_version: 'V3',
      },
      initial_fetch_timeout: { seconds: 0 },
      resource_api_version: 'V3',
    },
  };
}

/** Cluster fields for a traffic policy (TLS is mtls-upstream.ts's); `h2` for HTTP/2 and gRPC ports. */
export function policyFields(p: TrafficPolicy | undefined, defaultConnectTimeout: string, h2: boolean): Partial<Cluster> {
  const out: Partial<Cluster> = { connect_timeout: durationOf(p?.connectionPool?.tcp?.connectTimeout ?? defaultConnectTimeout) };
  const cp = p?.connectionPool;
  out.circuit_breakers = {
    thresholds: [
      {
        max_connections: u32(cp?.tcp?.maxConnections),
        max_pending_requests: u32(cp?.http?.http1MaxPendingRequests),
        max_requests: u32(cp?.http?.http2MaxRequests),
        max_retries: u32(cp?.http?.maxRetries),
        track_remaining: true,
      },
    ],
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
      ...(od.consecutiveGatewayErrors !== undefined
        ? { consecutive_gateway_failure: { value: od.consecutiveGatewayErrors }, enforcing_consecutive_gateway_failure: { value: 100 } }
        : {}),
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
  return out;
}
