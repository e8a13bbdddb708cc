/**
 * Security policy edits are keyed pushes that never push a different config (issue 18 item 1,
 * translators/policy-deps.ts): seeded random sequences where about half the edits are
 * AuthorizationPolicies, RequestAuthentications and PeerAuthentications (incremental-policies.ts:
 * selector-scoped, namespace-wide, root-namespace, Gateway targetRefs; every mTLS mode, per port
 * too) and the rest anything incremental-fixture.ts edits, each pushed through the PushRunner
 * into a long-lived SnapshotCache; after every step every proxy class's output must equal a
 * from-scratch translation byte for byte. Then what the keys are for: a selector-scoped policy
 * edit re-translates only the inbound output of the workloads it selects, a root-namespace one
 * everyone's, and a namespace-wide PeerAuthentication that turns auto mTLS off re-translates, in
 * other namespaces' proxies, only the clusters of that namespace's services.
 */
import { strict as assert } from 'node:assert';
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { emptyState } from '../../watchers/store/reduce.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../../watchers/mesh.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { proxyClass } from '../../translators/index.js';
import { PushRunner, planPush } from './runner.js';
import {
  assertServedAsFresh,
  countingParts,
  dump,
  fileEvent,
  initialFiles,
  PROXIES,
  randomEdit,
  rng,
  sidecarEdit,
  step,
} from './incremental-fixture.js';
import { authorizationPolicy, initialPolicies, peerAuthentication, policyEdit } from './incremental-policies.js';
import { POLICY_KINDS } from '../../translators/policy-deps.js';

const isPolicyKey = (k: string): boolean => POLICY_KINDS.has(k.split('/')[0]!);

/** The fixture's files and the policies, fed to a store from an empty mesh; a cache (counting what its parts build) and a runner. */
function start(opts: { counted?: boolean; classOf?: (p: Proxy, m: MeshConfig) => string; extra?: [string, string][] } = {}) {
  const st = emptyState();
  const files = new Map([...initialFiles(), ...initialPolicies(), ...(opts.extra ?? [])]);
  const req = step(
    st,
    buildMesh(emptyState(), DEFAULT_MESH_OPTIONS).mesh,
    [...files].map(([f, text]) => fileEvent(f, text)),
  );
  const { built, counting } = countingParts();
  const cache = new SnapshotCache(req.mesh, {
    ...(opts.counted ? { parts: counting } : {}),
    ...(opts.classOf ? { classOf: opts.classOf } : {}),
  });
  return { st, files, req, built, cache, runner: new PushRunner(cache, { subscribers: () => [] }) };
}

