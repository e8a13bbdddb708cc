/**
 * @module watchers/validate/destinationrule
 * Validates a DestinationRule (networking.istio.io, any version): host, subsets (unique DNS-label
 * names, labels), and the traffic policy fields tspilot translates (locality LB settings in
 * destinationrule-locality.ts).
 */
import type { DestinationRule, Subset, TrafficPolicy } from '../../model/istio.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { readDuration, readExportTo, validHost } from './common-istio.js';
import { readLocalityLbSetting } from './destinationrule-locality.js';

const LB_SIMPLE = ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'];
const TLS_MODES = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'];

function readConsistentHash(r: Reader, ch: Raw, path: string): void {
  r.known(ch, path, ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName', 'ringHash', 'maglev', 'minimumRingSize']);
  const keys = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'].filter((k) => ch[k] !== undefined);
  if (keys.length !== 1)
    r.fail(
      path,
      `must set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName (got ${keys.join(', ') || 'none'})`,
    );
  r.string(ch['httpHeaderName'], `${path}.httpHeaderName`);
  r.string(ch['httpQueryParameterName'], `${path}.httpQueryParameterName`);
  r.bool(ch['useSourceIp'], `${path}.useSourceIp`);
  const cookie = r.object(ch['httpCookie'], `${path}.httpCookie`);
  if (cookie) {
    r.string(cookie['name'], `${path}.httpCookie.name`, true);
    readDuration(r, cookie['ttl'], `${path}.httpCookie.ttl`);
  }
  if (ch['ringHash'] !== undefined && ch['maglev'] !== undefined) r.fail(path, 'set ringHash or maglev, not both');
  const rh = r.object(ch['ringHash'], `${path}.ringHash`);
  if (rh) r.int(rh['minimumRingSize'], `${path}.ringHash.minimumRingSize`, { min: 1, max: 8388608 });
  r.int(ch['minimumRingSize'], `${path}.minimumRingSize`, { min: 1, max: 8388608 });
  const mg = r.object(ch['maglev'], `${path}.maglev`);
  if (mg) r.int(mg['tableSize'], `${path}.maglev.tableSize`, { min: 1 });
}

export function readPolicy(r: Reader, v: unknown, path: string, portLevel = false): TrafficPolicy | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(
    o,
    path,
    portLevel
      ? ['port', 'loadBalancer', 'connectionPool', 'outlierDetection', 'tls']
      : ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol'],
  );
  const out: Record<string, unknown> = {};
  const lb = r.object(o['loadBalancer'], `${path}.loadBalancer`);
  if (lb) {
    r.known(lb, `${path}.loadBalancer`, ['simple', 'consistentHash', 'localityLbSetting', 'warmupDurationSecs', 'warmup']);
    const simple = r.string(lb['simple'], `${path}.loadBalancer.simple`);
    if (simple !== undefined && !LB_SIMPLE.includes(simple))
      r.fail(`${path}.loadBalancer.simple`, `"${simple}" is not one of ${LB_SIMPLE.join(', ')}`);
    const ch = r.object(lb['consistentHash'], `${path}.loadBalancer.consistentHash`);
    if (simple && ch) r.fail(`${path}.loadBalancer`, 'set simple or consistentHash, not both');
    if (ch) readConsistentHash(r, ch, `${path}.loadBalancer.consistentHash`);
    const loc = readLocalityLbSetting(r, lb['localityLbSetting'], `${path}.loadBalancer.localityLbSetting`);
    out['loadBalancer'] = {
      ...(simple ? { simple } : {}),
      ...(ch ? { consistentHash: ch } : {}),
      ...(loc ? { localityLbSetting: loc } : {}),
    };
  }
  const cp = r.object(o['connectionPool'], `${path}.connectionPool`);
  if (cp) {
    r.known(cp, `${path}.connectionPool`, ['tcp', 'http']);
    const tcp = r.object(cp['tcp'], `${path}.connectionPool.tcp`);
    if (tcp?.['connectTimeout'] !== undefined) readDuration(r, tcp['connectTimeout'], `${path}.connectionPool.tcp.connectTimeout`);
    if (tcp) r.int(tcp['maxConnections'], `${path}.connectionPool.tcp.maxConnections`, { min: 0, max: 4294967295 });
    const http = r.object(cp['http'], `${path}.connectionPool.http`);
    if (http) {
      for (const k of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'maxConcurrentStreams']) {
        r.int(http[k], `${path}.connectionPool.http.${k}`, { min: 0, max: 4294967295 });
      }
      if (http['idleTimeout'] !== undefined) readDuration(r, http['idleTimeout'], `${path}.connectionPool.http.idleTimeout`);
    }
    out['connectionPool'] = cp;
  }
  const od = r.object(o['outlierDetection'], `${path}.outlierDetection`);
  if (od) {
    for (const d of ['interval', 'baseEjectionTime']) if (od[d] !== undefined) readDuration(r, od[d], `${path}.outlierDetection.${d}`);
    r.int(od['maxEjectionPercent'], `${path}.outlierDetection.maxEjectionPercent`, { min: 0, max: 100 });
    r.int(od['minHealthPercent'], `${path}.outlierDetection.minHealthPercent`, { min: 0, max: 100 });
    for (const k of ['consecutive5xxErrors', 'consecutiveGatewayErrors', 'consecutiveErrors'])
      r.int(od[k], `${path}.outlierDetection.${k}`, { min: 0, max: 4294967295 });
    out['outlierDetection'] = od;
  }
  const tls = r.object(o['tls'], `${path}.tls`);
  if (tls) {
    const mode = r.string(tls['mode'], `${path}.tls.mode`);
    if (mode !== undefined && !TLS_MODES.includes(mode)) r.fail(`${path}.tls.mode`, `"${mode}" is not one of ${TLS_MODES.join(', ')}`);
    if ((mode === 'SIMPLE' || mode === 'MUTUAL') && tls['sni'] !== undefined) r.string(tls['sni'], `${path}.tls.sni`);
    out['tls'] = tls;
  }
  if (portLevel) {
    const po = r.object(o['port'], `${path}.port`, true);
    const n = po ? r.int(po['number'], `${path}.port.number`, { min: 1, max: 65535, required: true }) : undefined;
    if (n !== undefined) out['port'] = { number: n };
  } else {
    const pls = (r.array(o['portLevelSettings'], `${path}.portLevelSettings`) ?? [])
      .map((p, i) => readPolicy(r, p, `${path}.portLevelSettings[${i}]`, true))
      .filter((p) => p !== undefined);
    const seen = new Set<number>();
    pls.forEach((p, i) => {
      const n = (p as { port?: { number: number } }).port?.number;
      if (n !== undefined && seen.has(n)) r.fail(`${path}.portLevelSettings[${i}].port.number`, `duplicate port ${n}`);
      if (n !== undefined) seen.add(n);
    });
    if (pls.length) out['portLevelSettings'] = pls;
  }
  return out as TrafficPolicy;
}

