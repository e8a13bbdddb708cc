/**
 * @module watchers/validate/gatewayapi-routes
 * Validates HTTPRoute, GRPCRoute, TCPRoute and TLSRoute into the model with the spec's defaults
 * (a rule without matches matches PathPrefix `/`; path type PathPrefix; weight 1) and its rules:
 * paths start with `/`, RE2 regexes, filters carry exactly their own config, a rule may not both
 * redirect and rewrite, ReplacePrefixMatch needs a PathPrefix match, durations parse. A backend
 * that does not exist is not a validation error: the conversion reports it as status.
 */
import type {
  GwFilter,
  GwGRPCRoute,
  GwGRPCRouteMatch,
  GwHTTPRoute,
  GwHTTPRouteMatch,
  GwHeaderModifier,
  GwL4RouteRule,
  GwPathModifier,
  GwRetry,
  GwTCPRoute,
  GwTLSRoute,
} from '../../model/gatewayapi.js';
import { type Raw, Reader, parseDuration } from './check.js';
import { readMeta } from './meta.js';
import { readDuration, re2Error } from './common-istio.js';
import { readBackendRef, readBackendRefs, readCreated, readHostnames, readNameMatches, readParentRefs } from './gatewayapi-common.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

function readPathMatch(r: Reader, v: unknown, path: string): GwHTTPRouteMatch['path'] {
  const o = r.object(v, path);
  if (!o) return { type: 'PathPrefix', value: '/' };
  r.known(o, path, ['type', 'value']);
  const type = r.string(o['type'], `${path}.type`) ?? 'PathPrefix';
  const value = r.string(o['value'], `${path}.value`) ?? '/';
  if (type !== 'Exact' && type !== 'PathPrefix' && type !== 'RegularExpression') {
    r.fail(`${path}.type`, `must be Exact, PathPrefix or RegularExpression, got "${type}"`);
    return { type: 'PathPrefix', value: '/' };
  }
  if (type === 'RegularExpression') {
    const e = re2Error(value);
    if (e) r.fail(`${path}.value`, `"${value}" is not a valid RE2 regular expression: ${e}`);
  } else if (!value.startsWith('/')) r.fail(`${path}.value`, `must start with "/", got "${value}"`);
  else if (/\/\/|\/\.\.?(\/|$)|[?#]/.test(value)) r.fail(`${path}.value`, `"${value}" must not contain "//", "/./", "/../", "?" or "#"`);
  return { type, value };
}

function readModifier(r: Reader, v: unknown, path: string): GwHeaderModifier {
  const o = r.object(v, path, true) ?? {};
  r.known(o, path, ['set', 'add', 'remove']);
  const pairs = (k: 'set' | 'add'): { name: string; value: string }[] =>
    (r.array(o[k], `${path}.${k}`) ?? [])
      .map((x, i) => {
        const p = r.object(x, `${path}.${k}[${i}]`, true);
        const name = p ? r.string(p['name'], `${path}.${k}[${i}].name`, true) : undefined;
        const value = p ? (r.string(p['value'], `${path}.${k}[${i}].value`) ?? '') : '';
        return name === undefined ? undefined : { name: name.toLowerCase(), value };
      })
      .filter((x): x is { name: string; value: string } => !!x);
  return { set: pairs('set'), add: pairs('add'), remove: (r.stringList(o['remove'], `${path}.remove`) ?? []).map((h) => h.toLowerCase()) };
}

function readPathModifier(r: Reader, v: unknown, path: string): GwPathModifier | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['type', 'replaceFullPath', 'replacePrefixMatch']);
  const type = r.string(o['type'], `${path}.type`, true);
  if (type === 'ReplaceFullPath') {
    const value = r.string(o['replaceFullPath'], `${path}.replaceFullPath`, true);
    return value === undefined ? undefined : { type, value };
  }
  if (type === 'ReplacePrefixMatch') {
    const value = r.string(o['replacePrefixMatch'], `${path}.replacePrefixMatch`, true);
    return value === undefined ? undefined : { type, value };
  }
  if (type !== undefined) r.fail(`${path}.type`, `must be ReplaceFullPath or ReplacePrefixMatch, got "${type}"`);
  return undefined;
}

