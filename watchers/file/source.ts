/**
 * @module watchers/file/source
 * The embedded default source: a folder of Kubernetes/Istio YAML, read like `kubectl apply -f DIR`
 * (files ending .yaml, .yml or .json, not recursive) and watched while running. Emits one
 * `replace` event per changed file (its complete set of objects), `sourceError` for a file that
 * no longer parses (the store keeps its last good objects), an empty `replace` for a deleted
 * file, and `synced` once after the first full read. Change detection: fs.watch for promptness
 * plus a periodic stat scan, because fs.watch misses events on some filesystems and editors.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Observable } from 'rxjs';
import type { ConfigEvent } from '../../model/config.js';
import { parseConfigText } from './parse.js';

export interface FileSourceOptions {
  readonly dir: string;
  /** Periodic rescan interval in ms (0 disables). */
  readonly pollMs?: number;
  /** Quiet time after a filesystem event before rescanning, in ms. */
  readonly settleMs?: number;
  readonly defaultNamespace?: string;
  /** Told about files skipped or unreadable, for logs. */
  readonly onNote?: (file: string, note: string) => void;
}

const CONFIG_FILE = /\.(ya?ml|json)$/i;

interface Seen { readonly mtimeMs: number; readonly size: number; readonly hash: string }

export function fileSource(opts: FileSourceOptions): Observable<ConfigEvent> {
  const pollMs = opts.pollMs ?? 1000;
  const settleMs = opts.settleMs ?? 30;
  return new Observable<ConfigEvent>((sub) => {
    const seen = new Map<string, Seen>();
    let closed = false;
    let scanning: Promise<void> | null = null;
    let again = false;
    let settleTimer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;

    const scan = async (): Promise<void> => {
      let names: string[];
      try {
        names = (await readdir(opts.dir)).filter((n) => CONFIG_FILE.test(n)).sort();
      } catch (e) {
        sub.next({ type: 'sourceError', origin: { source: opts.dir }, reason: `cannot read folder: ${(e as Error).message}` });
        return;
      }
      const present = new Set<string>();
      for (const name of names) {
        const file = path.join(opts.dir, name);
        present.add(file);
        try {
          const st = await stat(file);
          if (!st.isFile()) continue;
          const prev = seen.get(file);
          if (prev && prev.mtimeMs === st.mtimeMs && prev.size === st.size) continue;
          const text = await readFile(file, 'utf8');
          const hash = createHash('sha256').update(text).digest('hex');
          seen.set(file, { mtimeMs: st.mtimeMs, size: st.size, hash });
          if (prev?.hash === hash) continue;
          const res = parseConfigText(text, file, opts.defaultNamespace ?? 'default');
          if (!res.ok) { sub.next({ type: 'sourceError', origin: { source: file }, reason: res.reason }); continue; }
          sub.next({ type: 'replace', origin: { source: file }, objects: res.file.objects, rejections: res.file.rejections, ignored: res.file.ignored });
        } catch (e) {
          // Vanished between readdir and read (an editor's rename dance): the next scan settles it.
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') sub.next({ type: 'sourceError', origin: { source: file }, reason: (e as Error).message });
        }
      }
      for (const file of [...seen.keys()]) {
        if (present.has(file)) continue;
        seen.delete(file);
        sub.next({ type: 'replace', origin: { source: file }, objects: [], rejections: [] });
      }
    };

    const rescan = (): void => {
      if (closed) return;
      if (scanning) { again = true; return; }
      scanning = scan().finally(() => {
        scanning = null;
        if (again && !closed) { again = false; rescan(); }
      });
    };

    const onFsEvent = (): void => {
      clearTimeout(settleTimer);
      settleTimer = setTimeout(rescan, settleMs);
    };

    void (async () => {
      await scan();
      if (closed) return;
      sub.next({ type: 'synced' });
      try {
        watcher = watch(opts.dir, { persistent: false }, onFsEvent);
        watcher.on('error', () => { /* the poll keeps working */ });
      } catch { /* no fs.watch here: poll only */ }
    })();
    const poll = pollMs > 0 ? setInterval(rescan, pollMs) : undefined;
    poll?.unref();

    return () => {
      closed = true;
      clearTimeout(settleTimer);
      if (poll) clearInterval(poll);
      watcher?.close();
    };
  });
}
