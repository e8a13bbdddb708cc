/**
 * @module watchers/file/source
 * The embedded default source: a folder of Kubernetes/Istio YAML, read like `kubectl apply -f DIR`
 * (files ending .yaml, .yml or .json, not recursive) and watched while running. Emits one
 * `replace` event per changed file (its complete set of objects), `sourceError` for a file that
 * no longer parses or is not a file (a directory, a symlink to one, a broken symlink: the store
 * keeps its last good objects), an empty `replace` for a deleted file, and `synced` once after the
 * first full read. Change detection: fs.watch for promptness plus a periodic stat scan, because
 * fs.watch misses events on some filesystems and editors. Files are parsed on a worker thread
 * (parse-pool.ts) and refused past `maxFileBytes`, so no file stalls the main event loop.
 *
 * Churn never withdraws what the folder still defines: the events of one scan are emitted
 * together, synchronously, once the scan is complete (so no snapshot sees a rename half done), and
 * a file that vanished is withdrawn only once it has stayed gone for `vanishMs` (a delete followed
 * by a re-add, as some tools write files, changes nothing) — at once when it was renamed (its
 * inode is listed under the new name, read in the same scan). A file modified a moment ago (maybe
 * half written) is read and parsed at once, but its event stands only once the file has been quiet
 * for `settleMs` and is unchanged since it was read (settle.ts); otherwise it is read again.
 */
import { lstat, readFile, readdir, readlink, stat } from 'node:fs/promises';
import { watch, type FSWatcher, type Stats } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Observable } from 'rxjs';
import type { ConfigEvent } from '../../model/config.js';
import { ParseWorker } from './parse-pool.js';
import { DEFAULT_MAX_FILE_BYTES } from './defaults.js';
import { QuietClock, sameStamp } from './settle.js';

export interface FileSourceOptions {
  readonly dir: string;
  /** Periodic rescan interval in ms (0 disables). */
  readonly pollMs?: number;
  /** How long a changed file must have been quiet (unmodified) before what was read of it is taken, in ms (default 30). */
  readonly settleMs?: number;
  /** How long a file must stay gone before its objects are withdrawn, in ms. */
  readonly vanishMs?: number;
  readonly defaultNamespace?: string;
  /** Files larger than this many bytes are refused (a sourceError naming the limit; last good objects stay). */
  readonly maxFileBytes?: number;
  /** Called as a file's text is handed to the parser (for logs and tests). */
  readonly onParse?: (file: string, bytes: number) => void;
  /** Told about files skipped or unreadable, for logs. */
  readonly onNote?: (file: string, note: string) => void;
  /**
   * Told as a change moves through the source, for timelines (bench/eds-timeline.ts): `noticed`
   * (the first filesystem event since the last scan began), `parsed` (a file's objects are back
   * from the parse worker) and `emitted` (a scan's events are handed to the store, `count` of them).
   */
  readonly onStep?: (step: SourceStep, detail: { readonly file?: string; readonly count?: number }) => void;
}

export type SourceStep = 'noticed' | 'parsed' | 'emitted';

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** How long after a filesystem event the folder is scanned (the events of one write arrive together). */
const NOTICE_MS = 2;
/** Reads of a file that keeps changing while it is read before it is taken as last read. */
const SETTLE_READS = 3;

interface Seen {
  readonly mtimeMs: number;
  readonly size: number;
  readonly hash: string;
  readonly ino?: number;
}

/** Why a listed path is not a readable file (a directory, a symlink to one, a broken symlink…), or null for a file. */
async function notAFile(file: string): Promise<string | null> {
  const l = await lstat(file);
  const link = l.isSymbolicLink() ? await readlink(file) : null;
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    if (link !== null && (e as NodeJS.ErrnoException).code === 'ENOENT')
      return `${file} is a broken symlink (to ${link}, which does not exist)`;
    throw e;
  }
  if (st.isFile()) return null;
  const what = st.isDirectory() ? 'is a directory' : 'is not a regular file';
  return `${file} ${link !== null ? `is a symlink to ${link}, which ${what}` : what} (tspilot reads the files of the config folder, not sub-folders)`;
}

