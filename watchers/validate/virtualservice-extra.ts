/**
 * @module watchers/validate/virtualservice-extra
 * The parts of a VirtualService beyond plain HTTP routing: TCP and TLS (SNI) routes, and the HTTP
 * route actions mirror/mirrorPercentage, corsPolicy (origins as RE2-checked string matches),
 * directResponse, redirect and rewrite. Each reader records problems with their field paths.
 */
import type {
  CorsPolicy,
  Destination,
  HTTPDirectResponse,
  HTTPRedirect,
  HTTPRewrite,
  L4MatchAttributes,
  RouteDestination,
  TCPRoute,
  TLSRoute,
} from '../../model/istio.js';
import { type Raw, Reader } from './check.js';
import { readDuration, readStringMatch, re2Error, validHost } from './common-istio.js';

export function readPlainDestination(r: Reader, v: unknown, path: string): Destination | undefined {
  const d = r.object(v, path, true);
  if (!d) return undefined;
  r.known(d, path, ['host', 'subset', 'port']);
  const host = r.string(d['host'], `${path}.host`, true);
  if (host === undefined) return undefined;
  if (!validHost(host) || host.includes('*')) r.fail(`${path}.host`, `"${host}" is not a valid destination host (no wildcards)`);
  const subset = r.string(d['subset'], `${path}.subset`);
  const po = r.object(d['port'], `${path}.port`);
  const n = po ? r.int(po['number'], `${path}.port.number`, { min: 1, max: 65535 }) : undefined;
  return { host, ...(subset ? { subset } : {}), ...(n !== undefined ? { port: { number: n } } : {}) };
}

function readL4Dests(r: Reader, v: unknown, path: string): RouteDestination[] {
  const out: RouteDestination[] = [];
  (r.array(v, path, true) ?? []).forEach((d, i) => {
    const o = r.object(d, `${path}[${i}]`, true);
    if (!o) return;
    r.known(o, `${path}[${i}]`, ['destination', 'weight']);
    const destination = readPlainDestination(r, o['destination'], `${path}[${i}].destination`);
    const weight = r.int(o['weight'], `${path}[${i}].weight`, { min: 0, max: 100 });
    if (destination) out.push({ destination, ...(weight !== undefined ? { weight } : {}) });
  });
  if (out.length > 1) {
    const sum = out.reduce((s, d) => s + (d.weight ?? 0), 0);
    if (sum !== 100) r.fail(path, `destination weights must add up to 100, got ${sum}`);
  }
  if (!out.length) r.fail(path, 'needs at least one destination');
  return out;
}

function readL4Match(r: Reader, o: Raw, path: string, tls: boolean): L4MatchAttributes & { sniHosts?: string[] } {
  r.known(o, path, ['destinationSubnets', 'port', 'sourceLabels', 'gateways', 'sourceNamespace', ...(tls ? ['sniHosts'] : [])]);
  const port = r.int(o['port'], `${path}.port`, { min: 1, max: 65535 });
  const destinationSubnets = r.stringList(o['destinationSubnets'], `${path}.destinationSubnets`);
  const sourceLabels = r.stringMap(o['sourceLabels'], `${path}.sourceLabels`);
  const gateways = r.stringList(o['gateways'], `${path}.gateways`);
  const out: L4MatchAttributes & { sniHosts?: string[] } = {
    ...(port !== undefined ? { port } : {}),
    ...(destinationSubnets ? { destinationSubnets } : {}),
    ...(sourceLabels ? { sourceLabels } : {}),
    ...(gateways ? { gateways } : {}),
  };
  if (tls) {
    const sni = r.stringList(o['sniHosts'], `${path}.sniHosts`) ?? [];
    if (!sni.length) r.fail(`${path}.sniHosts`, 'a TLS match needs at least one SNI host');
    sni.forEach((h, i) => {
      if (!validHost(h)) r.fail(`${path}.sniHosts[${i}]`, `"${h}" is not a valid SNI host`);
    });
    out.sniHosts = sni;
  }
  return out;
}

export function readTcpRoutes(r: Reader, v: unknown, path: string): TCPRoute[] {
  const out: TCPRoute[] = [];
  (r.array(v, path) ?? []).forEach((t, i) => {
    const p = `${path}[${i}]`;
    const o = r.object(t, p, true);
    if (!o) return;
    r.known(o, p, ['match', 'route']);
    const match = (r.array(o['match'], `${p}.match`) ?? [])
      .map((m, j) => r.object(m, `${p}.match[${j}]`, true))
      .map((m, j) => (m ? readL4Match(r, m, `${p}.match[${j}]`, false) : {}));
    const route = readL4Dests(r, o['route'], `${p}.route`);
    out.push({ ...(match.length ? { match } : {}), route });
  });
  return out;
}

