/**
 * @module server/cache/composer
 * A class's wildcard sets composed from its parts by reference (issue 18: per-class cost when every
 * proxy is its own class). A **type set** is one part's resources of one type, sorted by name, with
 * the XOR-fold of their entry hashes (classsnapshot.ts `typeVersion`) and a name → resource map. A
 * class's wildcard set of a type is its parts' type sets merged: the very type set when one part lists
 * the type, else a merge whose version is the XOR of the type sets' folds and whose map is a view over
 * theirs (no per-class copy of name → resource maps).
 *
 * The `Composer` (one per SnapshotCache) interns type sets and part name lists by content and
 * memoizes merges by the identities of what is merged, for the current and the previous mesh
 * (rotated with it, as the Interner): so pods whose parts have equal output share one merged set,
 * and a push that changed nothing a class lists of a type finds that type's set already made — a
 * class is composed in O(parts), not O(resources). Content equality is checked element by element
 * (names and resource identities), never assumed from a hash.
 */
import { EntriesMap } from '../../model/readonly-map.js';
import { createHash } from 'node:crypto';
import type { EncodedResource } from '../../proto/encode.js';
import type { XdsType } from '../../proto/typeurls.js';
import type { WildcardSet } from './api.js';
import { entryHash, foldVersion, typeVersion } from './classsnapshot.js';
import { LayeredMap } from './layered.js';

/** One part's resources of one type (see the module comment). */
export interface TypeSet extends WildcardSet {
  /** Every name the part lists, sorted (including those that failed to encode, which `resources` leaves out). */
  readonly names: readonly string[];
  readonly h1: number;
  readonly h2: number;
}

/** A class's composed set of one type: `names` is the sorted union of its parts' names. */
export interface Composed extends WildcardSet {
  readonly names: readonly string[];
}

function isSorted(a: readonly string[]): boolean {
  for (let i = 1; i < a.length; i++) if (a[i - 1]! > a[i]!) return false;
  return true;
}

/** A type set of `names` (any order) as `get` answers them. */
export function makeTypeSet(names: readonly string[], get: (n: string) => EncodedResource | undefined): TypeSet {
  const sorted = isSorted(names) ? names : [...names].sort();
  const resources: EncodedResource[] = [];
  let h1 = 0,
    h2 = 0;
  for (const n of sorted) {
    const r = get(n);
    if (!r) continue;
    resources.push(r);
    const [a, b] = entryHash(r);
    h1 ^= a;
    h2 ^= b;
  }
  return {
    names: sorted,
    resources,
    h1,
    h2,
    version: foldVersion(h1, h2, resources.length),
    map: new Map(resources.map((r) => [r.name, r])),
  };
}

/** `sorted` (by name) with the resource named `n` at its index, found by binary search (-1: none). */
function indexOfName(sorted: readonly EncodedResource[], n: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.name < n) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo]?.name === n ? lo : -1;
}

/**
 * `prev` with the resources of `changes` (name → its resource now) replaced: its fold updated by
 * XOR, its map a layer over `prev`'s (layered.ts) — O(changes), not O(resources), for a part
 * carried over with a few resources rebuilt (part.ts). Undefined when a resource appeared or went
 * (failed to encode): the caller makes the set in full.
 */
export function patchTypeSet(prev: TypeSet, changes: Iterable<readonly [string, EncodedResource | undefined]>): TypeSet | undefined {
  let resources: EncodedResource[] | undefined;
  let map: LayeredMap<string, EncodedResource> | undefined;
  let h1 = prev.h1,
    h2 = prev.h2;
  for (const [n, r] of changes) {
    const old = prev.map.get(n);
    if (old === r) continue;
    if (!old || !r) return undefined;
    resources ??= prev.resources.slice();
    map ??= LayeredMap.over(prev.map instanceof SortedMap ? prev.map.base : prev.map);
    const i = indexOfName(resources, n);
    if (i < 0) return undefined;
    resources[i] = r;
    map.set(n, r);
    const [a0, b0] = entryHash(old);
    const [a1, b1] = entryHash(r);
    h1 ^= a0 ^ a1;
    h2 ^= b0 ^ b1;
  }
  if (!resources || !map) return prev;
  return { names: prev.names, resources, h1, h2, version: foldVersion(h1, h2, resources.length), map: new SortedMap(map, resources) };
}

