/**
 * @module server/http/v1/listeners
 * v3 Listener → v1 listener (`{address:"tcp://ip:port", name, filters:[{type:"read", name, config}],
 * bind_to_port, use_original_dst}`). v1 listeners have one filter list and no filter chain
 * matching, so a listener with several chains (or a matched/TLS chain) is left out whole, as is
 * one with a filter v1 cannot run (authorization and other unknown filters: dropping them would
 * change what is allowed). HCMs keep RDS (`rds: {cluster:"rds", route_config_name,
 * refresh_delay_ms}`) or an inline route config rendered by routes.ts. No mixer filter, ever.
 * Telemetry-only filters and HCM knobs v1 lacks are dropped and reported as fields.
 * The one exception to "one chain": istiod's `virtualInbound` (original_dst, one chain per
 * destination port) is split back into what Pilot v1 served, a listener per `podIP:port` with
 * bind_to_port false (`splitInbound`); its catch-all chain has no v1 form and is reported.
 */
import type { Filter, HttpFilter, Listener, RouteConfiguration } from '../../../proto/types.js';
import { renderRouteConfig } from './routes.js';
import { setFields, tcpUrl, type Omission, type V1Filter, type V1Listener } from './types.js';

/** How often a v1 HCM re-polls RDS (Pilot v1 sent 1000; nginmesh polls every 5 s regardless). */
export const RDS_REFRESH_MS = 1000;

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
const ORIGINAL_DST = 'envoy.filters.listener.original_dst';
/** Listener filters that only feed filter chain matching: harmless to drop with a single chain. */
const CHAIN_MATCH_ONLY = new Set(['envoy.filters.listener.tls_inspector', 'envoy.filters.listener.http_inspector']);
/** Filters that only observe (stats, peer metadata): dropping them loses telemetry, never routing. */
const TELEMETRY = new Set([
  'istio.stats',
  'istio.metadata_exchange',
  'envoy.filters.http.grpc_stats',
  'envoy.filters.network.metadata_exchange',
  'envoy.filters.http.alpn',
  'istio.alpn',
]);
const HCM_RENDERED = new Set(['@type', 'stat_prefix', 'rds', 'route_config', 'http_filters', 'codec_type', 'use_remote_address']);
/** HCM fields whose defaults v1 shares, dropped without a note when they hold that default. */
const HCM_DEFAULTS: Readonly<Record<string, (v: unknown) => boolean>> = {
  path_with_escaped_slashes_action: (v) => v === 'KEEP_UNCHANGED' || v === 'IMPLEMENTATION_SPECIFIC_DEFAULT',
  normalize_path: (v) => (v as { value?: boolean }).value === false,
  generate_request_id: (v) => (v as { value?: boolean }).value !== false,
};

class Skip extends Error {}

type Json = Record<string, unknown>;

function httpFilter(f: HttpFilter, where: string, omitted: Omission[]): V1Filter | null {
  const name = f.name ?? '';
  const cfg = (f.typed_config ?? {}) as Json;
  if (name === 'envoy.filters.http.router') return { type: 'decoder', name: 'router', config: {} };
  if (name === 'envoy.filters.http.cors') return { type: '', name: 'cors', config: {} };
  if (name === 'envoy.filters.http.fault') {
    // Istio's listener-level fault filter is empty: faults live on routes, which routes.ts leaves out.
    if (cfg['abort'] || cfg['delay']) throw new Skip('listener-wide fault injection is not rendered for v1');
    return null;
  }
  if (TELEMETRY.has(name)) {
    omitted.push({ level: 'field', where: `${where}.http_filters.${name}`, reason: 'telemetry-only filter; NGINX sidecars do not run it' });
    return null;
  }
  throw new Skip(`HTTP filter ${name} does not exist in v1 (leaving it out could change what is allowed)`);
}

