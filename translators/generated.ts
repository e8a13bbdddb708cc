/**
 * @module translators/generated
 * What a generator returns for one proxy class: per xDS type, the names it can serve (what a
 * wildcard subscription receives) and a lookup by name (what a named subscription receives —
 * proxyless gRPC may ask for aliases that are not in `names()`), and for clusters and endpoints the
 * typed `ClusterKey` of each name. Lookups are pure: same mesh and class, same answer.
 */
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration } from '../proto/types.js';
import type { ClusterKey } from './names.js';
import type { PatchTrace } from './envoyfilter/trace.js';

export interface TypeOutput<T> {
  names(): readonly string[];
  get(name: string): T | undefined;
}

/** Clusters and EDS assignments also say what each name stands for. */
export interface ClusterOutput<T> extends TypeOutput<T> {
  /** The key of a cluster (or EDS) name this output serves; undefined for fixed clusters (`BlackHoleCluster`…), clusters an EnvoyFilter added, and names it doesn't serve. */
  key(name: string): ClusterKey | undefined;
}

/** An EDS output that can build an assignment from a key its caller already holds (a carried name list), without listing clusters. */
export interface KeyedOutput<T> {
  getWithKey(name: string, key: ClusterKey): T | undefined;
}

export interface Generated {
  readonly clusters: ClusterOutput<Cluster>;
  readonly endpoints: ClusterOutput<ClusterLoadAssignment>;
  readonly listeners: TypeOutput<Listener>;
  readonly routes: TypeOutput<RouteConfiguration>;
  /** Gateway certificates over SDS (translators/secret.ts); added by `generate`. */
  readonly secrets?: TypeOutput<object>;
  /** The DNS name table, one unnamed resource (translators/nds.ts); added by `generate`. */
  readonly nameTable?: TypeOutput<object>;
  /** Named TypedExtensionConfigs EnvoyFilter EXTENSION_CONFIG patches define, served over ECDS (translators/envoyfilter). */
  readonly extensionConfigs?: TypeOutput<object>;
  /** The EnvoyFilters applied and the patches skipped as invalid (translators/envoyfilter); absent when none applies. */
  readonly envoyFilters?: {
    readonly filters: readonly string[];
    skips(): readonly { filter: string; patchIndex: number; typeUrl: string; resource: string; reason: string; notApplicable?: true }[];
    /** The resource before and after each patch (explain); undefined when no patch applied to it. */
    trace(typeUrl: string, name: string): PatchTrace | undefined;
  };
}

/** Nothing of a type; it reads nothing, so its (empty) name list carries over any change (translators/deps.ts). */
const NO_DEPS: ReadonlySet<string> = new Set();
const NONE: ClusterOutput<never> & { deps(): ReadonlySet<string>; namesDeps(): ReadonlySet<string> } = {
  names: () => [],
  get: () => undefined,
  key: () => undefined,
  deps: () => NO_DEPS,
  namesDeps: () => NO_DEPS,
};

/** Whether `o` is the output of nothing (a part that has no resources of the type answers no name of it). */
export const isNoOutput = (o: unknown): boolean => o === NONE;

/** An output with nothing of any type (the base a part fills in). */
export const EMPTY_OUTPUT: Generated = { clusters: NONE, endpoints: NONE, listeners: NONE, routes: NONE };

function mergeType<T>(outs: readonly ClusterOutput<T>[]): ClusterOutput<T> {
  const live = outs.filter((o) => o !== NONE);
  if (live.length === 1) return live[0]!;
  let names: string[] | undefined;
  const sets: (Set<string> | undefined)[] = [];
  const has = (i: number, n: string): boolean => (sets[i] ??= new Set(live[i]!.names())).has(n);
  // A name is answered by the part that lists it; a name no part lists (a proxyless gRPC alias) by the first that knows it.
  const owner = (n: string): ClusterOutput<T> | undefined => live.find((_, i) => has(i, n)) ?? live.find((o) => o.get(n) !== undefined);
  return {
    names: () => (names ??= [...new Set(live.flatMap((o) => o.names()))].sort()),
    get: (n) => owner(n)?.get(n),
    key: (n) => owner(n)?.key(n),
  };
}

const asKeyed = <T>(o: TypeOutput<T> | undefined): ClusterOutput<T> =>
  !o ? NONE : 'key' in o ? (o as ClusterOutput<T>) : { names: () => o.names(), get: (n) => o.get(n), key: () => undefined };

/**
 * Several parts of one proxy's output as one (translators/share.ts): per type, the sorted union of
 * the parts' names, each name answered by the first part that has it. The sidecar parts name
 * disjoint resources and each lists its names sorted, so the union is exactly what one generator
 * returning everything sorted by name gives.
 */
export function mergeOutputs(parts: readonly Generated[]): Generated {
  if (parts.length === 1) return parts[0]!;
  const extra = <K extends 'secrets' | 'nameTable' | 'extensionConfigs'>(k: K): TypeOutput<object> | undefined => {
    const has = parts.filter((p) => p[k]);
    return has.length ? mergeType(has.map((p) => asKeyed(p[k]))) : undefined;
  };
  const secrets = extra('secrets');
  const nameTable = extra('nameTable');
  const extensionConfigs = extra('extensionConfigs');
  return {
    clusters: mergeType(parts.map((p) => p.clusters)),
    endpoints: mergeType(parts.map((p) => p.endpoints)),
    listeners: mergeType(parts.map((p) => asKeyed(p.listeners))),
    routes: mergeType(parts.map((p) => asKeyed(p.routes))),
    ...(secrets ? { secrets } : {}),
    ...(nameTable ? { nameTable } : {}),
    ...(extensionConfigs ? { extensionConfigs } : {}),
  };
}
