/**
 * @module server/cache/api
 * What the xDS engine and the push runner need from the cache, as interfaces (go-control-plane's
 * `ConfigWatcher` / `Cache`), so server/xds/ depends on these and not on the concrete
 * SnapshotCache (snapshot.ts implements them; tests may substitute their own).
 * - `ResourceSnapshot`: one proxy class's encoded output for the current mesh, as the SotW and
 *   Delta state machines read it.
 * - `ConfigWatcher`: the engine's side — a stream leases its proxy's class while it lives.
 * - `MeshCache`: the push runner's side — it also replaces the mesh (rotation, with carry-over).
 */
import type { ClusterKey } from '../../model/cluster-key.js';
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import type { EncodedResource } from '../../proto/encode.js';
import type { XdsType } from '../../proto/typeurls.js';

/** Everything a wildcard subscription to a type receives, sorted by name, with its version. */
export interface WildcardSet {
  readonly resources: EncodedResource[];
  readonly version: string;
  readonly map: ReadonlyMap<string, EncodedResource>;
}

export interface ResourceSnapshot {
  /** The proxy class this snapshot serves. */
  readonly classKey: string;
  /** Set when the class has no config to offer yet (its translation failed, nothing good before): send nothing. */
  readonly unavailable: Error | null;
  /** Names a wildcard subscription to `t` receives. */
  names(t: XdsType): readonly string[];
  /** The encoded resource, or undefined when it does not exist (or failed to encode). */
  get(t: XdsType, name: string): EncodedResource | undefined;
  /** What a cluster or EDS resource stands for, as the translators made it (undefined for other types and fixed names). */
  clusterKey(t: XdsType, name: string): ClusterKey | undefined;
  /** The names of type `t` whose cluster key satisfies `pred`; optional (a walk of `names` and `clusterKey` answers the same). */
  namesWhere?(t: XdsType, pred: (key: ClusterKey | undefined) => boolean): readonly string[];
  /** The names of type `t` whose cluster key's host is one of `hosts`, in list order; optional (namesWhere answers the same). */
  namesOfHosts?(t: XdsType, hosts: ReadonlySet<string>): readonly string[];
  /**
   * An object that stands for every answer of `get(t, ·)`: equal for snapshots (of any class) that
   * answer every name of `t` alike, so per-class memos can be shared by classes with equal output.
   * Optional (the snapshot itself is always a valid, unshared key).
   */
  contentKey?(t: XdsType): object;
  /** See WildcardSet: computed once per class and shared by its streams. */
  wildcardSet(t: XdsType): WildcardSet;
  /** A name → resource map shared by the class's streams for this type and version, built by `make` on first use. Immutable. */
  sharedSet(t: XdsType, version: string, make: () => ReadonlyMap<string, EncodedResource>): ReadonlyMap<string, EncodedResource>;
}

/** A stream's hold on its proxy's class: pins it while the stream lives. */
export interface ClassLease {
  readonly proxy: Proxy;
  /** The class snapshot for the current mesh (computed on first use per mesh). */
  snapshot(): ResourceSnapshot;
  /** The stream is gone: the class may be evicted once idle. Idempotent. */
  release(): void;
}

/** The engine's view of the cache. */
export interface ConfigWatcher {
  /** The mesh the snapshots are computed from (the engine resolves a node's pod in it). */
  readonly mesh: MeshConfig;
  acquire(proxy: Proxy): ClassLease;
}

/**
 * Which resources of the previous mesh's snapshots are known to be unchanged in the new one (`key`:
 * the previous snapshot's ClusterKey for cluster and EDS names; `deps`: what the resource read when
 * it was translated, translators/deps.ts). `names`, when set: whether a type's whole name list
 * (which read `deps`) is unchanged too, so the new snapshot lists it without building the output.
 * `whole`, when set (a change whose every effect is keyed by dependencies): whether a part whose
 * resources and name lists read only `deps` (their union) is unchanged as a whole — the cache then
 * keeps the part itself, without translating it or visiting its resources. `changed`, when set:
 * the dependency keys the change invalidates, and a promise that the carry-over is exactly "what
 * read none of them (translators/deps.ts touchedBy) and recorded what it read", for resources and
 * name lists alike — so a part can find what to rebuild through an index of what its resources
 * read (part.ts) instead of asking each one.
 */
export type CarryOver = ((t: XdsType, name: string, key: ClusterKey | undefined, deps?: ReadonlySet<string>) => boolean) & {
  readonly names?: (t: XdsType, deps: ReadonlySet<string> | undefined) => boolean;
  readonly whole?: (deps: ReadonlySet<string>) => boolean;
  readonly changed?: ReadonlySet<string>;
  readonly endpoints?: EndpointChange;
  /**
   * With `changed`, when the change may move proxies to another class: only those it says
   * (absent: any proxy). A policy edit in one namespace moves none of another's
   * (translators/policy-deps.ts policyReclassify).
   */
  readonly reclassify?: (proxy: Pick<Proxy, 'namespace'>) => boolean;
};

/**
 * Set on the carry-over of an endpoint-only push (server/push/runner.ts planPush), which promises
 * more than the per-resource answers: only the EDS resources whose cluster key is `affected` (and
 * the name table, when `headless`) differ, no resource's name changes, and only the proxies
 * `reclassify` names (their own Pod changed) may be of another class. The cache then keeps every
 * other proxy's class key, and every closed part with no affected resource, without recomputing
 * either — the push costs what it touches, not the mesh.
 */
export interface EndpointChange {
  readonly affected: (key: ClusterKey | undefined) => boolean;
  /** The hosts `affected` selects (a cluster key whose host is one of them): parts look them up in an index instead of asking `affected` of every name. */
  readonly hosts?: ReadonlySet<string>;
  readonly headless: boolean;
  /** Proxies that may change class (absent: none). */
  readonly reclassify?: (proxy: Pick<Proxy, 'namespace' | 'workloadName'>) => boolean;
}

/** The push runner's view of the cache. */
export interface MeshCache extends ConfigWatcher {
  /** A new mesh: every class is recomputed on next use; resources `unchanged` names are carried over instead. */
  setMesh(mesh: MeshConfig, unchanged?: CarryOver): void;
}
