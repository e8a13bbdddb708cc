/**
 * The push runner (issue 15 item 1): what a push's scope means (types, carry-over, headless name
 * table), which streams it reaches (ProxyNeedsPush), that each proxy class is prepared once and a
 * class that fails is skipped and reported once while every other class is pushed, and — against
 * the real cache and engine — that an endpoint-only push carries every unaffected resource over.
 */
import { strict as assert } from 'node:assert';
import type { MeshConfig } from '../../model/config.js';
import { FULL_PUSH, fullPush, type PushScope } from '../../model/push.js';
import { CDS, EDS, LDS, NDS, RDS, SDS, type XdsType } from '../../proto/typeurls.js';
import type { CarryOver, ClassLease, MeshCache, ResourceSnapshot } from '../cache/api.js';
import { A, B, fixtureYaml } from '../xds/conformance/fixture.js';
import { meshOf, NODE, startHarness } from '../xds/conformance/harness.js';
import { Peer, names } from '../xds/conformance/peer.js';
import type { Subscriber } from '../xds/engine-api.js';
import type { StreamState } from '../xds/state.js';
import { PushRunner, needsPush, planPush } from './runner.js';
import { parseClusterName } from '../../translators/names.js';
import { pushScope } from '../../watchers/store/scope.js';

/** The key the translators put beside a cluster/EDS name (here read back from the name). */
const K = (n: string) => parseClusterName(n) ?? undefined;

const A_HOST = 'a.default.svc.cluster.local';
const DB_HOST = 'db.default.svc.cluster.local';
const headlessYaml = `${fixtureYaml()}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec: {clusterIP: None, selector: {app: db}, ports: [{name: tcp, port: 5432}]}
`;

const endpoints = (...hosts: string[]): PushScope => ({ kind: 'endpoints', hosts: new Set(hosts) });

/** A stream state subscribed to `types` (only the keys matter to the runner). */
const streamOf = (id: string, types: XdsType[]): StreamState => ({
  id,
  proxy: { id } as never,
  node: null as never,
  kind: 'sotw',
  connectedAt: 0,
  peer: '',
  types: new Map(types.map((t) => [t, null as never])),
  nonceSeq: 0,
});

describe('server/push/runner planPush and needsPush', () => {
  const mesh = meshOf(fixtureYaml());

  it('a full push composes every type and carries nothing over', () => {
    const p = planPush(FULL_PUSH, mesh, mesh);
    assert.equal(p.types, undefined);
    assert.equal(p.carryOver, undefined);
    assert.ok(needsPush(p, streamOf('lds-only', [LDS])));
  });

  it('an endpoint-only push: EDS only, carries over every other type and the EDS of other hosts', () => {
    const p = planPush(endpoints(A_HOST), mesh, mesh);
    assert.deepEqual([...p.types!], [EDS]);
    assert.equal(p.headless, false);
    const keep: CarryOver = p.carryOver!;
    assert.equal(keep(EDS, A, K(A)), false, 'the changed host is recomputed');
    assert.equal(
      keep(EDS, 'outbound|80|v1|a.default.svc.cluster.local', K('outbound|80|v1|a.default.svc.cluster.local')),
      false,
      'also its subsets',
    );
    assert.equal(keep(EDS, B, K(B)), true);
    for (const t of [CDS, LDS, RDS, SDS, NDS]) assert.equal(keep(t, A, K(A)), true, `${t} carried over`);
    assert.equal(needsPush(p, streamOf('cds-lds', [CDS, LDS])), false, 'a stream without EDS is not reached');
    assert.equal(needsPush(p, streamOf('nds-only', [NDS])), false);
    assert.equal(needsPush(p, streamOf('eds', [CDS, EDS])), true);
  });

  it('endpoints of a headless service (in the new or the old mesh) also move the name table', () => {
    const withDb = meshOf(headlessYaml);
    for (const [prev, next] of [
      [mesh, withDb],
      [withDb, mesh],
    ] as [MeshConfig, MeshConfig][]) {
      const p = planPush(endpoints(DB_HOST), prev, next);
      assert.deepEqual([...p.types!].sort(), [EDS, NDS].sort());
      assert.equal(p.carryOver!(NDS, '', undefined), false);
      assert.equal(needsPush(p, streamOf('nds-only', [NDS])), true);
    }
  });

  it('a secrets-only push composes SDS and carries every other type over', () => {
    const p = planPush({ kind: 'secrets' }, mesh, mesh);
    assert.deepEqual([...p.types!], [SDS]);
    assert.equal(p.carryOver!(SDS, 'kubernetes://x', undefined), false);
    assert.equal(p.carryOver!(CDS, A, K(A)), true);
  });
});

