/**
 * @module translators/generated
 * What a generator returns for one proxy class: per xDS type, the names it can serve (what a
 * wildcard subscription receives) and a lookup by name (what a named subscription receives —
 * proxyless gRPC may ask for aliases that are not in `names()`). Lookups are pure: same mesh and
 * class, same answer.
 */
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration } from '../proto/types.js';

export interface TypeOutput<T> {
  names(): readonly string[];
  get(name: string): T | undefined;
}

export interface Generated {
  readonly clusters: TypeOutput<Cluster>;
  readonly endpoints: TypeOutput<ClusterLoadAssignment>;
  readonly listeners: TypeOutput<Listener>;
  readonly routes: TypeOutput<RouteConfiguration>;
  /** Gateway certificates over SDS (translators/secret.ts); added by `generate`. */
  readonly secrets?: TypeOutput<object>;
  /** The DNS name table, one unnamed resource (translators/nds.ts); added by `generate`. */
  readonly nameTable?: TypeOutput<object>;
}
