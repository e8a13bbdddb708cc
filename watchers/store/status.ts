/**
 * @module watchers/store/status
 * What the store stage emits (`StoreOutput`: the mesh, the PushRequest, the store's status) and
 * how a status is taken from the reducer's state (`statusOf`: immutable snapshots, so an emitted
 * value never changes when later events are folded — taken in time proportional to the keys
 * settled since the previous status, frozen-map.ts, not to the store). The status is what /debug/configz, /debug/registryz,
 * the store's log notices and dry runs read; nothing downstream reads the reducer's state itself.
 */
import type { ConfigKey, IgnoredObject, MeshConfig, Rejection } from '../../model/config.js';
import type { PushRequest } from '../../model/push.js';
import { emptyState, ignoredObjects, type DuplicateDefinition, type Entry, type StoreState } from './reduce.js';
import { FrozenMap } from './frozen-map.js';

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

/** What the previous status of a state shares with the next one. */
interface Taken {
  readonly objects: FrozenMap<ConfigKey, Entry>;
  /** Keys defined by several origins. */
  readonly duplicateKeys: Set<ConfigKey>;
  readonly duplicates: readonly DuplicateDefinition[];
}

/** Per reducer state, its last status's shareable parts (held weakly: a dry run's copy lives no longer than it is used). */
const taken = new WeakMap<StoreState, Taken>();

const byKey = (a: DuplicateDefinition, b: DuplicateDefinition): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The duplicate of `key` in `st` (several origins define it), or undefined. */
function duplicateOf(st: StoreState, key: ConfigKey): DuplicateDefinition | undefined {
  const defs = st.definitions.get(key);
  if (!defs || defs.size < 2) return undefined;
  const sources = [...defs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { key, winner: sources[0]!, ignored: sources.slice(1) };
}

/**
 * A status of `st`: its objects an immutable snapshot (frozen-map.ts) and its duplicates a list,
 * each made from the previous status of `st` and the keys settled since (`st.settled`, which this
 * takes), so a push that changed one object pays for one object, not for every object in the store
 * (issue 18). The first status of a state copies it whole. Small maps (rejections, source errors)
 * are copied.
 */
export function statusOf(st: StoreState): StoreStatus {
  const prev = taken.get(st);
  const settled = st.settled;
  st.settled = new Set();
  let now: Taken;
  if (!prev) {
    const duplicateKeys = new Set<ConfigKey>();
    for (const [k, defs] of st.definitions) if (defs.size > 1) duplicateKeys.add(k);
    now = { objects: FrozenMap.of(st.objects), duplicateKeys, duplicates: duplicatesOf(st, duplicateKeys) };
  } else {
    let duplicateKeys = prev.duplicateKeys;
    let touched = false;
    for (const k of settled) {
      const dup = (st.definitions.get(k)?.size ?? 0) > 1;
      if (!dup && !duplicateKeys.has(k)) continue;
      // A duplicate came, went or changed (its origins): the list is made again from the (few) duplicate keys.
      if (!touched) duplicateKeys = new Set(duplicateKeys);
      touched = true;
      if (dup) duplicateKeys.add(k);
      else duplicateKeys.delete(k);
    }
    now = {
      objects: settled.size ? FrozenMap.next(prev.objects, st.objects, settled) : prev.objects,
      duplicateKeys,
      duplicates: touched ? duplicatesOf(st, duplicateKeys) : prev.duplicates,
    };
  }
  taken.set(st, now);
  return {
    synced: st.synced,
    generation: st.generation,
    objects: now.objects,
    rejected: new Map(st.rejected),
    sourceErrors: new Map(st.sourceErrors),
    duplicates: now.duplicates,
    ignored: ignoredObjects(st),
  };
}

/** The duplicates of `keys` in `st`, sorted by key (reduce.ts `duplicateDefinitions` for just those keys). */
function duplicatesOf(st: StoreState, keys: ReadonlySet<ConfigKey>): readonly DuplicateDefinition[] {
  const out: DuplicateDefinition[] = [];
  for (const k of keys) {
    const d = duplicateOf(st, k);
    if (d) out.push(d);
  }
  return out.sort(byKey);
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
