/**
 * Sliced pushes (issue 18 item 5): the runner's `submit` gives the event loop back between slices,
 * so a request arriving during a long push is answered before the push ends; a newer request
 * supersedes the rest of a running push and every stream converges to the newest mesh, whatever
 * it held before; a burst of requests coalesces into a few pushes. Behaviour only: the slow
 * generator makes a push span many turns, but nothing here asserts a duration.
 */
import { strict as assert } from 'node:assert';
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { fullPush, mergePushRequests, mergeScopes, type PushScope } from '../../model/push.js';
import { CDS, EDS } from '../../proto/typeurls.js';
import { generate } from '../../translators/index.js';
import { A, B, C, fixtureYaml } from '../xds/conformance/fixture.js';
import { meshOf, NODE, startHarness, type Harness, type Resp } from '../xds/conformance/harness.js';
import { Peer, names } from '../xds/conformance/peer.js';
import { PushRunner, type PushInfo } from './runner.js';

/** The real generator, made slow (a busy wait per class) so one push spans many slices. */
function slowGenerate(ms: number): (m: MeshConfig, p: Proxy) => ReturnType<typeof generate> {
  return (m, p) => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      /* busy: a translation that takes time */
    }
    return generate(m, p);
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** `n` SotW peers, each its own proxy class, subscribed to CDS (wildcard) and the EDS of A and B, every response ACKed. */
async function fleet(h: Harness, n: number): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let i = 0; i < n; i++) {
    const p = new Peer(h.connect('sotw'), 'sotw', NODE(`p${i}`));
    p.sub(CDS, []);
    await p.recvAck();
    p.sub(EDS, [A, B, C]);
    await p.recvAck();
    peers.push(p);
  }
  return peers;
}

/** Reads and ACKs whatever `p` has been sent until it is quiet; returns the last response per type. */
async function drain(p: Peer): Promise<Map<string, Resp>> {
  const last = new Map<string, Resp>();
  for (;;) {
    const r = await p.next(100).catch(() => null);
    if (!r) return last;
    last.set(r.typeUrl, r);
    p.ack(r);
  }
}

