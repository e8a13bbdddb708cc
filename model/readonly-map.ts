/**
 * @module model/readonly-map
 * The part of `ReadonlyMap` that every read-only view derives from its entries — keys, values,
 * iteration and forEach — so a view over other maps (the store's overlay of the previous objects,
 * the cache's layered maps, a class's composed resource sets) writes only size, get, has and
 * entries, and overrides the rest only where it has a faster way. `BaseAndLayer` is the shape three
 * of them share (the store's status snapshots, the mesh's objects after an edit, a part's maps): a
 * base map never written again plus a layer of the entries replaced, added or deleted (GONE) since.
 * Pure.
 */
export abstract class EntriesMap<K, V> implements ReadonlyMap<K, V> {
  abstract readonly size: number;
  abstract get(key: K): V | undefined;
  abstract has(key: K): boolean;
  abstract entries(): MapIterator<[K, V]>;

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(f: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) f.call(thisArg, v, k, this);
  }
}

/** A layer's mark for a key deleted from the base. */
export const GONE: unique symbol = Symbol('gone');

/** A base map and a layer over it (see the module comment); the subclass says how they are made. */
export abstract class BaseAndLayer<K, V> extends EntriesMap<K, V> {
  protected abstract readonly base: ReadonlyMap<K, V>;
  protected abstract readonly layer: ReadonlyMap<K, V | typeof GONE>;

  get(k: K): V | undefined {
    const v = this.layer.get(k);
    if (v === GONE) return undefined;
    return v !== undefined || this.layer.has(k) ? (v as V) : this.base.get(k);
  }

  has(k: K): boolean {
    const v = this.layer.get(k);
    if (v === GONE) return false;
    return v !== undefined || this.layer.has(k) || this.base.has(k);
  }

  /** The base's order with the layer's replacements in place, then the keys the layer adds. */
  override *entries(): MapIterator<[K, V]> {
    for (const [k, v] of this.base) {
      if (!this.layer.has(k)) yield [k, v];
      else {
        const c = this.layer.get(k)!;
        if (c !== GONE) yield [k, c];
      }
    }
    for (const [k, v] of this.layer) if (v !== GONE && !this.base.has(k)) yield [k, v];
  }
}
