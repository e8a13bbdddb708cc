/**
 * @module server/security/lru
 * A size-bounded map with least-recently-used eviction and per-entry expiry — the shape every
 * cache fed by what clients send must have (its size is set by the operator, never by callers).
 */

export class BoundedCache<V> {
  private readonly m = new Map<string, { readonly value: V; readonly until: number }>();

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`cache size must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.m.size;
  }

  /** The value, unless absent or expired (an expired entry is dropped). Marks it recently used. */
  get(key: string): V | undefined {
    const e = this.m.get(key);
    if (!e) return undefined;
    this.m.delete(key);
    if (e.until <= this.now()) return undefined;
    this.m.set(key, e);
    return e.value;
  }

  /** Keeps `value` until `until` (Unix ms), evicting the least recently used entry when full. */
  set(key: string, value: V, until: number): void {
    if (until <= this.now()) return;
    this.m.delete(key);
    while (this.m.size >= this.maxEntries) {
      const oldest = this.m.keys().next().value as string;
      this.m.delete(oldest);
    }
    this.m.set(key, { value, until });
  }
}
