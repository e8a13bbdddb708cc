/**
 * @module watchers/validate/virtualservice
 * Validates a VirtualService (networking.istio.io, any version) into the model: schema (unknown
 * fields, types) and meaning (hosts, weights summing to 100, a destination host on every route,
 * RE2 regexes, durations, retry counts). Cross-object checks (subsets defined by a
 * DestinationRule) happen in the store, which sees both kinds.
 */
import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, VirtualService } from '../../model/istio.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { readDuration, readExportTo, readHeaders, readMatchMap, readStringMatch, validHost } from './common-istio.js';
import {
  readCors,
  readDirectResponse,
  readPlainDestination,
  readRedirect,
  readRewrite,
  readTcpRoutes,
  readTlsRoutes,
} from './virtualservice-extra.js';

const SPEC_FIELDS = ['hosts', 'gateways', 'http', 'tls', 'tcp', 'exportTo'];
const ROUTE_FIELDS = [
  'name',
  'match',
  'route',
  'redirect',
  'directResponse',
  'delegate',
  'rewrite',
  'timeout',
  'retries',
  'fault',
  'mirror',
  'mirrors',
  'mirrorPercentage',
  'mirrorPercent',
  'mirror_percent',
  'corsPolicy',
  'headers',
];
const MATCH_FIELDS = [
  'name',
  'uri',
  'scheme',
  'method',
  'authority',
  'headers',
  'port',
  'sourceLabels',
  'gateways',
  'queryParams',
  'ignoreUriCase',
  'withoutHeaders',
  'sourceNamespace',
  'statPrefix',
];

function readMatch(r: Reader, v: unknown, path: string): HTTPMatchRequest | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, MATCH_FIELDS);
  const m: Record<string, unknown> = {};
  const name = r.string(o['name'], `${path}.name`);
  if (name) m['name'] = name;
  for (const k of ['uri', 'scheme', 'method', 'authority'] as const) {
    const s = readStringMatch(r, o[k], `${path}.${k}`);
    if (s) m[k] = s;
  }
  for (const k of ['headers', 'withoutHeaders'] as const) {
    const s = readMatchMap(r, o[k], `${path}.${k}`, true);
    if (s) m[k] = s;
  }
  const q = readMatchMap(r, o['queryParams'], `${path}.queryParams`, false);
  if (q) m['queryParams'] = q;
  const port = r.int(o['port'], `${path}.port`, { min: 1, max: 65535 });
  if (port !== undefined) m['port'] = port;
  const sl = r.stringMap(o['sourceLabels'], `${path}.sourceLabels`);
  if (sl) m['sourceLabels'] = sl;
  const gw = r.stringList(o['gateways'], `${path}.gateways`);
  if (gw) m['gateways'] = gw;
  const ic = r.bool(o['ignoreUriCase'], `${path}.ignoreUriCase`);
  if (ic !== undefined) m['ignoreUriCase'] = ic;
  return m as HTTPMatchRequest;
}

function readDestination(r: Reader, v: unknown, path: string): HTTPRouteDestination | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, ['destination', 'weight', 'headers']);
  const d = r.object(o['destination'], `${path}.destination`, true);
  if (!d) return undefined;
  r.known(d, `${path}.destination`, ['host', 'subset', 'port']);
  const host = r.string(d['host'], `${path}.destination.host`, true);
  if (host === undefined) return undefined;
  if (!validHost(host) || host.includes('*'))
    r.fail(`${path}.destination.host`, `"${host}" is not a valid destination host (no wildcards)`);
  const subset = r.string(d['subset'], `${path}.destination.subset`);
  const po = r.object(d['port'], `${path}.destination.port`);
  const portNumber = po ? r.int(po['number'], `${path}.destination.port.number`, { min: 1, max: 65535 }) : undefined;
  const weight = r.int(o['weight'], `${path}.weight`, { min: 0, max: 100 });
  const headers = readHeaders(r, o['headers'], `${path}.headers`);
  return {
    destination: { host, ...(subset ? { subset } : {}), ...(portNumber !== undefined ? { port: { number: portNumber } } : {}) },
    ...(weight !== undefined ? { weight } : {}),
    ...(headers ? { headers } : {}),
  };
}