/** A cache that records rotations and hands out the given snapshots. */
class FakeCache implements MeshCache {
  rotations: { mesh: MeshConfig; carryOver: CarryOver | undefined }[] = [];
  constructor(public mesh: MeshConfig) {}
  acquire(): ClassLease {
    throw new Error('not used');
  }
  setMesh(mesh: MeshConfig, carryOver?: CarryOver): void {
    this.mesh = mesh;
    this.rotations.push({ mesh, carryOver });
  }
}

function fakeClass(classKey: string, eds: readonly string[], failNames = false): ResourceSnapshot & { namesCalls: number } {
  const s = {
    classKey,
    unavailable: null,
    namesCalls: 0,
    names: (t: XdsType): readonly string[] => {
      s.namesCalls++;
      if (failNames) throw new Error(`${classKey} is broken`);
      return t === EDS ? eds : [];
    },
    get: () => undefined,
    clusterKey: (t: XdsType, n: string) => (t === EDS ? K(n) : undefined),
    wildcardSet: () => ({ resources: [], version: '', map: new Map() }),
    sharedSet: (_t: XdsType, _v: string, make: () => ReadonlyMap<string, never>) => make(),
  };
  return s;
}

interface Pushed {
  readonly id: string;
  readonly classKey: string;
  readonly types: string[] | undefined;
  readonly only: string[] | undefined;
}

function subscriber(id: string, types: XdsType[], snap: () => ResourceSnapshot, log: Pushed[], workload?: string): Subscriber {
  const [namespace, workloadName] = (workload ?? '/').split('/');
  return {
    state: { ...streamOf(id, types), proxy: { id, namespace, workloadName } as never },
    snapshot: snap,
    push: (s, t, only) => {
      log.push({ id, classKey: s.classKey, types: t && [...t], only: only && [...only].sort() });
      return 1;
    },
  };
}

