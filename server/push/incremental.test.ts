/**
 * Incremental pushes never push a different config (issue 18 item 1): seeded random sequences of
 * edits (VirtualServices — weights, timeouts, TCP routes, wildcard and short hosts, added and
 * deleted —, GAMMA HTTPRoutes, DestinationRules, ServiceEntries, Services, endpoints, and Pod churn —
 * IPs, labels that move endpoints between subsets and relabel a connected proxy, named container
 * ports a Service's targetPort resolves to, StatefulSet DNS names of a headless service, Pods
 * coming and going), each applied the way the
 * store stage applies it (reduce → takeChanges → buildMesh → pushScope) and pushed through the
 * PushRunner into a long-lived SnapshotCache. After every step, every proxy class's output (names,
 * versions and bytes of every resource of every type) must equal a from-scratch translation of the
 * same mesh. Some classes are left unread at some steps (as a class no stream reaches in a push),
 * and some resources unencoded, so carry-over from partial and stale snapshots is exercised too.
 * Some seeds also edit Sidecars (a namespace's default, one selecting a connected proxy, the root
 * namespace's default), which are keyed by the namespace whose proxies can choose them.
 * Three more check the point of it all: a VirtualService edit re-translates only its route config, a
 * DestinationRule edit only its host's clusters and EDS assignments, a Sidecar edit only its
 * namespace's proxies.
 */
import { strict as assert } from 'node:assert';
import { emptyState } from '../../watchers/store/reduce.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../../watchers/mesh.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { proxyClass } from '../../translators/index.js';
import { PushRunner } from './runner.js';
import {
  assertServedAsFresh,
  countingParts,
  dr,
  dump,
  fileEvent,
  initialFiles,
  PROXIES,
  randomEdit,
  rng,
  sidecar,
  sidecarEdit,
  step,
  vs,
} from './incremental-fixture.js';

/** `files` fed to the store `st` from an empty mesh, a cache whose part builds are counted, and a runner over it. */
function countedRun(st: ReturnType<typeof emptyState>, files: ReadonlyMap<string, string>) {
  const req = step(
    st,
    buildMesh(emptyState(), DEFAULT_MESH_OPTIONS).mesh,
    [...files].map(([f, text]) => fileEvent(f, text)),
  );
  const { built, counting } = countingParts();
  const cache = new SnapshotCache(req.mesh, { parts: counting });
  return { req, built, cache, runner: new PushRunner(cache, { subscribers: () => [] }) };
}

