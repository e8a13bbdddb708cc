/**
 * @module translators/authz/matchers
 * The Envoy matchers istiod builds from AuthorizationPolicy values (pilot/pkg/security/authz/
 * matcher): a value is exact, a `*`-prefixed suffix match, a `*`-suffixed prefix match, or `*`
 * alone — "present" (regex `.+` for strings, `present_match` for headers). Principals get the
 * `spiffe://` prefix (a suffix then becomes a regex), namespaces a `.*\/ns\/<ns>\/.*` regex,
 * hosts match `:authority` case-insensitively, paths match `url_path` (the normalized path
 * without query; `{*}`/`{**}` templates as RE2 regexes), IPs become CidrRanges. Output is
 * proto3-shaped plain data (snake_case), pure.
 */

export type Json = Record<string, unknown>;

export function regex(r: string): Json {
  return { safe_regex: { regex: r } };
}

/** RE2-quotes `s` (metacharacters escaped). */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** istiod's StringMatcherWithPrefix: `*` → `.+`; `*x` → suffix (or a regex when a prefix is added); `x*` → prefix; else exact. */
export function stringMatcher(v: string, prefix = '', ignoreCase = false): Json {
  const ic = ignoreCase ? { ignore_case: true } : {};
  if (v === '*') return regex('.+');
  if (v.startsWith('*')) return prefix ? regex(`${quoteMeta(prefix)}.*${quoteMeta(v.slice(1))}`) : { suffix: v.slice(1), ...ic };
  if (v.endsWith('*')) return { prefix: prefix + v.slice(0, -1), ...ic };
  return { exact: prefix + v, ...ic };
}

/** A header matcher for `name`: `*` → present, else a string match. */
export function headerMatcher(name: string, v: string): Json {
  if (v === '*') return { name, present_match: true };
  return { name, string_match: stringMatcher(v) };
}

/**
 * `request.headers[name]`: istiod's HeaderMatcherWithRegex — the value may be one of several a
 * client joined with commas (RFC 7230), so it is matched as a whole or as one list element.
 */
export function headerListMatcher(name: string, v: string): Json {
  if (v === '*') return { name, present_match: true };
  const r = v.startsWith('*') ? `.*${quoteMeta(v.slice(1))}` : v.endsWith('*') ? `${quoteMeta(v.slice(0, -1))}.*` : quoteMeta(v);
  return { name, safe_regex_match: { regex: `^${r}$|^${r},.*|.*,${r},.*|.*,${r}$` } };
}

/** `:authority` (hosts), case-insensitive as istiod's HostMatcher. */
export function hostMatcher(v: string): Json {
  if (v === '*') return { name: ':authority', present_match: true };
  return { name: ':authority', string_match: stringMatcher(v, '', true) };
}

/** A path template (`/a/{*}/b/{**}`) as an RE2 regex over the path: `{*}` one segment, `{**}` the rest. */
export function pathTemplateRegex(v: string): string {
  return v
    .split('/')
    .map((seg) => (seg === '{*}' ? '[^/]+' : seg === '{**}' ? '.+' : quoteMeta(seg)))
    .join('/');
}

export function pathMatcher(v: string): Json {
  return { path: v.includes('{') ? regex(pathTemplateRegex(v)) : stringMatcher(v) };
}

/** An IP or CIDR as a CidrRange (a bare address is /32 or /128). Null when it does not parse. */
export function cidrRange(v: string): Json | null {
  const [ip, len, extra] = v.split('/');
  if (!ip || extra !== undefined) return null;
  const v6 = ip.includes(':');
  const max = v6 ? 128 : 32;
  const n = len === undefined ? max : /^\d+$/.test(len) ? Number(len) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > max) return null;
  if (!v6 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return null;
  if (v6 && !/^[0-9a-fA-F:.]+$/.test(ip)) return null;
  return { address_prefix: ip, prefix_len: { value: n } };
}

/** A port string as a number, or null (istiod: 0-65535). */
export function port(v: string): number | null {
  if (!/^\d{1,5}$/.test(v)) return null;
  const n = Number(v);
  return n <= 65535 ? n : null;
}

