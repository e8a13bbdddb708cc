/**
 * Tests for watchers/file/settle.ts: when a read of a changed file may be trusted.
 */
import { strict as assert } from 'node:assert';
import { QuietClock, sameStamp, type FileStamp } from './settle.js';

const stamp = (mtimeMs: number, size = 10): FileStamp => ({ ino: 7, size, mtimeMs, ctimeMs: mtimeMs });

describe('watchers/file/settle', () => {
  it('a file is quiet settleMs after its last modification or the last event naming it, whichever is later', () => {
    let now = 1000;
    const q = new QuietClock(30, () => now);
    assert.equal(q.quietAt('a.yaml', stamp(990)), 1020);
    assert.ok(q.settling('a.yaml', stamp(990)));
    now = 1005;
    q.event('a.yaml'); // a write whose mtime the filesystem rounded down
    assert.equal(q.quietAt('a.yaml', stamp(990)), 1035);
    assert.equal(q.quietAt('b.yaml', stamp(990)), 1020, 'an event naming another file does not hold this one');
    now = 1035;
    assert.ok(!q.settling('a.yaml', stamp(990)));
  });

  it('an event naming no file may be about any file', () => {
    let now = 0;
    const q = new QuietClock(30, () => now);
    now = 50;
    q.event(null);
    assert.ok(q.touchedSince('b.yaml', 40));
    assert.ok(!q.touchedSince('b.yaml', 51));
    assert.equal(q.quietAt('b.yaml', stamp(10)), 80);
  });

  it('a read is suspect when an event named the file after it began', () => {
    let now = 100;
    const q = new QuietClock(30, () => now);
    q.event('a.yaml');
    assert.ok(!q.touchedSince('a.yaml', 101));
    now = 120;
    q.event('a.yaml');
    assert.ok(q.touchedSince('a.yaml', 101));
  });

  it('forgets old events', () => {
    let now = 0;
    const q = new QuietClock(30, () => now);
    q.event('a.yaml');
    now = 20_000;
    q.prune();
    assert.ok(!q.touchedSince('a.yaml', -1));
  });

  it('two stats of one unchanged file match; any write-visible difference does not', () => {
    assert.ok(sameStamp(stamp(5), stamp(5)));
    assert.ok(!sameStamp(stamp(5), stamp(5, 11)));
    assert.ok(!sameStamp(stamp(5), { ...stamp(5), ctimeMs: 6 }));
    assert.ok(!sameStamp(stamp(5), { ...stamp(5), ino: 8 }));
  });
});
