/**
 * @module server/http/v1/routes
 * v3 RouteConfiguration → v1 route configuration (`{virtual_hosts:[{name, domains, routes}]}`).
 * Rule: routing is rendered exactly or not at all. A route whose match or action v1 cannot
 * state (query or inverted/case-insensitive header matches, regex paths, per-route faults,
 * header rewriting, weights not summing to 100, anything unknown) is left out whole — sending it
 * without that part would send traffic somewhere else — and reported. Retry conditions v1 does
 * not know are narrowed away (fewer retries, same destination) and reported as a field.
 * Names, metadata and decorators carry no behaviour and are dropped silently.
 */
import type { HeaderMatcher, Route, RouteConfiguration, VirtualHost } from '../../../proto/types.js';
import { durationMs, setFields, type Omission, type V1HeaderMatch, type V1Route, type V1RouteConfig, type V1VirtualHost } from './types.js';

/** Retry conditions Envoy's v1 route `retry_on` understood (x-envoy-retry-on / x-envoy-retry-grpc-on of Envoy 1.5). */
export const V1_RETRY_ON: ReadonlySet<string> = new Set([
  '5xx',
  'gateway-error',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'cancelled',
  'deadline-exceeded',
  'resource-exhausted',
]);

const SILENT_ROUTE = new Set(['name', 'metadata', 'decorator']);
const SILENT_VHOST = new Set(['name', 'domains', 'routes', 'include_request_attempt_count']);
const KNOWN_ACTION = new Set([
  'cluster',
  'weighted_clusters',
  'timeout',
  'retry_policy',
  'prefix_rewrite',
  'host_rewrite_literal',
  'auto_host_rewrite',
]);

class Skip extends Error {}

function regexEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type LooseHeader = HeaderMatcher & {
  string_match?: {
    exact?: string;
    prefix?: string;
    safe_regex?: { regex?: string };
    ignore_case?: boolean;
    suffix?: string;
    contains?: string;
  };
};

/** v3 header matcher → v1 `{name, value, regex}`; throws Skip when v1 cannot say it. */
export function headerMatch(h: LooseHeader): V1HeaderMatch {
  if (h.invert_match) throw new Skip(`header "${h.name}": inverted (withoutHeaders) matches do not exist in v1`);
  const sm = h.string_match;
  if (sm) {
    if (sm.ignore_case) throw new Skip(`header "${h.name}": case-insensitive matches do not exist in v1`);
    if (sm.exact !== undefined) return { name: h.name!, value: sm.exact };
    if (sm.prefix !== undefined) return { name: h.name!, value: `^${regexEscape(sm.prefix)}.*`, regex: true };
    if (sm.safe_regex?.regex !== undefined) return { name: h.name!, value: sm.safe_regex.regex, regex: true };
    throw new Skip(`header "${h.name}": only exact, prefix and regex matches exist in v1`);
  }
  if (h.exact_match !== undefined) return { name: h.name!, value: h.exact_match };
  if (h.prefix_match !== undefined) return { name: h.name!, value: `^${regexEscape(h.prefix_match)}.*`, regex: true };
  if (h.safe_regex_match?.regex !== undefined) return { name: h.name!, value: h.safe_regex_match.regex, regex: true };
  if (h.present_match) return { name: h.name! };
  throw new Skip(
    `header "${h.name}": matcher ${setFields(h)
      .filter((k) => k !== 'name')
      .join(', ')} does not exist in v1`,
  );
}

function matchOf(r: Route): Partial<V1Route> {
  const m = r.match ?? {};
  const out: { prefix?: string; path?: string; case_sensitive?: boolean; headers?: V1HeaderMatch[] } = {};
  const extra = setFields(m).filter((k) => !['prefix', 'path', 'case_sensitive', 'headers'].includes(k));
  if (extra.includes('safe_regex'))
    throw new Skip('regex path match (v1 regexes are ECMAScript, not RE2, and nginmesh reads prefix or path only)');
  if (extra.length) throw new Skip(`match on ${extra.join(', ')} does not exist in v1`);
  if (m.path !== undefined) out.path = m.path;
  else out.prefix = m.prefix ?? '/';
  if (m.case_sensitive && m.case_sensitive.value === false) out.case_sensitive = false;
  if (m.headers?.length) out.headers = m.headers.map((h) => headerMatch(h as LooseHeader));
  return out;
}

