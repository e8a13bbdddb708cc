/**
 * statusOf (status.ts) over frozen-map.ts: every status is exactly the store at the time it was
 * taken and never changes afterwards, whatever is folded in later (edits, deletions, files
 * defining the same key, deleted files); and a status taken after one change costs that change —
 * it does not read the whole store again (issue 18: it copied ~13,000 objects on every push).
 */
import { strict as assert } from 'node:assert';
import type { ConfigEvent, ConfigKey, ConfigObject } from '../../model/config.js';
import type { EndpointSlice } from '../../model/k8s.js';
import { rng } from '../../server/push/incremental-fixture.js';
import { duplicateDefinitions, emptyState, reduce, type Entry, type StoreState } from './reduce.js';
import { statusOf, type StoreStatus } from './status.js';

const slice = (name: string, ip: string): EndpointSlice => ({
  kind: 'EndpointSlice',
  meta: { namespace: 'default', name, labels: {}, annotations: {}, resourceVersion: '' } as EndpointSlice['meta'],
  serviceName: 'a',
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] as EndpointSlice['ports'],
  endpoints: [{ ip, ready: true, targetPod: null, nodeName: '', zone: '' }],
});
const keyOf = (name: string): ConfigKey => `EndpointSlice/default/${name}` as ConfigKey;

const upsert = (name: string, ip: string): ConfigEvent => ({
  type: 'upsert',
  key: keyOf(name),
  object: slice(name, ip),
  origin: { source: 'kube' },
});

/** A file (origin) defining `names`, each at `ip`. */
const file = (source: string, names: readonly string[], ip: string): ConfigEvent => ({
  type: 'replace',
  origin: { source },
  objects: names.map((n) => ({ key: keyOf(n), object: slice(n, ip) as ConfigObject })),
  rejections: [],
});

/** What a status must show: plain copies of the store taken now. */
function expected(st: StoreState): { objects: [ConfigKey, Entry][]; duplicates: ReturnType<typeof duplicateDefinitions> } {
  return { objects: [...st.objects].sort(([a], [b]) => (a < b ? -1 : 1)), duplicates: duplicateDefinitions(st) };
}

function shown(s: StoreStatus): ReturnType<typeof expected> {
  assert.equal(s.objects.size, [...s.objects].length, 'size agrees with iteration');
  for (const [k, e] of s.objects) assert.equal(s.objects.get(k), e);
  return { objects: [...s.objects].sort(([a], [b]) => (a < b ? -1 : 1)), duplicates: [...s.duplicates] };
}

describe('watchers/store/status', () => {
  it('each status is the store when it was taken, and stays so while later events are folded', () => {
    // 40 keys: the changes stay in one layer; 300: the layer outgrows its limit and is folded into a new base.
    for (const [seed, count] of Array.from({ length: 20 }, (_, i) => [i + 1, i % 2 ? 300 : 40] as const)) {
      const r = rng(seed);
      const st = emptyState();
      const taken: { status: StoreStatus; want: ReturnType<typeof expected> }[] = [];
      const names = Array.from({ length: count }, (_, i) => `s${i}`);
      const pick = (): string => names[Math.floor(r() * names.length)]!;
      for (let step = 0; step < 300; step++) {
        const x = r();
        const ip = `10.0.0.${Math.floor(r() * 4)}`;
        if (x < 0.4) reduce(st, upsert(pick(), ip));
        else if (x < 0.55) reduce(st, { type: 'delete', key: keyOf(pick()), origin: { source: 'kube' } });
        else {
          // Files a and b define overlapping keys (duplicates); an empty file deletes its objects.
          const src = r() < 0.5 ? 'a.yaml' : 'b.yaml';
          const some = r() < 0.15 ? [] : names.filter(() => r() < 0.2);
          reduce(st, file(src, some, ip));
        }
        if (r() < 0.5) {
          const status = statusOf(st);
          const want = expected(st);
          assert.deepEqual(shown(status), want, `seed ${seed} step ${step}`);
          taken.push({ status, want });
        }
      }
      for (const [i, t] of taken.entries()) assert.deepEqual(shown(t.status), t.want, `seed ${seed}: status ${i} changed later`);
    }
  });

  it('a status after one change does not read the whole store again', () => {
    const st = emptyState();
    for (let i = 0; i < 5000; i++) reduce(st, upsert(`s${i}`, '10.0.0.1'));
    const before = statusOf(st);
    reduce(st, upsert('s7', '10.0.0.2'));
    reduce(st, { type: 'delete', key: keyOf('s8'), origin: { source: 'kube' } });
    reduce(st, upsert('new', '10.0.0.3'));
    // Every way of reading the whole map counts (a copy iterates it).
    let reads = 0;
    const objects = st.objects;
    for (const m of ['entries', 'keys', 'values', 'forEach', Symbol.iterator] as const) {
      const f = objects[m] as (...a: unknown[]) => unknown;
      Object.defineProperty(objects, m, {
        configurable: true,
        value: (...a: unknown[]) => {
          reads++;
          return f.apply(objects, a);
        },
      });
    }
    const after = statusOf(st);
    assert.equal(reads, 0, 'the status iterated the store');
    assert.equal(after.objects.size, 5000);
    assert.equal((after.objects.get(keyOf('s7'))?.object as EndpointSlice).endpoints[0]!.ip, '10.0.0.2');
    assert.equal(after.objects.has(keyOf('s8')), false);
    assert.equal((after.objects.get(keyOf('new'))?.object as EndpointSlice).endpoints[0]!.ip, '10.0.0.3');
    assert.equal((before.objects.get(keyOf('s7'))?.object as EndpointSlice).endpoints[0]!.ip, '10.0.0.1');
    assert.equal(before.objects.has(keyOf('s8')), true);
    assert.equal(before.objects.has(keyOf('new')), false);
    assert.equal(before.objects.size, 5000);
  });
});
