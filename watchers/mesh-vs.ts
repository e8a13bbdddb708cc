/**
 * @module watchers/mesh-vs
 * The VirtualService section of the MeshConfig build (mesh.ts): which stored VirtualServices are
 * accepted (a VirtualService naming a subset no DestinationRule defines is rejected, its previous
 * good version kept if that one still checks out), in namespace/name order, and which hosts
 * several of them claim.
 *
 * A change made only of VirtualService edits (`vsOnlyMesh`) updates the previous snapshot in place
 * of rebuilding it: the edited keys are checked and put in order by binary search, the accepted
 * objects map is the previous one with those keys replaced, and every other field — services,
 * endpoints, DestinationRules, Gateway API conversion, policies — is the previous snapshot's own,
 * since none of their inputs changed. So one edit costs what it touches, not a pass over every
 * stored object (issue 18). The hosts several VirtualServices claim (`conflicts`) are counted from
 * host claims kept with the section (`HostClaims`), updated for the hosts the edited keys name
 * before and after. The result equals a full build (checked in server/push/incremental.test.ts and
 * mesh-vs.test.ts, the latter with Gateway API objects present).
 */
import type { ConfigKey, MeshConfig, Rejection, VirtualServiceConflict } from '../model/config.js';
import type { DestinationRule, VirtualService } from '../model/istio.js';
import { resolveShortName } from '../model/hosts.js';
import type { MeshOptions } from './mesh.js';
import type { Entry, StoreState } from './store/reduce.js';
import { OverlayMap } from './overlay-map.js';

type Named = { meta: { namespace: string; name: string } };

export const byKey = (a: Named, b: Named): number =>
  a.meta.namespace.localeCompare(b.meta.namespace) || a.meta.name.localeCompare(b.meta.name);

/** What a build kept of its VirtualServices, for the next build to update. */
export interface VsSection {
  readonly opts: MeshOptions;
  /** The user's DestinationRules by host, as VirtualServices are checked against (before the Gateway API's are merged in). */
  readonly drByHost: ReadonlyMap<string, DestinationRule>;
  /** Accepted user VirtualServices in namespace/name order, with their keys. */
  readonly accepted: readonly { readonly key: ConfigKey; readonly entry: Entry }[];
  /** Stored VirtualServices whose current version fails the cross-object checks. */
  readonly problems: ReadonlyMap<ConfigKey, Rejection>;
  /** VirtualServices converted from Gateway API routes (after the user's own in `virtualServices`). */
  readonly converted: readonly VirtualService[];
  /** Which accepted user VirtualServices claim each host (what `conflicts` is counted from). */
  readonly claims: HostClaims;
}

/** The VirtualService section of each mesh built (weakly: it goes with the mesh). */
export const vsSections = new WeakMap<MeshConfig, VsSection>();

export function subsetProblem(
  vs: VirtualService,
  drs: ReadonlyMap<string, DestinationRule>,
  suffix: string,
): { field: string; reason: string } | null {
  const dests: { path: string; d: { host: string; subset?: string } }[] = [];
  (vs.spec.http ?? []).forEach((h, i) => {
    (h.route ?? []).forEach((d, j) => dests.push({ path: `spec.http[${i}].route[${j}].destination`, d: d.destination }));
    if (h.mirror) dests.push({ path: `spec.http[${i}].mirror`, d: h.mirror });
  });
  for (const k of ['tcp', 'tls'] as const) {
    (vs.spec[k] ?? []).forEach((t, i) =>
      t.route.forEach((d, j) => dests.push({ path: `spec.${k}[${i}].route[${j}].destination`, d: d.destination })),
    );
  }
  for (const { path, d } of dests) {
    const subset = d.subset;
    if (!subset) continue;
    const host = resolveShortName(d.host, vs.meta.namespace, suffix);
    const dr = drs.get(host);
    if (!dr) return { field: `${path}.subset`, reason: `subset "${subset}" of ${host}: no DestinationRule defines subsets for that host` };
    if (!dr.spec.subsets?.some((s) => s.name === subset)) {
      return {
        field: `${path}.subset`,
        reason: `unknown subset "${subset}" of ${host} (DestinationRule ${dr.meta.namespace}/${dr.meta.name} defines ${dr.spec.subsets?.map((s) => s.name).join(', ') || 'none'})`,
      };
    }
  }
  return null;
}

/**
 * The accepted version of a stored VirtualService (`entry`), or its previous good one, and the
 * problem of the stored one (null: none).
 */