describe('server/push/runner PushRunner', () => {
  const before = meshOf(fixtureYaml());
  const after = meshOf(fixtureYaml({ aEndpoint: 42 }));

  it('rotates the cache, then pushes each reached stream just the affected EDS names its class has', () => {
    const cache = new FakeCache(before);
    const log: Pushed[] = [];
    const x = fakeClass('x', [A, B]);
    const y = fakeClass('y', [B]);
    const subs = [
      subscriber('x1', [CDS, EDS], () => x, log),
      subscriber('x2', [EDS], () => x, log),
      subscriber('y1', [EDS], () => y, log),
      subscriber('no-eds', [CDS, LDS], () => x, log),
    ];
    const runner = new PushRunner(cache, { subscribers: () => subs });
    const n = runner.push({ ...fullPush(after), scope: endpoints(A_HOST) });
    assert.equal(cache.rotations.length, 1);
    assert.equal(cache.rotations[0]!.mesh, after);
    assert.deepEqual(log, [
      { id: 'x1', classKey: 'x', types: [EDS], only: [A] },
      { id: 'x2', classKey: 'x', types: [EDS], only: [A] },
      { id: 'y1', classKey: 'y', types: [EDS], only: [] },
    ]);
    assert.equal(n, 3);
    assert.equal(x.namesCalls, 1, 'a class is prepared once per push, not once per stream');
  });

  it('a class that cannot be prepared is skipped and reported once; every other class is pushed', () => {
    const cache = new FakeCache(before);
    const log: Pushed[] = [];
    const errors: { proxyClass: string; error: string; streams: number }[] = [];
    const broken = fakeClass('broken', [A], true);
    const good = fakeClass('good', [A]);
    const subs = [
      subscriber('b1', [EDS], () => broken, log),
      subscriber('g1', [EDS], () => good, log),
      subscriber('b2', [EDS], () => broken, log),
      subscriber(
        'lost',
        [EDS],
        () => {
          throw new Error('no lease');
        },
        log,
      ),
    ];
    const done: number[] = [];
    const runner = new PushRunner(
      cache,
      { subscribers: () => subs },
      {
        classError: (i) => errors.push({ proxyClass: i.proxyClass, error: i.error.message, streams: i.streams }),
        pushDone: (i) => done.push(i.responses),
      },
    );
    assert.equal(runner.push({ ...fullPush(after), scope: endpoints(A_HOST) }), 1);
    assert.deepEqual(
      log.map((p) => p.id),
      ['g1'],
    );
    assert.deepEqual(errors, [
      { proxyClass: 'broken', error: 'broken is broken', streams: 2 },
      { proxyClass: '(class of lost)', error: 'no lease', streams: 1 },
    ]);
    assert.equal(broken.namesCalls, 1, 'the failure is remembered for the class');
    assert.deepEqual(done, [1]);
  });

  it('with the real cache and engine, an endpoint-only push re-encodes only the affected EDS and reaches only EDS subscribers', async () => {
    const h = await startHarness('memory', before);
    try {
      const p = new Peer(h.connect('sotw'), 'sotw', NODE('p'));
      p.sub(CDS, []);
      await p.recvAck();
      p.sub(EDS, [A, B]);
      await p.recvAck();
      const cdsOnly = new Peer(h.connect('delta'), 'delta', NODE('cds-only'));
      cdsOnly.sub(CDS, ['*']);
      await cdsOnly.recvAck();
      const lease = h.cache.acquire(h.engine.streams()[0]!.proxy);
      const old = lease.snapshot();
      const oldCds = old.get(CDS, A)!;
      const oldB = old.get(EDS, B)!;
      const n = h.engine.push(after, endpoints(A_HOST));
      assert.equal(n, 1);
      assert.deepEqual(names(await p.recvAck()), [A]);
      assert.ok(await cdsOnly.c.none());
      const snap = lease.snapshot();
      assert.notEqual(snap, old, 'the cache was rotated');
      assert.equal(snap.get(CDS, A), oldCds, 'the cluster is carried over (the same encoded object)');
      assert.equal(snap.get(EDS, B), oldB, 'the EDS of an unaffected host is carried over');
      assert.notEqual(snap.get(EDS, A)!.version, old.get(EDS, A)!.version, 'the affected EDS is recomputed');
      lease.release();
    } finally {
      await h.stop();
    }
  });
  it("an endpoint-only push that names a Pod gives that Pod's proxy a full push (its class may have changed) and the others EDS", () => {
    const cache = new FakeCache(before);
    const log: Pushed[] = [];
    const x = fakeClass('x', [A, B]);
    const subs = [
      subscriber('own', [CDS, LDS], () => x, log, 'default/r-a'),
      subscriber('peer', [CDS, EDS], () => x, log, 'default/r-b'),
      subscriber('lds-only', [LDS], () => x, log, 'other/r-a'),
    ];
    const runner = new PushRunner(cache, { subscribers: () => subs });
    runner.push({ ...fullPush(after), scope: { kind: 'endpoints', hosts: new Set([A_HOST]), proxies: new Set(['default/r-a']) } });
    assert.deepEqual(log, [
      { id: 'own', classKey: 'x', types: undefined, only: undefined },
      { id: 'peer', classKey: 'x', types: [EDS], only: [A] },
    ]);
  });

  it('with the real cache and engine, a Pod label change reaches its own proxy with its new listeners and nobody else', async () => {
    // Service w selects app=w; its slice's endpoint is not the Pod, so relabelling the Pod moves no endpoint.
    const withPod = (app: string): MeshConfig =>
      meshOf(`${fixtureYaml()}
---
apiVersion: v1
kind: Service
metadata: {name: w, namespace: default}
spec: {clusterIP: 10.96.0.40, selector: {app: w}, ports: [{name: http, port: 9080, targetPort: 9080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: w-1, namespace: default, labels: {kubernetes.io/service-name: w}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints: [{addresses: [10.1.5.1], conditions: {ready: true}}]
---
apiVersion: v1
kind: Pod
metadata: {name: me, namespace: default, labels: {app: ${app}}}
spec: {containers: [{name: c}]}
status: {podIP: 10.0.0.1, phase: Running}
`);
    const was = withPod('w');
    const now = withPod('other');
    const scope = pushScope(was, { mesh: now, kinds: new Set(['Pod']), keys: new Set(['Pod/default/me']) });
    assert.deepEqual(scope.kind === 'endpoints' ? [[...scope.hosts], [...(scope.proxies ?? [])]] : scope, [[], ['default/me']]);
    const h = await startHarness('memory', was);
    try {
      const me = new Peer(h.connect('sotw'), 'sotw', NODE('me'));
      me.sub(LDS, []);
      const first = await me.recvAck();
      const other = new Peer(h.connect('sotw'), 'sotw', NODE('someone'));
      other.sub(LDS, []);
      await other.recvAck();
      other.sub(EDS, [A]);
      await other.recvAck();
      h.engine.push(now, scope);
      const second = await me.recvAck();
      assert.equal(second.typeUrl, LDS);
      assert.notEqual(second.versionInfo, first.versionInfo, 'the inbound side of port 9080 went with the label');
      assert.ok(await other.c.none(), 'no other stream owes anything: no endpoint moved');
    } finally {
      await h.stop();
    }
  });
  it('an endpoint push skips a stream whose class snapshot an earlier push of as many types gave it; a failed or narrower push does not count', () => {
    const cache = new FakeCache(before);
    const log: Pushed[] = [];
    let x = fakeClass('x', [A, B]);
    const y = fakeClass('y', [B]);
    const z = fakeClass('z', [A]);
    let zFails = true;
    const subs = [
      subscriber('x1', [EDS], () => x, log),
      subscriber('y1', [EDS], () => y, log),
      {
        ...subscriber('z1', [EDS], () => z, log),
        push: (snap: ResourceSnapshot) => (
          log.push({ id: 'z1', classKey: snap.classKey, types: undefined, only: undefined }),
          zFails ? -1 : 1
        ),
      },
    ];
    const runner = new PushRunner(cache, { subscribers: () => subs });
    const eds = { ...fullPush(after), scope: endpoints(A_HOST) };
    const reached = (): string[] => log.splice(0).map((p) => p.id);
    runner.push(eds);
    assert.deepEqual(reached(), ['x1', 'y1', 'z1'], 'the first push reaches every EDS subscriber');
    zFails = false;
    runner.push(eds);
    assert.deepEqual(reached(), ['z1'], 'unchanged snapshots: only the stream whose push failed is pushed again');
    x = fakeClass('x', [A, B]);
    runner.push(eds);
    assert.deepEqual(reached(), ['x1'], 'a new snapshot of its class: pushed');
    runner.push({ ...fullPush(after), scope: { kind: 'secrets' } });
    assert.deepEqual(reached(), ['x1', 'y1', 'z1'], 'a secrets push reaches every stream');
    runner.push(eds);
    assert.deepEqual(reached(), ['x1', 'y1', 'z1'], 'what they were last given was SDS only: EDS is composed again');
    runner.push(fullPush(after));
    assert.deepEqual(reached(), ['x1', 'y1', 'z1'], 'a full push reaches every stream');
    runner.push(eds);
    assert.deepEqual(reached(), [], 'and gave each everything: the endpoint push after it owes none of them anything');
  });
});