describe('server/push/runner sliced pushes', function () {
  this.timeout(60_000);
  const v1 = meshOf(fixtureYaml());
  const v2 = meshOf(fixtureYaml({ withC: true }));
  const v3 = meshOf(fixtureYaml({ withC: true, aEndpoint: 7 }));

  it('a request arriving during a long push is answered before the push ends, from the new mesh', async () => {
    const h = await startHarness('memory', v1, {}, {}, { generate: slowGenerate(3) });
    try {
      await fleet(h, 25);
      const order: string[] = [];
      const runner = new PushRunner(
        h.cache,
        h.engine,
        { pushDone: (i) => order.push(`done:${i.slices > 1 ? 'sliced' : 'one turn'}`) },
        { sliceMs: 1 },
      );
      const pushed = runner.submit(fullPush(v2));
      await turn();
      const late = new Peer(h.connect('sotw'), 'sotw', NODE('late'));
      late.sub(CDS, []);
      const answer = late.next(5000).then((r) => {
        order.push('late answered');
        return r;
      });
      await pushed;
      assert.deepEqual(order, ['late answered', 'done:sliced']);
      assert.deepEqual(
        names(await answer).filter((n) => n.startsWith('outbound')),
        [A, B, C],
        'the late stream is served the mesh being pushed',
      );
    } finally {
      await h.stop();
    }
  });

  it('the first slice is short: the first streams get their responses while the rest of a long push is composed', async () => {
    const h = await startHarness('memory', v1, {}, {}, { generate: slowGenerate(3) });
    try {
      const peers = await fleet(h, 25);
      /** Whether peers[0]'s response arrived before the push ended, with these runner options. */
      const firstBeforeDone = async (opts: { sliceMs: number; firstSliceMs?: number }, mesh: MeshConfig): Promise<string[]> => {
        const order: string[] = [];
        const runner = new PushRunner(h.cache, h.engine, { pushDone: () => order.push('push done') }, opts);
        const first = peers[0]!.next(5000).then((r) => (order.push('first stream answered'), r));
        await runner.submit(fullPush(mesh));
        peers[0]!.ack(await first);
        await Promise.all(peers.map(drain));
        return order;
      };
      // Later slices of 1 s: the push (25 classes × 3 ms) would otherwise be one turn.
      assert.deepEqual(await firstBeforeDone({ sliceMs: 1000 }, v2), ['first stream answered', 'push done'], 'default first slice');
      assert.deepEqual(
        await firstBeforeDone({ sliceMs: 1000, firstSliceMs: 1000 }, v3),
        ['push done', 'first stream answered'],
        'one turn',
      );
    } finally {
      await h.stop();
    }
  });

  it('a newer push supersedes a running one; every stream converges to the newest mesh', async () => {
    const h = await startHarness('memory', v1, {}, {}, { generate: slowGenerate(2) });
    try {
      const peers = await fleet(h, 20);
      const done: PushInfo[] = [];
      const runner = new PushRunner(h.cache, h.engine, { pushDone: (i) => done.push(i) }, { sliceMs: 1 });
      void runner.submit(fullPush(v2));
      await turn();
      await turn();
      // An endpoint-only change on top of a full one that has not reached every stream yet.
      await runner.submit({ ...fullPush(v3), scope: { kind: 'endpoints', hosts: new Set(['a.default.svc.cluster.local']) } });
      assert.equal(done[0]!.superseded, true, 'the first push was cut short');
      assert.equal(done.at(-1)!.superseded, false);
      assert.equal(done.length, 2, 'the rest of the first push went with the second, not after it');
      const snapOf = (id: string) => h.cache.forProxy(h.engine.streams().find((s) => s.proxy.id.includes(`~${id}.`))!.proxy);
      for (const [i, p] of peers.entries()) {
        const last = await drain(p);
        const snap = snapOf(`p${i}`);
        const cds = last.get(CDS);
        assert.ok(cds, `p${i} was sent CDS`);
        assert.deepEqual(
          names(cds).filter((n) => n.startsWith('outbound')),
          [A, B, C],
          `p${i} holds the new cluster`,
        );
        assert.equal(cds.versionInfo, snap.wildcardSet(CDS).version, `p${i} CDS is the newest mesh's`);
        const eds = last.get(EDS);
        assert.ok(eds && names(eds).includes(A), `p${i} was sent A's new endpoints`);
        const st = h.engine.streams().find((s) => s.proxy.id.includes(`~p${i}.`))!;
        assert.equal(st.types.get(EDS)!.sent!.get(A)!.version, snap.get(EDS, A)!.version, `p${i} holds A's endpoints of the newest mesh`);
      }
    } finally {
      await h.stop();
    }
  });

  it('pushes superseded faster than one can finish still reach every stream (each resumes where the last stopped)', async () => {
    const h = await startHarness('memory', v1, {}, {}, { generate: slowGenerate(2) });
    try {
      const peers = await fleet(h, 12);
      const marks = peers.map((p) => p.c.received.length);
      const runner = new PushRunner(h.cache, h.engine, {}, { sliceMs: 1 });
      // A new mesh every turn, for fewer turns than one push needs to reach all twelve classes twice over.
      for (let i = 0; i < 30; i++) {
        void runner.submit(fullPush(i % 2 ? v3 : v2));
        await turn();
      }
      const unreached = peers.map((p, i) => (p.c.received.length > marks[i]! ? null : `p${i}`)).filter((x) => x !== null);
      await runner.stop();
      assert.deepEqual(unreached, [], 'every stream was reached while pushes kept superseding each other');
    } finally {
      await h.stop();
    }
  });

  it('a burst of requests coalesces into a few pushes, nothing dropped, every stream converges', async () => {
    const h = await startHarness('memory', v1, {}, {}, { generate: slowGenerate(1) });
    try {
      const peers = await fleet(h, 10);
      let pushes = 0;
      const runner = new PushRunner(h.cache, h.engine, { pushStarted: () => pushes++ }, { sliceMs: 1 });
      const meshes = Array.from({ length: 10 }, (_, i) => meshOf(fixtureYaml({ withC: true, aEndpoint: 10 + i })));
      // 1,000 edits, ten per event-loop turn, alternating endpoint-only and full changes.
      const scopes: PushScope[] = [{ kind: 'full' }, { kind: 'endpoints', hosts: new Set(['a.default.svc.cluster.local']) }];
      let last: Promise<void> = Promise.resolve();
      for (let i = 0; i < 1000; i++) {
        last = runner.submit({ ...fullPush(meshes[i % 10]!), scope: scopes[i % 2]! });
        if (i % 10 === 9) await turn();
      }
      await last;
      await runner.idle();
      assert.ok(pushes < 200, `1,000 edits made ${pushes} pushes`);
      const final = meshes[9]!;
      assert.equal(h.cache.mesh, final);
      for (const [i, p] of peers.entries()) {
        await drain(p);
        const st = h.engine.streams().find((s) => s.proxy.id.includes(`~p${i}.`))!;
        const snap = h.cache.forProxy(st.proxy);
        assert.equal(st.types.get(CDS)!.versionSent, snap.wildcardSet(CDS).version, `p${i} CDS converged`);
        assert.equal(st.types.get(EDS)!.sent!.get(A)!.version, snap.get(EDS, A)!.version, `p${i} EDS of A converged`);
        assert.equal(st.types.get(EDS)!.ackedVersion, st.types.get(EDS)!.versionSent, `p${i} ACKed the last EDS`);
      }
    } finally {
      await h.stop();
    }
  });
});