export function checkVirtualService(
  key: ConfigKey,
  entry: Entry & { object: VirtualService },
  drs: ReadonlyMap<string, DestinationRule>,
  suffix: string,
  previous: MeshConfig | undefined,
): { accepted: Entry | undefined; problem: Rejection | null } {
  const vs = entry.object;
  const p = subsetProblem(vs, drs, suffix);
  if (!p) return { accepted: entry, problem: null };
  const problem: Rejection = {
    key,
    kind: 'VirtualService',
    namespace: vs.meta.namespace,
    name: vs.meta.name,
    source: entry.origin.source,
    ...p,
  };
  const prev = previous?.objects.get(key);
  const good = prev && prev.object.kind === 'VirtualService' && !subsetProblem(prev.object, drs, suffix) ? prev : undefined;
  return { accepted: good, problem };
}

/**
 * The problems to report: when the newest submitted version already failed validation, that
 * rejection is the one to report; an older stored version is only the candidate for "last good".
 */
export function semanticRejections(problems: ReadonlyMap<ConfigKey, Rejection>, st: StoreState): Rejection[] {
  return [...problems.values()].filter((r) => !st.rejected.has(r.key));
}

export function allRejections(st: StoreState, problems: ReadonlyMap<ConfigKey, Rejection>): Rejection[] {
  return [...st.rejected.values(), ...semanticRejections(problems, st)].sort((a, b) => a.key.localeCompare(b.key));
}

/** `ns/name` keys in namespace/name order (byKey's, on keys). */
function byNsName(a: string, b: string): number {
  const i = a.indexOf('/');
  const j = b.indexOf('/');
  return a.slice(0, i).localeCompare(b.slice(0, j)) || a.slice(i + 1).localeCompare(b.slice(j + 1));
}

/** The hosts a VirtualService claims for sidecars (none when it is bound only to gateways). */
function claimedHosts(vs: VirtualService, suffix: string): ReadonlySet<string> {
  if (vs.spec.gateways && !vs.spec.gateways.includes('mesh')) return new Set();
  return new Set(vs.spec.hosts.map((x) => resolveShortName(x, vs.meta.namespace, suffix)));
}

/**
 * Host → the mesh-bound VirtualServices (`ns/name`, in namespace/name order) claiming it: the
 * previous build's map with a layer of the hosts edits changed, folded into a new map once the
 * layer outgrows an eighth of it — so an edit updates the hosts it names, not every VirtualService.
 */
export class HostClaims {
  private constructor(
    private readonly base: ReadonlyMap<string, readonly string[]>,
    private readonly layer: ReadonlyMap<string, readonly string[]>,
  ) {}

  static of(vss: readonly VirtualService[], suffix: string): HostClaims {
    const byHost = new Map<string, string[]>();
    for (const vs of vss) {
      for (const h of claimedHosts(vs, suffix)) {
        const l = byHost.get(h);
        if (l) l.push(`${vs.meta.namespace}/${vs.meta.name}`);
        else byHost.set(h, [`${vs.meta.namespace}/${vs.meta.name}`]);
      }
    }
    return new HostClaims(byHost, new Map());
  }

  get(host: string): readonly string[] {
    return (this.layer.has(host) ? this.layer.get(host) : this.base.get(host)) ?? [];
  }

  /** These claims with `changes` (host → its new claimants) applied. */
  with(changes: ReadonlyMap<string, readonly string[]>): HostClaims {
    const layer = new Map([...this.layer, ...changes]);
    if (layer.size <= Math.max(16, this.base.size >> 3)) return new HostClaims(this.base, layer);
    const base = new Map(this.base);
    for (const [h, l] of layer) {
      if (l.length) base.set(h, l);
      else base.delete(h);
    }
    return new HostClaims(base, new Map());
  }

  /** Every host with its claimants (for a full count). */
  *entries(): IterableIterator<[string, readonly string[]]> {
    for (const [h, l] of this.base) if (!this.layer.has(h)) yield [h, l];
    for (const [h, l] of this.layer) if (l.length) yield [h, l];
  }
}

const conflictOf = (host: string, v: readonly string[]): VirtualServiceConflict => ({ host, winner: v[0]!, ignored: v.slice(1) });
const byHost = (a: VirtualServiceConflict, b: VirtualServiceConflict): number => a.host.localeCompare(b.host);

/**
 * Hosts claimed by more than one mesh-bound VirtualService. A sidecar takes the first VirtualService
 * (by namespace/name) for a host, as istiod does; the others are reported, not silently dropped.
 */
export function vsConflicts(vss: readonly VirtualService[], suffix: string): VirtualServiceConflict[] {
  return conflictsOf(HostClaims.of(vss, suffix));
}

/** The conflicts of the claims (see vsConflicts). */
export function conflictsOf(claims: HostClaims): VirtualServiceConflict[] {
  return [...claims.entries()]
    .filter(([, v]) => v.length > 1)
    .map(([host, v]) => conflictOf(host, v))
    .sort(byHost);
}

/**
 * The conflicts after VirtualService edits: `prev` (the previous build's) with the hosts the edits
 * named before or after (`changes`, host → its claimants now) counted again.
 */
