/**
 * An endpoint-only push costs what it touches (issue 18): the cache keeps every proxy's class key
 * but those of proxies whose own Pod changed, and every part no affected resource is in, without
 * splitting the class's output again — and what it skips is never something that should have
 * changed: a Pod relabelled in the same batch as an endpoint change moves its proxy to its new
 * class, and a proxy connecting in the middle of a sliced push gets the new mesh's class. Every
 * class's output is compared byte for byte with a from-scratch translation of the same mesh.
 */
import { strict as assert } from 'node:assert';
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { EDS, type XdsType } from '../../proto/typeurls.js';
import { outputParts, proxyClass, type OutputPart } from '../../translators/index.js';
import { PROTO_PATCH_OPS } from '../../proto/patch.js';
import { emptyState } from '../../watchers/store/reduce.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../../watchers/mesh.js';
import { SnapshotCache, type ClassSnapshot } from '../cache/snapshot.js';
import type { ClassLease } from '../cache/api.js';
import type { Subscriber } from '../xds/engine-api.js';
import type { StreamState } from '../xds/state.js';
import { PushRunner } from './runner.js';
import { dump, fileEvent, initialFiles, PROXIES, proxy, step } from './incremental-fixture.js';

/** The real parts, counting splits per proxy and translations per part kind. */
function counted(): {
  splits: Map<string, number>;
  made: Map<string, number>;
  parts: (mesh: MeshConfig, p: Proxy) => { classKey: string; parts: readonly OutputPart[] };
} {
  const splits = new Map<string, number>();
  const made = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  return {
    splits,
    made,
    parts: (mesh, p) => {
      bump(splits, p.id);
      const r = outputParts(mesh, p, PROTO_PATCH_OPS);
      return { classKey: r.classKey, parts: r.parts.map((x) => ({ ...x, make: () => (bump(made, x.kind), x.make()) })) };
    },
  };
}

/** A runner's view of a stream subscribed to EDS, on a real lease. */
function subscriber(l: ClassLease, pushed: Map<string, number>): Subscriber {
  const state = { id: l.proxy.id, proxy: l.proxy, types: new Map<XdsType, never>([[EDS, null as never]]) } as unknown as StreamState;
  return {
    state,
    snapshot: () => l.snapshot(),
    push: () => (pushed.set(l.proxy.id, (pushed.get(l.proxy.id) ?? 0) + 1), 1),
  };
}

function setup(): {
  st: ReturnType<typeof emptyState>;
  files: Map<string, string>;
  mesh: MeshConfig;
  cache: SnapshotCache;
  count: ReturnType<typeof counted>;
} {
  const st = emptyState();
  const files = initialFiles();
  const req = step(
    st,
    buildMesh(emptyState(), DEFAULT_MESH_OPTIONS).mesh,
    [...files].map(([f, text]) => fileEvent(f, text)),
  );
  const count = counted();
  const cache = new SnapshotCache(req.mesh, { parts: count.parts });
  new PushRunner(cache, { subscribers: () => [] }).push(req);
  return { st, files, mesh: req.mesh, cache, count };
}

/** Every lease's class equals a fresh translation of `mesh`, and is the class the proxy has in it. */
function assertFresh(leases: readonly ClassLease[], mesh: MeshConfig, label: string): void {
  const fresh = new SnapshotCache(mesh);
  for (const l of leases) {
    const snap = l.snapshot();
    assert.equal(snap.classKey, proxyClass(l.proxy, mesh), `${label}: ${l.proxy.id} is in its class`);
    assert.equal(dump(snap), dump(fresh.forProxy(l.proxy)), `${label}: ${l.proxy.id}`);
  }
}

