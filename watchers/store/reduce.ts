/**
 * @module watchers/store/reduce
 * Folds ConfigEvents from every source into the store state, with the "last good wins" rule:
 * an object that fails validation leaves its previous valid version in force (and is listed as
 * rejected); a file that no longer parses keeps all its previous objects. `buildMesh` (../mesh.ts)
 * turns the state into the immutable, indexed MeshConfig. The reducer mutates only the state
 * object that the store stage's `scan` owns (stage.ts), or a dry run's private copy; nothing
 * outside the stage ever sees it.
 *
 * The same key may be defined by several origins (two files of the folder). Every definition is
 * kept; the one in force is the definition from the origin whose name sorts first (plain string
 * order of the file path), so the winner does not depend on the order files were read in and is
 * the same after a restart; the others are reported by `duplicateDefinitions`. When the winning
 * definition goes away, the next one takes over at once. An `upsert` (the Kubernetes source, a dry
 * run) is the key's only definition, like `kubectl apply`.
 */
import type { ConfigEvent, ConfigKey, ConfigKind, ConfigObject, IgnoredObject, Origin, Rejection } from '../../model/config.js';

export interface Entry {
  readonly object: ConfigObject;
  readonly origin: Origin;
}

export interface StoreState {
  readonly objects: Map<ConfigKey, Entry>;
  /** Which keys each origin (file) currently declares, valid or not. */
  readonly byOrigin: Map<string, Set<ConfigKey>>;
  /** Every current (last good) definition of each key, by origin; `objects` holds the one in force. */
  readonly definitions: Map<ConfigKey, Map<string, ConfigObject>>;
  readonly rejected: Map<ConfigKey, Rejection>;
  readonly sourceErrors: Map<string, string>;
  /** Documents each origin holds that tspilot does not read (unknown kinds, kinds not translated yet). */
  readonly ignored: Map<string, readonly IgnoredObject[]>;
  synced: boolean;
  generation: number;
  /** Kinds and keys changed since the last `takeChanges` (the stage takes them after every event). */
  changedKinds: Set<ConfigKind>;
  changedKeys: Set<ConfigKey>;
  /**
   * Keys whose entry in `objects` or whose set of origins in `definitions` may have changed since
   * the status last took them (status.ts `statusOf`, which then costs what changed, not the store):
   * `touch` adds every key written to `objects`; an origin added or removed adds its key too.
   */
  settled: Set<ConfigKey>;
}

export function emptyState(): StoreState {
  return {
    objects: new Map(),
    byOrigin: new Map(),
    definitions: new Map(),
    rejected: new Map(),
    sourceErrors: new Map(),
    ignored: new Map(),
    synced: false,
    generation: 0,
    changedKinds: new Set(),
    changedKeys: new Set(),
    settled: new Set(),
  };
}

function kindOfKey(key: ConfigKey): ConfigKind {
  return key.slice(0, key.indexOf('/')) as ConfigKind;
}

function touch(st: StoreState, key: ConfigKey): void {
  st.settled.add(key);
  st.changedKeys.add(key);
  st.changedKinds.add(kindOfKey(key));
  st.generation++;
}

function sameObject(a: ConfigObject, b: ConfigObject): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The origin whose definition is in force: the first in plain string order. */
function winnerOf(defs: ReadonlyMap<string, ConfigObject>): string | undefined {
  let best: string | undefined;
  for (const src of defs.keys()) if (best === undefined || src < best) best = src;
  return best;
}

/** Puts the winning definition of `key` in force (or removes the key), marking a change if it differs. */
function settle(st: StoreState, key: ConfigKey): void {
  const defs = st.definitions.get(key);
  const src = defs && winnerOf(defs);
  const prev = st.objects.get(key);
  if (!defs || src === undefined) {
    st.definitions.delete(key);
    if (st.objects.delete(key)) touch(st, key);
    return;
  }
  const object = defs.get(src)!;
  if (prev && prev.origin.source === src && (prev.object === object || sameObject(prev.object, object))) return;
  st.objects.set(key, { object, origin: { source: src } });
  touch(st, key);
}