/** source.principal: the mTLS peer's URI SAN, matched with istiod's `spiffe://` prefix. */
export function principalName(v: string): Json {
  return { authenticated: { principal_name: stringMatcher(v, 'spiffe://') } };
}

/** source.namespace: the peer's SPIFFE id has `/ns/<namespace>/` (`*` within the value as `.*`). */
export function namespaceMatcher(v: string): Json {
  return { authenticated: { principal_name: regex(`.*/ns/${v.split('*').map(quoteMeta).join('.*')}/.*`) } };
}

/**
 * Where the JWT payload of a verified token is found: jwt_authn writes it as dynamic metadata
 * under this key (`payload_in_metadata`), and RBAC reads claims from there. istiod reads them
 * from istio-proxy's own `istio_authn` filter instead; jwt_authn's metadata works with upstream
 * Envoy and istio-proxy alike.
 */
export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_PAYLOAD_KEY = 'payload';

/** A claim (nested path) of the verified JWT payload, matched as a string or as one of a list. */
export function claimMatcher(claims: readonly string[], values: readonly string[]): Json {
  const one = (v: string): Json[] => [{ string_match: stringMatcher(v) }, { list_match: { one_of: { string_match: stringMatcher(v) } } }];
  return {
    metadata: {
      filter: JWT_FILTER,
      path: [JWT_PAYLOAD_KEY, ...claims].map((key) => ({ key })),
      value: { or_match: { value_matchers: values.flatMap(one) } },
    },
  };
}

function claimString(claim: string, m: Json): Json {
  return { metadata: { filter: JWT_FILTER, path: [{ key: JWT_PAYLOAD_KEY }, { key: claim }], value: { string_match: m } } };
}

/**
 * request.auth.principal `<iss>/<sub>` (split at the last `/`), with istiod's wildcard rules:
 * `*` any; `*x` suffix of the subject (or with a `/`, suffix of the issuer and exact subject);
 * `x*` prefix of the issuer (or with a `/`, exact issuer and prefix of the subject).
 */
export function requestPrincipal(v: string): Json {
  const idx = v.lastIndexOf('/');
  const found = idx >= 0;
  const iss = found ? v.slice(0, idx) : v;
  const sub = found ? v.slice(idx + 1) : '';
  const any = regex('.+');
  let mi: Json;
  let ms: Json;
  if (v === '*') {
    mi = any;
    ms = any;
  } else if (v.startsWith('*')) {
    if (found) {
      mi = iss === '*' ? any : { suffix: iss.slice(1) };
      ms = { exact: sub };
    } else {
      mi = any;
      ms = { suffix: v.slice(1) };
    }
  } else if (v.endsWith('*')) {
    if (found) {
      mi = { exact: iss };
      ms = sub === '*' ? any : { prefix: sub.slice(0, -1) };
    } else {
      mi = { prefix: v.slice(0, -1) };
      ms = any;
    }
  } else {
    mi = { exact: iss };
    ms = { exact: sub };
  }
  return { and_ids: { ids: [claimString('iss', mi), claimString('sub', ms)] } };
}

/** `experimental.envoy.filters.a.b[c]` → metadata of filter `envoy.filters.a.b`, key `c`; `[v]` values match a list element. */
export function envoyFilterMatcher(key: string, v: string): Json | null {
  const m = /^experimental\.(envoy\.filters\.[^[\]]+)\[([^[\]]+)\]$/.exec(key);
  if (!m) return null;
  const list = v.startsWith('[') && v.endsWith(']');
  const sm = stringMatcher(list ? v.slice(1, -1) : v);
  return {
    metadata: {
      filter: m[1],
      path: [{ key: m[2] }],
      value: list ? { list_match: { one_of: { string_match: sm } } } : { string_match: sm },
    },
  };
}

/** `name[a][b]` → [a, b]; null when not in that form. */
export function bracketed(s: string): string[] | null {
  if (!/^(\[[^[\]]+\])+$/.test(s)) return null;
  return s.slice(1, -1).split('][');
}