describe('server/push endpoint-only pushes cost what they touch', function () {
  this.timeout(60_000);

  it('re-splits no class and re-translates no part that no changed endpoint is in; output still equals a fresh translation', () => {
    const { st, mesh, cache, count } = setup();
    const sidecars = PROXIES.filter((p) => p.type === 'sidecar');
    const leases = PROXIES.map((p) => cache.acquire(p));
    const runner = new PushRunner(cache, { subscribers: () => [] });
    assertFresh(leases, mesh, 'initial');
    const before = new Map(leases.map((l) => [l.proxy.id, l.snapshot()]));
    // s1's endpoints move: only the outbound parts (the EDS of s1) are affected.
    const req = step(st, mesh, [
      fileEvent(
        'ep-1',
        initialFiles()
          .get('ep-1')!
          .replace(/10\.1\.1\.0/, '10.1.1.77'),
      ),
    ]);
    assert.equal(req.scope.kind, 'endpoints');
    assert.ok(req.scope.kind === 'endpoints' && !req.scope.proxies?.size, 'no proxy named');
    count.splits.clear();
    count.made.clear();
    runner.push(req);
    assertFresh(leases, req.mesh, 'after the endpoint push');
    for (const kind of ['inbound', 'listeners', 'extras'])
      assert.equal(count.made.get(kind), undefined, `no ${kind} part is translated again (${JSON.stringify([...count.made])})`);
    assert.ok((count.made.get('outbound') ?? 0) >= 1, 'the outbound parts holding the changed EDS are');
    for (const l of leases) assert.notEqual(l.snapshot(), before.get(l.proxy.id), `${l.proxy.id}: a new snapshot (its EDS changed)`);
    // Nothing affected by a push of a host no class lists: every sidecar class is kept as it is, none is split.
    count.splits.clear();
    count.made.clear();
    const closed = (l: ClassLease): readonly object[] => (l.snapshot() as ClassSnapshot).parts.filter((p) => !p.open);
    const kept = new Map(leases.map((l) => [l.proxy.id, closed(l)]));
    const snaps = new Map(leases.map((l) => [l.proxy.id, l.snapshot()]));
    runner.push({ ...req, scope: { kind: 'endpoints', hosts: new Set(['nowhere.example.com']) } });
    for (const l of leases.filter((x) => sidecars.includes(x.proxy))) {
      assert.ok(closed(l).length >= 3, `${l.proxy.id}: a composed class`);
      assert.deepEqual(closed(l), kept.get(l.proxy.id), `${l.proxy.id}: the same closed parts`);
      assert.equal(l.snapshot(), snaps.get(l.proxy.id), `${l.proxy.id}: the same snapshot`);
    }
    assert.deepEqual(
      [...count.made.keys()].filter((k) => k !== 'class'),
      [],
      'no sidecar part is translated again',
    );
    assertFresh(leases, req.mesh, 'after a push that touches nothing');
    assert.deepEqual(
      sidecars.map((p) => count.splits.get(p.id) ?? 0),
      sidecars.map(() => 0),
      'no sidecar class is split again',
    );
    for (const l of leases) l.release();
  });

  it('a Pod relabelled in the same batch as an endpoint change moves its proxy to its new class (others keep theirs)', () => {
    const { st, files, mesh, cache } = setup();
    const leases = PROXIES.map((p) => cache.acquire(p));
    const runner = new PushRunner(cache, { subscribers: () => [] });
    const p2 = PROXIES[1]!;
    const keyBefore = leases[1]!.snapshot().classKey;
    assertFresh(leases, mesh, 'initial');
    // p2's own Pod gets another version label, and s3's endpoints move, in one batch.
    const relabelled = files.get('pod-p2')!.replace('version: v1', 'version: v2');
    assert.notEqual(relabelled, files.get('pod-p2'));
    const req = step(st, mesh, [fileEvent('pod-p2', relabelled), fileEvent('ep-3', files.get('ep-3')!.replace('10.1.3.0', '10.1.3.9'))]);
    assert.ok(req.scope.kind === 'endpoints' && req.scope.proxies?.has(`${p2.namespace}/${p2.workloadName}`), JSON.stringify(req.scope));
    assert.ok(req.scope.kind === 'endpoints' && req.scope.hosts.size >= 1, 'and an endpoint change');
    runner.push(req);
    assert.notEqual(proxyClass(p2, req.mesh), keyBefore, 'the relabel changes the class (else this test shows nothing)');
    assertFresh(leases, req.mesh, 'after the batch');
    for (const l of leases) l.release();
  });

  it('a proxy connecting in the middle of a sliced endpoint push, whose Pod the push adds, gets the new class; later pushes keep it right', async () => {
    const { st, files, mesh, cache } = setup();
    const leases = PROXIES.map((p) => cache.acquire(p));
    const pushed = new Map<string, number>();
    const subs = leases.map((l) => subscriber(l, pushed));
    const late = proxy('sidecar~10.0.0.9~p9.a~a.svc.cluster.local', { app: 'client', version: 'v1' });
    let lateLease: ClassLease | null = null;
    const runner = new PushRunner(
      cache,
      { subscribers: () => subs },
      {},
      {
        sliceMs: 0,
        yieldTurn: async () => {
          // Connects between two slices: after the cache took the new mesh, before every stream was reached.
          lateLease ??= cache.acquire(late);
          await Promise.resolve();
        },
      },
    );
    assertFresh(leases, mesh, 'initial');
    // p9's Pod appears (labels unlike its metadata's) together with an endpoint change of s0.
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: p9, namespace: a, labels: {app: s0, version: v2}}
spec: {containers: [{name: app, ports: [{name: db, containerPort: 9000}]}]}
status: {podIP: 10.0.0.9, phase: Running}
`;
    files.set('pod-p9', pod);
    const req = step(st, mesh, [fileEvent('pod-p9', pod), fileEvent('ep-0', files.get('ep-0')!.replace('10.1.0.0', '10.1.0.5'))]);
    assert.equal(req.scope.kind, 'endpoints', JSON.stringify(req.scope));
    await runner.submit(req);
    assert.ok(lateLease, 'the proxy connected mid-push');
    const all = [...leases, lateLease];
    assert.notEqual(proxyClass(late, req.mesh), proxyClass(late, mesh), "the Pod's labels change the late proxy's class");
    assertFresh(all, req.mesh, 'after the sliced push');
    assert.equal(pushed.size, PROXIES.length, 'every stream subscribed to EDS was reached');
    // The next endpoint-only push names no proxy: the late one keeps the class it got, which is still right.
    const next = step(st, req.mesh, [fileEvent('ep-0', files.get('ep-0')!.replace('10.1.0.0', '10.1.0.6'))]);
    assert.ok(next.scope.kind === 'endpoints' && !next.scope.proxies?.size, JSON.stringify(next.scope));
    await runner.submit(next);
    assertFresh(all, next.mesh, 'after the next push');
    for (const l of all) l.release();
  });
});