function readRoute(r: Reader, v: unknown, path: string): HTTPRoute | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, ROUTE_FIELDS);
  const out: Record<string, unknown> = {};
  const name = r.string(o['name'], `${path}.name`);
  if (name) out['name'] = name;
  const matches = (r.array(o['match'], `${path}.match`) ?? [])
    .map((m, i) => readMatch(r, m, `${path}.match[${i}]`))
    .filter((m): m is HTTPMatchRequest => !!m);
  if (matches.length) out['match'] = matches;
  const dests = (r.array(o['route'], `${path}.route`) ?? [])
    .map((d, i) => readDestination(r, d, `${path}.route[${i}]`))
    .filter((d): d is HTTPRouteDestination => !!d);
  if (dests.length) out['route'] = dests;
  const hasAction = dests.length > 0 || o['redirect'] !== undefined || o['directResponse'] !== undefined || o['delegate'] !== undefined;
  if (!hasAction) r.fail(`${path}.route`, 'a route needs a destination (route), a redirect or a directResponse');
  if (dests.length > 1) {
    const sum = dests.reduce((s, d) => s + (d.weight ?? 0), 0);
    if (sum !== 100)
      r.fail(`${path}.route`, `destination weights must add up to 100, got ${sum} (${dests.map((d) => d.weight ?? 0).join(' + ')})`);
  }
  const timeout = readDuration(r, o['timeout'], `${path}.timeout`);
  if (timeout) out['timeout'] = timeout;
  const retries = r.object(o['retries'], `${path}.retries`);
  if (retries) {
    r.known(retries, `${path}.retries`, [
      'attempts',
      'perTryTimeout',
      'retryOn',
      'retryRemoteLocalities',
      'retryIgnorePreviousHosts',
      'backoff',
    ]);
    const attempts = r.int(retries['attempts'], `${path}.retries.attempts`, { min: 0 });
    const perTryTimeout = readDuration(r, retries['perTryTimeout'], `${path}.retries.perTryTimeout`);
    const retryOn = r.string(retries['retryOn'], `${path}.retries.retryOn`);
    const backoff = readDuration(r, retries['backoff'], `${path}.retries.backoff`);
    out['retries'] = {
      ...(attempts !== undefined ? { attempts } : {}),
      ...(perTryTimeout ? { perTryTimeout } : {}),
      ...(retryOn ? { retryOn } : {}),
      ...(backoff ? { backoff } : {}),
    };
  }
  const fault = r.object(o['fault'], `${path}.fault`);
  if (fault) out['fault'] = readFault(r, fault, `${path}.fault`);
  const rewrite = r.object(o['rewrite'], `${path}.rewrite`);
  if (rewrite) out['rewrite'] = readRewrite(r, rewrite, `${path}.rewrite`);
  const redirect = r.object(o['redirect'], `${path}.redirect`);
  if (redirect) out['redirect'] = readRedirect(r, redirect, `${path}.redirect`);
  const direct = r.object(o['directResponse'], `${path}.directResponse`);
  if (direct) {
    const d = readDirectResponse(r, direct, `${path}.directResponse`);
    if (d) out['directResponse'] = d;
  }
  const actions = [dests.length > 0, !!redirect, !!direct].filter(Boolean).length;
  if (actions > 1) r.fail(path, 'set only one of route, redirect, directResponse');
  if (o['mirror'] !== undefined) {
    const m = readPlainDestination(r, o['mirror'], `${path}.mirror`);
    if (m) out['mirror'] = m;
  }
  const mp = percentage(r, o['mirrorPercentage'], `${path}.mirrorPercentage`);
  if (mp) out['mirrorPercentage'] = mp;
  const cors = r.object(o['corsPolicy'], `${path}.corsPolicy`);
  if (cors) out['corsPolicy'] = readCors(r, cors, `${path}.corsPolicy`);
  const headers = readHeaders(r, o['headers'], `${path}.headers`);
  if (headers) out['headers'] = headers;
  return out as unknown as HTTPRoute;
}

