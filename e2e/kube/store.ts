// Contract: the fake API server's storage, modelled on etcd + the apiserver watch cache.
// - One global, strictly increasing revision (`currentRV`); every write takes the next one and it is
//   written to metadata.resourceVersion as a decimal string. Objects are keyed per (group, resource)
//   by `<namespace>/<name>` (cluster-scoped: `<name>`) and iterate in key (byte) order like etcd.
// - Each write appends an event {type, rv, key, object, prev} to the resource's log; DELETED carries
//   the last state with resourceVersion = the deletion revision. The log is bounded (`historyWindow`
//   events per resource) and can be `compact`ed; `floor` is the newest forgotten revision: history
//   strictly after it is complete, so a watch/list-at-RV for X is servable iff X >= floor.
// - `snapshotAt(rv)` rebuilds the state at an older revision by undoing logged events (MVCC-like),
//   which backs consistent chunked lists (continue tokens) and resourceVersionMatch=Exact.
// - create/update/delete throw ApiStatusError (AlreadyExists, Conflict, NotFound, and 422 Invalid
//   from validate.ts for the kinds tspilot writes) like the server;
//   an update that changes nothing is a no-op (no new revision, no event), as in GuaranteedUpdate.
//   generation starts at 1 and is bumped when anything outside metadata/status changes.
// - For a resource with the status subresource (registry.ts hasStatusSubresource), `update` (and
//   `patch`, which goes through it) keeps the stored .status whatever the body says, and
//   `updateStatus` changes .status alone — as the real server does for spec and /status writes.
// - Subscribers are called synchronously after each write, in revision order.
// Stored objects never carry apiVersion/kind (added per requested version on the way out) and are
// never mutated after being stored; all returned objects are copies.
import { randomUUID } from 'node:crypto';
import { hasStatusSubresource, type ResourceDef } from './registry.js';
import { ApiStatusError, alreadyExists, badRequest, conflict, notFound, notFoundPath } from './status.js';
import { validateWrite } from './validate.js';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [k: string]: unknown;
}
export type StoredObject = KubeObject & { metadata: ObjectMeta & { name: string; resourceVersion: string } };

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface StoreEvent {
  type: EventType;
  rv: number;
  key: string;
  object: StoredObject;
  /** State before this event (undefined for ADDED). */
  prev?: StoredObject;
}

export interface StoreOptions {
  /** Events kept per resource before the oldest are forgotten (watch-cache window). Default 1000. */
  historyWindow?: number;
  /** Revision the store starts at (nothing older is servable). Default 100. */
  initialResourceVersion?: number;
  /** Clock for creationTimestamp. */
  now?: () => Date;
}

interface ResourceState {
  def: ResourceDef;
  objects: Map<string, StoredObject>;
  log: StoreEvent[];
  floor: number;
  subscribers: Set<(ev: StoreEvent) => void>;
  /** The keys of `objects` in byte order, kept until a key is added or removed (etcd's keys are ordered). */
  order?: string[];
}

export const objectKey = (namespace: string | undefined, name: string): string => (namespace ? `${namespace}/${name}` : name);
export const grKey = (def: { group: string; resource: string }): string => `${def.group}/${def.resource}`;
const clone = <T>(v: T): T => structuredClone(v);
const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete base[k];
    else base[k] = mergePatch(base[k], v);
  }
  return base;
}

