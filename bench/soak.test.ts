/**
 * Smoke test of the soak: a short run drives every kind of churn against the real server (fresh
 * xDS clients over SotW and Delta, NACKs, REST-JSON and v1 polls, edits, flaps), samples it, and
 * writes a verdict, a plot and a record. No memory assertion — a 15 s run says nothing about leaks;
 * the soak's verdict logic is tested in slope.test.ts.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { markdown, runSoak, verdictText, type SoakOpts } from './soak.js';

describe('bench --soak (short)', function () {
  this.timeout(120_000);
  it('runs every kind of churn against the real server, samples heap and RSS, and reports a verdict', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'soak-test-'));
    try {
      const o: SoakOpts = {
        durationS: 15,
        warmupS: 3,
        sampleS: 1,
        floorMb: 16,
        png: path.join(dir, 's.png'),
        command: 'test',
        size: { services: 10, endpointsPerService: 2, namespaces: 2, routedShare: 0.2, scoped: true },
        rates: { connectsPerS: 4, pollsPerS: 4, editEveryS: 1, flapEveryS: 1, stable: 2 },
      };
      const r = await runSoak(o, () => {});
      assert.equal(r.died, null);
      assert.ok(r.samples.length >= 12, `samples: ${r.samples.length}`);
      for (const s of r.samples) assert.ok(s.heapMb > 5 && s.rssMb > s.heapMb, JSON.stringify(s));
      const c = r.counts;
      assert.ok(c.sotw > 5 && c.delta > 5 && c.nackClients > 0 && c.nacks > 0, `xDS churn: ${JSON.stringify(c)}`);
      assert.ok(c.rest > 20 && c.v1 > 20, `polls: ${c.rest} REST, ${c.v1} v1`);
      assert.equal(c.restErrors + c.v1Errors, 0, c.lastHttpError);
      assert.ok(c.edits >= 8 && c.flaps >= 8, `edits ${c.edits}, flaps ${c.flaps}`);
      assert.equal(r.stable.complete, 2, 'the long-lived clients hold every type at the end');
      assert.match(verdictText(r), /^(PASS|FAIL): memory/);
      const md = markdown(o, r, o.png);
      assert.match(md, /## Verdict/);
      assert.match(md, /Commit: [0-9a-f]{7}/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the plot is a PNG', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'soak-plot-'));
    try {
      const { plotSeries } = await import('./plot.js');
      const png = path.join(dir, 'p.png');
      await plotSeries(
        png,
        't',
        [
          {
            name: 'heap',
            points: [
              { t: 0, mb: 50 },
              { t: 60, mb: 60 },
            ],
            fit: { intercept: 50, slopeMbPerS: 1 / 6, from: 10 },
          },
          {
            name: 'rss',
            points: [
              { t: 0, mb: 150 },
              { t: 60, mb: 150 },
            ],
          },
        ],
        10,
      );
      assert.ok((await stat(png)).size > 1000);
      assert.deepEqual([...(await readFile(png)).subarray(1, 4)], [...Buffer.from('PNG')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