/** `Seen.hash` of a path reported as not a file, so the report is not repeated on every scan. */
const NOT_A_FILE = '!not-a-file';
/** `Seen.hash` of a file refused for its size (re-checked when its size or mtime changes). */
const TOO_BIG = '!too-big';

export { DEFAULT_MAX_FILE_BYTES };

export function fileSource(opts: FileSourceOptions): Observable<ConfigEvent> {
  const pollMs = opts.pollMs ?? 1000;
  const settleMs = opts.settleMs ?? 30;
  const vanishMs = opts.vanishMs ?? 1000;
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return new Observable<ConfigEvent>((sub) => {
    const seen = new Map<string, Seen>();
    /** Files seen before and missing since (when first missed). */
    const missing = new Map<string, number>();
    /** When each file was last named by a filesystem event: what the quiet test reads besides mtimes (settle.ts). */
    const quiet = new QuietClock(settleMs);
    let closed = false;
    let scanning: Promise<void> | null = null;
    let again = false;
    /** The last scan met a file that vanished between listing and reading. */
    let racedLast = false;
    let settleTimer: NodeJS.Timeout | undefined;
    let vanishTimer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;
    /** A filesystem event was reported (onStep 'noticed') since the last scan began. */
    let noticed = false;
    /** Ends the scan's wait for files to be quiet (set while it waits): a filesystem event may have changed one. */
    let wake: (() => void) | null = null;
    const nap = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const t = setTimeout(done, ms);
        t.unref();
        function done(): void {
          clearTimeout(t);
          wake = null;
          resolve();
        }
        wake = done;
      });
    // Parsing happens on a worker thread, so a large file never stalls /ready or xDS.
    const parser = new ParseWorker({ timeoutMs: 120_000 });

    /**
     * Reads and parses `file` (stat'ed as `st`) and records it as seen; its event, or null when its
     * text is the one last read (nothing changed) or the source closed meanwhile.
     */
    const load = async (file: string, st: Stats, prev: Seen | undefined): Promise<ConfigEvent | null> => {
      if (st.size > maxFileBytes) {
        seen.set(file, { mtimeMs: st.mtimeMs, size: st.size, hash: TOO_BIG, ino: st.ino });
        return {
          type: 'sourceError',
          origin: { source: file },
          reason: `${file} is ${st.size} bytes, over the ${maxFileBytes}-byte limit (--max-file-bytes); not read`,
        };
      }
      const text = await readFile(file, 'utf8');
      const hash = createHash('sha256').update(text).digest('hex');
      seen.set(file, { mtimeMs: st.mtimeMs, size: st.size, hash, ino: st.ino });
      if (prev?.hash === hash) return null;
      opts.onParse?.(file, st.size);
      const res = await parser.parse(text, file, opts.defaultNamespace ?? 'default');
      if (closed) return null;
      opts.onStep?.('parsed', { file });
      if (!res.ok) return { type: 'sourceError', origin: { source: file }, reason: res.reason };
      return {
        type: 'replace',
        origin: { source: file },
        objects: res.file.objects,
        rejections: res.file.rejections,
        ignored: res.file.ignored,
      };
    };

    /** How long a file must be quiet before a read of it is taken: longer for a file found emptied (settle.ts). */
    const quietFor = (st: Stats, prev: Seen | undefined): number =>
      st.size === 0 && prev !== undefined && prev.size > 0 ? Math.max(settleMs, vanishMs) : settleMs;

    /** One pass over the folder; returns its events, emitted together by the caller. */
    const scan = async (initial = false): Promise<ConfigEvent[]> => {
      racedLast = false;
      noticed = false;
      quiet.prune();
      /** The scan's events in folder order; a read not accepted after all (see `settling`) leaves a null. */
      const out: (ConfigEvent | null)[] = [];
      let names: string[];
      try {
        names = (await readdir(opts.dir)).filter((n) => CONFIG_FILE.test(n)).sort();
      } catch (e) {
        return [{ type: 'sourceError', origin: { source: opts.dir }, reason: `cannot read folder: ${(e as Error).message}` }];
      }
      const present = new Set<string>();
      /** A listed file vanished before it could be read: the folder is mid-change, withdraw nothing yet. */
      let raced = false;
      /** `inode/mtime/size` of every file listed and stat'ed in this scan (a renamed file keeps all three). */
      const identities = new Set<string>();
      /**
       * Files modified a moment ago (maybe still being written), read and parsed already: their
       * events (at `out[at]`) stand only once each file has been quiet for settleMs since (settle.ts).
       */
      let settling: { file: string; name: string; prev: Seen | undefined; st: Stats; since: number; at: number; reads: number }[] = [];
      const vanished = (): void => {
        // Vanished between readdir and read (an editor's rename dance): the next scan, right away, settles it.
        raced = true;
        racedLast = true;
        again = true;
      };
      for (const name of names) {
        const file = path.join(opts.dir, name);
        present.add(file);
        try {
          const prev = seen.get(file);
          const odd = await notAFile(file);
          if (odd !== null) {
            if (prev?.hash !== NOT_A_FILE) out.push({ type: 'sourceError', origin: { source: file }, reason: odd });
            seen.set(file, { mtimeMs: -1, size: -1, hash: NOT_A_FILE });
            continue;
          }
          const st = await stat(file);
          const identity = `${st.ino}/${st.mtimeMs}/${st.size}`;
          if (prev && prev.mtimeMs === st.mtimeMs && prev.size === st.size) {
            if (prev.ino !== st.ino) seen.set(file, { ...prev, ino: st.ino });
            identities.add(identity);
            continue;
          }
          // Modified a moment ago, or while it is read: maybe half written (settle.ts).
          const since = Date.now();
          const recent = !initial && quiet.settling(name, st, quietFor(st, prev));
          const ev = await load(file, st, prev);
          if (closed) return [];
          identities.add(identity);
          if (recent || (!initial && quiet.touchedSince(name, since)))
            settling.push({ file, name, prev, st, since, at: out.length, reads: 1 });
          out.push(ev);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
            out.push({ type: 'sourceError', origin: { source: file }, reason: (e as Error).message });
          else vanished();
        }
      }
      // What was read of a file modified a moment ago stands once it has been quiet for its quiet
      // time and is unchanged since the read began; a file changed meanwhile is read again (one
      // written without pause is taken as last read after a few reads; the next scan reads it
      // again). A filesystem event ends the wait early, so a file being written is read again then.
      while (settling.length && !closed) {
        // A file named by an event since its read began changed meanwhile: read it again now — an
        // event that came while the read was parsing (no nap to wake) must not leave it waiting out
        // an emptied file's long quiet time.
        const wait = settling.some((f) => quiet.touchedSince(f.name, f.since))
          ? 0
          : Math.max(...settling.map((f) => quiet.quietAt(f.name, f.st, quietFor(f.st, f.prev)))) - Date.now();
        if (wait > 0) await nap(wait);
        if (closed) return [];
        const still: typeof settling = [];
        for (const f of settling) {
          try {
            const st = await stat(f.file);
            if (sameStamp(f.st, st) && !quiet.touchedSince(f.name, f.since)) {
              if (quiet.settling(f.name, f.st, quietFor(f.st, f.prev))) still.push(f); // woken early by another file: wait on
              continue;
            }
            if (f.reads >= SETTLE_READS) continue;
            const since = Date.now();
            out[f.at] = await load(f.file, st, f.prev);
            if (closed) return [];
            identities.add(`${st.ino}/${st.mtimeMs}/${st.size}`);
            still.push({ ...f, st, since, reads: f.reads + 1 });
          } catch (e) {
            // Not accepted: the next scan reads it as it finds it.
            out[f.at] = null;
            if (f.prev) seen.set(f.file, f.prev);
            else seen.delete(f.file);
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
              out[f.at] = { type: 'sourceError', origin: { source: f.file }, reason: (e as Error).message };
            else vanished();
          }
        }
        settling = still;
      }
      const now = Date.now();
      let pending = false;
      for (const file of [...seen.keys()]) {
        if (present.has(file)) {
          missing.delete(file);
          continue;
        }
        // Renamed: its inode is listed under the new name, read in this same scan; no need to wait.
        const was = seen.get(file)!;
        const renamed = was.ino !== undefined && identities.has(`${was.ino}/${was.mtimeMs}/${was.size}`);
        const since = missing.get(file) ?? now;
        missing.set(file, since);
        if (raced || (!renamed && now - since < vanishMs)) {
          pending = true;
          continue;
        }
        // Gone long enough by this scan's listing; a scan can take a while, so look once more.
        if (
          !renamed &&
          (await lstat(file).then(
            () => true,
            () => false,
          ))
        ) {
          missing.delete(file);
          again = true;
          continue;
        }
        missing.delete(file);
        seen.delete(file);
        out.push({ type: 'replace', origin: { source: file }, objects: [], rejections: [] });
      }
      if (pending && !vanishTimer && !closed) {
        vanishTimer = setTimeout(() => {
          vanishTimer = undefined;
          rescan();
        }, vanishMs);
        vanishTimer.unref();
      }
      return out.filter((e): e is ConfigEvent => e !== null);
    };

    /** Scans and emits the scan's events in one synchronous run. */
    const scanAndEmit = async (initial = false): Promise<void> => {
      let events = await scan(initial);
      // The first read must be complete: while it races renames, read again (a few times at most).
      for (let i = 0; initial && racedLast && i < 5 && !closed; i++) {
        racedLast = false;
        events = [...events, ...(await scan(initial))];
      }
      if (closed) return;
      if (events.length) opts.onStep?.('emitted', { count: events.length });
      for (const ev of events) sub.next(ev);
    };

    const rescan = (): void => {
      if (closed) return;
      if (scanning) {
        again = true;
        return;
      }
      scanning = scanAndEmit().finally(() => {
        scanning = null;
        if (again && !closed) {
          again = false;
          rescan();
        }
      });
    };

    /**
     * A filesystem event: rescan after a moment (the events of one write arrive together). A file
     * it names that is still being written is read and parsed at once, accepted once quiet (scan).
     */
    const onFsEvent = (_type: string, name: string | Buffer | null): void => {
      quiet.event(typeof name === 'string' ? name : null);
      wake?.();
      if (!noticed) {
        noticed = true;
        opts.onStep?.('noticed', {});
      }
      clearTimeout(settleTimer);
      settleTimer = setTimeout(rescan, Math.min(settleMs, NOTICE_MS));
    };

    void (async () => {
      // The first read holds the scan slot too, so a poll tick cannot start a second scan beside it.
      const first = scanAndEmit(true);
      scanning = first;
      await first;
      scanning = null;
      if (closed) return;
      sub.next({ type: 'synced' });
      if (again) {
        again = false;
        rescan();
      }
      try {
        watcher = watch(opts.dir, { persistent: false }, onFsEvent);
        watcher.on('error', () => {
          /* the poll keeps working */
        });
      } catch {
        /* no fs.watch here: poll only */
      }
    })();
    const poll = pollMs > 0 ? setInterval(rescan, pollMs) : undefined;
    poll?.unref();

    return () => {
      closed = true;
      wake?.();
      clearTimeout(settleTimer);
      clearTimeout(vanishTimer);
      if (poll) clearInterval(poll);
      watcher?.close();
      void parser.close();
    };
  });
}