/** Name → resource views that iterate in `sorted`'s order (a type set's map: iterated in name order). */
abstract class SortedView extends EntriesMap<string, EncodedResource> {
  constructor(protected readonly sorted: readonly EncodedResource[]) {
    super();
  }
  get size(): number {
    return this.sorted.length;
  }
  override *entries(): MapIterator<[string, EncodedResource]> {
    for (const r of this.sorted) yield [r.name, r];
  }
  override *keys(): MapIterator<string> {
    for (const r of this.sorted) yield r.name;
  }
  override values(): MapIterator<EncodedResource> {
    return this.sorted.values();
  }
  override forEach(cb: (v: EncodedResource, k: string, m: ReadonlyMap<string, EncodedResource>) => void, self?: unknown): void {
    for (const r of this.sorted) cb.call(self, r, r.name, this);
  }
}

/** A name → resource map that iterates in `sorted`'s order (a type set's map: iterated in name order). */
class SortedMap extends SortedView {
  constructor(
    private readonly lookup: ReadonlyMap<string, EncodedResource>,
    sorted: readonly EncodedResource[],
  ) {
    super(sorted);
  }
  /** The lookup map, for a later patch to layer over. */
  get base(): ReadonlyMap<string, EncodedResource> {
    return this.lookup;
  }
  get(n: string): EncodedResource | undefined {
    return this.lookup.get(n);
  }
  has(n: string): boolean {
    return this.lookup.has(n);
  }
}

const sameArray = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Read-only name → resource over several type sets' maps with disjoint names (each name in at most
 * one): what a stream records as sent for a composed set, without a copy.
 */
class ComposedMap extends SortedView {
  constructor(
    private readonly maps: readonly ReadonlyMap<string, EncodedResource>[],
    sorted: readonly EncodedResource[],
  ) {
    super(sorted);
  }
  get(n: string): EncodedResource | undefined {
    for (const m of this.maps) {
      const r = m.get(n);
      if (r) return r;
    }
    return undefined;
  }
  has(n: string): boolean {
    return this.get(n) !== undefined;
  }
}

/** Two generations of a memo (current and previous mesh): a hit in the previous one is promoted. */
class Generations<V> {
  private cur = new Map<string, V>();
  private prev = new Map<string, V>();
  get(k: string): V | undefined {
    const mine = this.cur.get(k);
    if (mine !== undefined) return mine;
    const old = this.prev.get(k);
    if (old !== undefined) this.cur.set(k, old);
    return old;
  }
  set(k: string, v: V): void {
    this.cur.set(k, v);
  }
  rotate(): void {
    this.prev = this.cur;
    this.cur = new Map();
  }
}

let nextId = 1;
/** Identities of interned type sets and name lists (for memo keys); weak, so they go with their objects. */
const ids = new WeakMap<object, number>();
function idOf(o: object): number {
  let i = ids.get(o);
  if (i === undefined) ids.set(o, (i = nextId++));
  return i;
}

/** Interns type sets and name lists, memoizes merges (see the module comment). One per SnapshotCache. */
export class Composer {
  private readonly typeSets = new Generations<TypeSet[]>();
  private readonly lists = new Generations<readonly string[]>();
  private readonly merges = new Generations<Composed>();
  private readonly nameMerges = new Generations<readonly string[]>();
  private readonly sets = new Generations<ReadonlyMap<string, EncodedResource>>();
  /** Name lists already interned (input array → canonical array). */
  private canonical = new WeakMap<readonly string[], readonly string[]>();

  /** The current mesh was replaced: what only the mesh before the previous one used can go. */
  rotate(): void {
    this.typeSets.rotate();
    this.lists.rotate();
    this.merges.rotate();
    this.nameMerges.rotate();
    this.sets.rotate();
  }

