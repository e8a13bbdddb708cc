/**
 * serve(): a startup that fails after the pipeline has started (here: options the peer fan-out
 * refuses, checked once the store and push runner run) closes what it started — the folder
 * source's parse worker, the store subscription, the push runner's timers — instead of leaving
 * them running in the process that called it.
 */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from './serve.js';
import { inProcessServe, REPO_ROOT } from '../e2e/tspilot.js';

/** Active handles and requests by kind (timers, workers, sockets…), as Node lists them. */
function resources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

describe('server/serve startup failure', function () {
  this.timeout(30_000);
  it('refused options after the pipeline started: the error names them, and nothing it started keeps running', async () => {
    await sleep(50);
    const before = resources();
    await assert.rejects(
      serve({
        ...inProcessServe(path.join(REPO_ROOT, 'examples', 'bookinfo')),
        replicas: { peers: ['http://127.0.0.1:1'], peersService: { namespace: 'istio-system', name: 'tspilot' } },
      }),
      /--peers and --peers-service are alternatives/,
    );
    // A worker's port closes a turn or more after terminate() resolves, later on a loaded machine:
    // wait for the handles to go (up to 5 s) — one left running stays and fails the test.
    const grownSince = (): string[] =>
      [...resources()].filter(([k, n]) => n > (before.get(k) ?? 0)).map(([k, n]) => `${k}: ${before.get(k) ?? 0} → ${n}`);
    for (let waited = 0; grownSince().length && waited < 5000; waited += 100) await sleep(100);
    assert.deepEqual(grownSince(), [], 'handles left running by the failed start');
  });
});
