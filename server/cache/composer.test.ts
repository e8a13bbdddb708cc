/**
 * Composing a class's wildcard set from its parts' type sets gives what listing every name of every
 * part, sorted, would give (names, resources, version), shares equal type sets and merges, and never
 * takes a hash for equality.
 */
import { strict as assert } from 'node:assert';
import { resourceOfBytes, type EncodedResource } from '../../proto/encode.js';
import { CDS, LDS } from '../../proto/typeurls.js';
import { typeVersion } from './classsnapshot.js';
import { Composer, makeTypeSet, patchTypeSet } from './composer.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const res = (name: string, body = name): EncodedResource => resourceOfBytes(CLUSTER, name, new TextEncoder().encode(body));
const byName = (rs: readonly EncodedResource[]): Map<string, EncodedResource> => new Map(rs.map((r) => [r.name, r]));

describe('server/cache/composer', () => {
  it('a merge of disjoint type sets: sorted union, the version of its resources, a map that reads like a copy', () => {
    const c = new Composer();
    const a = byName([res('b'), res('d')]);
    const b = byName([res('a'), res('c'), res('e')]);
    // 'x' is listed but failed to encode: named, not sent.
    const pa = c.typeSet(
      CDS,
      makeTypeSet(['d', 'b'], (n) => a.get(n)),
    );
    const pb = c.typeSet(
      CDS,
      makeTypeSet(['a', 'c', 'e', 'x'], (n) => b.get(n)),
    );
    const m = c.merge(CDS, [pa, pb]);
    assert.deepEqual(m.names, ['a', 'b', 'c', 'd', 'e', 'x']);
    assert.deepEqual(
      m.resources.map((r) => r.name),
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.equal(m.version, typeVersion(m.resources));
    assert.equal(m.map.size, 5);
    assert.deepEqual([...m.map.keys()], ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(new Map(m.map), new Map(m.resources.map((r) => [r.name, r])));
    assert.equal(m.map.get('d'), a.get('d'));
    assert.equal(m.map.has('x'), false);
    assert.equal(c.merge(CDS, [pa, pb]), m, 'memoized by the type sets merged');
    assert.equal(c.merge(CDS, [pa]), pa, 'one type set is its own set');
  });

  it('a name listed by two parts is the first part’s, as the class answers it', () => {
    const c = new Composer();
    const first = res('same', 'first');
    const pa = c.typeSet(
      CDS,
      makeTypeSet(['same', 'a'], (n) => (n === 'same' ? first : res(n))),
    );
    const pb = c.typeSet(
      CDS,
      makeTypeSet(['same', 'z'], (n) => (n === 'same' ? res('same', 'second') : res(n))),
    );
    const m = c.merge(CDS, [pa, pb]);
    assert.deepEqual(
      m.resources.map((r) => r.name),
      ['a', 'same', 'z'],
    );
    assert.equal(m.map.get('same'), first);
    assert.equal(m.version, typeVersion(m.resources), 'not the XOR of both type sets (that would count "same" twice)');
  });

  it('equal type sets are one object (within two meshes); different resources or types never are', () => {
    const c = new Composer();
    const rs = byName([res('a'), res('b')]);
    const p1 = c.typeSet(
      CDS,
      makeTypeSet(['a', 'b'], (n) => rs.get(n)),
    );
    assert.equal(
      c.typeSet(
        CDS,
        makeTypeSet(['a', 'b'], (n) => rs.get(n)),
      ),
      p1,
    );
    assert.notEqual(
      c.typeSet(
        LDS,
        makeTypeSet(['a', 'b'], (n) => rs.get(n)),
      ),
      p1,
    );
    // Same names and versions, other resource objects (another interner generation): kept apart, checked not hashed.
    assert.notEqual(
      c.typeSet(
        CDS,
        makeTypeSet(['a', 'b'], (n) => res(n)),
      ),
      p1,
    );
    c.rotate();
    assert.equal(
      c.typeSet(
        CDS,
        makeTypeSet(['a', 'b'], (n) => rs.get(n)),
      ),
      p1,
      'the previous mesh’s type set is found',
    );
    c.rotate();
    c.rotate();
    assert.notEqual(
      c.typeSet(
        CDS,
        makeTypeSet(['a', 'b'], (n) => rs.get(n)),
      ),
      p1,
      'older ones are forgotten',
    );
  });

  it('name lists are interned by content, and their merges shared', () => {
    const c = new Composer();
    const x = c.names(CDS, ['a', 'c']);
    assert.equal(c.names(CDS, ['a', 'c']), x);
    const m = c.mergeNames(CDS, [x, c.names(CDS, ['b'])]);
    assert.deepEqual(m, ['a', 'b', 'c']);
    assert.equal(c.mergeNames(CDS, [c.names(CDS, ['a', 'c']), c.names(CDS, ['b'])]), m);
  });

  it('a patched type set equals the type set made again from the same resources (version, order, map)', () => {
    const names = ['e', 'a', 'c', 'b', 'd', 'x'];
    const v1 = byName(names.filter((n) => n !== 'x').map((n) => res(n)));
    const prev = makeTypeSet(names, (n) => v1.get(n));
    const v2 = new Map(v1).set('c', res('c', 'c2')).set('e', res('e', 'e2'));
    const patched = patchTypeSet(prev, [
      ['c', v2.get('c')],
      ['a', v2.get('a')], // unchanged
      ['e', v2.get('e')],
    ])!;
    const whole = makeTypeSet(names, (n) => v2.get(n));
    assert.notEqual(patched.version, prev.version);
    assert.equal(patched.version, whole.version);
    assert.deepEqual(patched.names, whole.names);
    assert.deepEqual(patched.resources, whole.resources);
    assert.deepEqual([...patched.map], [...whole.map], 'iterates in name order');
    assert.equal(patched.map.get('c'), v2.get('c'));
    assert.equal(prev.map.get('c'), v1.get('c'), 'the previous set is unchanged');
    // Patched again (over a patched map), back to the first resources.
    const back = patchTypeSet(patched, [
      ['c', v1.get('c')],
      ['e', v1.get('e')],
    ])!;
    assert.equal(back.version, prev.version);
    assert.deepEqual([...back.map], [...prev.map]);
    assert.equal(patchTypeSet(prev, [['a', v1.get('a')]]), prev, 'nothing changed: the same set');
    assert.equal(patchTypeSet(prev, [['x', res('x')]]), undefined, 'a resource that appears: made in full');
    assert.equal(patchTypeSet(prev, [['a', undefined]]), undefined, 'a resource that failed: made in full');
  });
});