export function readDestinationRule(r: Reader, raw: Raw, ns: string): DestinationRule {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', ['host', 'trafficPolicy', 'subsets', 'exportTo', 'workloadSelector']);
  const host = r.string(spec['host'], 'spec.host', true) ?? '';
  if (host && !validHost(host)) r.fail('spec.host', `"${host}" is not a valid host`);
  const trafficPolicy = readPolicy(r, spec['trafficPolicy'], 'spec.trafficPolicy');
  const names = new Set<string>();
  const subsets: Subset[] = [];
  (r.array(spec['subsets'], 'spec.subsets') ?? []).forEach((s, i) => {
    const path = `spec.subsets[${i}]`;
    const o = r.object(s, path, true);
    if (!o) return;
    r.known(o, path, ['name', 'labels', 'trafficPolicy']);
    const name = r.string(o['name'], `${path}.name`, true);
    if (!name) return;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63)
      r.fail(`${path}.name`, `"${name}" is not a valid DNS-1123 label`);
    if (names.has(name)) r.fail(`${path}.name`, `duplicate subset name "${name}"`);
    names.add(name);
    const labels = r.stringMap(o['labels'], `${path}.labels`);
    const tp = readPolicy(r, o['trafficPolicy'], `${path}.trafficPolicy`);
    subsets.push({ name, ...(labels ? { labels } : {}), ...(tp ? { trafficPolicy: tp } : {}) });
  });
  const exportTo = readExportTo(r, spec['exportTo'], 'spec.exportTo');
  return {
    kind: 'DestinationRule',
    meta,
    spec: { host, ...(trafficPolicy ? { trafficPolicy } : {}), subsets, ...(exportTo ? { exportTo } : {}) },
  };
}
