/**
 * Tests for model/duration.ts: Go-style duration strings as users write them in VirtualServices
 * and DestinationRules, rejection of strings that are not durations, and the protobuf Duration
 * that timeouts become (a fast-check round trip: seconds and nanos give back the same time, and
 * nanos always stay in protobuf's range).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from '../e2e/fuzz.js';
import { durationOf, msToDuration, parseDuration } from './duration.js';

describe('model/duration', () => {
  describe('parseDuration', () => {
    const cases: [string, number][] = [
      ['10s', 10_000],
      ['1.5s', 1500],
      ['250ms', 250],
      ['1h30m', 5_400_000],
      ['1h', 3_600_000],
      ['2m', 120_000],
      ['1m30s', 90_000],
      ['0.5s', 500],
      ['100us', 0.1],
      ['100µs', 0.1],
      ['1000000ns', 1],
      ['1h0m0.25s', 3_600_250],
      [' 3s ', 3000],
    ];
    for (const [s, ms] of cases) {
      it(`"${s}" is ${ms} ms`, () => {
        const got = parseDuration(s);
        assert.ok(got !== null, `"${s}" should parse`);
        assert.ok(Math.abs(got - ms) < 1e-9, `"${s}" gave ${got}`);
      });
    }

    for (const bad of ['', '   ', '10', '1.5', 'abc', '10 s', '1h 30m', '-1s', '5d', '1sec', 's', '1.s5', 'ms10']) {
      it(`${JSON.stringify(bad)} is not a duration (null)`, () => {
        assert.equal(parseDuration(bad), null);
      });
    }
  });

  describe('msToDuration / durationOf', () => {
    it('whole seconds carry no nanos; fractions become nanos', () => {
      assert.deepEqual(msToDuration(10_000), { seconds: 10 });
      assert.deepEqual(msToDuration(0), { seconds: 0 });
      assert.deepEqual(msToDuration(1500), { seconds: 1, nanos: 500_000_000 });
      assert.deepEqual(msToDuration(250), { seconds: 0, nanos: 250_000_000 });
      assert.deepEqual(durationOf('1h30m'), { seconds: 5400 });
      assert.deepEqual(durationOf('1.5s'), { seconds: 1, nanos: 500_000_000 });
    });

    it('a bad string becomes 0s (translators only see validated strings)', () => {
      assert.deepEqual(durationOf('soon'), { seconds: 0 });
    });

    it('rounding up to a whole second carries into seconds (nanos stay below 1e9)', () => {
      assert.deepEqual(durationOf('1.9999999999s'), { seconds: 2 });
      assert.deepEqual(msToDuration(1999.9999999999998), { seconds: 2 });
    });

    it('round trip: any whole number of nanoseconds (up to ~28 h) comes back exactly, with 0 ≤ nanos < 1e9', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1e14 }), (ns) => {
          const d = msToDuration(ns / 1e6);
          const nanos = d.nanos ?? 0;
          assert.ok(Number.isInteger(d.seconds) && Number.isInteger(nanos), JSON.stringify(d));
          assert.ok(nanos >= 0 && nanos < 1e9, `nanos out of range: ${JSON.stringify(d)}`);
          assert.equal(d.seconds * 1e9 + nanos, ns);
          if ('nanos' in d) assert.notEqual(d.nanos, 0, 'nanos omitted when 0');
        }),
        fuzzParams(2000),
      );
    });

    // Up to ~28 hours: beyond that a millisecond double cannot hold nanosecond precision.
    it('round trip through the string form a user writes: "<s>.<9 digits>s" gives those seconds and nanos', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 999_999_999 }), (s, n) => {
          const d = durationOf(`${s}.${String(n).padStart(9, '0')}s`);
          assert.deepEqual(d, n ? { seconds: s, nanos: n } : { seconds: s });
        }),
        fuzzParams(2000),
      );
    });

    it('round trip through units: h, m, s and ms add up', () => {
      fc.assert(
        fc.property(fc.nat(100), fc.nat(59), fc.nat(59), fc.nat(999), (h, m, s, ms) => {
          const d = durationOf(`${h}h${m}m${s}s${ms}ms`);
          assert.deepEqual(d, ms ? { seconds: h * 3600 + m * 60 + s, nanos: ms * 1e6 } : { seconds: h * 3600 + m * 60 + s });
        }),
        fuzzParams(100),
      );
    });
  });
});
