/**
 * @module server/cache/layered
 * A map shared copy-on-write between a part (part.ts) and the part carried over from it: a frozen
 * base, shared by every fork, and a layer of the entries set or deleted since. A VirtualService
 * edit rebuilds a few of an outbound part's ~3,000 resources; the new part forks the old one's maps
 * (a copy of the layer only) and replaces those few, instead of copying every entry (issue 18: a
 * change costs what it touches). The layer is folded into a new base once it outgrows an eighth of
 * the base, so lookups stay two probes and a fork costs amortized O(1) per change. A base is never
 * written after it is made; only the map's own layer is.
 */
import { BaseAndLayer, GONE } from '../../model/readonly-map.js';

export class LayeredMap<K, V> extends BaseAndLayer<K, V> {
  private constructor(
    protected readonly base: ReadonlyMap<K, V>,
    protected readonly layer: Map<K, V | typeof GONE>,
    private n: number,
  ) {
    super();
  }

  static empty<K, V>(): LayeredMap<K, V> {
    return new LayeredMap<K, V>(new Map(), new Map(), 0);
  }

  /** A map with `base`'s entries that can be changed without changing it (`base` must never be written again). */
  static over<K, V>(base: ReadonlyMap<K, V>): LayeredMap<K, V> {
    return base instanceof LayeredMap ? LayeredMap.fork(base) : new LayeredMap(base, new Map(), base.size);
  }

  /** A map with `from`'s entries that can be changed without changing `from`. */
  static fork<K, V>(from: LayeredMap<K, V>): LayeredMap<K, V> {
    if (from.layer.size <= Math.max(32, from.base.size >> 3)) return new LayeredMap(from.base, new Map(from.layer), from.n);
    return new LayeredMap(new Map(from), new Map(), from.n);
  }

  get size(): number {
    return this.n;
  }

  set(k: K, v: V): this {
    if (!this.has(k)) this.n++;
    this.layer.set(k, v);
    return this;
  }

  delete(k: K): boolean {
    if (!this.has(k)) return false;
    this.n--;
    if (this.base.has(k)) this.layer.set(k, GONE);
    else this.layer.delete(k);
    return true;
  }

  /** The base's entries not replaced, then the layer's (a replaced entry comes after the base's). */
  override *entries(): MapIterator<[K, V]> {
    for (const [k, v] of this.base) if (!this.layer.has(k)) yield [k, v];
    for (const [k, v] of this.layer) if (v !== GONE) yield [k, v];
  }
}
