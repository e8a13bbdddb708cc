/**
 * @module watchers/file/parse-pool
 * Parsing off the main thread: one reused worker thread (parse-worker.ts) takes texts one at a
 * time, in order. A parse that runs past `timeoutMs`, or a worker that dies (out of its own heap
 * limit), ends with a refusal naming the cause; the worker is replaced and later texts go on. A
 * bounded queue (`maxQueued`) refuses new work instead of piling it up. Same result type as
 * parseConfigText, which the worker runs. `heap` asks the worker for its isolate's heap figures;
 * `parseWorkerHeaps` those of every open pool in the process (for /debug/memory).
 * Recycling: a worker that has parsed `recycleAfterBytes` of text (256 KiB) is replaced by a
 * fresh one once it has been idle for `recycleQuietMs` (1 s). Its heap then holds the garbage of
 * those parses (~50 MB per MB of YAML: a 405 KB file left 32 MB committed, the 4.5 MB heavy mesh
 * 37 MB, against 12 MB for a fresh worker) until V8's memory reducer runs after ~8 s of quiet — at
 * a server's start, exactly when the proxies connect. The fresh worker is started in the
 * background while the old one keeps taking texts, and swapped in only once it has loaded, so no
 * parse waits for a worker to start; the quiet second keeps its start (~0.2 s of CPU) off the push
 * that an edit's parse is followed by. Before it reports ready the fresh worker parses a sample of
 * what this pool parsed last (warmSample: up to 64 KiB, cut at a document boundary) a few times
 * and throws the results away: a fresh isolate's parser runs unoptimized, and the first edits after
 * a swap took 30–45 ms to parse instead of 5–12 (bench/results/2026-11-30-stop26-scale.md) — on
 * every endpoint or VirtualService change that followed a recycling.
 */
import { Worker } from 'node:worker_threads';
import type { ParseResult } from './parse.js';
import type { IsolateHeap } from './heap-stats.js';
import type { HeapRequest, ParseRequest, WorkerWarmUp } from './parse-worker.js';

export interface ParserOptions {
  /** Longest one parse may take, in ms. */
  readonly timeoutMs?: number;
  /** Texts waiting (besides the one being parsed) beyond which `parse` refuses at once. */
  readonly maxQueued?: number;
  /** The worker's old-space heap limit in MB (a bigger document fails alone, not the process). */
  readonly heapMb?: number;
  /**
   * The worker's young-generation limit in MB. V8's default (32 MB of semi-spaces) stays committed
   * for the worker's life — ~37 MB of RSS for a parser that is idle between edits; 4 MB parsed the
   * bench's 4.4 MB heavy mesh no slower within noise.
   */
  readonly youngMb?: number;
  /** Text parsed by one worker after which, once idle, it is replaced by a fresh one (see above); 0 = never. */
  readonly recycleAfterBytes?: number;
  /** How long the worker must have been idle before its replacement starts (off the push an edit starts). */
  readonly recycleQuietMs?: number;
}

export type ParseOutcome = ParseResult & { readonly busy?: boolean };

interface Job {
  readonly req: ParseRequest;
  readonly timeoutMs: number;
  readonly resolve: (r: ParseOutcome) => void;
}

const WORKER_URL = new URL('./parse-worker.js', import.meta.url);

/** Most text a fresh worker parses to warm up, per round. */
const WARM_MAX_BYTES = 64 * 1024;
/** A text is a warm-up sample only if it parsed within this (ms). */
const WARM_FROM_MAX_MS = 2000;

/**
 * The warm-up sample of `text`: all of it when small, else its head cut at the last document
 * boundary (`\n---`) within WARM_MAX_BYTES; null when there is none (one huge document).
 */
export function warmSample(text: string): string | null {
  if (text.length <= WARM_MAX_BYTES) return text;
  const cut = text.lastIndexOf('\n---', WARM_MAX_BYTES);
  // A copy: a slice of a string may keep all of it (V8's sliced strings), and the text can be MBs.
  return cut > 0 ? Buffer.from(text.slice(0, cut + 1)).toString() : null;
}

/** Pools not closed yet, for parseWorkerHeaps. */
const open = new Set<ParseWorker>();

/** The heap figures of every open pool's worker (those with a running worker), for /debug/memory. */
export async function parseWorkerHeaps(): Promise<IsolateHeap[]> {
  const all = await Promise.all([...open].map((p) => p.heap()));
  return all.filter((h): h is IsolateHeap => h !== undefined);
}

