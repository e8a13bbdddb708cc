/**
 * @module watchers/store/status
 * What the store stage emits (`StoreOutput`: the mesh, the PushRequest, the store's status) and
 * how a status is taken from the reducer's state (`statusOf`: fresh copies, so an emitted value
 * never changes when later events are folded). The status is what /debug/configz, /debug/registryz,
 * the store's log notices and dry runs read; nothing downstream reads the reducer's state itself.
 */
import type { ConfigKey, IgnoredObject, MeshConfig, Rejection } from '../../model/config.js';
import type { PushRequest } from '../../model/push.js';
import { duplicateDefinitions, emptyState, ignoredObjects, type DuplicateDefinition, type Entry, type StoreState } from './reduce.js';

export interface StoreStatus {
  /** Every source has delivered its initial state (false only before the first snapshot). */
  readonly synced: boolean;
  readonly generation: number;
  /** Every object in force, before the cross-object checks (`mesh.objects` is after them). Dry runs start from it. */
  readonly objects: ReadonlyMap<ConfigKey, Entry>;
  /** Objects refused by validation (`mesh.rejected` adds the cross-object refusals). */
  readonly rejected: ReadonlyMap<ConfigKey, Rejection>;
  /** Sources (files) that could not be read, with the reason; their last good objects stay. */
  readonly sourceErrors: ReadonlyMap<string, string>;
  /** Keys defined by several origins: which definition is in force. */
  readonly duplicates: readonly DuplicateDefinition[];
  /** Documents of kinds tspilot does not read. */
  readonly ignored: readonly IgnoredObject[];
}

/** One emission of the store stage. Immutable: later events never change a value already emitted. */
export interface StoreOutput {
  readonly mesh: MeshConfig;
  /** What changed since the previous emission (its `mesh` is this `mesh`). */
  readonly change: PushRequest;
  readonly status: StoreStatus;
}

/** The logger the stage writes to (a pino Logger fits; tests pass a recorder). */
export interface StoreLog {
  warn(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

/** A status of `st` made of copies (O(objects) per snapshot, as building the mesh is). */
export function statusOf(st: StoreState): StoreStatus {
  return {
    synced: st.synced,
    generation: st.generation,
    objects: new Map(st.objects),
    rejected: new Map(st.rejected),
    sourceErrors: new Map(st.sourceErrors),
    duplicates: duplicateDefinitions(st),
    ignored: ignoredObjects(st),
  };
}

/**
 * A private, mutable store state to apply a "what if" to (dry runs): the objects in force and the
 * rejections of `status`. It holds one definition per key (the one in force), which is all an
 * upsert or a rejection needs; the served state is never touched.
 */
export function stateFromStatus(status: StoreStatus): StoreState {
  const st = emptyState();
  for (const [k, e] of status.objects) {
    st.objects.set(k, e);
    st.definitions.set(k, new Map([[e.origin.source, e.object]]));
  }
  for (const [k, r] of status.rejected) st.rejected.set(k, r);
  for (const [k, r] of status.sourceErrors) st.sourceErrors.set(k, r);
  st.synced = status.synced;
  st.generation = status.generation;
  return st;
}