describe('server/push incremental pushes equal a from-scratch translation', function () {
  this.timeout(120_000);

  // Seeds 1–6: every kind of edit; 7–10: a third of the edits are Sidecars (namespace, selector and root defaults).
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
    it(`seed ${seed}: 40 random edit batches${seed > 6 ? ' with Sidecars' : ''}, byte for byte after each`, () => {
      const r = rng(seed);
      const st = emptyState();
      const files = initialFiles();
      let req = step(
        st,
        buildMesh(emptyState(), DEFAULT_MESH_OPTIONS).mesh,
        [...files].map(([f, text]) => fileEvent(f, text)),
      );
      const cache = new SnapshotCache(req.mesh);
      const runner = new PushRunner(cache, { subscribers: () => [] });
      const leases = PROXIES.map((p) => cache.acquire(p));
      runner.push(req);
      let podPushes = 0;
      let relabels = 0;
      let podFull = 0;
      for (let s = 0; s < 40; s++) {
        const batch: [string, string][] = [];
        const n = 1 + Math.floor(r() * (r() < 0.7 ? 1 : 3));
        for (let j = 0; j < n; j++)
          batch.push(seed > 6 && r() < 0.35 ? sidecarEdit(r, s * 3 + j + 2) : randomEdit(r, files, s * 3 + j + 2));
        for (const [f, text] of batch) files.set(f, text);
        req = step(
          st,
          req.mesh,
          batch.map(([f, text]) => fileEvent(f, text)),
        );
        if (req.scope.kind === 'endpoints' && [...req.keys].some((k) => k.startsWith('Pod/'))) {
          podPushes++;
          if (req.scope.proxies?.size) relabels++;
        } else if ([...req.keys].some((k) => k.startsWith('Pod/'))) podFull++;
        runner.push(req);
        assertServedAsFresh(leases, req.mesh, r, `seed ${seed}, step ${s}`, batch);
      }
      for (const l of leases) l.release();
      // The Pod edits must have exercised the endpoint-only path, not only full pushes.
      const tally = `seed ${seed}: ${podPushes} Pod changes were endpoint-only pushes (${relabels} naming a proxy), ${podFull} full`;
      assert.ok(podPushes >= 2 && relabels >= 1, tally);
    });
  }

  it('a VirtualService edit re-translates only the route config of its port, and carries the rest', () => {
    const st = emptyState();
    const files = initialFiles();
    const setup = countedRun(st, files);
    let req = setup.req;
    const { built, cache, runner } = setup;
    const lease = cache.acquire(PROXIES[0]!);
    runner.push(req);
    dump(lease.snapshot());
    const before = dump(lease.snapshot());
    built.length = 0;
    // vs-0 routes s0 (namespace a) on port 8080: a weight change.
    req = step(st, req.mesh, [fileEvent('vs-0', vs(0, 0, 9))]);
    assert.deepEqual([...req.keys], ['VirtualService/a/vs0']);
    runner.push(req);
    const after = dump(lease.snapshot());
    assert.notEqual(after, before);
    assert.deepEqual(
      [...new Set(built.map((b) => `${b.type} ${b.name}`))].sort(),
      // s0's virtual host in its route config (its port, 8080) and its own TCP listener (which reads its VirtualService's tcp routes).
      ['LDS 10.96.1.1_9000', 'RDS 8080 s0.a.svc.cluster.local:8080'],
      'only what reads the edited host is built again',
    );
    assert.equal(after, dump(new SnapshotCache(req.mesh).forProxy(PROXIES[0]!)));
    lease.release();
  });

  it("a Sidecar edit re-translates only its namespace's proxies (the root namespace's: everyone's)", () => {
    const st = emptyState();
    const setup = countedRun(st, initialFiles());
    let req = setup.req;
    const { built, cache, runner } = setup;
    const [inA, inB] = [cache.acquire(PROXIES[0]!), cache.acquire(PROXIES[1]!)];
    runner.push(req);
    /** Pushes one Sidecar edit: what reading each proxy's class then built, and whether its output changed. */
    const edit = (file: string, text: string): { a: number; b: number; changedA: boolean; changedB: boolean } => {
      const [beforeA, beforeB] = [dump(inA.snapshot()), dump(inB.snapshot())];
      built.length = 0;
      req = step(st, req.mesh, [fileEvent(file, text)]);
      assert.ok(req.exactKeys && [...req.keys].every((k) => k.startsWith('Sidecar/')), [...req.keys].join());
      runner.push(req);
      // Classes are translated when first read: what each read builds is its own.
      const afterA = dump(inA.snapshot());
      const a = built.length;
      const afterB = dump(inB.snapshot());
      const b = built.length - a;
      assert.equal(afterA, dump(new SnapshotCache(req.mesh).forProxy(PROXIES[0]!)));
      assert.equal(afterB, dump(new SnapshotCache(req.mesh).forProxy(PROXIES[1]!)));
      return { a, b, changedA: afterA !== beforeA, changedB: afterB !== beforeB };
    };
    // p2 (namespace b) is selected by s1-only: narrowing its egress rebuilds p2's output, nothing of p1's (namespace a).
    const sel = edit('sc-b', sidecar('b', 0));
    assert.ok(sel.changedB && sel.b > 0, 'p2 is translated again');
    assert.equal(sel.a, 0, 'nothing of namespace a is built again');
    // The root namespace's default applies where a namespace has none (p1's), not to p2 (its own selects it).
    const root = edit('sc-root', sidecar('root', 0));
    assert.ok(root.changedA && root.a > 0, 'the root default reaches namespace a');
    assert.ok(!root.changedB);
    inA.release();
    inB.release();
  });

  it('a Service edit re-translates only the scopes that see it, or route to it out of view', () => {
    const st = emptyState();
    const files = initialFiles();
    // p1 (namespace a) sees only namespace a at first; vs-x routes s0 to x (namespace b, one port) naming no port.
    files.set('sc-a', sidecar('a', 0));
    const x = (port: number): string => `apiVersion: v1
kind: Service
metadata: {name: x, namespace: b}
spec: {clusterIP: 10.96.2.1, selector: {app: x}, ports: [{name: http, port: ${port}}]}
`;
    files.set('svc-x', x(8080));
    files.set(
      'vs-x',
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs-x, namespace: a}
spec:
  hosts: [s0.a.svc.cluster.local]
  http: [{route: [{destination: {host: x.b.svc.cluster.local}}]}]
`,
    );
    files.delete('vs-0');
    const setup = countedRun(st, files);
    let req = setup.req;
    const { built, cache, runner } = setup;
    const [inA, inB] = [cache.acquire(PROXIES[0]!), cache.acquire(PROXIES[1]!)];
    runner.push(req);
    /** Pushes one batch of edits: whether each proxy's output changed, and what reading p1's class built. */
    const edit = (...batch: [string, string][]): { changedA: boolean; changedB: boolean; builtA: string[] } => {
      const [beforeA, beforeB] = [dump(inA.snapshot()), dump(inB.snapshot())];
      built.length = 0;
      req = step(
        st,
        req.mesh,
        batch.map(([f, text]) => fileEvent(f, text)),
      );
      runner.push(req);
      const afterA = dump(inA.snapshot());
      const builtA = [...new Set(built.map((b) => `${b.type} ${b.name}`))].sort();
      const afterB = dump(inB.snapshot());
      assert.equal(afterA, dump(new SnapshotCache(req.mesh).forProxy(PROXIES[0]!)), `p1 after ${batch.map((b) => b[0]).join()}`);
      assert.equal(afterB, dump(new SnapshotCache(req.mesh).forProxy(PROXIES[1]!)), `p2 after ${batch.map((b) => b[0]).join()}`);
      return { changedA: afterA !== beforeA, changedB: afterB !== beforeB, builtA };
    };
    const keyed = (): void => assert.ok(req.exactKeys && [...req.keys].every((k) => k.startsWith('Service/')), [...req.keys].join());
    // s1 (namespace b) gains a port: p2 (no Sidecar, sees it) changes; p1 sees only namespace a: nothing of it is built.
    let r = edit([
      'svc-1',
      initialFiles().get('svc-1')!.replace('  - {name: tcp-db', '  - {name: http-admin, port: 8081}\n  - {name: tcp-db'),
    ]);
    keyed();
    assert.ok(r.changedB && !r.changedA);
    assert.deepEqual(r.builtA, [], 'a scope that cannot see the service keeps everything');
    // x's port moves: p1's route to x (out of view, its port taken from x's only port) follows it.
    r = edit(['svc-x', x(8082)]);
    keyed();
    assert.ok(r.changedA, "p1's route names x's new port");
    // Namespace a's Sidecar admits namespace b by name, then every namespace: s3's edits reach p1.
    for (const v of [1, 2]) {
      edit(['sc-a', sidecar('a', v)]);
      r = edit([
        'svc-3',
        initialFiles()
          .get('svc-3')!
          .replace('  - {name: tcp-db', `  - {name: http-admin, port: ${8090 + v}}\n  - {name: tcp-db`),
      ]);
      keyed();
      assert.ok(r.changedA && r.changedB, `egress ${v}: both see s3`);
    }
    inA.release();
    inB.release();
  });

  it('a VirtualService or DestinationRule edit keys no proxy to its class again; any other edit keys every one', () => {
    const st = emptyState();
    let req = step(
      st,
      buildMesh(emptyState(), DEFAULT_MESH_OPTIONS).mesh,
      [...initialFiles()].map(([f, text]) => fileEvent(f, text)),
    );
    let keyed = 0;
    const cache = new SnapshotCache(req.mesh, { classOf: (p, m) => (keyed++, proxyClass(p, m)) });
    const runner = new PushRunner(cache, { subscribers: () => [] });
    const leases = PROXIES.map((p) => cache.acquire(p));
    runner.push(req);
    /** Proxies keyed by the push of one edit; every class then serves what a fresh translation does. */
    const keyedBy = (file: string, text: string): number => {
      req = step(st, req.mesh, [fileEvent(file, text)]);
      keyed = 0;
      runner.push(req);
      const n = keyed;
      leases.forEach((l, k) =>
        assert.equal(dump(l.snapshot()), dump(new SnapshotCache(req.mesh).forProxy(PROXIES[k]!)), `${file}: ${PROXIES[k]!.id}`),
      );
      return n;
    };
    assert.equal(keyedBy('vs-0', vs(0, 0, 9)), 0, 'a VirtualService weight');
    assert.equal(keyedBy('dr-1', dr(1, 4)), 0, 'a DestinationRule connection pool');
    assert.equal(keyedBy('gw', ''), PROXIES.length, 'a Gateway deleted: not keyed by dependencies');
    for (const l of leases) l.release();
  });

  it("a DestinationRule edit re-translates only its host's clusters and EDS (and what else reads the rule)", () => {
    const st = emptyState();
    const setup = countedRun(st, initialFiles());
    let req = setup.req;
    const { built, cache, runner } = setup;
    const lease = cache.acquire(PROXIES[0]!);
    runner.push(req);
    const before = dump(lease.snapshot());
    built.length = 0;
    // dr-1 (s1, namespace b): its connection pool only.
    req = step(st, req.mesh, [fileEvent('dr-1', dr(1, 4))]);
    assert.deepEqual([...req.keys], ['DestinationRule/b/s1']);
    runner.push(req);
    const after = dump(lease.snapshot());
    assert.notEqual(after, before);
    const host = 's1.b.svc.cluster.local';
    const own = [8080, 9000].flatMap((p) => ['', 'v1', 'v2'].map((s) => `outbound|${p}|${s}|${host}`));
    assert.deepEqual(
      [...new Set(built.map((b) => `${b.type} ${b.name}`))].sort(),
      // (s1's routes have two destinations each: no hash policy, so no route config reads its rule.)
      [...own.map((n) => `CDS ${n}`), ...own.map((n) => `EDS ${n}`)].sort(),
      'only what reads the edited rule is built again',
    );
    assert.equal(after, dump(new SnapshotCache(req.mesh).forProxy(PROXIES[0]!)));

    // Without its VirtualService (and no HTTPRoute), s3's default routes hash as its rule says: they read its load balancer.
    req = step(st, req.mesh, [fileEvent('vs-3', '')]);
    runner.push(req);
    dump(lease.snapshot());
    const rebuilt = (v: number): string[] => {
      built.length = 0;
      req = step(st, req.mesh, [fileEvent('dr-3', dr(3, v))]);
      runner.push(req);
      const d = dump(lease.snapshot());
      assert.equal(d, dump(new SnapshotCache(req.mesh).forProxy(PROXIES[0]!)));
      return [...new Set(built.filter((b) => b.type !== 'CDS' && b.type !== 'EDS').map((b) => `${b.type} ${b.name}`))].sort();
    };
    assert.deepEqual(rebuilt(6), [], 'a connection pool edit (and a new subset, v3) rebuilds no route');
    assert.deepEqual(
      rebuilt(7),
      ['RDS 8080 s3.b.svc.cluster.local:8080'],
      'a consistent hash (v odd) changes the virtual host of s3 in the route config of its port',
    );
    lease.release();
  });
});