function specOf(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

/** `base` with the `.status` of `from` instead of its own (none if `from` has none). */
function withStatus(base: KubeObject, from: KubeObject): KubeObject {
  const { status: _drop, ...rest } = base;
  const status = (from as { status?: unknown }).status;
  return (status === undefined ? rest : { ...rest, status }) as KubeObject;
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class Store {
  private rv: number;
  private readonly resources = new Map<string, ResourceState>();
  private readonly window: number;
  private readonly now: () => Date;

  constructor(defs: readonly ResourceDef[], opts: StoreOptions = {}) {
    this.rv = opts.initialResourceVersion ?? 100;
    this.window = Math.max(1, opts.historyWindow ?? 1000);
    this.now = opts.now ?? (() => new Date());
    for (const def of defs) {
      this.resources.set(grKey(def), { def, objects: new Map(), log: [], floor: this.rv, subscribers: new Set() });
    }
  }

  get currentRV(): number {
    return this.rv;
  }

  /** Starts storing a newly served resource (no history before now). */
  register(def: ResourceDef): void {
    if (this.resources.has(grKey(def))) throw new Error(`resource ${grKey(def)} is already registered`);
    this.resources.set(grKey(def), { def, objects: new Map(), log: [], floor: this.rv, subscribers: new Set() });
  }

  private st(def: ResourceDef): ResourceState {
    const s = this.resources.get(grKey(def));
    if (!s) throw new Error(`resource ${grKey(def)} is not registered`);
    return s;
  }

  /** Newest forgotten revision of this resource's history: watches/lists at X need X >= floor. */
  floor(def: ResourceDef): number {
    return this.st(def).floor;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): StoredObject | undefined {
    const o = this.st(def).objects.get(objectKey(def.namespaced ? namespace : undefined, name));
    return o === undefined ? undefined : clone(o);
  }

  /**
   * The current keys in byte order. Sorted once and kept while only values change: a paged list of
   * 10,000 Pods asked for this on each of its 20 pages, and re-sorting every time made the stand-in
   * take ~1.5 s to list them (the real server's watch cache keeps its keys ordered).
   */
  private order(s: ResourceState): string[] {
    s.order ??= [...s.objects.keys()].sort(byKey);
    return s.order;
  }

  /** Current objects in key order (not copied: callers must not mutate). */
  current(def: ResourceDef): StoredObject[] {
    const s = this.st(def);
    return this.order(s).map((k) => s.objects.get(k) as StoredObject);
  }

  /** State at revision `rv` in key order, or undefined when history before `rv` was forgotten. */
  snapshotAt(def: ResourceDef, rv: number): Array<[string, StoredObject]> | undefined {
    const s = this.st(def);
    if (rv < s.floor) return undefined;
    const undone = new Map<string, StoredObject | undefined>();
    let keysDiffer = false;
    for (let i = s.log.length - 1; i >= 0 && s.log[i].rv > rv; i--) {
      const ev = s.log[i];
      undone.set(ev.key, ev.type === 'ADDED' ? undefined : ev.prev);
      if (ev.type !== 'MODIFIED') keysDiffer = true;
    }
    if (undone.size === 0) return this.order(s).map((k) => [k, s.objects.get(k) as StoredObject]);
    const m = new Map(s.objects);
    for (const [k, o] of undone) {
      if (o === undefined) m.delete(k);
      else m.set(k, o);
    }
    // Only MODIFIED events since rv: the same keys as now, in the order already known.
    const keys = keysDiffer ? [...m.keys()].sort(byKey) : this.order(s);
    return keys.map((k) => [k, m.get(k) as StoredObject]);
  }

  /** Events with revision > rv, or undefined when rv < floor (history compacted). */
  eventsSince(def: ResourceDef, rv: number): StoreEvent[] | undefined {
    const s = this.st(def);
    if (rv < s.floor) return undefined;
    return s.log.filter((e) => e.rv > rv);
  }

  subscribe(def: ResourceDef, fn: (ev: StoreEvent) => void): () => void {
    const subs = this.st(def).subscribers;
    subs.add(fn);
    return () => {
      subs.delete(fn);
    };
  }

  /** Forget history at or below `rv` (default: everything so far) for every resource, like etcd compaction. */
  compact(rv = this.rv): void {
    for (const s of this.resources.values()) {
      s.log = s.log.filter((e) => e.rv > rv);
      s.floor = Math.max(s.floor, Math.min(rv, this.rv));
    }
  }

  private append(s: ResourceState, ev: StoreEvent): void {
    s.log.push(ev);
    while (s.log.length > this.window) s.floor = Math.max(s.floor, (s.log.shift() as StoreEvent).rv);
    for (const fn of [...s.subscribers]) {
      try {
        fn(ev);
      } catch {
        /* a broken watcher must not fail the write */
      }
    }
  }

  private normalize(def: ResourceDef, input: KubeObject): KubeObject & { metadata: ObjectMeta } {
    const { apiVersion: _a, kind: _k, ...rest } = clone(input);
    const metadata: ObjectMeta = { ...(rest.metadata ?? {}) };
    if (def.namespaced) metadata.namespace = metadata.namespace || 'default';
    else delete metadata.namespace;
    return { ...rest, metadata };
  }

  create(def: ResourceDef, input: KubeObject): StoredObject {
    const s = this.st(def);
    const obj = this.normalize(def, input);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + Math.random().toString(36).slice(2, 7);
    if (!meta.name) throw new ApiStatusError(badRequest('name or generateName is required'));
    validateWrite(def, obj);
    const key = objectKey(meta.namespace, meta.name);
    if (s.objects.has(key)) throw new ApiStatusError(alreadyExists(def, meta.name));
    const rv = ++this.rv;
    meta.uid = randomUUID();
    meta.resourceVersion = String(rv);
    meta.generation = 1;
    meta.creationTimestamp = rfc3339(this.now());
    const stored = obj as StoredObject;
    s.objects.set(key, stored);
    s.order = undefined;
    this.append(s, { type: 'ADDED', rv, key, object: stored });
    return clone(stored);
  }

  /**
   * Replaces an object (PUT semantics). A non-empty metadata.resourceVersion is a precondition
   * (409 Conflict when stale); an empty one is an unconditional update.
   */
  update(def: ResourceDef, input: KubeObject, part: 'object' | 'status' = 'object'): StoredObject {
    const s = this.st(def);
    const body = this.normalize(def, input);
    const name = body.metadata.name ?? '';
    const key = objectKey(body.metadata.namespace, name);
    const old = s.objects.get(key);
    if (!old) throw new ApiStatusError(notFound(def, name));
    const obj: KubeObject & { metadata: ObjectMeta } = !hasStatusSubresource(def)
      ? body
      : part === 'status'
        ? { ...withStatus(old, body), metadata: { ...old.metadata, resourceVersion: body.metadata.resourceVersion } }
        : { ...withStatus(body, old), metadata: body.metadata };
    const meta = obj.metadata;
    if (meta.resourceVersion && meta.resourceVersion !== old.metadata.resourceVersion) {
      throw new ApiStatusError(conflict(def, name));
    }
    validateWrite(def, obj, old);
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.generation = old.metadata.generation;
    meta.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(obj, old)) return clone(old);
    if (!deepEqual(specOf(obj), specOf(old))) meta.generation = (old.metadata.generation ?? 0) + 1;
    const rv = ++this.rv;
    meta.resourceVersion = String(rv);
    const stored = obj as StoredObject;
    s.objects.set(key, stored);
    this.append(s, { type: 'MODIFIED', rv, key, object: stored, prev: old });
    return clone(stored);
  }

  /** Writes `.status` alone (the `/status` subresource); `input` names the object and may carry a resourceVersion precondition. */
  updateStatus(def: ResourceDef, input: KubeObject): StoredObject {
    if (!hasStatusSubresource(def)) throw new ApiStatusError(notFoundPath());
    return this.update(def, input, 'status');
  }

  /** Applies an RFC 7386 merge patch to the current object and stores the result. */
  patch(def: ResourceDef, namespace: string | undefined, name: string, patch: unknown): StoredObject {
    const old = this.st(def).objects.get(objectKey(def.namespaced ? namespace || 'default' : undefined, name));
    if (!old) throw new ApiStatusError(notFound(def, name));
    const next = mergePatch(old, patch) as KubeObject;
    next.metadata = { ...(next.metadata ?? {}), name, resourceVersion: old.metadata.resourceVersion };
    if (def.namespaced) next.metadata.namespace = old.metadata.namespace;
    return this.update(def, next);
  }

  /** Deletes immediately (no finalizers / graceful deletion); returns the final state. */
  delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    precondition?: { uid?: string; resourceVersion?: string },
  ): StoredObject {
    const s = this.st(def);
    const key = objectKey(def.namespaced ? namespace || 'default' : undefined, name);
    const old = s.objects.get(key);
    if (!old) throw new ApiStatusError(notFound(def, name));
    if (
      (precondition?.uid && precondition.uid !== old.metadata.uid) ||
      (precondition?.resourceVersion && precondition.resourceVersion !== old.metadata.resourceVersion)
    ) {
      throw new ApiStatusError(conflict(def, name));
    }
    const rv = ++this.rv;
    s.objects.delete(key);
    s.order = undefined;
    const gone = clone(old);
    gone.metadata.resourceVersion = String(rv);
    this.append(s, { type: 'DELETED', rv, key, object: gone, prev: old });
    return clone(gone);
  }
}
