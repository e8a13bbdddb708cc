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