describe('model/push mergePushRequests', () => {
  const m1 = meshOf(fixtureYaml());
  const m2 = meshOf(fixtureYaml({ withC: true }));
  const eps = (...h: string[]): PushScope => ({ kind: 'endpoints', hosts: new Set(h) });

  it('covers both scopes: endpoint hosts unite; anything with a full push, or of different kinds, is full', () => {
    const s = mergeScopes(eps('a'), eps('b'));
    assert.equal(s.kind, 'endpoints');
    assert.deepEqual(s.kind === 'endpoints' && [...s.hosts].sort(), ['a', 'b']);
    assert.equal(mergeScopes(eps('a'), { kind: 'full' }).kind, 'full');
    assert.equal(mergeScopes({ kind: 'secrets' }, eps('a')).kind, 'full');
    assert.equal(mergeScopes({ kind: 'secrets' }, { kind: 'secrets' }).kind, 'secrets');
  });

  it("two endpoint pushes of Pod changes keep every changed Pod's proxy owed a full push (a superseded push loses none)", () => {
    const s = mergeScopes(
      { kind: 'endpoints', hosts: new Set(['a']), proxies: new Set(['ns/p1']) },
      { kind: 'endpoints', hosts: new Set(['b']), proxies: new Set(['ns/p2']) },
    );
    assert.deepEqual(s.kind === 'endpoints' && [...(s.proxies ?? [])].sort(), ['ns/p1', 'ns/p2']);
    const none = mergeScopes(eps('a'), eps('b'));
    assert.equal(none.kind === 'endpoints' && none.proxies, undefined, 'no Pod changed: no proxy named');
  });

  it('keeps the newer mesh, the union of changes and the earliest first change', () => {
    const r = mergePushRequests(
      fullPush(m1, new Set(['Service']), new Set(['Service/default/a']), 100),
      fullPush(m2, new Set(['VirtualService']), new Set(['VirtualService/default/v']), 50),
    );
    assert.equal(r.mesh, m2);
    assert.deepEqual([...r.kinds].sort(), ['Service', 'VirtualService']);
    assert.deepEqual([...r.keys].sort(), ['Service/default/a', 'VirtualService/default/v']);
    assert.deepEqual(r.reasons, ['config', 'service']);
    assert.equal(r.firstChangeAt, 50);
  });
});