function define(st: StoreState, key: ConfigKey, object: ConfigObject, source: string): void {
  let defs = st.definitions.get(key);
  if (!defs) st.definitions.set(key, (defs = new Map()));
  if (!defs.has(source)) st.settled.add(key); // a new origin: the key's duplicates may change
  defs.set(source, object);
}

/** Drops the rejection of `key` if `source` reported it (another origin's rejection stays). */
function clearRejection(st: StoreState, key: ConfigKey, source: string): void {
  if (st.rejected.get(key)?.source === source) st.rejected.delete(key);
}

/** Applies one event; returns the same (mutated) state, as `scan` expects. */
export function reduce(st: StoreState, ev: ConfigEvent): StoreState {
  switch (ev.type) {
    case 'upsert':
      st.settled.add(ev.key);
      st.rejected.delete(ev.key);
      st.definitions.set(ev.key, new Map([[ev.origin.source, ev.object]]));
      settle(st, ev.key);
      break;
    case 'delete':
      st.settled.add(ev.key);
      st.rejected.delete(ev.key);
      st.definitions.delete(ev.key);
      settle(st, ev.key);
      break;
    case 'reject':
      st.rejected.set(ev.rejection.key, ev.rejection);
      st.generation++;
      break;
    case 'sourceError':
      st.sourceErrors.set(ev.origin.source, ev.reason);
      st.generation++;
      break;
    case 'synced':
      if (!st.synced) {
        st.synced = true;
        st.generation++;
      }
      break;
    case 'replace': {
      const src = ev.origin.source;
      st.sourceErrors.delete(src);
      const before = st.byOrigin.get(src) ?? new Set<ConfigKey>();
      const now = new Set<ConfigKey>();
      const defined = new Set<ConfigKey>();
      for (const { key, object } of ev.objects) {
        now.add(key);
        defined.add(key);
        clearRejection(st, key, src);
        define(st, key, object, src);
      }
      for (const rej of ev.rejections) {
        now.add(rej.key);
        // Last good wins: this origin's previously valid version stays defined, only flagged as rejected.
        st.rejected.set(rej.key, rej);
      }
      for (const key of before) {
        if (now.has(key)) continue;
        clearRejection(st, key, src);
        st.settled.add(key);
        st.definitions.get(key)?.delete(src);
        settle(st, key);
      }
      for (const key of defined) settle(st, key);
      if (now.size) st.byOrigin.set(src, now);
      else st.byOrigin.delete(src);
      if (ev.ignored?.length) st.ignored.set(src, ev.ignored);
      else st.ignored.delete(src);
      st.generation++;
      break;
    }
  }
  return st;
}

/** Takes (and clears) what changed since the previous call. */
export function takeChanges(st: StoreState): { kinds: Set<ConfigKind>; keys: Set<ConfigKey> } {
  const out = { kinds: st.changedKinds, keys: st.changedKeys };
  st.changedKinds = new Set();
  st.changedKeys = new Set();
  return out;
}

/** A key defined by more than one origin: which definition is in force and which are not. */
export interface DuplicateDefinition {
  readonly key: ConfigKey;
  readonly winner: string;
  readonly ignored: readonly string[];
}

/** Every key defined by several origins, sorted by key (for configz and the log). */
export function duplicateDefinitions(st: StoreState): DuplicateDefinition[] {
  const out: DuplicateDefinition[] = [];
  for (const [key, defs] of st.definitions) {
    if (defs.size < 2) continue;
    const sources = [...defs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    out.push({ key, winner: sources[0]!, ignored: sources.slice(1) });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Every ignored document, by origin then position (for configz). */
export function ignoredObjects(st: StoreState): IgnoredObject[] {
  return [...st.ignored.keys()].sort().flatMap((src) => st.ignored.get(src)!);
}
