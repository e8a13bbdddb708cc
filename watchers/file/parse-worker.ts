/**
 * @module watchers/file/parse-worker
 * The worker-thread side of parse-pool.ts: parses and validates one text per message with
 * parseConfigText and posts the result back, so a large or hostile file costs this thread's
 * time and heap, never the main event loop's (/ready, xDS, pushes keep answering). A heap request
 * is answered with this isolate's heap figures (for /debug/memory).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isolateHeap } from './heap-stats.js';
import { parseConfigText } from './parse.js';

export interface ParseRequest {
  readonly id: number;
  readonly text: string;
  readonly source: string;
  readonly defaultNamespace: string;
}

/**
 * What a replacement worker parses before it reports ready (parse-pool.ts recycling): a sample of
 * the texts the pool parses, so its first real parse does not run the parser unoptimized.
 */
export interface WorkerWarmUp {
  readonly text: string;
  readonly defaultNamespace: string;
}

/** Warm-up rounds at most, and the time after which no further round starts. */
const WARM_ROUNDS = 8;
const WARM_BUDGET_MS = 250;

/** Asks for this isolate's heap figures (parse-pool.ts `heap`, for /debug/memory) instead of a parse. */
export interface HeapRequest {
  readonly heap: number;
}

parentPort?.on('message', (req: ParseRequest | HeapRequest) => {
  if ('heap' in req) parentPort!.postMessage({ heap: req.heap, stats: isolateHeap() });
  else parentPort!.postMessage({ id: req.id, result: parseConfigText(req.text, req.source, req.defaultNamespace) });
});
// A replacement warms up first (its results are thrown away; a failing sample warms up as well).
const warm = workerData as WorkerWarmUp | null | undefined;
let warmed = 0;
if (warm?.text) {
  const start = performance.now();
  while (warmed < WARM_ROUNDS && performance.now() - start < WARM_BUDGET_MS) {
    parseConfigText(warm.text, 'warm-up', warm.defaultNamespace);
    warmed++;
  }
}
// Loaded: the pool starts a parse's clock only from here, so start-up time never counts as parsing.
parentPort?.postMessage({ ready: true, warmed });
