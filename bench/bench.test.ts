/**
 * Smoke test of the bench: the small default mesh runs end to end (real server in a child
 * process, simulated fleet, every scenario, the ceiling) and reports sane numbers. No timing
 * assertions — speed is what the bench reports, not what tests check.
 */
import { strict as assert } from 'node:assert';
import { SMALL_RUN } from './small-run.js';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runBench } from './scenarios.js';
import { table } from './report.js';
import { plotCdf } from './plot.js';

describe('bench (small default)', function () {
  this.timeout(180_000);
  it('completes every scenario with every proxy converged and reports sane numbers', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-test-'));
    try {
      const r = await runBench({
        ...SMALL_RUN,
        timeout: 60_000,
      });
      assert.equal(r.scenarios.length, 6);
      for (const s of r.scenarios) {
        assert.equal(s.unconverged, 0, `${s.name}: every proxy converged`);
        assert.ok(s.ms.length > 0 && s.p50 > 0 && s.p50 <= s.p99 && s.p99 <= s.max, `${s.name}: ordered percentiles`);
        assert.ok(s.bytesSent > 0, `${s.name}: bytes were sent`);
      }
      const eds = r.scenarios.find((s) => s.name === 'endpoint change')!;
      assert.deepEqual(eds.otherTypes, {}, 'an endpoint change pushes EDS only');
      assert.ok(r.configBytesPerProxy > 1000);
      assert.ok(r.scenarios[0]!.peakRssMb > 10 && r.scenarios[0]!.cpuSeconds > 0);
      assert.ok(r.throughputRatio > 0);
      assert.match(table(r), /cold start/);
      // Where the server's memory was: /debug/memory sampled through the run, a breakdown per scenario.
      const cold = r.scenarios[0]!.memAtPeak;
      assert.ok(cold && cold.rss > 10 && cold.heapTotal > 0 && cold.heapTotal < cold.rss, JSON.stringify(cold));
      assert.ok(r.memory && r.memory.samples.length > 0 && r.memory.marks.length === 5, 'memory samples and scenario marks');
      assert.match(table(r), /server memory at each scenario's peak/);
      const png = path.join(dir, 'p.png');
      await plotCdf(
        png,
        'test',
        r.scenarios.map((s) => ({ name: s.name, ms: s.ms })),
      );
      await new Promise((res) => setTimeout(res, 200));
      assert.ok((await stat(png)).size > 1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