function readFilters(r: Reader, v: unknown, path: string, ns: string, grpc: boolean): GwFilter[] {
  const out: GwFilter[] = [];
  const allowed = grpc
    ? ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror']
    : ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror'];
  (r.array(v, path) ?? []).forEach((x, i) => {
    const p = `${path}[${i}]`;
    const o = r.object(x, p, true);
    if (!o) return;
    r.known(o, p, [
      'type',
      'requestHeaderModifier',
      'responseHeaderModifier',
      'requestRedirect',
      'urlRewrite',
      'requestMirror',
      'extensionRef',
    ]);
    const type = r.string(o['type'], `${p}.type`, true);
    if (type === undefined) return;
    if (!allowed.includes(type)) {
      r.fail(`${p}.type`, `filter ${type} is not supported on a ${grpc ? 'GRPCRoute' : 'HTTPRoute'} (supported: ${allowed.join(', ')})`);
      return;
    }
    const field = type.charAt(0).toLowerCase() + type.slice(1);
    const cfgKey = type === 'URLRewrite' ? 'urlRewrite' : field;
    for (const k of ['requestHeaderModifier', 'responseHeaderModifier', 'requestRedirect', 'urlRewrite', 'requestMirror']) {
      if (k !== cfgKey && o[k] !== undefined) r.fail(`${p}.${k}`, `must not be set for a filter of type ${type}`);
    }
    if (type === 'RequestHeaderModifier' || type === 'ResponseHeaderModifier')
      out.push({ type, modifier: readModifier(r, o[cfgKey], `${p}.${cfgKey}`) });
    else if (type === 'RequestRedirect') {
      const c = r.object(o[cfgKey], `${p}.${cfgKey}`, true) ?? {};
      r.known(c, `${p}.${cfgKey}`, ['scheme', 'hostname', 'port', 'path', 'statusCode']);
      const scheme = r.string(c['scheme'], `${p}.${cfgKey}.scheme`);
      if (scheme !== undefined && scheme !== 'http' && scheme !== 'https')
        r.fail(`${p}.${cfgKey}.scheme`, `must be http or https, got "${scheme}"`);
      const hostname = r.string(c['hostname'], `${p}.${cfgKey}.hostname`);
      const port = r.int(c['port'], `${p}.${cfgKey}.port`, { min: 1, max: 65535 });
      const statusCode = r.int(c['statusCode'], `${p}.${cfgKey}.statusCode`) ?? 302;
      if (![301, 302, 303, 307, 308].includes(statusCode))
        r.fail(`${p}.${cfgKey}.statusCode`, `must be 301, 302, 303, 307 or 308, got ${statusCode}`);
      const pm = readPathModifier(r, c['path'], `${p}.${cfgKey}.path`);
      out.push({
        type,
        statusCode,
        ...(scheme ? { scheme } : {}),
        ...(hostname ? { hostname } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(pm ? { path: pm } : {}),
      });
    } else if (type === 'URLRewrite') {
      const c = r.object(o[cfgKey], `${p}.${cfgKey}`, true) ?? {};
      r.known(c, `${p}.${cfgKey}`, ['hostname', 'path']);
      const hostname = r.string(c['hostname'], `${p}.${cfgKey}.hostname`);
      const pm = readPathModifier(r, c['path'], `${p}.${cfgKey}.path`);
      out.push({ type, ...(hostname ? { hostname } : {}), ...(pm ? { path: pm } : {}) });
    } else {
      const c = r.object(o[cfgKey], `${p}.${cfgKey}`, true) ?? {};
      r.known(c, `${p}.${cfgKey}`, ['backendRef', 'percent', 'fraction']);
      const backend = readBackendRef(r, c['backendRef'], `${p}.${cfgKey}.backendRef`, ns, false);
      let percent = r.int(c['percent'], `${p}.${cfgKey}.percent`, { min: 0, max: 100 });
      const fr = r.object(c['fraction'], `${p}.${cfgKey}.fraction`);
      if (fr) {
        const num = r.int(fr['numerator'], `${p}.${cfgKey}.fraction.numerator`, { min: 0, required: true }) ?? 0;
        const den = r.int(fr['denominator'], `${p}.${cfgKey}.fraction.denominator`, { min: 1 }) ?? 100;
        if (num > den) r.fail(`${p}.${cfgKey}.fraction`, 'numerator must not exceed denominator');
        percent = (num * 100) / den;
      }
      if (backend) out.push({ type: 'RequestMirror', backend, ...(percent !== undefined ? { percent } : {}) });
    }
  });
  const count = (t: string): number => out.filter((f) => f.type === t).length;
  for (const t of ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'])
    if (count(t) > 1) r.fail(path, `filter ${t} may appear only once in a rule`);
  if (count('RequestRedirect') && count('URLRewrite')) r.fail(path, 'a rule may not have both RequestRedirect and URLRewrite');
  return out;
}

function readHTTPMatch(r: Reader, v: unknown, path: string): GwHTTPRouteMatch | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, ['path', 'headers', 'queryParams', 'method']);
  const method = r.string(o['method'], `${path}.method`);
  if (method !== undefined && !METHODS.includes(method)) r.fail(`${path}.method`, `must be one of ${METHODS.join(', ')}, got "${method}"`);
  return {
    path: readPathMatch(r, o['path'], `${path}.path`),
    headers: readNameMatches(r, o['headers'], `${path}.headers`, true),
    queryParams: readNameMatches(r, o['queryParams'], `${path}.queryParams`, false),
    ...(method ? { method } : {}),
  };
}