function updatedConflicts(
  prev: readonly VirtualServiceConflict[],
  changes: ReadonlyMap<string, readonly string[]>,
): readonly VirtualServiceConflict[] {
  if (!changes.size) return prev;
  const out = prev.filter((c) => !changes.has(c.host));
  let added = false;
  for (const [host, v] of changes) {
    if (v.length < 2) continue;
    out.push(conflictOf(host, v));
    added = true;
  }
  return added ? out.sort(byHost) : out.length === prev.length ? prev : out;
}

/** Where `key` (VirtualService/ns/name) is, or belongs, in `list` (namespace/name order). */
function position(list: readonly { readonly entry: Entry }[], ns: string, name: string): number {
  let lo = 0;
  let hi = list.length;
  const probe: Named = { meta: { namespace: ns, name } };
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byKey(list[mid]!.entry.object as Named, probe) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const byConfigKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `previous` updated for a change of only the VirtualServices `keys`, or undefined when it cannot be
 * (no section kept for it, other options, a key of another kind): then the caller builds in full.
 */
export function vsOnlyMesh(
  st: StoreState,
  opts: MeshOptions,
  previous: MeshConfig,
  keys: ReadonlySet<ConfigKey>,
): { mesh: MeshConfig; accepted: Map<ConfigKey, Entry>; section: VsSection } | undefined {
  const sec = vsSections.get(previous);
  if (!sec || sec.opts !== opts) return undefined;
  const list = sec.accepted.slice();
  const problems = new Map(sec.problems);
  const set = new Map<ConfigKey, Entry>();
  const del: ConfigKey[] = [];
  /** Hosts whose claimants the edits changed → their claimants now. */
  const claimed = new Map<string, string[]>();
  const claimants = (h: string): string[] => {
    let l = claimed.get(h);
    if (!l) claimed.set(h, (l = [...sec.claims.get(h)]));
    return l;
  };
  for (const key of keys) {
    const parts = key.split('/');
    if (parts.length !== 3 || parts[0] !== 'VirtualService') return undefined;
    const [, ns, name] = parts as [string, string, string];
    const id = `${ns}/${name}`;
    const at = position(list, ns, name);
    if (list[at]?.key === key) {
      for (const h of claimedHosts(list[at]!.entry.object as VirtualService, opts.domainSuffix)) {
        const l = claimants(h);
        l.splice(l.indexOf(id), 1);
      }
      list.splice(at, 1);
    }
    problems.delete(key);
    const e = st.objects.get(key);
    let accepted: Entry | undefined;
    if (e) {
      if (e.object.kind !== 'VirtualService') return undefined;
      const r = checkVirtualService(key, e as Entry & { object: VirtualService }, sec.drByHost, opts.domainSuffix, previous);
      accepted = r.accepted;
      if (r.problem) problems.set(key, r.problem);
    }
    if (accepted) {
      list.splice(position(list, ns, name), 0, { key, entry: accepted });
      set.set(key, accepted);
      for (const h of claimedHosts(accepted.object as VirtualService, opts.domainSuffix)) {
        const l = claimants(h);
        const i = l.findIndex((x) => byNsName(x, id) > 0);
        l.splice(i < 0 ? l.length : i, 0, id);
      }
    } else del.push(key);
  }
  // The previous objects with these keys replaced: shared, not copied (overlay-map.ts).
  const objects = OverlayMap.withChanges(previous.objects, set, del, byConfigKey);
  const user = list.map((x) => x.entry.object as VirtualService);
  const section: VsSection = { ...sec, accepted: list, problems, claims: sec.claims.with(claimed) };
  const p = previous;
  const mesh: MeshConfig = {
    generation: st.generation,
    domainSuffix: p.domainSuffix,
    services: p.services,
    serviceByHost: p.serviceByHost,
    endpoints: p.endpoints,
    pods: p.pods,
    virtualServices: sec.converted.length ? [...user, ...sec.converted] : user,
    destinationRules: p.destinationRules,
    destinationRuleByHost: p.destinationRuleByHost,
    objects,
    rejected: allRejections(st, problems),
    settings: p.settings,
    serviceEntries: p.serviceEntries,
    workloadEntries: p.workloadEntries,
    sidecars: p.sidecars,
    gateways: p.gateways,
    conflicts: updatedConflicts(p.conflicts, claimed),
    secrets: p.secrets,
    envoyFilters: p.envoyFilters ?? [],
    ...(p.gatewayApiStatus ? { gatewayApiStatus: p.gatewayApiStatus } : {}),
    peerAuthentications: p.peerAuthentications,
    policyNotices: p.policyNotices,
    authorizationPolicies: p.authorizationPolicies,
    requestAuthentications: p.requestAuthentications,
    ...(p.notices ? { notices: p.notices } : {}),
    ...(p.telemetries ? { telemetries: p.telemetries } : {}),
  };
  return { mesh, accepted: new Map(list.map((x) => [x.key, x.entry])), section };
}
