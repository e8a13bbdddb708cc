/**
 * @module watchers/slice-index
 * For endpoint-only store builds (mesh-eps.ts): the stored EndpointSlices by the Service they
 * feed, which Services' slices name each Pod, and the stored Services — so an edit to one slice
 * looks up its Service's slices instead of walking every stored object (12,000 at 1,000 services
 * and 10,000 Pods: ~6 ms per endpoint push).
 *
 * The index belongs to one MeshConfig. A full build makes it by one walk (`indexMesh`: the first
 * endpoint change after a start or a full push used to pay that walk, ~5–30 ms with the code still
 * cold); it is handed from each mesh to the next by applying the changed keys (the store's exact
 * change set) in place, and by a VirtualService-only build as it is (`handOver`: such a build
 * changes no slice and no Service); the mesh it came from loses it, so an older mesh asked again
 * walks afresh rather than reading a newer state. Every change an endpoint-only build sees is to
 * EndpointSlices, Endpoints or Pods (anything else builds in full), so the Services stay as walked.
 * `byPod` also holds the Pods core Endpoints objects name, so a Pod change finds every Service
 * whose endpoints can name it by lookup (with the selectors, for Pods that stand in for slices)
 * instead of walking every endpoint of the mesh.
 */
import type { ConfigKey, ConfigObject, MeshConfig } from '../model/config.js';
import type { Endpoints, EndpointSlice, Service } from '../model/k8s.js';

export interface SliceIndex {
  /** Every indexed slice by key (what `remove` takes out). */
  readonly byKey: Map<ConfigKey, EndpointSlice>;
  /** `namespace/service` → its slices by key. */
  readonly byService: Map<string, Map<ConfigKey, EndpointSlice>>;
  /** `namespace/pod` → the slices and core Endpoints naming it as an endpoint's target, with their `namespace/service`. */
  readonly byPod: Map<string, Map<ConfigKey, string>>;
  /** Every indexed core Endpoints object by key (its Pods are in `byPod`). */
  readonly coreByKey: Map<ConfigKey, Endpoints>;
  /** `namespace/name` → the stored Service. */
  readonly services: ReadonlyMap<string, Service>;
}

const owned = new WeakMap<MeshConfig, SliceIndex>();

const serviceOf = (s: EndpointSlice): string => `${s.meta.namespace}/${s.serviceName}`;

function addPods(ix: SliceIndex, key: ConfigKey, slices: readonly EndpointSlice[], svc: string): void {
  for (const s of slices)
    for (const a of s.endpoints) {
      if (!a.targetPod) continue;
      let p = ix.byPod.get(a.targetPod);
      if (!p) ix.byPod.set(a.targetPod, (p = new Map()));
      p.set(key, svc);
    }
}

function removePods(ix: SliceIndex, key: ConfigKey, slices: readonly EndpointSlice[], svc: string): void {
  for (const s of slices)
    for (const a of s.endpoints) {
      if (!a.targetPod) continue;
      const p = ix.byPod.get(a.targetPod);
      if (p?.get(key) === svc) {
        p.delete(key);
        if (!p.size) ix.byPod.delete(a.targetPod);
      }
    }
}

function add(ix: SliceIndex, key: ConfigKey, o: ConfigObject): void {
  if (o.kind === 'Endpoints') {
    ix.coreByKey.set(key, o);
    addPods(ix, key, o.slices, `${o.meta.namespace}/${o.meta.name}`);
    return;
  }
  if (o.kind !== 'EndpointSlice' || !o.serviceName) return;
  ix.byKey.set(key, o);
  const svc = serviceOf(o);
  let m = ix.byService.get(svc);
  if (!m) ix.byService.set(svc, (m = new Map()));
  m.set(key, o);
  addPods(ix, key, [o], svc);
}

function remove(ix: SliceIndex, key: ConfigKey): void {
  const core = ix.coreByKey.get(key);
  if (core) {
    ix.coreByKey.delete(key);
    removePods(ix, key, core.slices, `${core.meta.namespace}/${core.meta.name}`);
    return;
  }
  const s = ix.byKey.get(key);
  if (!s) return;
  ix.byKey.delete(key);
  const svc = serviceOf(s);
  const m = ix.byService.get(svc);
  if (m) {
    m.delete(key);
    if (!m.size) ix.byService.delete(svc);
  }
  removePods(ix, key, [s], svc);
}

let walks = 0;
/** Walks of the store made so far (tests: which builds pay one). */
export const sliceIndexWalks = (): number => walks;

/** One walk over every stored object. */
function walk(objects: Iterable<readonly [ConfigKey, { readonly object: ConfigObject }]>): SliceIndex {
  walks++;
  const ix: SliceIndex = { byKey: new Map(), byService: new Map(), byPod: new Map(), coreByKey: new Map(), services: new Map() };
  const services = ix.services as Map<string, Service>;
  for (const [key, e] of objects) {
    const o = e.object;
    if (o.kind === 'Service') services.set(`${o.meta.namespace}/${o.meta.name}`, o);
    else add(ix, key, o);
  }
  return ix;
}

/**
 * The index of the store state `objects` now holds, taken from `previous` (whose objects differ
 * from `objects` only at `keys`, all of endpoint kinds) or walked afresh; owned by `next` once
 * `next` is given (adopt).
 */
export function sliceIndexFor(
  previous: MeshConfig,
  objects: ReadonlyMap<ConfigKey, { readonly object: ConfigObject }>,
  keys: ReadonlySet<ConfigKey>,
): SliceIndex {
  const ix = owned.get(previous);
  if (!ix) return walk(objects);
  owned.delete(previous);
  for (const key of keys) {
    if (!key.startsWith('EndpointSlice/') && !key.startsWith('Endpoints/')) continue;
    remove(ix, key);
    const after = objects.get(key)?.object;
    if (after) add(ix, key, after);
  }
  return ix;
}

/** A fully built `mesh` owns the index of the store state it was built from (`objects`). */
export function indexMesh(mesh: MeshConfig, objects: ReadonlyMap<ConfigKey, { readonly object: ConfigObject }>): void {
  owned.set(mesh, walk(objects));
}

/** `next`, built from `previous` by a change to no slice and no Service, takes over its index. */
export function handOver(previous: MeshConfig, next: MeshConfig): void {
  const ix = owned.get(previous);
  if (!ix) return;
  owned.delete(previous);
  owned.set(next, ix);
}

/** `next` owns `ix` from now on (the next endpoint-only build starts from it). */
export function adopt(next: MeshConfig, ix: SliceIndex): void {
  owned.set(next, ix);
}