describe('server/push incremental pushes of security policy edits equal a from-scratch translation', function () {
  this.timeout(120_000);

  for (const seed of [11, 12, 13, 14, 15, 16]) {
    it(`seed ${seed}: 40 random edit batches, half of them policies, byte for byte after each`, () => {
      const r = rng(seed);
      const { st, files, cache, runner, req: first } = start();
      let req = first;
      const leases = PROXIES.map((p) => cache.acquire(p));
      runner.push(req);
      let keyedPolicyPushes = 0;
      for (let s = 0; s < 40; s++) {
        const batch: [string, string][] = [];
        const n = 1 + Math.floor(r() * (r() < 0.7 ? 1 : 3));
        for (let j = 0; j < n; j++) {
          const x = r();
          const v = s * 3 + j + 2;
          batch.push(x < 0.55 ? policyEdit(r, v) : x < 0.65 ? sidecarEdit(r, v) : randomEdit(r, files, v));
        }
        for (const [f, text] of batch) files.set(f, text);
        req = step(
          st,
          req.mesh,
          batch.map(([f, text]) => fileEvent(f, text)),
        );
        if (
          [...req.keys].some(isPolicyKey) &&
          planPush(req.scope, cache.mesh, req.mesh, req.exactKeys ? req.keys : undefined).carryOver?.changed
        )
          keyedPolicyPushes++;
        runner.push(req);
        assertServedAsFresh(leases, req.mesh, r, `seed ${seed}, step ${s}`, batch);
      }
      for (const l of leases) l.release();
      // The policy edits must have gone the keyed way, not only full pushes.
      assert.ok(keyedPolicyPushes >= 10, `seed ${seed}: only ${keyedPolicyPushes} keyed pushes with policy edits`);
    });
  }

  /** Pushes one batch of edits: what reading p1's (namespace a) and p2's (namespace b) classes built, and whether each changed. */
  function editor(s: ReturnType<typeof start>) {
    let req = s.req;
    const [inA, inB] = [s.cache.acquire(PROXIES[0]!), s.cache.acquire(PROXIES[1]!)];
    s.runner.push(req);
    dump(inA.snapshot());
    dump(inB.snapshot());
    const edit = (...batch: [string, string][]) => {
      const [beforeA, beforeB] = [dump(inA.snapshot()), dump(inB.snapshot())];
      s.built.length = 0;
      req = step(
        s.st,
        req.mesh,
        batch.map(([f, text]) => fileEvent(f, text)),
      );
      assert.ok(req.exactKeys && [...req.keys].every(isPolicyKey), [...req.keys].join());
      s.runner.push(req);
      // Classes are translated when first read: what each read builds is its own.
      const afterA = dump(inA.snapshot());
      const builtA = [...new Set(s.built.map((b) => `${b.type} ${b.name}`))].sort();
      const n = s.built.length;
      const afterB = dump(inB.snapshot());
      const builtB = [...new Set(s.built.slice(n).map((b) => `${b.type} ${b.name}`))].sort();
      assert.equal(afterA, dump(new SnapshotCache(req.mesh).forProxy(PROXIES[0]!)), `p1 after ${batch.map((b) => b[0]).join()}`);
      assert.equal(afterB, dump(new SnapshotCache(req.mesh).forProxy(PROXIES[1]!)), `p2 after ${batch.map((b) => b[0]).join()}`);
      return { builtA, builtB, changedA: afterA !== beforeA, changedB: afterB !== beforeB };
    };
    return { edit, release: () => (inA.release(), inB.release()) };
  }

  const inbound = (name: string): boolean => /^(CDS|LDS|RDS) (inbound\||virtualInbound|InboundPassthroughCluster)/.test(name);

  it('a selector-scoped AuthorizationPolicy edit re-translates only the inbound output of what it selects; a root-namespace one everyone’s', () => {
    const { edit, release } = editor(start({ counted: true }));
    // ap-b (namespace b, selecting app: s1 — p2): ALLOW → DENY, same selector.
    let r = edit(['ap-b', authorizationPolicy('ap-b', 1)]);
    assert.ok(r.changedB && !r.changedA);
    assert.deepEqual(r.builtA, [], 'nothing of p1 (namespace a) is built again');
    assert.ok(r.builtB.length > 0 && r.builtB.every(inbound), `p2 rebuilds inbound output only: ${r.builtB.join(', ')}`);
    // Its selector narrowed to app: s1, version: v2 (p2's Pod says v1): it no longer applies to p2.
    r = edit(['ap-b', authorizationPolicy('ap-b', 2)]);
    assert.ok(r.changedB && !r.changedA);
    assert.deepEqual(r.builtA, []);
    assert.ok(r.builtB.every(inbound), r.builtB.join(', '));
    // A new root-namespace policy with no selector applies to every workload of the mesh.
    r = edit(['ap-root', authorizationPolicy('ap-root', 1)]);
    assert.ok(r.changedA && r.changedB);
    assert.ok(r.builtA.length > 0 && r.builtA.every(inbound), r.builtA.join(', '));
    assert.ok(r.builtB.length > 0 && r.builtB.every(inbound), r.builtB.join(', '));
    release();
  });

  it('a PeerAuthentication edit re-translates the inbound output of what it selects, and the clusters of the services whose auto mTLS it turns off', () => {
    const { edit, release } = editor(start({ counted: true }));
    // pa-b selects p2: STRICT → PERMISSIVE. Auto mTLS reads namespace-wide policies only: p1 keeps everything.
    let r = edit(['pa-b', peerAuthentication('pa-b', 1)]);
    assert.ok(r.changedB && !r.changedA);
    assert.deepEqual(r.builtA, []);
    assert.ok(r.builtB.length > 0 && r.builtB.every(inbound), r.builtB.join(', '));
    // Namespace b DISABLE, namespace-wide (pa-b2): p1's clusters of namespace b's services lose their mTLS; nothing else of p1 is built.
    r = edit(['pa-b2', peerAuthentication('pa-b2', 2)]);
    assert.ok(r.changedA && r.changedB);
    assert.ok(r.builtA.length > 0, 'p1 rebuilds its clusters of namespace b');
    for (const b of r.builtA)
      assert.match(b, /^CDS outbound\|\d+\|[^|]*\|s[13]\.b\.svc\.cluster\.local$/, `only namespace b's clusters: ${b}`);
    release();
  });

  it('a mesh-wide PeerAuthentication that turns auto mTLS off re-translates no cluster of a namespace whose own policy decides', () => {
    // Namespace b DISABLE by its own policy from the start.
    const { edit, release } = editor(start({ counted: true, extra: [['pa-b2', peerAuthentication('pa-b2', 2)]] }));
    // The mesh-wide policy PERMISSIVE → DISABLE: auto mTLS changes for namespace a only.
    const r = edit(['pa-mesh', peerAuthentication('pa-mesh', 2)]);
    const clusters = r.builtA.filter((b) => b.startsWith('CDS outbound'));
    assert.ok(clusters.length > 0);
    for (const b of clusters) assert.match(b, /\.a\.svc\.cluster\.local$/, `only namespace a's clusters: ${b}`);
    release();
  });

  it("a content-only AuthorizationPolicy edit keys no proxy to its class again; a selection or PeerAuthentication change its namespace's, the root namespace's every one", () => {
    let keyed = 0;
    const s = start({ classOf: (p, m) => (keyed++, proxyClass(p, m)) });
    let req = s.req;
    const leases = PROXIES.map((p) => s.cache.acquire(p));
    s.runner.push(req);
    const keyedBy = (file: string, text: string): number => {
      req = step(s.st, req.mesh, [fileEvent(file, text)]);
      keyed = 0;
      s.runner.push(req);
      const n = keyed;
      leases.forEach((l, k) => {
        assert.equal(l.snapshot().classKey, proxyClass(PROXIES[k]!, req.mesh), `${file}: class of ${PROXIES[k]!.id}`);
        assert.equal(dump(l.snapshot()), dump(new SnapshotCache(req.mesh).forProxy(PROXIES[k]!)), `${file}: ${PROXIES[k]!.id}`);
      });
      return n;
    };
    assert.equal(keyedBy('ap-b', authorizationPolicy('ap-b', 1)), 0, 'an AuthorizationPolicy action');
    // Namespace b: p2 only.
    assert.equal(keyedBy('ap-b', authorizationPolicy('ap-b', 2)), 1, 'an AuthorizationPolicy selector');
    assert.equal(keyedBy('pa-b', peerAuthentication('pa-b', 1)), 1, 'a PeerAuthentication mode');
    assert.equal(keyedBy('pa-mesh', peerAuthentication('pa-mesh', 0)), PROXIES.length, 'the mesh-wide PeerAuthentication');
    assert.equal(keyedBy('ap-root', authorizationPolicy('ap-root', 2)), PROXIES.length, 'a root-namespace AuthorizationPolicy');
    for (const l of leases) l.release();
  });
});