function readCommon(
  r: Reader,
  raw: Raw,
  ns: string,
  extraSpec: readonly string[],
): { meta: ReturnType<typeof readMeta>; created: string; spec: Raw; parentRefs: GwHTTPRoute['parentRefs'] } {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', ['parentRefs', 'rules', ...extraSpec]);
  return { meta, created: readCreated(raw), spec, parentRefs: readParentRefs(r, spec['parentRefs'], 'spec.parentRefs', meta.namespace) };
}

export function readHTTPRoute(r: Reader, raw: Raw, ns: string): GwHTTPRoute {
  const { meta, created, spec, parentRefs } = readCommon(r, raw, ns, ['hostnames']);
  const rules = (r.array(spec['rules'], 'spec.rules') ?? [{}]).map((x, i) => {
    const p = `spec.rules[${i}]`;
    const o = r.object(x, p, true) ?? {};
    r.known(o, p, ['name', 'matches', 'filters', 'backendRefs', 'timeouts', 'retry', 'sessionPersistence']);
    const ms = r.array(o['matches'], `${p}.matches`);
    const matches = (ms?.length ? ms : [{}])
      .map((m, j) => readHTTPMatch(r, m, `${p}.matches[${j}]`))
      .filter((m): m is GwHTTPRouteMatch => !!m);
    const filters = readFilters(r, o['filters'], `${p}.filters`, meta.namespace, false);
    for (const f of filters) {
      const pm = f.type === 'RequestRedirect' || f.type === 'URLRewrite' ? f.path : undefined;
      if (pm?.type === 'ReplacePrefixMatch' && matches.some((m) => m.path.type !== 'PathPrefix'))
        r.fail(`${p}.filters`, `${f.type} with ReplacePrefixMatch needs every match of the rule to be a PathPrefix match`);
    }
    const t = r.object(o['timeouts'], `${p}.timeouts`);
    const request = t ? readZeroDuration(r, t['request'], `${p}.timeouts.request`) : undefined;
    const backendRequest = t ? readZeroDuration(r, t['backendRequest'], `${p}.timeouts.backendRequest`) : undefined;
    if (t) r.known(t, `${p}.timeouts`, ['request', 'backendRequest']);
    // The spec's rule: one attempt cannot be given longer than the whole request (0s means no timeout).
    const durMs = (d: string | undefined): number | null => (d && d !== '0s' ? parseDuration(d) : null);
    const [reqMs, backMs] = [durMs(request), durMs(backendRequest)];
    if (reqMs !== null && (backendRequest === '0s' || (backMs !== null && backMs > reqMs)))
      r.fail(`${p}.timeouts.backendRequest`, `${backendRequest} is longer than timeouts.request (${request})`);
    const retry = readRetry(r, o['retry'], `${p}.retry`);
    return {
      matches,
      filters,
      backendRefs: readBackendRefs(r, o['backendRefs'], `${p}.backendRefs`, meta.namespace),
      ...(request || backendRequest
        ? { timeouts: { ...(request ? { request } : {}), ...(backendRequest ? { backendRequest } : {}) } }
        : {}),
      ...(retry ? { retry } : {}),
    };
  });
  return { kind: 'HTTPRoute', meta, created, parentRefs, hostnames: readHostnames(r, spec['hostnames'], 'spec.hostnames'), rules };
}

/** An HTTPRoute rule's `retry` (GEP-1731): status codes 400–599, attempts ≥ 0, a backoff duration. */
function readRetry(r: Reader, v: unknown, path: string): GwRetry | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['codes', 'attempts', 'backoff']);
  const codes = (r.array(o['codes'], `${path}.codes`) ?? [])
    .map((c, i) => r.int(c, `${path}.codes[${i}]`, { min: 400, max: 599 }))
    .filter((c): c is number => c !== undefined);
  const attempts = r.int(o['attempts'], `${path}.attempts`, { min: 0 });
  const backoff = readDuration(r, o['backoff'], `${path}.backoff`);
  return { codes, ...(attempts !== undefined ? { attempts } : {}), ...(backoff ? { backoff } : {}) };
}

