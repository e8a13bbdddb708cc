/**
 * The stand-in's store keeps its key order across writes (it is kept sorted, not re-sorted per
 * list): the state at an older revision comes back in byte order with that revision's values,
 * whether only values changed since (the order kept) or keys were added and removed (sorted anew),
 * and the current state follows every create and delete.
 */
import { strict as assert } from 'node:assert';
import { DEFAULT_RESOURCES, type ResourceDef } from './registry.js';
import { Store, type StoredObject } from './store.js';

const pods = DEFAULT_RESOURCES.find((d) => d.resource === 'pods') as ResourceDef;
const pod = (name: string, node: string) => ({ metadata: { name, namespace: 'ns' }, spec: { nodeName: node } });
const names = (xs: readonly StoredObject[]): string[] => xs.map((o) => o.metadata.name);
const ips = (xs: ReadonlyArray<[string, StoredObject]>): string[] => xs.map(([, o]) => (o['spec'] as { nodeName: string }).nodeName);

describe('fake apiserver store: key order across writes', () => {
  it('old revisions in key order with their values; current state after creates and deletes', () => {
    const s = new Store([pods]);
    for (const n of ['p3', 'p1', 'p20', 'p2']) s.create(pods, pod(n, `${n}-a`));
    const rv0 = s.currentRV;
    assert.deepEqual(names(s.current(pods)), ['p1', 'p2', 'p20', 'p3']);

    // Only values change: the snapshot at rv0 keeps the old values, in order.
    s.update(pods, pod('p2', 'p2-b'));
    s.update(pods, pod('p2', 'p2-c'));
    assert.deepEqual(ips(s.snapshotAt(pods, rv0)!), ['p1-a', 'p2-a', 'p20-a', 'p3-a']);
    const rv1 = s.currentRV;
    assert.deepEqual(ips(s.snapshotAt(pods, rv1)!), ['p1-a', 'p2-c', 'p20-a', 'p3-a']);

    // Keys come and go: both the current state and the older revisions follow.
    s.create(pods, pod('p0', 'p0-a'));
    s.delete(pods, 'ns', 'p20');
    s.update(pods, pod('p3', 'p3-b'));
    assert.deepEqual(names(s.current(pods)), ['p0', 'p1', 'p2', 'p3']);
    assert.deepEqual(ips(s.snapshotAt(pods, s.currentRV)!), ['p0-a', 'p1-a', 'p2-c', 'p3-b']);
    assert.deepEqual(ips(s.snapshotAt(pods, rv1)!), ['p1-a', 'p2-c', 'p20-a', 'p3-a']);
    assert.deepEqual(ips(s.snapshotAt(pods, rv0)!), ['p1-a', 'p2-a', 'p20-a', 'p3-a']);
    assert.deepEqual(
      s.snapshotAt(pods, rv0)!.map(([k]) => k),
      ['ns/p1', 'ns/p2', 'ns/p20', 'ns/p3'],
    );
  });
});
