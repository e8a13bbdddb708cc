/**
 * @module server/cache/depindex
 * Which resources of a closed part (part.ts) read each dependency key (translators/deps.ts), and
 * which recorded none — so a push keyed by dependencies (CarryOver.changed: a VirtualService or
 * DestinationRule edit) finds what it must rebuild by looking its few keys up instead of asking each
 * of an outbound part's thousands of resources (issue 18: a change costs what it touches).
 *
 * The index is a superset: a key a rebuilt resource no longer reads may stay listed (a spurious
 * rebuild is only work, a missed one would be wrong config), and a resource is only ever added. It
 * is shared copy-on-write with the index of the part carried from (layered.ts), so carrying it
 * costs the resources rebuilt. Resources are named `type\0name` (`resourceId`).
 */
import type { Deps } from '../../translators/deps.js';
import { LayeredMap } from './layered.js';

export const resourceId = (t: string, name: string): string => `${t}\u0000${name}`;

/** The type and name a `resourceId` stands for. */
export function parseResourceId(id: string): [string, string] {
  const cut = id.indexOf('\u0000');
  return [id.slice(0, cut), id.slice(cut + 1)];
}

export class DepIndex {
  private constructor(
    private readonly byDep: LayeredMap<string, readonly string[]>,
    /** Resources that recorded no dependencies: never carried over. */
    private readonly unknown: LayeredMap<string, true>,
  ) {}

  static empty(): DepIndex {
    return new DepIndex(LayeredMap.empty(), LayeredMap.empty());
  }

  /**
   * The index of a whole part at once (`reads` as for `note`; each id once): built in plain maps that
   * then become the frozen base — O(reads). Noting each resource into an empty index instead copies
   * a key's whole id list for every resource that read it (the lists are shared with forks, so never
   * appended to): quadratic in the resources that read one key (a part's every route config reads its
   * Sidecar), which the first VirtualService edit after a start paid for every part.
   */
  static build(entries: Iterable<readonly [id: string, reads: Iterable<Deps> | undefined]>): DepIndex {
    const byDep = new Map<string, string[]>();
    const unknown = new Map<string, true>();
    for (const [id, reads] of entries) {
      if (!reads) {
        unknown.set(id, true);
        continue;
      }
      for (const ds of reads)
        for (const k of ds) {
          const ids = byDep.get(k);
          if (!ids) byDep.set(k, [id]);
          else if (ids[ids.length - 1] !== id) ids.push(id); // ids arrive together: a repeat is the last one
        }
    }
    return new DepIndex(LayeredMap.over<string, readonly string[]>(byDep), LayeredMap.over(unknown));
  }

  /** An index with `from`'s entries that can be added to without changing `from`. */
  static fork(from: DepIndex): DepIndex {
    return new DepIndex(LayeredMap.fork(from.byDep), LayeredMap.fork(from.unknown));
  }

  /**
   * Resource `id` read each of `reads` (for a resource rebuilt from pieces: what its shell and the
   * pieces built again read — all it can have gained), or recorded nothing (`reads` undefined).
   */
  note(id: string, reads: Iterable<Deps> | undefined): void {
    if (!reads) {
      this.unknown.set(id, true);
      return;
    }
    this.unknown.delete(id);
    for (const ds of reads) {
      for (const k of ds) {
        const ids = this.byDep.get(k);
        if (!ids) this.byDep.set(k, [id]);
        else if (!ids.includes(id)) this.byDep.set(k, [...ids, id]);
      }
    }
  }

  /**
   * The resources a change invalidating `changed` may touch — those that read one of its keys or
   * `<kind>:*` of one of their kinds (translators/deps.ts touchedBy), and those that recorded
   * nothing — or null when a changed key is itself `<kind>:*` (every key of its kind: ask each).
   */
  touched(changed: Deps): ReadonlySet<string> | null {
    const out = new Set<string>();
    const kinds = new Set<string>();
    for (const c of changed) {
      if (c.endsWith(':*')) return null;
      kinds.add(`${c.slice(0, c.indexOf(':') + 1)}*`);
      for (const id of this.byDep.get(c) ?? []) out.add(id);
    }
    for (const k of kinds) for (const id of this.byDep.get(k) ?? []) out.add(id);
    for (const id of this.unknown.keys()) out.add(id);
    return out;
  }
}