export class ParseWorker {
  private worker: Worker | undefined;
  /** The worker has loaded and can take a text. */
  private ready = false;
  private current: { job: Job; timer: NodeJS.Timeout | undefined; sentAt?: number } | undefined;
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly heapMb: number;
  private readonly youngMb: number;
  private readonly recycleAfterBytes: number;
  private readonly recycleQuietMs: number;
  private recycleTimer: NodeJS.Timeout | undefined;
  /** Text handed to the current worker since it started. */
  private parsedBytes = 0;
  /** The fresh worker being started to replace the current one (see recycling), and whether it has loaded. */
  private standby: Worker | undefined;
  private standbyReady = false;
  /** Workers replaced by a fresh one (tests, and the reason this exists). */
  recycled = 0;
  /** Warm-up parses the last fresh worker ran before it reported ready (tests). */
  warmRounds = 0;
  /** What a fresh worker warms up on: a sample of the last text that parsed (warmSample). */
  private warmUp: WorkerWarmUp | null = null;
  /** The text a fresh worker would warm up on now (tests). */
  get warmUpText(): string | null {
    return this.warmUp?.text ?? null;
  }
  /** Heap requests waiting for the worker's answer, by id. */
  private readonly heapAsks = new Map<number, { readonly worker: Worker; readonly resolve: (h: IsolateHeap | undefined) => void }>();
  /** The heap ask waiting for the worker's answer, shared by the asks made meanwhile. */
  private heapAsk: Promise<IsolateHeap | undefined> | null = null;

  constructor(opts: ParserOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxQueued = opts.maxQueued ?? Number.POSITIVE_INFINITY;
    this.heapMb = opts.heapMb ?? 1024;
    this.youngMb = opts.youngMb ?? 4;
    this.recycleAfterBytes = opts.recycleAfterBytes ?? 256 * 1024;
    this.recycleQuietMs = opts.recycleQuietMs ?? 1000;
    open.add(this);
  }

  /**
   * The worker isolate's heap figures (after the parse it is running, if any); undefined when no
   * worker is running (none started yet, or it was replaced and the next has not been needed).
   */
  heap(): Promise<IsolateHeap | undefined> {
    const w = this.worker;
    if (!w || !this.ready) return Promise.resolve(undefined);
    // Asks made while one is unanswered (the worker is busy with a long parse) share it: however
    // often /debug/memory is asked, one ask waits.
    if (this.heapAsk) return this.heapAsk;
    const id = this.nextId++;
    const ask = new Promise<IsolateHeap | undefined>((resolve) => {
      this.heapAsks.set(id, { worker: w, resolve });
      w.postMessage({ heap: id } satisfies HeapRequest);
    }).finally(() => {
      if (this.heapAsk === ask) this.heapAsk = null;
    });
    this.heapAsk = ask;
    return ask;
  }

