/**
 * @module bench/memsample
 * Where the server's RSS is during the bench: polls the server's GET /debug/memory
 * (server/memory.ts) every `everyMs` and keeps each answer as a sample — RSS, the main V8 heap
 * committed and used, ArrayBuffers (grpc-js's framed responses in flight or awaiting GC) and all
 * external memory, the parse worker's heap, file-backed pages — with
 * the time since sampling started. A scenario asks for the sample with the highest RSS in its
 * window (its peak's breakdown), and the run's samples are drawn over time with the scenarios
 * marked (bench/plot.ts plotSeries). A sample is taken when the server answers: a server busy in a
 * long turn answers late, so the samples are sparser exactly there and the breakdown is of the
 * highest sample, which may sit a little below the 100 ms /proc peak (bench/proc.ts).
 */
import { plotSeries } from './plot.js';

const MB = 1024 * 1024;

/** One answer of /debug/memory, in MB, at `t` seconds since the sampler started. */
export interface MemSample {
  readonly t: number;
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Committed heap of the parse worker(s). */
  readonly worker: number;
  /** File-backed RSS (the node binary, libraries, ICU data); 0 if not reported. */
  readonly file: number;
  /**
   * Anonymous RSS in neither V8 heap nor ArrayBuffers: nghttp2 and node's per-connection memory,
   * malloc's free lists, V8's own metadata, stacks. External memory beyond ArrayBuffers is left out:
   * it is mostly re2-wasm's 16 MB WebAssembly memory, reserved but hardly resident (smaps: ~0 MB).
   */
  readonly rest: number;
}

interface Report {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  workers: { committed: number }[];
  rssFile?: number;
}

/** MB figures of a /debug/memory answer. */
export function sampleOf(t: number, r: Report): MemSample {
  const worker = r.workers.reduce((a, w) => a + w.committed, 0) / MB;
  const s = {
    t,
    rss: r.rss / MB,
    heapTotal: r.heapTotal / MB,
    heapUsed: r.heapUsed / MB,
    external: r.external / MB,
    arrayBuffers: r.arrayBuffers / MB,
    worker,
  };
  const file = (r.rssFile ?? 0) / MB;
  return { ...s, file, rest: s.rss - file - s.heapTotal - s.arrayBuffers - s.worker };
}

export class MemSampler {
  readonly samples: MemSample[] = [];
  readonly marks: { t: number; label: string }[] = [];
  private readonly t0 = performance.now();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly everyMs = 250,
  ) {
    this.loop = this.run();
  }

  /** Seconds since the sampler started. */
  now(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** Marks a scenario's start on the plot; returns the time to pass to `peakSince`. */
  mark(label: string): number {
    const t = this.now();
    this.marks.push({ t, label });
    return t;
  }

  /** The sample with the highest RSS since `t` (undefined if none was taken). */
  peakSince(t: number): MemSample | undefined {
    let best: MemSample | undefined;
    for (const s of this.samples) if (s.t >= t && (!best || s.rss > best.rss)) best = s;
    return best;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const started = performance.now();
      try {
        const r = (await (await fetch(this.url, { signal: AbortSignal.timeout(30_000) })).json()) as Report;
        this.samples.push(sampleOf(this.now(), r));
      } catch {
        /* the server is busy past the timeout, or gone: the next poll tries again */
      }
      const wait = this.everyMs - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** The breakdown columns of a scenario's peak sample, for the report's memory table. */
export function breakdownRow(name: string, peakRssMb: number, s: MemSample | undefined): string {
  if (!s) return `| ${name} | ${peakRssMb.toFixed(0)} | — | — | — | — | — | — |`;
  const f = (n: number): string => n.toFixed(0);
  return `| ${name} | ${f(peakRssMb)} | ${f(s.rss)} at ${s.t.toFixed(1)} s | ${f(s.heapTotal)} (${f(s.heapUsed)}) | ${f(s.arrayBuffers)} (${f(s.external)}) | ${f(s.worker)} | ${f(s.file)} | ${f(s.rest)} |`;
}

export const BREAKDOWN_HEADER = [
  '| scenario | peak RSS MB (/proc, 100 ms) | highest /debug/memory sample: RSS MB at | main V8 heap committed (used) MB | ArrayBuffers (all external) MB | parse worker heap MB | file-backed MB (node binary, libraries) | rest MB (nghttp2, malloc free lists, V8 metadata, stacks) |',
  '|---|---|---|---|---|---|---|---|',
];

/** RSS and its parts over the run, scenarios marked. */
export async function plotMemory(
  file: string,
  title: string,
  samples: readonly MemSample[],
  marks: readonly { t: number; label: string }[],
): Promise<void> {
  const line = (name: string, f: (s: MemSample) => number): { name: string; points: { t: number; mb: number }[] } => ({
    name,
    points: samples.map((s) => ({ t: s.t, mb: f(s) })),
  });
  await plotSeries(
    file,
    title,
    [
      line('RSS', (s) => s.rss),
      line('main heap committed', (s) => s.heapTotal),
      line('main heap used', (s) => s.heapUsed),
      line('ArrayBuffers', (s) => s.arrayBuffers),
      line('parse worker heap', (s) => s.worker),
      line('file-backed', (s) => s.file),
      line('rest (anonymous)', (s) => s.rest),
    ],
    null,
    marks,
  );
}
