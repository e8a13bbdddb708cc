/** The soak's growth verdict: flat or noisy series pass, a steady climb fails even when noisy. */
import assert from 'node:assert/strict';
import { trend, type Sample } from './slope.js';

/** A deterministic pseudo-random sawtooth (garbage collections) of the given amplitude. */
function series(n: number, f: (t: number) => number, noise: number): Sample[] {
  let x = 12345;
  return Array.from({ length: n }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return { t: i * 10, mb: f(i * 10) + (x / 2 ** 31 - 0.5) * 2 * noise };
  });
}

describe('bench/slope (soak verdict)', () => {
  it('a flat series with garbage-collection noise passes', () => {
    const r = trend(
      series(180, () => 120, 15),
      300,
      10,
    );
    assert.equal(r.grows, false, r.reason);
    assert.ok(Math.abs(r.slopeMbPerHour) < 10, `slope ${r.slopeMbPerHour}`);
  });

  it('a steady climb of 1 MB/min fails, whatever the noise around it', () => {
    const r = trend(
      series(180, (t) => 100 + t / 60, 15),
      300,
      10,
    );
    assert.equal(r.grows, true, r.reason);
    assert.ok(Math.abs(r.slopeMbPerHour - 60) < 8, `slope ${r.slopeMbPerHour} MB/h`);
    assert.match(r.reason, /grows \d+\.\d MB/);
  });

  it('growth below the allowance passes; the warm-up is left out of the fit', () => {
    const warm = series(180, (t) => (t < 300 ? t / 3 : 100 + t / 1800), 0.5);
    const r = trend(warm, 300, 10);
    assert.equal(r.grows, false, r.reason);
    assert.ok(r.growthMb > 0 && r.growthMb < 10);
    assert.equal(trend(warm, 0, 10).grows, true, 'the warm-up ramp alone would fail');
  });

  it('too few samples is no verdict of growth, and says so', () => {
    const r = trend(
      series(5, () => 100, 1),
      30,
      10,
    );
    assert.equal(r.grows, false);
    assert.match(r.reason, /too few samples/);
  });
});