  /** The name → resource map of type `t` at `version` (a version names one set of (name, version) pairs), built by `make` on first use. */
  shared(t: XdsType, version: string, make: () => ReadonlyMap<string, EncodedResource>): ReadonlyMap<string, EncodedResource> {
    const k = `${t}\u0000${version}`;
    let m = this.sets.get(k);
    if (!m) {
      m = make();
      this.sets.set(k, m);
    }
    return m;
  }

  /** The interned type set equal to `p` (same names, same resource objects), `p` itself if it is the first. */
  typeSet(t: XdsType, p: TypeSet): TypeSet {
    const k = `${t}\u0000${p.version}\u0000${p.names.length}`;
    const bucket = this.typeSets.get(k);
    const hit = bucket?.find((q) => q === p || (sameArray(q.names, p.names) && sameArray(q.resources, p.resources)));
    if (hit) return hit;
    if (bucket) bucket.push(p);
    else this.typeSets.set(k, [p]);
    return p;
  }

  /** The interned name list equal to `names`. */
  names(t: XdsType, names: readonly string[]): readonly string[] {
    const known = this.canonical.get(names);
    if (known) return known;
    // Keyed by a digest (not the joined text: an outbound part lists hundreds of names), checked name by name.
    const k = `${t}\u0000${names.length}\u0000${createHash('sha256').update(names.join('\u0000')).digest('base64')}`;
    let hit = this.lists.get(k);
    if (!hit || !sameArray(hit, names)) {
      hit = names;
      this.lists.set(k, names);
    }
    this.canonical.set(names, hit);
    return hit;
  }

  /** The sorted union of interned name lists (in part order), shared by every class listing the same lists. */
  mergeNames(t: XdsType, lists: readonly (readonly string[])[]): readonly string[] {
    const k = `${t}\u0000${lists.map(idOf).join(',')}`;
    let m = this.nameMerges.get(k);
    if (!m) {
      m = [...new Set(lists.flat())].sort();
      this.nameMerges.set(k, m);
    }
    return m;
  }

  /**
   * The composed set of interned type sets in part order: a name listed by several parts belongs to
   * the first (as ClassSnapshot.get answers it).
   */
  merge(t: XdsType, typeSets: readonly TypeSet[]): Composed {
    if (typeSets.length === 1) return typeSets[0]!;
    const k = `${t}\u0000${typeSets.map(idOf).join(',')}`;
    let m = this.merges.get(k);
    if (!m) {
      m = mergeSets(typeSets);
      this.merges.set(k, m);
    }
    return m;
  }
}

/** No resources (foldVersion of nothing is typeVersion([])). */
const EMPTY: Composed = { names: [], resources: [], version: foldVersion(0, 0, 0), map: new Map() };

function mergeSets(typeSets: readonly TypeSet[]): Composed {
  if (typeSets.length === 0) return EMPTY;
  const names = [...new Set(typeSets.flatMap((p) => p.names))].sort();
  const disjoint = names.length === typeSets.reduce((n, p) => n + p.names.length, 0);
  if (disjoint) {
    let h1 = 0,
      h2 = 0;
    const resources: EncodedResource[] = [];
    const maps = typeSets.map((p) => p.map);
    for (const n of names) {
      for (const m of maps) {
        const r = m.get(n);
        if (r) {
          resources.push(r);
          break;
        }
      }
    }
    for (const p of typeSets) {
      h1 ^= p.h1;
      h2 ^= p.h2;
    }
    return { names, resources, version: foldVersion(h1, h2, resources.length), map: new ComposedMap(maps, resources) };
  }
  // A name in several parts (no sidecar part split makes one; kept exact anyway): the first part's.
  const owners = typeSets.map((p) => new Set(p.names));
  const resources: EncodedResource[] = [];
  for (const n of names) {
    const i = owners.findIndex((s) => s.has(n));
    const r = typeSets[i]!.map.get(n);
    if (r) resources.push(r);
  }
  return { names, resources, version: typeVersion(resources), map: new Map(resources.map((r) => [r.name, r])) };
}
