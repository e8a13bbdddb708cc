/**
 * GET /debug/memory (server/memory.ts): where the process's memory is — RSS, the main V8 heap and
 * its spaces, external memory, the file parse worker's isolate (with its own heap limits) — as the
 * bench samples it through its scenarios.
 */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { serve } from './serve.js';
import { inProcessServe, REPO_ROOT } from '../e2e/tspilot.js';
import type { MemoryReport } from './memory.js';

describe('server: GET /debug/memory', function () {
  this.timeout(60_000);
  it("reports RSS, the main heap by space, external memory and the folder source's parse worker", async () => {
    const running = await serve(inProcessServe(path.join(REPO_ROOT, 'examples', 'bookinfo')));
    try {
      const res = await fetch(`http://127.0.0.1:${running.monitoringPort}/debug/memory`);
      assert.equal(res.status, 200);
      const m = (await res.json()) as MemoryReport;
      assert.ok(m.rss > m.heapUsed && m.heapTotal >= m.heapUsed && m.external >= m.arrayBuffers, JSON.stringify(m));
      assert.ok(m.main.spaces['old_space'] && m.main.spaces['new_space'], 'main heap per space');
      // The folder source parsed bookinfo on its worker, which stays up for the next edit.
      assert.equal(m.workers.length, 1, 'one parse worker');
      const w = m.workers[0]!;
      assert.ok(w.used > 0 && w.committed >= w.used);
      assert.ok(w.spaces['new_space']!.committed <= 4 * 1048576, "the worker's young generation is capped at 4 MB");
      if (process.platform === 'linux') assert.ok(m.rssFile! > 0 && m.rssAnon! > 0);
      const index = (await (await fetch(`http://127.0.0.1:${running.httpPort}/debug`)).json()) as string[];
      assert.ok(index.includes('/debug/memory'), 'listed in the /debug index');
    } finally {
      await running.close();
    }
  });
});