/** Gateway API durations allow `0s` (no timeout). */
function readZeroDuration(r: Reader, v: unknown, path: string): string | undefined {
  return typeof v === 'string' && /^0+(h|m|s|ms)?$/.test(v) ? '0s' : readDuration(r, v, path);
}

function readGRPCMatch(r: Reader, v: unknown, path: string): GwGRPCRouteMatch | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, ['method', 'headers']);
  const m = r.object(o['method'], `${path}.method`);
  let method: GwGRPCRouteMatch['method'];
  if (m) {
    r.known(m, `${path}.method`, ['type', 'service', 'method']);
    const type = r.string(m['type'], `${path}.method.type`) ?? 'Exact';
    if (type !== 'Exact' && type !== 'RegularExpression')
      r.fail(`${path}.method.type`, `must be Exact or RegularExpression, got "${type}"`);
    const service = r.string(m['service'], `${path}.method.service`);
    const meth = r.string(m['method'], `${path}.method.method`);
    if (!service && !meth) r.fail(`${path}.method`, 'needs service, method or both');
    for (const [k, s] of [
      ['service', service],
      ['method', meth],
    ] as const) {
      if (s && type === 'RegularExpression') {
        const e = re2Error(s);
        if (e) r.fail(`${path}.method.${k}`, `"${s}" is not a valid RE2 regular expression: ${e}`);
      }
      if (s && type === 'Exact' && /[/\s]/.test(s)) r.fail(`${path}.method.${k}`, `"${s}" must not contain "/" or spaces`);
    }
    method = {
      type: type === 'RegularExpression' ? 'RegularExpression' : 'Exact',
      ...(service ? { service } : {}),
      ...(meth ? { method: meth } : {}),
    };
  }
  return { ...(method ? { method } : {}), headers: readNameMatches(r, o['headers'], `${path}.headers`, true) };
}

export function readGRPCRoute(r: Reader, raw: Raw, ns: string): GwGRPCRoute {
  const { meta, created, spec, parentRefs } = readCommon(r, raw, ns, ['hostnames']);
  const rules = (r.array(spec['rules'], 'spec.rules') ?? [{}]).map((x, i) => {
    const p = `spec.rules[${i}]`;
    const o = r.object(x, p, true) ?? {};
    r.known(o, p, ['name', 'matches', 'filters', 'backendRefs', 'sessionPersistence']);
    const matches = (r.array(o['matches'], `${p}.matches`) ?? [])
      .map((m, j) => readGRPCMatch(r, m, `${p}.matches[${j}]`))
      .filter((m): m is GwGRPCRouteMatch => !!m);
    return {
      matches,
      filters: readFilters(r, o['filters'], `${p}.filters`, meta.namespace, true),
      backendRefs: readBackendRefs(r, o['backendRefs'], `${p}.backendRefs`, meta.namespace),
    };
  });
  return { kind: 'GRPCRoute', meta, created, parentRefs, hostnames: readHostnames(r, spec['hostnames'], 'spec.hostnames'), rules };
}

function readL4Rules(r: Reader, spec: Raw, ns: string): GwL4RouteRule[] {
  const rules = (r.array(spec['rules'], 'spec.rules', true) ?? []).map((x, i) => {
    const o = r.object(x, `spec.rules[${i}]`, true) ?? {};
    r.known(o, `spec.rules[${i}]`, ['name', 'backendRefs']);
    return { backendRefs: readBackendRefs(r, o['backendRefs'], `spec.rules[${i}].backendRefs`, ns) };
  });
  if (spec['rules'] !== undefined && !rules.length) r.fail('spec.rules', 'must list at least one rule');
  return rules;
}

export function readTCPRoute(r: Reader, raw: Raw, ns: string): GwTCPRoute {
  const { meta, created, spec, parentRefs } = readCommon(r, raw, ns, []);
  return { kind: 'TCPRoute', meta, created, parentRefs, hostnames: [], rules: readL4Rules(r, spec, meta.namespace) };
}

export function readTLSRoute(r: Reader, raw: Raw, ns: string): GwTLSRoute {
  const { meta, created, spec, parentRefs } = readCommon(r, raw, ns, ['hostnames']);
  return {
    kind: 'TLSRoute',
    meta,
    created,
    parentRefs,
    hostnames: readHostnames(r, spec['hostnames'], 'spec.hostnames'),
    rules: readL4Rules(r, spec, meta.namespace),
  };
}