function hcmConfig(cfg: Json, where: string, omitted: Omission[]): object {
  const out: Json = { codec_type: String(cfg['codec_type'] ?? 'AUTO').toLowerCase(), stat_prefix: cfg['stat_prefix'] ?? '' };
  const rds = cfg['rds'] as { route_config_name?: string } | undefined;
  if (rds) out['rds'] = { cluster: 'rds', route_config_name: rds.route_config_name ?? '', refresh_delay_ms: RDS_REFRESH_MS };
  else if (cfg['route_config']) {
    const r = renderRouteConfig(cfg['route_config'] as RouteConfiguration);
    omitted.push(...r.omitted);
    out['route_config'] = r.config;
  } else throw new Skip('HTTP connection manager with neither RDS nor an inline route config (scoped routes do not exist in v1)');
  const filters: V1Filter[] = [];
  for (const f of (cfg['http_filters'] ?? []) as HttpFilter[]) {
    const v = httpFilter(f, where, omitted);
    if (v) filters.push(v);
  }
  out['filters'] = filters;
  // false is v1's default too; only a true value is worth a field the agent may not know.
  if ((cfg['use_remote_address'] as { value?: boolean } | undefined)?.value === true) out['use_remote_address'] = true;
  for (const k of Object.keys(cfg).sort()) {
    if (HCM_RENDERED.has(k) || cfg[k] === undefined) continue;
    if (HCM_DEFAULTS[k]?.(cfg[k])) continue;
    if (k === 'stream_idle_timeout') {
      omitted.push({ level: 'field', where: `${where}.${k}`, reason: 'v1 has no stream idle timeout; the proxy default applies' });
      continue;
    }
    omitted.push({ level: 'field', where: `${where}.${k}`, reason: 'not rendered for v1' });
  }
  return out;
}

function networkFilter(f: Filter, where: string, omitted: Omission[]): V1Filter | null {
  const cfg = (f.typed_config ?? {}) as Json;
  if (f.name === HCM) return { type: 'read', name: 'http_connection_manager', config: hcmConfig(cfg, where, omitted) };
  if (f.name === TCP_PROXY) {
    if (!cfg['cluster']) throw new Skip('tcp_proxy without a single cluster (weighted TCP routes do not exist in v1)');
    return {
      type: 'read',
      name: 'tcp_proxy',
      config: { stat_prefix: cfg['stat_prefix'] ?? '', route_config: { routes: [{ cluster: cfg['cluster'] }] } },
    };
  }
  if (TELEMETRY.has(f.name ?? '')) {
    omitted.push({ level: 'field', where: `${where}.filters.${f.name}`, reason: 'telemetry-only filter; NGINX sidecars do not run it' });
    return null;
  }
  throw new Skip(`network filter ${f.name ?? '(unnamed)'} does not exist in v1`);
}

/** One chain of a split inbound listener, waiting for the proxy's IP. */
export interface InboundPort {
  readonly port: number;
  readonly filters: readonly V1Filter[];
}

/** The v1 listener of an inbound port on the proxy's IP, named `<ip>_<port>` (istiod's old inbound names). */
export function inboundListener(ip: string, p: InboundPort): V1Listener {
  return { address: tcpUrl(ip, p.port), name: `${ip}_${p.port}`, filters: p.filters, bind_to_port: false };
}

/**
 * An INBOUND listener that dispatches on the original destination port only (istiod's
 * virtualInbound) → one InboundPort per port-matched chain; undefined when the listener is not of
 * that form (renderListener then leaves it out with the reason).
 */
export function splitInbound(l: Listener, omitted: Omission[]): InboundPort[] | undefined {
  const chains = plaintextChains(l, omitted);
  if (l.traffic_direction !== 'INBOUND' || chains.length < 2 || l.default_filter_chain) return undefined;
  if (!(l.listener_filters ?? []).some((f) => f.name === ORIGINAL_DST)) return undefined;
  if ((l.listener_filters ?? []).some((f) => f.name !== ORIGINAL_DST && !CHAIN_MATCH_ONLY.has(f.name ?? ''))) return undefined;
  const catchAll = chains.filter((c) => !c.filter_chain_match || !setFields(c.filter_chain_match).length);
  const byPort = chains.filter((c) => !catchAll.includes(c));
  if (catchAll.length > 1 || byPort.some((c) => c.transport_socket || setFields(c.filter_chain_match!).join() !== 'destination_port'))
    return undefined;
  const ports = byPort.map((c) => Number(c.filter_chain_match!.destination_port!.value));
  if (new Set(ports).size !== ports.length) return undefined;
  const notes: Omission[] = [];
  const out: InboundPort[] = [];
  for (const c of byPort) {
    const port = Number(c.filter_chain_match!.destination_port!.value);
    const where = `${l.name}/${c.name ?? port}`;
    try {
      const filters: V1Filter[] = [];
      for (const f of c.filters ?? []) {
        const v = networkFilter(f, where, notes);
        if (v) filters.push(v);
      }
      out.push({ port, filters });
    } catch (e) {
      if (!(e instanceof Skip)) throw e;
      notes.push({ level: 'listener', where, reason: e.message });
    }
  }
  if (catchAll.length) {
    notes.push({
      level: 'listener',
      where: `${l.name}/${catchAll[0]!.name ?? 'catch-all'}`,
      reason: 'catch-all chain (traffic to ports no service declares): v1 has one listener per inbound port and no catch-all',
    });
  }
  omitted.push(...notes);
  return out.sort((a, b) => a.port - b.port);
}

