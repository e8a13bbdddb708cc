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
import { EntriesMap } from '../../model/readonly-map.js';

const GONE = Symbol('gone');

export class LayeredMap<K, V> extends EntriesMap<K, V> {
  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    private readonly own: Map<K, V | typeof GONE>,
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
    if (from.own.size <= Math.max(32, from.base.size >> 3)) return new LayeredMap(from.base, new Map(from.own), from.n);
    return new LayeredMap(new Map(from), new Map(), from.n);
  }

  get size(): number {
    return this.n;
  }

  get(k: K): V | undefined {
    const v = this.own.get(k);
    if (v === GONE) return undefined;
    return v !== undefined || this.own.has(k) ? (v as V) : this.base.get(k);
  }

  has(k: K): boolean {
    const v = this.own.get(k);
    if (v === GONE) return false;
    return v !== undefined || this.own.has(k) || this.base.has(k);
  }

  set(k: K, v: V): this {
    if (!this.has(k)) this.n++;
    this.own.set(k, v);
    return this;
  }

  delete(k: K): boolean {
    if (!this.has(k)) return false;
    this.n--;
    if (this.base.has(k)) this.own.set(k, GONE);
    else this.own.delete(k);
    return true;
  }

  override *entries(): MapIterator<[K, V]> {
    for (const [k, v] of this.base) if (!this.own.has(k)) yield [k, v];
    for (const [k, v] of this.own) if (v !== GONE) yield [k, v];
  }
}
