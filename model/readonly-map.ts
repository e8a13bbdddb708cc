/**
 * @module model/readonly-map
 * The part of `ReadonlyMap` that every read-only view derives from its entries — keys, values,
 * iteration and forEach — so a view over other maps (the store's overlay of the previous objects,
 * the cache's layered maps, a class's composed resource sets) writes only size, get, has and
 * entries, and overrides the rest only where it has a faster way. Pure.
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
