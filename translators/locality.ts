/**
 * @module translators/locality
 * Locality-aware load balancing as istiod applies it to a ClusterLoadAssignment
 * (pilot/pkg/networking/core/loadbalancer): for a DestinationRule's `localityLbSetting` (else the
 * mesh default, enabled), relative to the calling proxy's locality —
 * - `distribute`: the first entry whose `from` matches the proxy sets each locality's
 *   load_balancing_weight from its `to` weights (shared by the localities one wildcard matches, in
 *   proportion to their endpoint weights, rounded up); localities no `to` matches get no traffic
 *   (istiod empties them; tspilot leaves them out: same for Envoy and gRPC, and MOSN replaces its
 *   host set per locality group, so an empty group would erase the others);
 * - with outlier detection only (otherwise nothing would ever fail over): `failoverPriority`
 *   splits each locality into priorities by how many of the listed labels (in order) an endpoint
 *   shares with the proxy (`label=value` compares with that value instead of the proxy's);
 *   `failover` (or no setting) ranks localities 0 same subzone, 1 same zone, 2 same region,
 *   3 other region, 4 a region the `failover` entry for the proxy's region does not name;
 *   both combine as priority·5 + rank, and priorities are renumbered to be contiguous;
 * - `enabled: false`: none of this.
 * The proxy's locality comes from its labels (model/locality.ts proxyLocality), which
 * model/resolve-proxy.ts sets from the registry, the node's metadata and, failing both, the xDS
 * node's `locality` (istiod's setTopologyLabels). Deviation kept from the registry: a locality string without `/` is a zone (what
 * EndpointSlices carry); an endpoint without a region counts as in the proxy's region.
 */
import type { LocalityLbSetting } from '../model/istio.js';
import { localityLabels, proxyLocality, type Locality } from '../model/locality.js';

/** A rule locality (`region[/zone[/subzone]]`, `*` wildcards) split the way istiod matches it: the first part is the region. */
function ruleParts(rule: string): [string, string, string] {
  const [r = '', z = '', ...sz] = rule.split('/');
  return [r, z, sz.join('/')];
}

/** istiod's util.LocalityMatch: region must match (or `*`), zone and subzone match when given. */
export function localityMatch(loc: Locality, rule: string): boolean {
  const [r, z, s] = ruleParts(rule);
  return (r === '*' || loc.region === r) && (z === '*' || z === '' || loc.zone === z) && (s === '*' || s === '' || loc.subzone === s);
}

/** One locality group of a ClusterLoadAssignment before rendering: its endpoints with their labels and weights. */
export interface LocalityGroup<E> {
  readonly locality: Locality;
  readonly members: readonly { readonly ep: E; readonly labels: Readonly<Record<string, string>>; readonly weight: number }[];
  readonly weight: number;
  readonly priority: number;
}

/** istiod's LbPriority; an endpoint without a region is taken to be in the proxy's region. */
function lbPriority(proxy: Locality, ep: Locality): number {
  if (proxy.region !== (ep.region || proxy.region)) return 3;
  if (proxy.zone !== ep.zone) return 2;
  return proxy.subzone === ep.subzone ? 0 : 1;
}

function contiguous<E>(groups: LocalityGroup<E>[]): LocalityGroup<E>[] {
  const used = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  return groups.map((g) => ({ ...g, priority: used.indexOf(g.priority) }));
}