export function readTlsRoutes(r: Reader, v: unknown, path: string): TLSRoute[] {
  const out: TLSRoute[] = [];
  (r.array(v, path) ?? []).forEach((t, i) => {
    const p = `${path}[${i}]`;
    const o = r.object(t, p, true);
    if (!o) return;
    r.known(o, p, ['match', 'route']);
    const ms = r.array(o['match'], `${p}.match`, true) ?? [];
    const match = ms
      .map((m, j) => r.object(m, `${p}.match[${j}]`, true))
      .map((m, j) => (m ? readL4Match(r, m, `${p}.match[${j}]`, true) : { sniHosts: [] }));
    const route = readL4Dests(r, o['route'], `${p}.route`);
    out.push({ match: match as TLSRoute['match'], route });
  });
  return out;
}

export function readRedirect(r: Reader, o: Raw, path: string): HTTPRedirect {
  r.known(o, path, ['uri', 'authority', 'redirectCode', 'port', 'scheme', 'derivePort']);
  const uri = r.string(o['uri'], `${path}.uri`);
  const authority = r.string(o['authority'], `${path}.authority`);
  const code = r.int(o['redirectCode'], `${path}.redirectCode`);
  if (code !== undefined && ![301, 302, 303, 307, 308].includes(code))
    r.fail(`${path}.redirectCode`, `must be 301, 302, 303, 307 or 308, got ${code}`);
  const port = r.int(o['port'], `${path}.port`, { min: 1, max: 65535 });
  const scheme = r.string(o['scheme'], `${path}.scheme`);
  return {
    ...(uri ? { uri } : {}),
    ...(authority ? { authority } : {}),
    ...(code ? { redirectCode: code } : {}),
    ...(port ? { port } : {}),
    ...(scheme ? { scheme } : {}),
  };
}

export function readRewrite(r: Reader, o: Raw, path: string): HTTPRewrite {
  r.known(o, path, ['uri', 'authority', 'uriRegexRewrite']);
  const uri = r.string(o['uri'], `${path}.uri`);
  const authority = r.string(o['authority'], `${path}.authority`);
  const rr = r.object(o['uriRegexRewrite'], `${path}.uriRegexRewrite`);
  let uriRegexRewrite: HTTPRewrite['uriRegexRewrite'];
  if (rr) {
    const match = r.string(rr['match'], `${path}.uriRegexRewrite.match`, true);
    const rewrite = r.string(rr['rewrite'], `${path}.uriRegexRewrite.rewrite`) ?? '';
    const err = match !== undefined ? re2Error(match) : null;
    if (err) r.fail(`${path}.uriRegexRewrite.match`, `"${match}" is not a valid RE2 regular expression: ${err}`);
    else if (match !== undefined) uriRegexRewrite = { match, rewrite };
    if (uri !== undefined) r.fail(path, 'set uri or uriRegexRewrite, not both');
  }
  return { ...(uri !== undefined ? { uri } : {}), ...(authority ? { authority } : {}), ...(uriRegexRewrite ? { uriRegexRewrite } : {}) };
}

export function readDirectResponse(r: Reader, o: Raw, path: string): HTTPDirectResponse | undefined {
  r.known(o, path, ['status', 'body']);
  const status = r.int(o['status'], `${path}.status`, { min: 200, max: 599, required: true });
  const b = r.object(o['body'], `${path}.body`);
  let body: HTTPDirectResponse['body'];
  if (b) {
    r.known(b, `${path}.body`, ['string', 'bytes']);
    const s = r.string(b['string'], `${path}.body.string`);
    const bytes = r.string(b['bytes'], `${path}.body.bytes`);
    if (s !== undefined && bytes !== undefined) r.fail(`${path}.body`, 'set string or bytes, not both');
    body = s !== undefined ? { string: s } : bytes !== undefined ? { bytes } : undefined;
  }
  return status === undefined ? undefined : { status, ...(body ? { body } : {}) };
}

export function readCors(r: Reader, o: Raw, path: string): CorsPolicy {
  r.known(o, path, [
    'allowOrigins',
    'allowOrigin',
    'allowMethods',
    'allowHeaders',
    'exposeHeaders',
    'maxAge',
    'allowCredentials',
    'unmatchedPreflights',
  ]);
  const allowOrigins = (r.array(o['allowOrigins'], `${path}.allowOrigins`) ?? [])
    .map((m, i) => readStringMatch(r, m, `${path}.allowOrigins[${i}]`))
    .filter((m) => m !== undefined);
  for (const s of r.stringList(o['allowOrigin'], `${path}.allowOrigin`) ?? []) allowOrigins.push({ exact: s });
  const allowMethods = r.stringList(o['allowMethods'], `${path}.allowMethods`);
  const allowHeaders = r.stringList(o['allowHeaders'], `${path}.allowHeaders`);
  const exposeHeaders = r.stringList(o['exposeHeaders'], `${path}.exposeHeaders`);
  const maxAge = readDuration(r, o['maxAge'], `${path}.maxAge`);
  const allowCredentials = r.bool(o['allowCredentials'], `${path}.allowCredentials`);
  return {
    ...(allowOrigins.length ? { allowOrigins } : {}),
    ...(allowMethods ? { allowMethods } : {}),
    ...(allowHeaders ? { allowHeaders } : {}),
    ...(exposeHeaders ? { exposeHeaders } : {}),
    ...(maxAge ? { maxAge } : {}),
    ...(allowCredentials !== undefined ? { allowCredentials } : {}),
  };
}
