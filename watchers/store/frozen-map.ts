/**
 * @module watchers/store/frozen-map
 * Immutable snapshots of a map that keeps changing (the store's objects, status.ts), each taken in
 * time proportional to the keys changed since the previous one, not to the map: a snapshot is a
 * frozen base shared with the snapshots before it plus a small layer of the entries changed since
 * that base was made (issue 18: the store's status copied all ~13,000 objects on every push).
 *
 * `FrozenMap.next(prev, live, changed)` is the snapshot of `live` given the previous snapshot of
 * the same map and every key whose entry may have changed since (a superset is fine). The layer is
 * copied into each new snapshot, and folded into a fresh base (one copy of `live`) once it outgrows
 * ~√(2·size): per snapshot of one change that is amortized O(√size) map operations instead of
 * O(size), and a lookup stays two probes. Iteration: the base's order, then keys added since.
 * Nothing here is ever written after it is made; `live` is only read.
 */
import { BaseAndLayer, GONE } from '../../model/readonly-map.js';

export class FrozenMap<K, V> extends BaseAndLayer<K, V> {
  private constructor(
    protected readonly base: ReadonlyMap<K, V>,
    protected readonly layer: ReadonlyMap<K, V | typeof GONE>,
    readonly size: number,
  ) {
    super();
  }

  /** A snapshot of `live` (one copy). */
  static of<K, V>(live: ReadonlyMap<K, V>): FrozenMap<K, V> {
    return new FrozenMap<K, V>(new Map(live), new Map(), live.size);
  }

  /**
   * The snapshot of `live` now, from `prev` (a snapshot of the same map) and the keys that may have
   * changed since `prev` was taken.
   */
  static next<K, V>(prev: FrozenMap<K, V>, live: ReadonlyMap<K, V>, changed: Iterable<K>): FrozenMap<K, V> {
    const limit = Math.max(64, Math.ceil(Math.sqrt(2 * live.size)));
    const layer = new Map<K, V | typeof GONE>(prev.layer);
    for (const k of changed) {
      if (layer.size > limit) return FrozenMap.of(live);
      const v = live.get(k);
      if (v !== undefined || live.has(k)) layer.set(k, v as V);
      else if (prev.base.has(k)) layer.set(k, GONE);
      else layer.delete(k);
    }
    if (layer.size > limit) return FrozenMap.of(live);
    return new FrozenMap(prev.base, layer, live.size);
  }
}