function applyDistribute<E>(
  proxy: Locality,
  groups: readonly LocalityGroup<E>[],
  distribute: NonNullable<LocalityLbSetting['distribute']>,
): LocalityGroup<E>[] {
  const rule = distribute.find((d) => localityMatch(proxy, d.from));
  if (!rule) return [...groups];
  const weights = new Map<number, number>();
  const unmatched = new Set(groups.map((_, i) => i));
  // Sorted for determinism (istiod walks a Go map); valid `to` keys do not overlap, so order only
  // matters for rejected input.
  for (const to of Object.keys(rule.to).sort()) {
    const hit = [...unmatched].filter((i) =>
      localityMatch({ ...groups[i]!.locality, region: groups[i]!.locality.region || proxy.region }, to),
    );
    const total = hit.reduce((s, i) => s + groups[i]!.weight, 0);
    for (const i of hit) {
      unmatched.delete(i);
      const w = Math.ceil((groups[i]!.weight * (rule.to[to] ?? 0)) / total);
      if (w > 0) weights.set(i, w);
    }
  }
  return groups.flatMap((g, i) => (unmatched.has(i) ? [] : [{ ...g, weight: weights.get(i) ?? g.weight }]));
}

function applyFailover<E>(
  proxy: Locality,
  groups: readonly LocalityGroup<E>[],
  failover: NonNullable<LocalityLbSetting['failover']>,
): LocalityGroup<E>[] {
  return contiguous(
    groups.map((g) => {
      let rank = lbPriority(proxy, g.locality);
      if (rank === 3) {
        const f = failover.find((x) => x.from === proxy.region);
        if (f && g.locality.region !== f.to) rank = 4;
      }
      return { ...g, priority: g.priority * 5 + rank };
    }),
  );
}

/** Splits `key=value` overrides from plain label names (istiod's priorityLabelOverrides). */
function priorityLabels(list: readonly string[]): { names: string[]; overrides: Map<string, string> } {
  const overrides = new Map<string, string>();
  const names = list.map((l) => {
    const i = l.indexOf('=');
    if (i < 0) return l;
    overrides.set(l.slice(0, i), l.slice(i + 1));
    return l.slice(0, i);
  });
  return { names, overrides };
}

function applyFailoverPriority<E>(
  proxyLabels: Readonly<Record<string, string>>,
  groups: readonly LocalityGroup<E>[],
  list: readonly string[],
): LocalityGroup<E>[] {
  if (!Object.keys(proxyLabels).length || !groups.length) return [...groups];
  const { names, overrides } = priorityLabels(list);
  const out: LocalityGroup<E>[] = [];
  for (const g of groups) {
    const byPrio = new Map<number, LocalityGroup<E>['members'][number][]>();
    for (const m of g.members) {
      const j = names.findIndex((n) => (overrides.get(n) ?? proxyLabels[n]) !== m.labels[n]);
      const p = j < 0 ? 0 : names.length - j;
      byPrio.set(p, [...(byPrio.get(p) ?? []), m]);
    }
    for (const p of [...byPrio.keys()].sort((a, b) => a - b)) {
      const members = byPrio.get(p)!;
      out.push({ locality: g.locality, members, weight: members.reduce((s, m) => s + m.weight, 0), priority: p });
    }
  }
  return contiguous(out);
}

/**
 * istiod's ApplyLocalityLoadBalancer for one proxy. `setting` is the DestinationRule's (undefined:
 * the mesh default, enabled with no rules); `outlierDetection` tells whether failover may apply.
 */
export function applyLocalityLb<E>(
  groups: readonly LocalityGroup<E>[],
  setting: LocalityLbSetting | undefined,
  outlierDetection: boolean,
  proxyLabels: Readonly<Record<string, string>>,
): LocalityGroup<E>[] {
  if (setting?.enabled === false) return [...groups];
  const proxy = proxyLocality(proxyLabels);
  if (setting?.distribute?.length) return applyDistribute(proxy, groups, setting.distribute);
  if (!outlierDetection) return [...groups];
  if (setting?.failoverPriority?.length) {
    // The proxy's labels carry its locality's topology labels, as istiod's AugmentLabels makes them.
    const labels = Object.keys(proxyLabels).length ? { ...proxyLabels, ...localityLabels(proxy) } : proxyLabels;
    const prioritised = applyFailoverPriority(labels, groups, setting.failoverPriority);
    return setting.failover?.length ? applyFailover(proxy, prioritised, setting.failover) : prioritised;
  }
  return applyFailover(proxy, groups, setting?.failover ?? []);
}
