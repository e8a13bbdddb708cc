/**
 * @module watchers/file/parse-worker
 * The worker-thread side of parse-pool.ts: parses and validates one text per message with
 * parseConfigText and posts the result back, so a large or hostile file costs this thread's
 * time and heap, never the main event loop's (/ready, xDS, pushes keep answering).
 */
import { parentPort } from 'node:worker_threads';
import { parseConfigText } from './parse.js';

export interface ParseRequest {
  readonly id: number;
  readonly text: string;
  readonly source: string;
  readonly defaultNamespace: string;
}

parentPort?.on('message', (req: ParseRequest) => {
  parentPort!.postMessage({ id: req.id, result: parseConfigText(req.text, req.source, req.defaultNamespace) });
});
// Loaded: the pool starts a parse's clock only from here, so start-up time never counts as parsing.
parentPort?.postMessage({ ready: true });
