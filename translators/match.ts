/**
 * @module translators/match
 * VirtualService HTTPMatchRequest → Envoy RouteMatch. Header matchers come in two styles: the
 * current `string_match` (Envoy), and the older `exact_match`/`prefix_match`/`safe_regex_match`
 * fields that gRPC C-core 1.51 still requires (it NACKs `string_match`).
 */
import type { HTTPMatchRequest, StringMatch } from '../model/istio.js';
import type { HeaderMatcher, RouteMatch } from '../proto/types.js';

export type HeaderStyle = 'string_match' | 'legacy';

function stringMatcher(m: StringMatch, ignoreCase = false): Record<string, unknown> {
  const base = ignoreCase ? { ignore_case: true } : {};
  if (m.exact !== undefined) return { exact: m.exact, ...base };
  if (m.prefix !== undefined) return { prefix: m.prefix, ...base };
  if (m.regex !== undefined) return { safe_regex: { regex: m.regex } };
  return {};
}

function header(name: string, m: StringMatch, style: HeaderStyle, invert: boolean): HeaderMatcher {
  const inv = invert ? { invert_match: true } : {};
  if (m.exact === undefined && m.prefix === undefined && m.regex === undefined) return { name, present_match: true, ...inv };
  if (style === 'legacy') {
    if (m.exact !== undefined) return { name, exact_match: m.exact, ...inv };
    if (m.prefix !== undefined) return { name, prefix_match: m.prefix, ...inv };
    return { name, safe_regex_match: { regex: m.regex! }, ...inv };
  }
  return { name, string_match: stringMatcher(m), ...inv };
}

/** Headers and pseudo-headers, sorted by name as istiod does, then the negated ones. */
function headers(m: HTTPMatchRequest, style: HeaderStyle): HeaderMatcher[] {
  const out: HeaderMatcher[] = [];
  const plain = { ...(m.headers ?? {}) };
  if (m.method) plain[':method'] = m.method;
  if (m.authority) plain[':authority'] = m.authority;
  if (m.scheme) plain[':scheme'] = m.scheme;
  for (const k of Object.keys(plain).sort()) out.push(header(k, plain[k]!, style, false));
  for (const k of Object.keys(m.withoutHeaders ?? {}).sort()) out.push(header(k, m.withoutHeaders![k]!, style, true));
  return out;
}

export function routeMatch(m: HTTPMatchRequest | undefined, style: HeaderStyle): RouteMatch {
  const out: RouteMatch = {};
  const uri = m?.uri;
  if (uri?.exact !== undefined) out.path = uri.exact;
  else if (uri?.regex !== undefined) out.safe_regex = { regex: uri.regex };
  else out.prefix = uri?.prefix ?? '/';
  if (m?.ignoreUriCase) out.case_sensitive = { value: false };
  if (m) {
    const h = headers(m, style);
    if (h.length) out.headers = h;
    const q = m.queryParams ?? {};
    const qk = Object.keys(q).sort();
    if (qk.length) out.query_parameters = qk.map((name) => ({ name, string_match: stringMatcher(q[name]!) }));
  }
  return out;
}
