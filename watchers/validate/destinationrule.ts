/**
 * @module watchers/validate/destinationrule
 * Validates a DestinationRule (networking.istio.io, any version): host, subsets (unique DNS-label
 * names, labels), and the traffic policy fields tspilot translates.
 */
import type { DestinationRule, Subset, TrafficPolicy } from '../../model/istio.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { readDuration, readExportTo, validHost } from './common-istio.js';

const LB_SIMPLE = ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'];
const TLS_MODES = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'];

function readPolicy(r: Reader, v: unknown, path: string): TrafficPolicy | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol']);
  const out: Record<string, unknown> = {};
  const lb = r.object(o['loadBalancer'], `${path}.loadBalancer`);
  if (lb) {
    r.known(lb, `${path}.loadBalancer`, ['simple', 'consistentHash', 'localityLbSetting', 'warmupDurationSecs', 'warmup']);
    const simple = r.string(lb['simple'], `${path}.loadBalancer.simple`);
    if (simple !== undefined && !LB_SIMPLE.includes(simple)) r.fail(`${path}.loadBalancer.simple`, `"${simple}" is not one of ${LB_SIMPLE.join(', ')}`);
    const ch = r.object(lb['consistentHash'], `${path}.loadBalancer.consistentHash`);
    if (simple && ch) r.fail(`${path}.loadBalancer`, 'set simple or consistentHash, not both');
    out['loadBalancer'] = { ...(simple ? { simple } : {}), ...(ch ? { consistentHash: ch } : {}) };
  }
  const cp = r.object(o['connectionPool'], `${path}.connectionPool`);
  if (cp) {
    const tcp = r.object(cp['tcp'], `${path}.connectionPool.tcp`);
    if (tcp?.['connectTimeout'] !== undefined) readDuration(r, tcp['connectTimeout'], `${path}.connectionPool.tcp.connectTimeout`);
    out['connectionPool'] = cp;
  }
  const od = r.object(o['outlierDetection'], `${path}.outlierDetection`);
  if (od) {
    for (const d of ['interval', 'baseEjectionTime']) if (od[d] !== undefined) readDuration(r, od[d], `${path}.outlierDetection.${d}`);
    r.int(od['maxEjectionPercent'], `${path}.outlierDetection.maxEjectionPercent`, { min: 0, max: 100 });
    out['outlierDetection'] = od;
  }
  const tls = r.object(o['tls'], `${path}.tls`);
  if (tls) {
    const mode = r.string(tls['mode'], `${path}.tls.mode`);
    if (mode !== undefined && !TLS_MODES.includes(mode)) r.fail(`${path}.tls.mode`, `"${mode}" is not one of ${TLS_MODES.join(', ')}`);
    out['tls'] = tls;
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
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) r.fail(`${path}.name`, `"${name}" is not a valid DNS-1123 label`);
    if (names.has(name)) r.fail(`${path}.name`, `duplicate subset name "${name}"`);
    names.add(name);
    const labels = r.stringMap(o['labels'], `${path}.labels`);
    const tp = readPolicy(r, o['trafficPolicy'], `${path}.trafficPolicy`);
    subsets.push({ name, ...(labels ? { labels } : {}), ...(tp ? { trafficPolicy: tp } : {}) });
  });
  const exportTo = readExportTo(r, spec['exportTo'], 'spec.exportTo');
  return { kind: 'DestinationRule', meta, spec: { host, ...(trafficPolicy ? { trafficPolicy } : {}), subsets, ...(exportTo ? { exportTo } : {}) } };
}
