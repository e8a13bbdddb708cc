/**
 * @module server/http/v1/clusters
 * v3 Cluster → v1 cluster (cluster manager JSON). EDS clusters become `type: "sds"` with their EDS
 * service name (answered by /v1/registration); STATIC/DNS clusters list `hosts: [{url}]`;
 * ORIGINAL_DST keeps its type. TLS is rendered as a v1 `ssl_context` when the v3 context names
 * files; certificates fetched over SDS, per-endpoint TLS choice (transport_socket_matches) and load
 * balancers v1 lacks (Maglev) leave the cluster out whole: a plaintext or differently balanced
 * stand-in would be half-right. Circuit breakers and outlier detection map field by field; what
 * v1 lacks of them is reported as a field.
 */
import type { Cluster } from '../../../proto/types.js';
import { durationMs, setFields, tcpUrl, type Omission, type V1Cluster, type V1SslContext } from './types.js';

class Skip extends Error {}

type Json = Record<string, unknown>;
const num = (v: unknown): number | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return num((v as { value?: unknown }).value);
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

const TYPES: Readonly<Record<string, V1Cluster['type']>> = {
  EDS: 'sds',
  STATIC: 'static',
  STRICT_DNS: 'strict_dns',
  LOGICAL_DNS: 'logical_dns',
  ORIGINAL_DST: 'original_dst',
};
const LB: Readonly<Record<string, V1Cluster['lb_type']>> = {
  ROUND_ROBIN: 'round_robin',
  LEAST_REQUEST: 'least_request',
  RANDOM: 'random',
  RING_HASH: 'ring_hash',
  CLUSTER_PROVIDED: 'original_dst_lb',
};

function sslContext(ts: Json): V1SslContext {
  const cfg = (ts['typed_config'] ?? {}) as Json;
  if (!String(cfg['@type'] ?? '').endsWith('UpstreamTlsContext')) throw new Skip(`transport socket ${String(ts['name'])} is not TLS`);
  const common = (cfg['common_tls_context'] ?? {}) as Json;
  if (
    common['tls_certificate_sds_secret_configs'] ||
    common['validation_context_sds_secret_config'] ||
    common['combined_validation_context']
  ) {
    throw new Skip('certificates delivered over SDS: a v1 ssl_context names files');
  }
  const cert = ((common['tls_certificates'] as Json[] | undefined) ?? [])[0];
  const file = (d: unknown): string | undefined => (d as { filename?: string } | undefined)?.filename;
  if (cert && (!file(cert['certificate_chain']) || !file(cert['private_key'])))
    throw new Skip('inline certificates: a v1 ssl_context names files');
  const vc = (common['validation_context'] ?? {}) as Json;
  if (vc['trusted_ca'] && !file(vc['trusted_ca'])) throw new Skip('inline CA: a v1 ssl_context names files');
  const sans = (vc['match_subject_alt_names'] as { exact?: string }[] | undefined) ?? [];
  if (sans.some((s) => s.exact === undefined)) throw new Skip('subject alt name matchers other than exact do not exist in v1');
  const alpn = (common['alpn_protocols'] as string[] | undefined) ?? [];
  return {
    ...(cert ? { cert_chain_file: file(cert['certificate_chain'])!, private_key_file: file(cert['private_key'])! } : {}),
    ...(file(vc['trusted_ca']) ? { ca_cert_file: file(vc['trusted_ca'])! } : {}),
    ...(sans.length ? { verify_subject_alt_name: sans.map((s) => s.exact!) } : {}),
    ...(cfg['sni'] ? { sni: String(cfg['sni']) } : {}),
    ...(alpn.length ? { alpn_protocols: alpn.join(',') } : {}),
  };
}

function circuitBreakers(cb: Json, where: string, notes: Omission[]): Record<string, number> | undefined {
  const thresholds = (cb['thresholds'] as Json[] | undefined) ?? [];
  const def = thresholds.find((t) => (t['priority'] ?? 'DEFAULT') === 'DEFAULT');
  if (thresholds.some((t) => t !== def))
    notes.push({ level: 'field', where: `${where}.circuit_breakers`, reason: 'only DEFAULT priority thresholds exist for NGINX sidecars' });
  if (!def) return undefined;
  const out: Record<string, number> = {};
  for (const k of ['max_connections', 'max_pending_requests', 'max_requests', 'max_retries']) {
    const v = num(def[k]);
    if (v !== undefined) out[k] = v;
  }
  const extra = setFields(def).filter(
    (k) => !['priority', 'max_connections', 'max_pending_requests', 'max_requests', 'max_retries'].includes(k),
  );
  if (extra.length) notes.push({ level: 'field', where: `${where}.circuit_breakers`, reason: `${extra.join(', ')} do not exist in v1` });
  return out;
}

