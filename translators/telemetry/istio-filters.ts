/**
 * @module translators/telemetry/istio-filters
 * istio-proxy's own telemetry filters, as current istiod emits them (pilot/pkg/xds/filters,
 * pilot/pkg/model/telemetry.go):
 * - `istio.metadata_exchange` HTTP: `io.istio.http.peer_metadata.Config` — inbound discovers the
 *   downstream peer from Istio headers or workload discovery and propagates its own; outbound the
 *   same for the upstream;
 * - `istio.metadata_exchange` network (inbound chains) and cluster filter (outbound clusters):
 *   `envoy.tcp.metadataexchange.config.MetadataExchange` over ALPN `istio-peer-exchange`;
 * - `istio.stats` (HTTP and network): `stats.PluginConfig` with `disable_host_header_fallback` on
 *   inbound and gateways and the Telemetry API's metric overrides (names as Prometheus sees them,
 *   without the `istio_` prefix).
 * These messages are defined by istio-proxy, not Envoy, so they are not in the proto registry; they
 * travel as `udpa.type.v1.TypedStruct` (JSON-shaped config + type URL), which Envoy resolves to the
 * extension's own type — istiod sent the same form before it linked istio-proxy's protos, and
 * MOSN's `istio.stats` reader takes a TypedStruct.
 */
import { typedAny } from '../../proto/any.js';
import { jsonToStruct, type Json } from '../../proto/struct.js';
import { TYPE_PREFIX } from '../../proto/typeurls.js';
import type { Any } from '../../proto/types.js';
import type { ListenerClass } from '../filters/types.js';
import type { ProviderMetrics } from './merge.js';

export const MX_FILTER = 'istio.metadata_exchange';
export const STATS_FILTER = 'istio.stats';

/** Config of an extension Envoy knows by `typeName` but the registry doesn't: a TypedStruct. */
export function typedStruct(typeName: string, value: { [k: string]: Json }): Any {
  return typedAny('udpa.type.v1.TypedStruct', { type_url: TYPE_PREFIX + typeName, value: jsonToStruct(value) });
}

const ISTIO_HEADERS = { istio_headers: {} };
const WORKLOAD_DISCOVERY = { workload_discovery: {} };

/** The HTTP metadata exchange of a listener class (inbound: downstream peer; others: upstream peer). */
export function httpMxConfig(c: ListenerClass): Any {
  const inbound = c === 'sidecar-inbound';
  const dir = inbound ? 'downstream' : 'upstream';
  return typedStruct('io.istio.http.peer_metadata.Config', {
    [`${dir}_discovery`]: [ISTIO_HEADERS, WORKLOAD_DISCOVERY],
    [`${dir}_propagation`]: [ISTIO_HEADERS],
  });
}

/** The TCP metadata exchange (listener and cluster filter). */
export const TCP_MX_CONFIG: Any = typedStruct('envoy.tcp.metadataexchange.config.MetadataExchange', {
  protocol: 'istio-peer-exchange',
  enable_discovery: true,
});

/** Istio metric enum → the metric name istio.stats configures (istiod's metricToPrometheusMetric). */
const PROMETHEUS_NAMES: Readonly<Record<string, string>> = {
  REQUEST_COUNT: 'requests_total',
  REQUEST_DURATION: 'request_duration_milliseconds',
  REQUEST_SIZE: 'request_bytes',
  RESPONSE_SIZE: 'response_bytes',
  TCP_OPENED_CONNECTIONS: 'tcp_connections_opened_total',
  TCP_CLOSED_CONNECTIONS: 'tcp_connections_closed_total',
  TCP_SENT_BYTES: 'tcp_sent_bytes_total',
  TCP_RECEIVED_BYTES: 'tcp_received_bytes_total',
  GRPC_REQUEST_MESSAGES: 'request_messages_total',
  GRPC_RESPONSE_MESSAGES: 'response_messages_total',
};

/** The `stats.PluginConfig` for one provider's metrics on a listener of class `c` (as JSON, proto field names). */
export function statsPluginConfig(c: ListenerClass, m: ProviderMetrics): { [k: string]: Json } {
  const metrics = m.overrides.map((o) => {
    const dims = o.tags.filter(([, v]) => v !== null);
    const remove = o.tags.filter(([, v]) => v === null).map(([k]) => k);
    return {
      name: PROMETHEUS_NAMES[o.name] ?? o.name,
      ...(dims.length ? { dimensions: Object.fromEntries(dims) as { [k: string]: Json } } : {}),
      ...(remove.length ? { tags_to_remove: remove } : {}),
      ...(o.disabled ? { drop: true } : {}),
    };
  });
  return {
    ...(c === 'sidecar-inbound' || c === 'gateway' ? { disable_host_header_fallback: true } : {}),
    ...(m.reportingInterval ? { tcp_reporting_duration: m.reportingInterval } : {}),
    ...(metrics.length ? { metrics } : {}),
  };
}

export function statsConfig(c: ListenerClass, m: ProviderMetrics): Any {
  return typedStruct('stats.PluginConfig', statsPluginConfig(c, m));
}