/**
 * The chains a v1 proxy can serve: without istio certificates it cannot take part in mTLS, so the
 * TLS chains of a PeerAuthentication mode are left out (reported; a STRICT port then has none) and
 * the plaintext ones lose the transport match that only told them apart (`raw_buffer`, the
 * passthrough's 0.0.0.0/0 prefix).
 */
function plaintextChains(l: Listener, omitted: Omission[]): NonNullable<Listener['filter_chains']> {
  const out: NonNullable<Listener['filter_chains']> = [];
  for (const c of l.filter_chains ?? []) {
    const m = c.filter_chain_match;
    if (m?.transport_protocol === 'tls') {
      omitted.push({
        level: 'listener',
        where: `${l.name}/${c.name ?? ''}${m.destination_port ? `:${m.destination_port.value}` : ''}`,
        reason: "TLS chain of the workload's mTLS mode: a v1 proxy has no istio certificates and serves the plaintext chain only",
      });
      continue;
    }
    if (!m) {
      out.push(c);
      continue;
    }
    if (m.application_protocols?.length) {
      omitted.push({
        level: 'listener',
        where: `${l.name}/${c.name ?? ''}`,
        reason: 'HTTP catch-all chain (found by ALPN): v1 has one listener per inbound port and no catch-all',
      });
      continue;
    }
    const { transport_protocol: tp, prefix_ranges: pr, ...rest } = m;
    const anyPrefix =
      !pr?.length ||
      pr.every((r) => r.address_prefix === '0.0.0.0' && Number((r.prefix_len as { value?: number } | undefined)?.value ?? 0) === 0);
    out.push(tp === 'raw_buffer' && anyPrefix ? { ...c, filter_chain_match: rest } : c);
  }
  return out;
}

/** One v3 listener → v1, or undefined (reason in `omitted`). */
export function renderListener(l: Listener, omitted: Omission[]): V1Listener | undefined {
  const where = l.name ?? '';
  const notes: Omission[] = [];
  try {
    const sa = l.address?.socket_address;
    if (!sa || !sa.address || (sa.protocol && sa.protocol !== 'TCP')) throw new Skip('v1 listeners are TCP socket addresses only');
    const chains = [...(l.filter_chains ?? []), ...(l.default_filter_chain ? [l.default_filter_chain] : [])];
    if (chains.length > 1) throw new Skip(`${chains.length} filter chains: v1 listeners have one filter list and no filter chain matching`);
    const chain = chains[0];
    if (chain?.filter_chain_match && setFields(chain.filter_chain_match).length) throw new Skip('filter chain match does not exist in v1');
    if (chain?.transport_socket) throw new Skip('TLS termination on a listener is not rendered for v1');
    let useOriginalDst = l.use_original_dst?.value === true;
    for (const lf of l.listener_filters ?? []) {
      if (lf.name === ORIGINAL_DST) useOriginalDst = true;
      else if (!CHAIN_MATCH_ONLY.has(lf.name ?? '')) throw new Skip(`listener filter ${lf.name} does not exist in v1`);
    }
    const filters: V1Filter[] = [];
    for (const f of chain?.filters ?? []) {
      const v = networkFilter(f, where, notes);
      if (v) filters.push(v);
    }
    const silent = new Set([
      'name',
      'address',
      'traffic_direction',
      'metadata',
      'bind_to_port',
      'filter_chains',
      'default_filter_chain',
      'listener_filters',
      'use_original_dst',
      'continue_on_listener_filters_timeout',
      'listener_filters_timeout',
    ]);
    for (const k of setFields(l)
      .filter((x) => !silent.has(x))
      .sort())
      notes.push({ level: 'field', where: `${where}.${k}`, reason: 'not rendered for v1' });
    omitted.push(...notes);
    return {
      address: tcpUrl(sa.address, Number(sa.port_value ?? 0)),
      name: where,
      filters,
      bind_to_port: l.bind_to_port?.value ?? true,
      ...(useOriginalDst ? { use_original_dst: true } : {}),
    };
  } catch (e) {
    if (!(e instanceof Skip)) throw e;
    omitted.push({ level: 'listener', where, reason: e.message });
    return undefined;
  }
}