function percentage(r: Reader, v: unknown, path: string): { value: number } | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  const value = r.number(o['value'], `${path}.value`, { min: 0, max: 100 });
  return value === undefined ? undefined : { value };
}

function readFault(r: Reader, o: Raw, path: string): HTTPRoute['fault'] {
  r.known(o, path, ['delay', 'abort']);
  const out: Record<string, unknown> = {};
  const delay = r.object(o['delay'], `${path}.delay`);
  if (delay) {
    r.known(delay, `${path}.delay`, ['fixedDelay', 'percentage', 'percent', 'exponentialDelay']);
    const fixedDelay = readDuration(r, delay['fixedDelay'], `${path}.delay.fixedDelay`);
    if (!fixedDelay) r.fail(`${path}.delay.fixedDelay`, 'is required');
    const p = percentage(r, delay['percentage'], `${path}.delay.percentage`);
    // `percent` is the deprecated integer form; istiod still honours it when percentage is unset.
    const pct = r.int(delay['percent'], `${path}.delay.percent`, { min: 0, max: 100 });
    out['delay'] = { fixedDelay, ...(p ? { percentage: p } : {}), ...(pct !== undefined ? { percent: pct } : {}) };
  }
  const abort = r.object(o['abort'], `${path}.abort`);
  if (abort) {
    r.known(abort, `${path}.abort`, ['httpStatus', 'grpcStatus', 'http2Error', 'percentage']);
    const httpStatus = r.int(abort['httpStatus'], `${path}.abort.httpStatus`, { min: 200, max: 599 });
    const grpcStatus = r.string(abort['grpcStatus'], `${path}.abort.grpcStatus`);
    if (httpStatus === undefined && !grpcStatus) r.fail(`${path}.abort`, 'needs httpStatus or grpcStatus');
    const p = percentage(r, abort['percentage'], `${path}.abort.percentage`);
    out['abort'] = {
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(grpcStatus ? { grpcStatus } : {}),
      ...(p ? { percentage: p } : {}),
    };
  }
  if (!delay && !abort) r.fail(path, 'needs delay or abort');
  return out as HTTPRoute['fault'];
}

export function readVirtualService(r: Reader, raw: Raw, ns: string): VirtualService {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', SPEC_FIELDS);
  const hosts = r.stringList(spec['hosts'], 'spec.hosts') ?? [];
  if (!hosts.length) r.fail('spec.hosts', 'must list at least one host');
  hosts.forEach((h, i) => {
    if (!validHost(h)) r.fail(`spec.hosts[${i}]`, `"${h}" is not a valid host`);
  });
  const gateways = r.stringList(spec['gateways'], 'spec.gateways');
  if (!gateways || gateways.includes('mesh')) {
    hosts.forEach((h, i) => {
      if (h === '*')
        r.fail(`spec.hosts[${i}]`, 'the wildcard host "*" is only allowed for VirtualServices bound to gateways (not to the mesh)');
    });
  }
  const http = (r.array(spec['http'], 'spec.http') ?? [])
    .map((h, i) => readRoute(r, h, `spec.http[${i}]`))
    .filter((h): h is HTTPRoute => !!h);
  const exportTo = readExportTo(r, spec['exportTo'], 'spec.exportTo');
  const tcp = readTcpRoutes(r, spec['tcp'], 'spec.tcp');
  const tls = readTlsRoutes(r, spec['tls'], 'spec.tls');
  if (!http.length && !tcp.length && !tls.length && spec['http'] === undefined) r.fail('spec', 'needs http, tcp or tls routes');
  return {
    kind: 'VirtualService',
    meta,
    spec: {
      hosts,
      ...(gateways ? { gateways } : {}),
      http,
      ...(tcp.length ? { tcp } : {}),
      ...(tls.length ? { tls } : {}),
      ...(exportTo ? { exportTo } : {}),
    },
  };
}
