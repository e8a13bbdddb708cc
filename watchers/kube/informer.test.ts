/**
 * The restart backoff of the Kubernetes watchers: exponential from the initial delay, capped, and
 * jittered between half and all of the step so that replicas do not hammer a recovering API
 * server in lockstep.
 */
import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_BACKOFF } from './informer.js';

describe('watchers/kube backoff', () => {
  const b = { initialMs: 100, maxMs: 3000 };
  it('doubles per attempt up to the cap (upper bound: random → 1)', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 40].map((a) => backoffDelay(a, b, () => 1)),
      [100, 200, 400, 800, 1600, 3000, 3000, 3000],
    );
  });
  it('jitters between half and all of the step', () => {
    assert.equal(
      backoffDelay(3, b, () => 0),
      400,
    );
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, b);
      assert.ok(d >= 400 && d <= 800, `${d} within [400, 800]`);
    }
    const many = new Set(Array.from({ length: 50 }, () => backoffDelay(5, b)));
    assert.ok(many.size > 10, 'replicas spread their retries');
  });
  it('defaults: 200 ms first, 30 s at most', () => {
    assert.equal(
      backoffDelay(0, DEFAULT_BACKOFF, () => 1),
      200,
    );
    assert.equal(
      backoffDelay(100, DEFAULT_BACKOFF, () => 1),
      30_000,
    );
  });
});
