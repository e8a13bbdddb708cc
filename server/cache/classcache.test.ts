/**
 * The class-snapshot cache stays bounded whatever node identities clients make up (issue 12,
 * item 1): classes are pinned by live streams, kept for a short time after their last poll, and
 * the idle ones are bounded by count and encoded bytes, least recently used first.
 */
import { strict as assert } from 'node:assert';
import type { Proxy } from '../../model/proxy.js';
import { parseNodeId } from '../../model/proxy.js';
import { CDS, EDS } from '../../proto/typeurls.js';
import { generate } from '../../translators/index.js';
import { SnapshotCache } from './snapshot.js';
import { meshOf, startHarness, NODE } from '../xds/conformance/harness.js';
import { A, fixtureYaml } from '../xds/conformance/fixture.js';
import { Peer } from '../xds/conformance/peer.js';
import { restRoutes } from '../http/rest.js';
import { Router, startHttp } from '../http/router.js';

const proxy = (name: string, ns = 'default', labels?: Record<string, string>): Proxy => {
  const r = parseNodeId(`sidecar~10.0.0.1~${name}.${ns}~${ns}.svc.cluster.local`, labels ? { LABELS: labels } : {});
  if (!r.ok) throw new Error(r.reason);
  return r.proxy;
};

describe('server/cache class snapshots are bounded (made-up node identities)', function () {
  this.timeout(60_000);

  it('1,000 unique node ids connecting and disconnecting leave at most the idle limit cached; live ones stay', async () => {
    const h = await startHarness('memory', meshOf(fixtureYaml()), {}, {}, { idleClasses: 50 });
    try {
      const live = new Peer(h.connect('sotw'), 'sotw', NODE('live-one'));
      live.sub(CDS, []);
      await live.recvAck();
      for (let i = 0; i < 1000; i++) {
        const p = new Peer(h.connect(i % 2 ? 'delta' : 'sotw'), i % 2 ? 'delta' : 'sotw', NODE(`made-up-${i}`));
        p.sub(CDS, i % 2 ? ['*'] : []);
        await p.next();
        p.c.close();
      }
      const st = h.cache.stats();
      assert.ok(st.classes <= 51, `cached classes: ${st.classes}`);
      assert.equal(st.pinned, 1, 'the live stream pins its class');
      // The live stream still gets pushes.
      h.engine.push(meshOf(fixtureYaml({ withC: true })));
      assert.ok((await live.next()).resources.length >= 3);
    } finally {
      await h.stop();
    }
  });

  it('pollers: least recently used idle classes go first; count and byte budgets both hold', () => {
    let t = 0;
    const cache = new SnapshotCache(meshOf(fixtureYaml()), { idleClasses: 3, idleTtlMs: 60_000, now: () => t });
    const keep = cache.forProxy(proxy('keep'));
    keep.get(CDS, A);
    for (let i = 0; i < 10; i++) {
      t++;
      cache.forProxy(proxy(`p${i}`)).get(CDS, A);
      cache.forProxy(proxy('keep')); // polled again: recently used
    }
    assert.equal(cache.stats().classes, 3);
    assert.equal(cache.forProxy(proxy('keep')), keep, 'the recently used class survived');
    // A byte budget smaller than two classes' output keeps one.
    const small = new SnapshotCache(meshOf(fixtureYaml()), { idleClasses: 100, idleBytes: 1, now: () => t });
    for (let i = 0; i < 10; i++) small.forProxy(proxy(`q${i}`)).get(CDS, A);
    assert.ok(small.stats().classes <= 1, `classes over the byte budget: ${small.stats().classes}`);
    assert.ok(small.stats().idleBytes <= small.stats().bytes);
  });

  it('an idle class expires after the poller TTL; a leased one never does', () => {
    let t = 0;
    const cache = new SnapshotCache(meshOf(fixtureYaml()), { idleTtlMs: 1000, now: () => t });
    const lease = cache.acquire(proxy('streaming'));
    lease.snapshot().get(CDS, A);
    cache.forProxy(proxy('poller')).get(CDS, A);
    assert.equal(cache.stats().classes, 2);
    t = 5000;
    cache.forProxy(proxy('other'));
    assert.equal(cache.stats().classes, 2, 'the poller class expired, the leased one and the new one stay');
    assert.equal(cache.stats().pinned, 1);
    lease.release();
    t = 10_000;
    cache.forProxy(proxy('other'));
    assert.equal(cache.stats().classes, 1, 'released, then expired');
  });

  it('keeps translating once per class, and carries unchanged resources over on endpoint-only pushes', () => {
    let calls = 0;
    const cache = new SnapshotCache(meshOf(fixtureYaml()), {
      generate: (m, p) => {
        calls++;
        return generate(m, p);
      },
    });
    const l1 = cache.acquire(proxy('a-1', 'default', { app: 'a' }));
    const l2 = cache.acquire(proxy('a-2', 'default', { app: 'a' }));
    assert.equal(l1.snapshot(), l2.snapshot());
    assert.equal(calls, 1);
    const cds = l1.snapshot().get(CDS, A)!;
    cache.setMesh(meshOf(fixtureYaml({ aEndpoint: 9 })), (t) => t !== EDS);
    assert.equal(l1.snapshot(), l2.snapshot());
    assert.equal(calls, 2);
    assert.equal(l1.snapshot().get(CDS, A), cds, 'the unchanged cluster is the same encoded object');
    l1.release();
    l2.release();
    assert.equal(cache.stats().pinned, 0);
  });

  it('a throwing translation keeps the last good snapshot, reports once per class and mesh, and never carries from a stale one', () => {
    let failing = false;
    const failures: string[] = [];
    const cache = new SnapshotCache(meshOf(fixtureYaml()), {
      generate: (m, p) => {
        if (failing) throw new Error('boom');
        return generate(m, p);
      },
      onTranslateError: (i) => failures.push(`${i.proxyClass} ${i.lastGood}`),
    });
    const lease = cache.acquire(proxy('x'));
    const good = lease.snapshot();
    assert.ok(good.get(CDS, A));
    failing = true;
    cache.setMesh(meshOf(fixtureYaml({ aMaxConnections: 5 })));
    assert.equal(lease.snapshot(), good, 'last good kept');
    assert.equal(lease.snapshot(), good);
    assert.deepEqual(failures, ['envoy/sidecar/default/pod:x true'], 'reported once for this mesh');
    const fresh = cache.forProxy(proxy('y'));
    assert.ok(fresh.unavailable, 'no last good: unavailable, not empty config');
    assert.equal(fresh.names(CDS).length, 0);
    failing = false;
    cache.setMesh(meshOf(fixtureYaml({ aMaxConnections: 5, aEndpoint: 4 })), (t) => t !== EDS);
    assert.notEqual(lease.snapshot().get(CDS, A)!.version, good.get(CDS, A)!.version, 'not carried over from the stale last good');
    lease.release();
  });

  it('REST-JSON answers 503 naming the class for a class with no config (never an empty one)', async () => {
    const cache = new SnapshotCache(meshOf(fixtureYaml()), {
      generate: () => {
        throw new Error('translator bug');
      },
    });
    const server = await startHttp(
      restRoutes(new Router(), { snapshot: (p) => cache.forProxy(p), mesh: () => cache.mesh }).router,
      '127.0.0.1',
      0,
      (e) => {
        throw e;
      },
    );
    try {
      const r = await fetch(`http://127.0.0.1:${server.port}/v3/discovery:clusters`, {
        method: 'POST',
        body: JSON.stringify({ node: { id: 'sidecar~10.0.0.1~x.default~default.svc.cluster.local' } }),
      });
      assert.equal(r.status, 503);
      assert.match(await r.text(), /pod:x\) could not be computed: translator bug/);
    } finally {
      await server.close();
    }
  });
});
