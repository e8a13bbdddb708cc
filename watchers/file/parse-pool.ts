/**
 * @module watchers/file/parse-pool
 * Parsing off the main thread: one reused worker thread (parse-worker.ts) takes texts one at a
 * time, in order. A parse that runs past `timeoutMs`, or a worker that dies (out of its own heap
 * limit), ends with a refusal naming the cause; the worker is replaced and later texts go on. A
 * bounded queue (`maxQueued`) refuses new work instead of piling it up. Same result type as
 * parseConfigText, which the worker runs. `heap` asks the worker for its isolate's heap figures;
 * `parseWorkerHeaps` those of every open pool in the process (for /debug/memory).
 */
import { Worker } from 'node:worker_threads';
import type { ParseResult } from './parse.js';
import type { IsolateHeap } from './heap-stats.js';
import type { HeapRequest, ParseRequest } from './parse-worker.js';

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
}

export type ParseOutcome = ParseResult & { readonly busy?: boolean };

interface Job {
  readonly req: ParseRequest;
  readonly timeoutMs: number;
  readonly resolve: (r: ParseOutcome) => void;
}

const WORKER_URL = new URL('./parse-worker.js', import.meta.url);

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
  private current: { job: Job; timer: NodeJS.Timeout | undefined } | undefined;
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly heapMb: number;
  private readonly youngMb: number;
  /** Heap requests waiting for the worker's answer, by id. */
  private readonly heapAsks = new Map<number, (h: IsolateHeap | undefined) => void>();
  /** The heap ask waiting for the worker's answer, shared by the asks made meanwhile. */
  private heapAsk: Promise<IsolateHeap | undefined> | null = null;

  constructor(opts: ParserOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxQueued = opts.maxQueued ?? Number.POSITIVE_INFINITY;
    this.heapMb = opts.heapMb ?? 1024;
    this.youngMb = opts.youngMb ?? 4;
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
      this.heapAsks.set(id, resolve);
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
    open.delete(this);
    const w = this.worker;
    this.worker = undefined;
    this.finish({ ok: false, reason: 'the parser is shut down' });
    for (const j of this.queue.splice(0)) j.resolve({ ok: false, reason: 'the parser is shut down' });
    await w?.terminate();
  }

  private spawn(): Worker {
    const w = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: this.youngMb } });
    w.unref();
    w.on('message', (m: { id: number; result: ParseResult } | { ready: true } | { heap: number; stats: IsolateHeap }) => {
      if ('heap' in m) {
        this.heapAsks.get(m.heap)?.(m.stats);
        this.heapAsks.delete(m.heap);
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
      if (this.worker !== w) return;
      this.worker = undefined;
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /memory/i.test(e.message);
      this.finish({
        ok: false,
        reason: oom ? `parsing needed more than the parser's ${this.heapMb} MB heap; not read` : `the parser failed: ${e.message}`,
      });
    });
    w.on('exit', () => {
      for (const ask of this.heapAsks.values()) ask(undefined);
      this.heapAsks.clear();
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
      this.ready = false;
      this.worker = this.spawn();
    }
    this.send();
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
    this.worker.postMessage(cur.job.req);
  }

  private finish(result: ParseOutcome): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    clearTimeout(cur.timer);
    cur.job.resolve(result);
    this.pump();
  }
}
