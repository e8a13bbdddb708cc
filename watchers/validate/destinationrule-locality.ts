/**
 * @module watchers/validate/destinationrule-locality
 * Validates a DestinationRule's `loadBalancer.localityLbSetting` with istiod's rules
 * (validateLocalityLbSetting): distribute and failover not both; each distribute `to` weight in
 * 1..100 and summing to 100; localities `region[/zone[/subzone]]` with no empty part, at most one
 * `*` and only at the end, and no two of one list overlapping (`us-east` covers `us-east/a`);
 * failover `from`/`to` are different regions without `/` or `*`; failoverPriority entries are
 * label names or `label=value`, and no topology label when failover is set too. istiod only warns
 * when failover has no outlier detection beside it (the setting is then inert); tspilot accepts it
 * the same way and the translator ignores it.
 */
import type { LocalityLbSetting } from '../../model/istio.js';
import type { Reader } from './check.js';

const TOPOLOGY_LABELS = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'];

/** The first problem with a list of localities, as istiod's validateLocalities reports it. */
function localitiesProblem(list: readonly string[]): string | undefined {
  const seen: string[][] = [];
  for (const loc of list) {
    const stars = loc.split('*').length - 1;
    if (stars > 1 || (stars === 1 && !loc.endsWith('*'))) return `locality "${loc}": a wildcard '*' may appear once, at the end`;
    const parts = loc.split('/');
    if (parts.length > 3 || parts.some((p) => p === '')) return `locality "${loc}" must be region[/zone[/subzone]] with no empty part`;
    const prefix = parts[parts.length - 1] === '*' ? parts.slice(0, -1) : parts;
    const other = seen.find(
      (s) => s.every((p, i) => i >= prefix.length || p === prefix[i]) || prefix.every((p, i) => i >= s.length || p === s[i]),
    );
    if (other) return `locality "${loc}" overlaps "${other.join('/') || '*'}"`;
    seen.push(prefix);
  }
  return undefined;
}

export function readLocalityLbSetting(r: Reader, v: unknown, path: string): LocalityLbSetting | undefined {
  const loc = r.object(v, path);
  if (!loc) return undefined;
  r.known(loc, path, ['enabled', 'distribute', 'failover', 'failoverPriority']);
  const enabled = r.bool(loc['enabled'], `${path}.enabled`);
  const rawDist = r.array(loc['distribute'], `${path}.distribute`);
  const rawFail = r.array(loc['failover'], `${path}.failover`);
  // Stricter than istiod (which lets an empty list pass): naming both fields is a mistake either way.
  if (rawDist && rawFail) r.fail(path, 'set distribute or failover, not both');

  const distribute: { from: string; to: Record<string, number> }[] = [];
  (rawDist ?? []).forEach((d, i) => {
    const p = `${path}.distribute[${i}]`;
    const o = r.object(d, p, true);
    if (!o) return;
    r.known(o, p, ['from', 'to']);
    const from = r.string(o['from'], `${p}.from`, true);
    const to = r.object(o['to'], `${p}.to`, true);
    if (from === undefined || !to) return;
    const weights: Record<string, number> = {};
    for (const k of Object.keys(to).sort()) {
      const w = r.int(to[k], `${p}.to["${k}"]`, { min: 1, max: 100 });
      if (w !== undefined) weights[k] = w;
    }
    const total = Object.values(weights).reduce((s, w) => s + w, 0);
    if (Object.keys(weights).length === Object.keys(to).length && total !== 100)
      r.fail(`${p}.to`, `weights must add up to 100, got ${total}`);
    const problem = localitiesProblem(Object.keys(to).sort());
    if (problem) r.fail(`${p}.to`, problem);
    distribute.push({ from, to: weights });
  });
  const froms = distribute.map((d) => d.from);
  const bad = froms.findIndex((_, i) => localitiesProblem(froms.slice(0, i + 1)) !== undefined);
  if (bad >= 0) r.fail(`${path}.distribute[${bad}].from`, localitiesProblem(froms.slice(0, bad + 1))!);

  const failover: { from: string; to: string }[] = [];
  (rawFail ?? []).forEach((f, i) => {
    const p = `${path}.failover[${i}]`;
    const o = r.object(f, p, true);
    if (!o) return;
    r.known(o, p, ['from', 'to']);
    const from = r.string(o['from'], `${p}.from`, true);
    const to = r.string(o['to'], `${p}.to`, true);
    if (from === undefined || to === undefined) return;
    if (from === to) r.fail(p, `from and to must be different regions (both "${from}")`);
    for (const [k, x] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (x.includes('/')) r.fail(`${p}.${k}`, `"${x}": failover names a region only (no '/')`);
      if (x.includes('*')) r.fail(`${p}.${k}`, `"${x}": a failover region must not contain '*'`);
    }
    failover.push({ from, to });
  });

  const failoverPriority: string[] = [];
  (r.array(loc['failoverPriority'], `${path}.failoverPriority`) ?? []).forEach((x, i) => {
    const p = `${path}.failoverPriority[${i}]`;
    const s = r.string(x, p, true);
    if (s === undefined) return;
    const name = s.split('=')[0] ?? '';
    if (!name || s.split('=').length > 2) r.fail(p, `"${s}" must be a label name or label=value`);
    else if (failover.length && TOPOLOGY_LABELS.includes(name))
      r.fail(p, `"${name}": a topology label cannot be used together with failover`);
    failoverPriority.push(s);
  });
  return {
    ...(enabled !== undefined ? { enabled } : {}),
    ...(distribute.length ? { distribute } : {}),
    ...(failover.length ? { failover } : {}),
    ...(failoverPriority.length ? { failoverPriority } : {}),
  };
}
