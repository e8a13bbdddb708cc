/**
 * @module bench/gclog
 * A preload (`node --import dist/bench/gclog.js`) that appends one line per garbage collection of
 * the main thread to the file named by `BENCH_GC_LOG`: when it started (ISO time), its kind
 * (minor, major, incremental, weakcb), its duration, V8's callback flags for it, and the process's
 * memory (JS heap used, external, ArrayBuffers, RSS, MB) when the line is written, just after it.
 * The bench adds it to the server's node flags when BENCH_GC_LOG is set (launch.ts).
 *
 * Why not `--trace-gc`: V8 prints its trace with C stdio into the same stdout pipe as the server's
 * JSON log, and Node makes that pipe non-blocking — when the pipe is full (the 2,000 "proxy
 * connected" lines of a reconnect storm), V8's writes fail and its lines are lost, and the rest
 * arrive spliced into log lines. Stop 27 found whole mark-compacts missing from such traces. This
 * log is written by the process itself, synchronously, to a file of its own.
 *
 * The flags tell the GC's origin apart: `sync_phantom,all_external` is V8's external memory
 * pressure (external memory 64 MB above its level after the last mark-compact), `all_external`
 * alone the memory reducer, `forced` a gc() call; a major GC with no such flag was started by the
 * old generation's allocation limit (which V8 charges with external memory allocated since the
 * last mark-compact as well: bench/results/2026-11-30-stop27-gc.md).
 */
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, constants as C, performance, type PerformanceEntry } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const KINDS: Readonly<Record<number, string>> = {
  [C.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [C.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [C.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [C.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const FLAGS: readonly (readonly [number, string])[] = [
  [C.NODE_PERFORMANCE_GC_FLAGS_CONSTRUCT_RETAINED, 'construct_retained'],
  [C.NODE_PERFORMANCE_GC_FLAGS_FORCED, 'forced'],
  [C.NODE_PERFORMANCE_GC_FLAGS_SYNCHRONOUS_PHANTOM_PROCESSING, 'sync_phantom'],
  [C.NODE_PERFORMANCE_GC_FLAGS_ALL_AVAILABLE_GARBAGE, 'all_available'],
  [C.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY, 'all_external'],
  [C.NODE_PERFORMANCE_GC_FLAGS_SCHEDULE_IDLE, 'schedule_idle'],
];

const mb = (n: number): string => (n / 1048576).toFixed(1);

/** The log line of one GC entry (`detail` as Node gives it for entry type 'gc'), with the memory figures `m`. */
export function gcLine(e: PerformanceEntry, startedAtMs: number, m: NodeJS.MemoryUsage): string {
  const d = (e as PerformanceEntry & { detail?: unknown }).detail as { kind?: number; flags?: number } | undefined;
  const flags = d?.flags ?? 0;
  const names = FLAGS.filter(([bit]) => flags & bit).map(([, n]) => n);
  return `${new Date(startedAtMs).toISOString()} ${KINDS[d?.kind ?? -1] ?? `kind${d?.kind}`} ${e.duration.toFixed(1)}ms flags=${names.join(',') || '-'} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)} rss=${mb(m.rss)}`;
}

const file = process.env['BENCH_GC_LOG'];
if (file && isMainThread) {
  const origin = performance.timeOrigin;
  new PerformanceObserver((list) => {
    const m = process.memoryUsage();
    const lines = list.getEntries().map((e) => gcLine(e, origin + e.startTime, m));
    appendFileSync(file, lines.join('\n') + '\n');
  }).observe({ entryTypes: ['gc'] });
}
