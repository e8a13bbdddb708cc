/**
 * @module watchers/store
 * Folds ConfigEvents from every source into the store state, with the "last good wins" rule:
 * an object that fails validation leaves its previous valid version in force (and is listed as
 * rejected); a file that no longer parses keeps all its previous objects. `snapshot()` turns the
 * state into the immutable, indexed MeshConfig (see mesh.ts). The reducer mutates only the state
 * object that the RxJS `scan` owns; snapshots never change after they are made.
 */
import type { ConfigEvent, ConfigKey, ConfigKind, ConfigObject, Origin, Rejection } from '../model/config.js';

export interface Entry { readonly object: ConfigObject; readonly origin: Origin }

export interface StoreState {
  readonly objects: Map<ConfigKey, Entry>;
  /** Which keys each origin (file) currently declares, valid or not. */
  readonly byOrigin: Map<string, Set<ConfigKey>>;
  readonly rejected: Map<ConfigKey, Rejection>;
  readonly sourceErrors: Map<string, string>;
  /** Objects that passed the cross-object checks in the last snapshot (for last-good on those). */
  readonly lastSemanticGood: Map<ConfigKey, Entry>;
  synced: boolean;
  generation: number;
  /** Kinds and keys changed since the last snapshot was taken. */
  changedKinds: Set<ConfigKind>;
  changedKeys: Set<ConfigKey>;
}

export function emptyState(): StoreState {
  return {
    objects: new Map(), byOrigin: new Map(), rejected: new Map(), sourceErrors: new Map(), lastSemanticGood: new Map(),
    synced: false, generation: 0, changedKinds: new Set(), changedKeys: new Set(),
  };
}

function kindOfKey(key: ConfigKey): ConfigKind {
  return key.slice(0, key.indexOf('/')) as ConfigKind;
}

function touch(st: StoreState, key: ConfigKey): void {
  st.changedKeys.add(key);
  st.changedKinds.add(kindOfKey(key));
  st.generation++;
}

function sameObject(a: ConfigObject, b: ConfigObject): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function put(st: StoreState, key: ConfigKey, object: ConfigObject, origin: Origin): void {
  const prev = st.objects.get(key);
  st.rejected.delete(key);
  if (prev && prev.origin.source === origin.source && sameObject(prev.object, object)) return;
  st.objects.set(key, { object, origin });
  touch(st, key);
}

function remove(st: StoreState, key: ConfigKey): void {
  st.rejected.delete(key);
  if (st.objects.delete(key)) touch(st, key);
}

/** Applies one event; returns the same (mutated) state, as `scan` expects. */
export function reduce(st: StoreState, ev: ConfigEvent): StoreState {
  switch (ev.type) {
    case 'upsert':
      put(st, ev.key, ev.object, ev.origin);
      break;
    case 'delete':
      remove(st, ev.key);
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
      if (!st.synced) { st.synced = true; st.generation++; }
      break;
    case 'replace': {
      const src = ev.origin.source;
      st.sourceErrors.delete(src);
      const before = st.byOrigin.get(src) ?? new Set<ConfigKey>();
      const now = new Set<ConfigKey>();
      for (const { key, object } of ev.objects) { now.add(key); put(st, key, object, ev.origin); }
      for (const rej of ev.rejections) {
        now.add(rej.key);
        // Last good wins: a previously valid version stays in force, only flagged as rejected.
        st.rejected.set(rej.key, rej);
      }
      for (const key of before) {
        if (now.has(key)) continue;
        const owner = st.objects.get(key)?.origin.source;
        if (owner === undefined || owner === src) remove(st, key);
        else st.rejected.delete(key);
      }
      if (now.size) st.byOrigin.set(src, now); else st.byOrigin.delete(src);
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
