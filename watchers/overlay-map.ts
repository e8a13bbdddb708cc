/**
 * @module watchers/overlay-map
 * An immutable map made of a base map and a few replaced or deleted keys, iterating in the base's
 * order: the MeshConfig's `objects` (every accepted object, in key order) after a VirtualService
 * edit is the previous map with one entry replaced, so the next snapshot shares the base instead
 * of copying thousands of entries (issue 18: a change costs what it touches). A key the base does
 * not have cannot be added in order here: `withChanges` then builds a plain sorted map. The
 * changes are folded into a new base once they grow past an eighth of it, so lookups stay O(1)
 * and each change costs amortized O(1).
 */
import { BaseAndLayer, GONE } from '../model/readonly-map.js';

export class OverlayMap<K, V> extends BaseAndLayer<K, V> {
  private constructor(
    protected readonly base: ReadonlyMap<K, V>,
    protected readonly layer: ReadonlyMap<K, V | typeof GONE>,
    readonly size: number,
  ) {
    super();
  }

  /**
   * `from` with `set` entries replaced or added and `del` keys removed. `order` sorts keys (used
   * only when a key is added, or the changes are folded into a new base).
   */
  static withChanges<K, V>(
    from: ReadonlyMap<K, V>,
    set: ReadonlyMap<K, V>,
    del: Iterable<K>,
    order: (a: K, b: K) => number,
  ): ReadonlyMap<K, V> {
    const base = from instanceof OverlayMap ? (from.base as ReadonlyMap<K, V>) : from;
    const changes = new Map<K, V | typeof GONE>(from instanceof OverlayMap ? from.layer : []);
    let size = from.size;
    let added = false;
    for (const k of del) {
      if (!from.has(k)) continue;
      size--;
      changes.set(k, GONE);
    }
    for (const [k, v] of set) {
      if (!from.has(k)) size++;
      if (!base.has(k)) added = true;
      changes.set(k, v);
    }
    const layered = new OverlayMap<K, V>(base, changes, size);
    if (!added && changes.size <= Math.max(16, base.size >> 3)) return layered;
    const all = [...layered]; // the base's entries with the changes in place, then the added ones
    return new Map(all.sort((a, b) => order(a[0], b[0])));
  }
}
