/** The fuzz run-count knob: defaults when unset, the variable when set, a clear refusal when malformed. */
import assert from 'node:assert/strict';
import { fuzzParams, fuzzRunsSet } from './fuzz.js';

describe('TSPILOT_FUZZ_RUNS / TSPILOT_FUZZ_SEED', () => {
  const saved = { runs: process.env['TSPILOT_FUZZ_RUNS'], seed: process.env['TSPILOT_FUZZ_SEED'] };
  const set = (k: string, v: string | undefined): void => {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  afterEach(() => {
    set('TSPILOT_FUZZ_RUNS', saved.runs);
    set('TSPILOT_FUZZ_SEED', saved.seed);
  });

  it('unset: each suite keeps its own count and seed', () => {
    set('TSPILOT_FUZZ_RUNS', undefined);
    set('TSPILOT_FUZZ_SEED', undefined);
    assert.deepEqual(fuzzParams(400, 4), { numRuns: 400, seed: 4 });
    assert.deepEqual(fuzzParams(12), { numRuns: 12 });
    assert.equal(fuzzRunsSet(), false);
  });

  it('set: every suite runs that many times, with the given seed', () => {
    set('TSPILOT_FUZZ_RUNS', '20000');
    set('TSPILOT_FUZZ_SEED', '7');
    assert.deepEqual(fuzzParams(400, 4), { numRuns: 20000, seed: 7 });
    assert.deepEqual(fuzzParams(12), { numRuns: 20000, seed: 7 });
    assert.equal(fuzzRunsSet(), true);
  });

  it('a malformed value is refused by name instead of running the default', () => {
    for (const bad of ['abc', '0', '-3', '1.5']) {
      set('TSPILOT_FUZZ_RUNS', bad);
      assert.throws(() => fuzzParams(10), new RegExp(`TSPILOT_FUZZ_RUNS="${bad.replace('.', '\\.')}"`));
    }
  });
});