function actionOf(r: Route, where: string, omitted: Omission[]): Partial<V1Route> {
  const a = r.route!;
  const msd = a.max_stream_duration;
  if (msd && durationMs(msd.max_stream_duration) === 0 && !msd.grpc_timeout_header_offset) {
    // No stream limit of its own: only the client's grpc-timeout would be enforced by the proxy
    // too. NGINX does not read that header; the client still enforces its own deadline.
    if (msd.grpc_timeout_header_max)
      omitted.push({
        level: 'field',
        where: `${where}.max_stream_duration`,
        reason: 'v1 proxies do not enforce grpc-timeout headers (clients still do)',
      });
  } else if (msd) throw new Skip('max_stream_duration (a stream time limit) does not exist in v1');
  const extra = setFields(a).filter((k) => !KNOWN_ACTION.has(k) && k !== 'max_stream_duration');
  if (extra.length) throw new Skip(`route action ${extra.join(', ')} does not exist in v1`);
  const out: Record<string, unknown> = {};
  if (a.cluster) out['cluster'] = a.cluster;
  else if (a.weighted_clusters) {
    const wc = a.weighted_clusters;
    const clusters = (wc.clusters ?? []).map((c) => {
      const cx = setFields(c).filter((k) => k !== 'name' && k !== 'weight');
      if (cx.length) throw new Skip(`weighted cluster ${c.name}: ${cx.join(', ')} do not exist in v1`);
      return { name: c.name!, weight: Number(c.weight?.value ?? 0) };
    });
    const sum = clusters.reduce((s, c) => s + c.weight, 0);
    const total = wc.total_weight ? Number(wc.total_weight.value) : 100;
    if (sum !== 100 || total !== 100) throw new Skip(`weights sum to ${sum} (total ${total}); v1 weighted clusters must sum to 100`);
    out['weighted_clusters'] = { clusters };
  } else throw new Skip('route without a cluster');
  if (a.timeout) out['timeout_ms'] = durationMs(a.timeout);
  if (a.retry_policy) {
    const rp = a.retry_policy;
    const conds = (rp.retry_on ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const kept = conds.filter((c) => V1_RETRY_ON.has(c));
    const dropped = conds.filter((c) => !V1_RETRY_ON.has(c));
    const droppedFields = setFields(rp).filter((k) => !['retry_on', 'num_retries', 'per_try_timeout'].includes(k));
    if (dropped.length || droppedFields.length) {
      omitted.push({
        level: 'field',
        where: `${where}.retry_policy`,
        reason: `v1 cannot retry on ${[...dropped, ...droppedFields].join(', ')}; ${kept.length ? `retrying on ${kept.join(',')} only` : 'no retries'}`,
      });
    }
    if (kept.length) {
      out['retry_policy'] = {
        retry_on: kept.join(','),
        ...(rp.num_retries ? { num_retries: Number(rp.num_retries.value) } : {}),
        ...(rp.per_try_timeout ? { per_try_timeout_ms: durationMs(rp.per_try_timeout) } : {}),
      };
    }
  }
  if (a.prefix_rewrite !== undefined) out['prefix_rewrite'] = a.prefix_rewrite;
  if (a.host_rewrite_literal) out['host_rewrite'] = a.host_rewrite_literal;
  if (a.auto_host_rewrite?.value) out['auto_host_rewrite'] = true;
  return out as Partial<V1Route>;
}

function redirectOf(r: Route): Partial<V1Route> {
  const d = r.redirect!;
  const extra = setFields(d).filter((k) => !['host_redirect', 'path_redirect', 'response_code'].includes(k));
  if (extra.length) throw new Skip(`redirect ${extra.join(', ')} does not exist in v1`);
  if (d.response_code && String(d.response_code) !== 'MOVED_PERMANENTLY' && String(d.response_code) !== '0')
    throw new Skip(`redirect code ${String(d.response_code)}: v1 redirects are always 301`);
  return { ...(d.host_redirect ? { host_redirect: d.host_redirect } : {}), ...(d.path_redirect ? { path_redirect: d.path_redirect } : {}) };
}

/** One v3 route → v1, or undefined (with the reason in `omitted`) when v1 cannot express it exactly. */
export function renderRoute(r: Route, where: string, omitted: Omission[]): V1Route | undefined {
  const fieldNotes: Omission[] = [];
  try {
    if (r.typed_per_filter_config && Object.keys(r.typed_per_filter_config).length) {
      const names = Object.keys(r.typed_per_filter_config).sort();
      throw new Skip(
        names.some((n) => n.includes('fault'))
          ? 'fault injection: v1 has no per-route faults (its fault filter applies to the whole listener)'
          : `per-route filter config ${names.join(', ')} does not exist in v1`,
      );
    }
    const ops = ['request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove'].filter(
      (k) => {
        const v = (r as Record<string, unknown>)[k];
        return Array.isArray(v) && v.length > 0;
      },
    );
    if (ops.length) throw new Skip(`header operations (${ops.join(', ')}) are not rendered for v1`);
    const unknown = setFields(r).filter(
      (k) =>
        !SILENT_ROUTE.has(k) &&
        !['match', 'route', 'redirect', 'typed_per_filter_config', ...ops].includes(k) &&
        !(Array.isArray((r as Record<string, unknown>)[k]) && ((r as Record<string, unknown>)[k] as unknown[]).length === 0),
    );
    if (unknown.length) throw new Skip(`${unknown.join(', ')} do not exist in v1`);
    const match = matchOf(r);
    let target: Partial<V1Route>;
    if (r.route) target = actionOf(r, where, fieldNotes);
    else if (r.redirect) target = redirectOf(r);
    else throw new Skip('neither a route nor a redirect (direct responses do not exist in v1)');
    omitted.push(...fieldNotes);
    return { ...match, ...target };
  } catch (e) {
    if (!(e instanceof Skip)) throw e;
    omitted.push({ level: 'route', where, reason: e.message });
    return undefined;
  }
}

/** `host:port` → port, from istiod's virtual host names. */
function vhostPort(name: string): number | undefined {
  const m = /:(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function renderVirtualHost(vh: VirtualHost, rcName: string, ignorePort: boolean, omitted: Omission[]): V1VirtualHost | undefined {
  const where = `${rcName}/${vh.name}`;
  const unknown = setFields(vh).filter((k) => !SILENT_VHOST.has(k));
  if (unknown.length) {
    omitted.push({ level: 'virtual_host', where, reason: `${unknown.join(', ')} do not exist in v1` });
    return undefined;
  }
  let domains = [...(vh.domains ?? [])];
  if (ignorePort) {
    // v3 ignores the port in Host matching; v1 compared the whole Host header, so, as Pilot v1
    // did, each domain is listed with the service port as well.
    const port = vhostPort(vh.name ?? '');
    if (port !== undefined) domains = domains.flatMap((d) => (d === '*' ? [d] : [`${d}:${port}`, d]));
    else if (!domains.includes('*'))
      omitted.push({
        level: 'field',
        where: `${where}.domains`,
        reason: 'no port in the virtual host name: Host headers carrying a port will not match',
      });
  }
  const routes: V1Route[] = [];
  (vh.routes ?? []).forEach((r, i) => {
    const v1 = renderRoute(r, `${where}/${r.name ?? `#${i}`}`, omitted);
    if (v1) routes.push(v1);
  });
  return { name: vh.name ?? '', domains, routes };
}

export function renderRouteConfig(rc: RouteConfiguration): { config: V1RouteConfig; omitted: Omission[] } {
  const omitted: Omission[] = [];
  const name = rc.name ?? '';
  const unknown = setFields(rc).filter((k) => !['name', 'virtual_hosts', 'validate_clusters', 'ignore_port_in_host_matching'].includes(k));
  for (const k of unknown) omitted.push({ level: 'field', where: `${name}.${k}`, reason: 'not rendered for v1' });
  const vhosts: V1VirtualHost[] = [];
  for (const vh of rc.virtual_hosts ?? []) {
    const v = renderVirtualHost(vh, name, rc.ignore_port_in_host_matching === true, omitted);
    if (v) vhosts.push(v);
  }
  const config: V1RouteConfig = {
    ...(rc.validate_clusters ? { validate_clusters: rc.validate_clusters.value === true } : {}),
    virtual_hosts: vhosts,
  };
  return { config, omitted };
}
