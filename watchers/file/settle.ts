/**
 * @module watchers/file/settle
 * When what the folder source read of a file may be trusted. Writers truncate a file and write it
 * in steps (several write calls, sometimes with pauses between them), so a read just after a change
 * may see it empty or half written — and parsing that would withdraw objects the folder still
 * defines, then restore them: a flap every proxy would see. A read is accepted once the file has
 * been quiet for `settleMs` (not modified: by its mtime, and by the filesystem events naming it)
 * and is unchanged since the read began (same inode, size, mtime and ctime; no event named it).
 * The source reads and parses a changed file at once and waits out the quiet time only before
 * accepting it, so a complete file costs the quiet time alone, not the quiet time plus the read
 * and the parse. A file that had content and is found empty is the usual sight of a write caught
 * between its truncation and its first write (a writer the machine has not scheduled yet): it is
 * taken as emptied only after the longer quiet time a vanished file gets (the source's vanishMs).
 */

/** The parts of a file's stat that a write changes. */
export interface FileStamp {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** The same file with the same content, as far as a stat can tell. */
export const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

/** How long a filesystem event is remembered: far beyond any quiet time (events arrive within a millisecond of the write). */
const REMEMBER_MS = 10_000;

/** Filesystem events by the file they name, for the quiet test. */
export class QuietClock {
  /** File name (in the folder) → when an event last named it (`now()` time). */
  private readonly touched = new Map<string, number>();
  /** When an event last named no file (some platforms leave the name out): it may be any file. */
  private unnamedAt = -Infinity;

  constructor(
    private readonly settleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A filesystem event naming `name` (a name in the folder; null: none given). */
  event(name: string | null): void {
    if (name === null) this.unnamedAt = this.now();
    else this.touched.set(name, this.now());
  }

  /** The last time an event could have been about `name`. */
  private lastEvent(name: string): number {
    return Math.max(this.touched.get(name) ?? -Infinity, this.unnamedAt);
  }

  /** When file `name` (stamped `st`) will have been quiet for `quietMs` (default settleMs), if nothing changes it again. */
  quietAt(name: string, st: FileStamp, quietMs = this.settleMs): number {
    return Math.max(st.mtimeMs, this.lastEvent(name)) + quietMs;
  }

  /** Whether file `name` was modified (by `st`) or named by an event too recently (`quietMs`) to be trusted yet. */
  settling(name: string, st: FileStamp, quietMs = this.settleMs): boolean {
    return this.quietAt(name, st, quietMs) > this.now();
  }

  /** An event may have been about `name` at or after `since`. */
  touchedSince(name: string, since: number): boolean {
    return this.lastEvent(name) >= since;
  }

  /** Forgets events too old to matter (the map stays bounded by the names of the last few seconds). */
  prune(): void {
    const cutoff = this.now() - REMEMBER_MS;
    for (const [n, at] of this.touched) if (at < cutoff) this.touched.delete(n);
  }
}
