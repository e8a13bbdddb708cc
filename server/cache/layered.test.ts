/**
 * server/cache/layered: a forked map reads like a copy — changing the fork leaves the map it was
 * forked from as it was, deletes and re-adds count right, and folding the layer into a new base
 * (past an eighth of it) changes nothing a reader sees.
 */
import { strict as assert } from 'node:assert';
import { LayeredMap } from './layered.js';

const plain = <K, V>(m: ReadonlyMap<K, V>): [K, V][] => [...m].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe('server/cache/layered', () => {
  it('a fork reads like a copy and never changes the map it came from', () => {
    const a = LayeredMap.empty<string, number>();
    for (let i = 0; i < 100; i++) a.set(`k${i}`, i);
    const b = LayeredMap.fork(a);
    b.set('k1', -1).set('new', 7);
    assert.equal(b.delete('k2'), true);
    assert.equal(b.delete('k2'), false, 'already gone');
    assert.equal(b.delete('absent'), false);
    assert.equal(a.get('k1'), 1);
    assert.equal(a.has('k2'), true);
    assert.equal(a.has('new'), false);
    assert.equal(a.size, 100);
    assert.equal(b.get('k1'), -1);
    assert.equal(b.has('k2'), false);
    assert.equal(b.get('k2'), undefined);
    assert.equal(b.size, 100);
    const want = new Map(plain(a));
    want.set('k1', -1).set('new', 7).delete('k2');
    assert.deepEqual(plain(b), plain(want));
    b.set('k2', 2);
    assert.equal(b.size, 101);
    assert.equal(b.get('k2'), 2);
    const u = LayeredMap.fork(b);
    u.set('k3', undefined as unknown as number);
    assert.equal(u.has('k3'), true, 'an undefined value is still an entry');
    assert.equal(u.get('k3'), undefined);
  });

  it('forks of forks, with layers folded into new bases, read like the copies they stand for', () => {
    let m = LayeredMap.empty<number, string>();
    const copy = new Map<number, string>();
    const history: [LayeredMap<number, string>, [number, string][]][] = [];
    // A deterministic walk of sets and deletes over 300 keys, forking after every few changes.
    let x = 7;
    for (let step = 0; step < 400; step++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const k = x % 300;
      if (x % 5 === 0) {
        assert.equal(m.delete(k), copy.delete(k), `step ${step}: delete ${k}`);
      } else {
        m.set(k, `v${step}`);
        copy.set(k, `v${step}`);
      }
      assert.equal(m.size, copy.size, `step ${step}: size`);
      if (step % 3 === 0) {
        history.push([m, plain(copy)]);
        m = LayeredMap.fork(m);
      }
    }
    for (const [i, [snap, want]] of history.entries()) assert.deepEqual(plain(snap), want, `fork ${i} unchanged by later writes`);
    for (let k = 0; k < 300; k++) assert.equal(m.get(k), copy.get(k), `key ${k}`);
  });

  it('over a plain map: that map is the base, never written', () => {
    const base = new Map([['a', 1]]);
    const m = LayeredMap.over(base);
    m.set('a', 2).set('b', 3);
    assert.deepEqual([...base], [['a', 1]]);
    assert.deepEqual(plain(m), [
      ['a', 2],
      ['b', 3],
    ]);
  });
});