  /**
   * Parses `text` on the worker; never rejects (failures are `{ ok: false, reason }`). `timeoutMs`
   * overrides the parser's limit for this text alone.
   */
  parse(text: string, source: string, defaultNamespace = 'default', timeoutMs = this.timeoutMs): Promise<ParseOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, reason: 'the parser is shut down' });
    if (this.queue.length >= this.maxQueued) {
      return Promise.resolve({
        ok: false,
        busy: true,
        reason: `${this.queue.length + 1} documents are already waiting to be parsed; try again shortly`,
      });
    }
    return new Promise((resolve) => {
      this.queue.push({ req: { id: this.nextId++, text, source, defaultNamespace }, timeoutMs, resolve });
      this.pump();
    });
  }

  /** Stops the worker; pending parses end with a refusal. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.recycleTimer);
    open.delete(this);
    const w = this.worker;
    const standby = this.standby;
    this.worker = undefined;
    this.standby = undefined;
    this.finish({ ok: false, reason: 'the parser is shut down' });
    for (const j of this.queue.splice(0)) j.resolve({ ok: false, reason: 'the parser is shut down' });
    await Promise.all([w?.terminate(), standby?.terminate()]);
  }

  private spawn(warm: WorkerWarmUp | null = null): Worker {
    const w = new Worker(WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: this.youngMb },
      workerData: warm,
    });
    w.unref();
    w.on('message', (m: { id: number; result: ParseResult } | { ready: true; warmed?: number } | { heap: number; stats: IsolateHeap }) => {
      if ('heap' in m) {
        this.heapAsks.get(m.heap)?.resolve(m.stats);
        this.heapAsks.delete(m.heap);
        return;
      }
      if (this.standby === w && 'ready' in m) {
        this.standbyReady = true;
        this.warmRounds = m.warmed ?? 0;
        this.swapIfIdle();
        return;
      }
      if (this.worker !== w) return;
      if ('ready' in m) {
        this.ready = true;
        this.send();
        return;
      }
      if (this.current?.job.req.id === m.id) this.finish(m.result);
    });
    w.on('error', (e: Error & { code?: string }) => {
      if (this.standby === w) this.dropStandby();
      if (this.worker !== w) return;
      this.worker = undefined;
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /memory/i.test(e.message);
      this.finish({
        ok: false,
        reason: oom ? `parsing needed more than the parser's ${this.heapMb} MB heap; not read` : `the parser failed: ${e.message}`,
      });
    });
    w.on('exit', () => {
      // Asks this worker will not answer (a replaced worker's exit leaves the new one's waiting).
      for (const [id, ask] of this.heapAsks)
        if (ask.worker === w) {
          ask.resolve(undefined);
          this.heapAsks.delete(id);
        }
      if (this.standby === w) this.dropStandby();
      if (this.worker !== w) return;
      this.worker = undefined;
      this.finish({ ok: false, reason: 'the parser stopped unexpectedly' });
    });
    return w;
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.current = { job, timer: undefined };
    if (!this.worker) {
      if (this.standby) this.promoteStandby();
      else {
        this.ready = false;
        this.parsedBytes = 0;
        this.worker = this.spawn();
      }
    }
    this.send();
  }

  /**
   * Once the current worker has parsed `recycleAfterBytes` and is idle, starts its replacement in
   * the background; the swap waits for the replacement to load (swapIfIdle).
   */
  private recycleIfDue(): void {
    if (this.closed || this.standby || !this.worker || !this.recycleAfterBytes || this.parsedBytes < this.recycleAfterBytes) return;
    if (this.current || this.queue.length) return;
    this.standbyReady = false;
    this.standby = this.spawn(this.warmUp);
  }

  /** Swaps the loaded replacement in for the current worker, unless a parse is running on it. */
  private swapIfIdle(): void {
    if (!this.standby || !this.standbyReady || this.current) return;
    const old = this.worker;
    this.promoteStandby();
    this.recycled++;
    void old?.terminate();
  }

  /** The replacement becomes the current worker (loaded or still loading: `ready` says which). */
  private promoteStandby(): void {
    this.worker = this.standby;
    this.ready = this.standbyReady;
    this.standby = undefined;
    this.standbyReady = false;
    this.parsedBytes = 0;
  }

  /** The replacement failed to start: the current worker stays, and the count starts again. */
  private dropStandby(): void {
    this.standby = undefined;
    this.standbyReady = false;
    this.parsedBytes = 0;
  }

  /** Hands the current job to a loaded worker and starts its clock. */
  private send(): void {
    const cur = this.current;
    if (!cur || cur.timer || !this.ready || !this.worker) return;
    cur.timer = setTimeout(() => {
      const w = this.worker;
      this.worker = undefined;
      void w?.terminate();
      this.finish({ ok: false, reason: `parsing took longer than ${cur.job.timeoutMs / 1000} s; not read` });
    }, cur.job.timeoutMs);
    cur.timer.unref();
    this.parsedBytes += cur.job.req.text.length;
    cur.sentAt = performance.now();
    this.worker.postMessage(cur.job.req);
  }

  private finish(result: ParseOutcome): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    clearTimeout(cur.timer);
    // A text that parsed, and quickly, is what the next fresh worker warms up on: never one that
    // failed or ran long (a hostile file would otherwise hold the replacement in its warm-up).
    if (result.ok && cur.sentAt !== undefined && performance.now() - cur.sentAt < WARM_FROM_MAX_MS) {
      const sample = warmSample(cur.job.req.text);
      if (sample) this.warmUp = { text: sample, defaultNamespace: cur.job.req.defaultNamespace };
    }
    cur.job.resolve(result);
    this.swapIfIdle();
    this.pump();
    this.recycleLater();
  }

  /** Looks at recycling once the worker has been idle for recycleQuietMs (each finished parse starts the wait again). */
  private recycleLater(): void {
    if (this.closed || !this.recycleAfterBytes || this.parsedBytes < this.recycleAfterBytes) return;
    clearTimeout(this.recycleTimer);
    this.recycleTimer = setTimeout(() => this.recycleIfDue(), this.recycleQuietMs);
    this.recycleTimer.unref();
  }
}
