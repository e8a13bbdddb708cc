/**
 * @module server/memory
 * Where the server process's memory is, for GET /debug/memory (a tspilot addition; istiod's
 * nearest is /debug/pprof/heap): process.memoryUsage() — RSS, the main V8 heap committed and used,
 * external memory and the ArrayBuffers within it — the main heap per V8 space, the file parse
 * worker's isolate (watchers/file/parse-pool.ts), and the kernel's split of RSS into anonymous and
 * file-backed pages (Linux). The bench samples it through its scenarios to show where the peaks are.
 */
import { readFileSync } from 'node:fs';
import { isolateHeap, type IsolateHeap } from '../watchers/file/heap-stats.js';
import { parseWorkerHeaps } from '../watchers/file/parse-pool.js';

export interface MemoryReport {
  readonly rss: number;
  /** Main thread: V8 heap committed (process.memoryUsage().heapTotal) and used. */
  readonly heapTotal: number;
  readonly heapUsed: number;
  /** Memory of JS objects held outside the V8 heap (Buffers, wasm memories), ArrayBuffers included. */
  readonly external: number;
  readonly arrayBuffers: number;
  /** The main isolate in detail (per space). */
  readonly main: IsolateHeap;
  /** Each running parse worker's isolate. */
  readonly workers: readonly IsolateHeap[];
  /** RSS split by the kernel (/proc/self/status RssAnon, RssFile), bytes; absent off Linux. */
  readonly rssAnon?: number;
  readonly rssFile?: number;
}

function procStatus(): { rssAnon?: number; rssFile?: number } {
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    const kb = (k: string): number | undefined => {
      const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    const anon = kb('RssAnon');
    const file = kb('RssFile');
    return { ...(anon !== undefined ? { rssAnon: anon } : {}), ...(file !== undefined ? { rssFile: file } : {}) };
  } catch {
    return {};
  }
}

export async function memoryReport(): Promise<MemoryReport> {
  const workers = await parseWorkerHeaps();
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    main: isolateHeap(),
    workers,
    ...procStatus(),
  };
}
