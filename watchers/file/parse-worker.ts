/**
 * @module watchers/file/parse-worker
 * The worker-thread side of parse-pool.ts: parses and validates one text per message with
 * parseConfigText and posts the result back, so a large or hostile file costs this thread's
 * time and heap, never the main event loop's (/ready, xDS, pushes keep answering). A heap request
 * is answered with this isolate's heap figures (for /debug/memory).
 */
import { parentPort } from 'node:worker_threads';
import { isolateHeap } from './heap-stats.js';
import { parseConfigText } from './parse.js';

export interface ParseRequest {
  readonly id: number;
  readonly text: string;
  readonly source: string;
  readonly defaultNamespace: string;
}

/** Asks for this isolate's heap figures (parse-pool.ts `heap`, for /debug/memory) instead of a parse. */
export interface HeapRequest {
  readonly heap: number;
}

parentPort?.on('message', (req: ParseRequest | HeapRequest) => {
  if ('heap' in req) parentPort!.postMessage({ heap: req.heap, stats: isolateHeap() });
  else parentPort!.postMessage({ id: req.id, result: parseConfigText(req.text, req.source, req.defaultNamespace) });
});
// Loaded: the pool starts a parse's clock only from here, so start-up time never counts as parsing.
parentPort?.postMessage({ ready: true });
