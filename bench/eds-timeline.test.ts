/**
 * Tests for bench/eds-timeline.ts's reading of a change: each step taken from the server's log lines
 * (the folder source's steps, the push's 'config pushed' line) and the fleet's arrivals, relative to
 * the write, and the table's medians.
 */
import { strict as assert } from 'node:assert';
import { changeTimes, percentile, timelineTable } from './eds-timeline.js';

describe('bench/eds-timeline', () => {
  it('puts the source steps, the store, the push and the arrivals on the write’s axis', () => {
    const t0 = 1_000_000;
    const lines = [
      { msg: 'folder source: noticed', step: 'noticed', at: t0 + 1 },
      { msg: 'folder source: parsed', step: 'parsed', at: t0 + 12 },
      { msg: 'folder source: emitted', step: 'emitted', at: t0 + 31 },
      { msg: 'config pushed', firstChangeAt: t0 + 32, startedAt: t0 + 45, endedAt: t0 + 60 },
      { msg: 'config pushed', firstChangeAt: t0 + 500, startedAt: t0 + 510, endedAt: t0 + 520 },
    ];
    const arrivals = Array.from({ length: 100 }, (_, i) => t0 + 61 + i);
    const c = changeTimes(t0, t0 + 2, lines, arrivals);
    assert.deepEqual(c, {
      written: 2,
      noticed: 1,
      parsed: 12,
      emitted: 31,
      store: 32,
      pushStart: 45,
      pushEnd: 60,
      first: 61,
      p50: 110,
      p99: 159,
      last: 160,
    });
  });

  it('a step the server did not log is missing, not zero', () => {
    const c = changeTimes(0, 1, [], [5]);
    assert.ok(Number.isNaN(c.parsed) && Number.isNaN(c.pushStart));
    assert.equal(c.last, 5);
  });

  it('nearest-rank percentiles, and medians of the steps seen', () => {
    assert.equal(percentile([3, 1, 2], 50), 2);
    assert.equal(percentile([1, 2, 3, 4], 99), 4);
    assert.ok(Number.isNaN(percentile([], 50)));
    const row = (p99: number): Parameters<typeof timelineTable>[0][number] => ({ ...changeTimes(0, 1, [], [p99]), note: '' });
    const t = timelineTable([row(10), row(30), row(20)]);
    assert.match(t.split('\n').at(-1)!, /^median .* 20\.0 +20\.0$/);
  });
});