const OUTLIER_COUNTS = [
  'consecutive_5xx',
  'consecutive_gateway_failure',
  'max_ejection_percent',
  'enforcing_consecutive_5xx',
  'enforcing_consecutive_gateway_failure',
  'enforcing_success_rate',
  'success_rate_minimum_hosts',
  'success_rate_request_volume',
  'success_rate_stdev_factor',
];

function outlier(od: Json, where: string, notes: Omission[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of OUTLIER_COUNTS) {
    const v = num(od[k]);
    if (v !== undefined) out[k] = v;
  }
  if (od['interval']) out['interval_ms'] = durationMs(od['interval'] as never);
  if (od['base_ejection_time']) out['base_ejection_time_ms'] = durationMs(od['base_ejection_time'] as never);
  const extra = setFields(od).filter((k) => !OUTLIER_COUNTS.includes(k) && k !== 'interval' && k !== 'base_ejection_time');
  if (extra.length) notes.push({ level: 'field', where: `${where}.outlier_detection`, reason: `${extra.join(', ')} do not exist in v1` });
  return out;
}

function wantsHttp2(c: Json): boolean {
  if (c['http2_protocol_options']) return true;
  const opts = (c['typed_extension_protocol_options'] ?? {}) as Record<string, Json>;
  return Object.values(opts).some((o) => {
    const e = o['explicit_http_config'] as Json | undefined;
    return Boolean(e?.['http2_protocol_options']);
  });
}

const HANDLED = new Set([
  'name',
  'type',
  'eds_cluster_config',
  'connect_timeout',
  'lb_policy',
  'metadata',
  'transport_socket',
  'transport_socket_matches',
  'circuit_breakers',
  'outlier_detection',
  'load_assignment',
  'http2_protocol_options',
  'typed_extension_protocol_options',
  'ring_hash_lb_config',
]);

/** One v3 cluster → v1, or undefined (reason in `omitted`). */
export function renderCluster(c: Cluster, omitted: Omission[]): V1Cluster | undefined {
  const where = c.name ?? '';
  const notes: Omission[] = [];
  const raw = c as unknown as Json;
  try {
    const type = TYPES[String(c.type ?? 'STATIC')];
    if (!type) throw new Skip(`cluster type ${String(c.type ?? raw['cluster_type'])} does not exist in v1`);
    const lb = LB[String(c.lb_policy ?? 'ROUND_ROBIN')];
    if (!lb) throw new Skip(`load balancer ${String(c.lb_policy)} does not exist in v1`);
    if (c.transport_socket_matches?.length) {
      // Auto mTLS: istio mTLS to sidecar endpoints, plaintext to the rest. A v1 proxy has no istio
      // certificates, so it takes the plaintext choice for every endpoint; any other choice has no v1 form.
      const fallback = c.transport_socket_matches.find(
        (m) => !m.match || !Object.keys((m.match as { fields?: object }).fields ?? m.match).length,
      );
      if (fallback?.transport_socket?.name !== 'envoy.transport_sockets.raw_buffer')
        throw new Skip('per-endpoint TLS choice (transport_socket_matches) does not exist in v1');
      notes.push({
        level: 'field',
        where: `${where}.transport_socket_matches`,
        reason: 'auto mTLS: a v1 proxy has no istio certificates; every endpoint is reached in plaintext (the tlsMode-disabled choice)',
      });
    }
    const out: Record<string, unknown> = { name: where, type };
    if (type === 'sds') out['service_name'] = c.eds_cluster_config?.service_name || where;
    out['lb_type'] = lb;
    out['connect_timeout_ms'] = durationMs(c.connect_timeout);
    if (type === 'static' || type === 'strict_dns' || type === 'logical_dns') {
      const hosts: { url: string }[] = [];
      for (const le of c.load_assignment?.endpoints ?? []) {
        for (const e of le.lb_endpoints ?? []) {
          const sa = e.endpoint?.address?.socket_address;
          if (sa?.address) hosts.push({ url: tcpUrl(sa.address, Number(sa.port_value ?? 0)) });
        }
      }
      out['hosts'] = hosts;
    }
    if (c.transport_socket) out['ssl_context'] = sslContext(c.transport_socket as unknown as Json);
    if (c.circuit_breakers) {
      const cb = circuitBreakers(c.circuit_breakers as unknown as Json, where, notes);
      if (cb && Object.keys(cb).length) out['circuit_breakers'] = { default: cb };
    }
    if (c.outlier_detection) out['outlier_detection'] = outlier(c.outlier_detection as unknown as Json, where, notes);
    if (wantsHttp2(raw)) out['features'] = 'http2';
    for (const k of setFields(raw)
      .filter((x) => !HANDLED.has(x))
      .sort())
      notes.push({ level: 'field', where: `${where}.${k}`, reason: 'not rendered for v1' });
    omitted.push(...notes);
    return out as unknown as V1Cluster;
  } catch (e) {
    if (!(e instanceof Skip)) throw e;
    omitted.push({ level: 'cluster', where, reason: e.message });
    return undefined;
  }
}
