/**
 * OverlayMap answers and iterates exactly as a plain map holding the same entries in key order
 * would, through long chains of changes (replacements, deletions, re-additions, new keys), while a
 * replacement shares the base instead of copying it.
 */
import { strict as assert } from 'node:assert';
import { OverlayMap } from './overlay-map.js';

const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe('watchers/overlay-map', () => {
  it('equals a sorted plain map after every change of a random sequence', () => {
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const keys = Array.from({ length: 200 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    let want = new Map(keys.filter((_, i) => i % 3 !== 0).map((k) => [k, 0]));
    let have: ReadonlyMap<string, number> = new Map(want);
    for (let step = 1; step <= 400; step++) {
      const set = new Map<string, number>();
      const del: string[] = [];
      for (let j = 0; j < 1 + rnd(3); j++) {
        const k = keys[rnd(keys.length)]!;
        if (rnd(4) === 0) del.push(k);
        else set.set(k, step);
      }
      for (const k of del) if (!set.has(k)) want.delete(k);
      for (const [k, v] of set) want.set(k, v);
      want = new Map([...want].sort((a, b) => order(a[0], b[0])));
      have = OverlayMap.withChanges(
        have,
        set,
        del.filter((k) => !set.has(k)),
        order,
      );
      assert.deepEqual([...have], [...want], `step ${step}: entries in key order`);
      assert.equal(have.size, want.size, `step ${step}: size`);
      for (const k of keys) {
        assert.equal(have.has(k), want.has(k), `step ${step}: has ${k}`);
        assert.equal(have.get(k), want.get(k), `step ${step}: get ${k}`);
      }
    }
  });

  it('replacing a key of a big map shares it (no copy), adding one builds a sorted map', () => {
    const base = new Map(Array.from({ length: 1000 }, (_, i) => [`k${String(i).padStart(4, '0')}`, i]));
    const one = OverlayMap.withChanges(base, new Map([['k0500', -1]]), [], order);
    assert.ok(one instanceof OverlayMap);
    assert.equal(one.get('k0500'), -1);
    assert.equal(one.get('k0501'), 501);
    const added = OverlayMap.withChanges(one, new Map([['k0500x', 7]]), [], order);
    assert.ok(added instanceof Map);
    assert.deepEqual([...added.keys()].slice(500, 503), ['k0500', 'k0500x', 'k0501']);
    assert.equal(added.get('k0500'), -1);
  });
});
