/**
 * server/cache/depindex: the resources the index names for a change are every resource the
 * per-resource rule (translators/deps.ts touchedBy) says may differ — never fewer (a missed one
 * would serve stale config) — and, while no resource has dropped a key it read, exactly those; a
 * forked index is unchanged by what its fork notes; a changed `<kind>:*` key is left to the
 * per-resource rule.
 */
import { strict as assert } from 'node:assert';
import { touchedBy, type Deps } from '../../translators/deps.js';
import { DepIndex, parseResourceId, resourceId } from './depindex.js';
import { rng } from '../push/incremental-fixture.js';

const KEYS = ['vs:a', 'vs:b', 'vs:c', 'dr:a', 'dr:b', 'drlb:a', 'vs:*', 'dr:*'];

describe('server/cache/depindex', () => {
  it('names every resource a change may touch (exactly those while none dropped a key), forks stay apart', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      const pick = (): Set<string> => new Set(KEYS.filter(() => r() < 0.25));
      const deps = new Map<string, Deps | undefined>();
      const idx = DepIndex.empty();
      for (let i = 0; i < 30; i++) {
        const id = resourceId('T', `r${i}`);
        const d = r() < 0.1 ? undefined : pick();
        deps.set(id, d);
        idx.note(id, d && [d]);
      }
      const check = (index: DepIndex, want: Map<string, Deps | undefined>, exact: boolean, label: string): void => {
        for (let k = 0; k < 20; k++) {
          const changed = new Set(KEYS.filter((x) => !x.endsWith('*') && r() < 0.2));
          const got = index.touched(changed);
          assert.ok(got, label);
          const hit = touchedBy(changed);
          const must = [...want].filter(([, d]) => d === undefined || hit(d)).map(([id]) => id);
          for (const id of must) assert.ok(got.has(id), `${label}: ${id} may differ after ${[...changed]} but is not named`);
          if (exact) assert.deepEqual([...got].sort(), must.sort(), `${label}: exactly the touched ones`);
        }
      };
      check(idx, deps, true, `seed ${seed}`);
      // A fork notes a resource rebuilt with other keys: the fork names it under both, the original is as it was.
      const fork = DepIndex.fork(idx);
      const moved = new Map(deps);
      const id = resourceId('T', 'r3');
      const d = new Set(['vs:c']);
      moved.set(id, d);
      fork.note(id, [d]);
      check(fork, moved, false, `seed ${seed} fork`);
      check(idx, deps, true, `seed ${seed} original after fork`);
      assert.equal(idx.touched(new Set(['vs:*'])), null, 'a changed wildcard key: not answered by the index');
    }
    assert.deepEqual(parseResourceId(resourceId('type.googleapis.com/x', 'a\u0000b')), ['type.googleapis.com/x', 'a\u0000b']);
  });
});
