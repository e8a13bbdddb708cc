/**
 * Sharing below the class (issue 18 items 2 and 3) can never change config: for every golden case
 * and for the bench's heavy mesh at small scale (with sourceLabels routes, locality failover and
 * per-pod, per-Deployment and absent labels), what the cache serves each proxy — composed from
 * parts other proxies made — has the same names, bytes, versions and cluster keys as that proxy's
 * own whole translation. And the outbound translation runs once per namespace scope, not per pod.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { PROTO_PATCH_OPS } from '../../proto/patch.js';
import { CDS, EDS, LDS, PUSH_ORDER, RDS } from '../../proto/typeurls.js';
import { generate, outputParts, proxyClass, type OutputPart } from '../../translators/index.js';
import { meshFrom, proxy } from '../../translators/harness.test.js';
import { readMeshConfig } from '../../watchers/validate/meshconfig.js';
import { sliceYaml, vsYaml, writeMesh, type MeshSize } from '../../bench/meshgen.js';
import { parseConfigText } from '../../watchers/file/parse.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../../watchers/mesh.js';
import { emptyState, reduce, takeChanges } from '../../watchers/store/reduce.js';
import { pushScope } from '../../watchers/store/scope.js';
import type { PushScope } from '../../model/push.js';
import type { ClusterKey } from '../../model/cluster-key.js';
import { planPush } from '../push/runner.js';
import { ClassSnapshot, Interner, SnapshotCache, type CarryOver } from './snapshot.js';

const TESTDATA = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../translators/testdata');

/** Every resource the cache serves `p` equals (name, bytes, version, key) what `p`'s own translation gives. */
function assertSameAsWhole(cache: SnapshotCache, mesh: MeshConfig, p: Proxy, label: string): void {
  const shared = cache.forProxy(p);
  const whole = new ClassSnapshot(proxyClass(p, mesh), generate(mesh, p, PROTO_PATCH_OPS), new Interner(), (e) => {
    throw e.error;
  });
  for (const t of PUSH_ORDER) {
    assert.deepEqual(shared.names(t), whole.names(t), `${label}: ${t} names`);
    for (const n of whole.names(t)) {
      const a = shared.get(t, n);
      const b = whole.get(t, n);
      assert.ok(a && b, `${label}: ${t} ${n} served`);
      assert.equal(a.version, b.version, `${label}: ${t} ${n} version`);
      assert.ok(Buffer.from(a.any).equals(Buffer.from(b.any)), `${label}: ${t} ${n} bytes`);
      assert.deepEqual(shared.clusterKey(t, n), whole.clusterKey(t, n), `${label}: ${t} ${n} key`);
    }
    assert.equal(shared.wildcardSet(t).version, whole.wildcardSet(t).version, `${label}: ${t} version`);
  }
  // config_dump's v1 view re-derives messages once the bytes are all a shared part keeps.
  for (const t of [CDS, LDS, RDS, EDS]) {
    const n = whole.names(t)[0];
    if (n !== undefined) assert.deepEqual(shared.message(t, n), whole.message(t, n), `${label}: ${t} ${n} message`);
  }
}

function readCase(file: string): { text: string; ids: { id: string; metadata?: Record<string, unknown> }[]; meshConfig: unknown } {
  const text = fs.readFileSync(file, 'utf8');
  const tc = parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .find((d) => d?.['kind'] === 'TestCase') as { proxies: { id: string; metadata?: Record<string, unknown> }[]; meshConfig?: unknown };
  return { text, ids: tc.proxies, meshConfig: tc.meshConfig ?? null };
}

const SMALL_HEAVY: MeshSize = { services: 40, endpointsPerService: 3, namespaces: 4, routedShare: 0.1, scoped: true, heavy: true };

/** The bench's heavy mesh, small, plus what reads workload labels on the outbound side. */
async function heavyMesh(extra = ''): Promise<MeshConfig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'share-test-'));
  try {
    await writeMesh(dir, SMALL_HEAVY);
    const text = fs
      .readdirSync(dir)
      .sort()
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .join('---\n');
    return meshFrom(`${text}---\n${extra}`).mesh;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The small heavy mesh held in a store, edited file by file as the store stage does (so a VirtualService edit's push carries over). */
async function heavyStore(): Promise<{
  mesh: MeshConfig;
  edit(file: string, text: string): { mesh: MeshConfig; scope: PushScope; prev: MeshConfig; keys: ReadonlySet<string> };
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'share-test-'));
  const st = emptyState();
  const replace = (file: string, text: string): void => {
    const r = parseConfigText(text, file);
    if (!r.ok) throw new Error(r.reason);
    reduce(st, { type: 'replace', origin: { source: file }, objects: r.file.objects, rejections: [] });
  };
  try {
    await writeMesh(dir, SMALL_HEAVY);
    for (const f of fs.readdirSync(dir).sort()) replace(f, fs.readFileSync(path.join(dir, f), 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  reduce(st, { type: 'synced' });
  takeChanges(st);
  const store = {
    mesh: buildMesh(st, DEFAULT_MESH_OPTIONS).mesh,
    edit(file: string, text: string) {
      replace(file, text);
      const { kinds, keys } = takeChanges(st);
      const prev = store.mesh;
      store.mesh = buildMesh(st, DEFAULT_MESH_OPTIONS, prev, kinds).mesh;
      return { mesh: store.mesh, prev, keys, scope: pushScope(prev, { mesh: store.mesh, kinds, keys }) };
    },
  };
  return store;
}

/**
 * What reads workload labels on the outbound side, all visible from ns-1: a VirtualService routing
 * by source labels (HTTP and TCP), and ServiceEntries whose endpoints sit in two localities with
 * locality failover (EDS by `failoverPriority` on a label, DNS by locality).
 */
const LABEL_READERS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: by-source, namespace: ns-1}
spec:
  hosts: [svc-1.ns-1.svc.cluster.local]
  http:
  - match: [{sourceLabels: {track: canary}}]
    route: [{destination: {host: svc-1.ns-1.svc.cluster.local, subset: v2}}]
  - route: [{destination: {host: svc-1.ns-1.svc.cluster.local, subset: v1}}]
  tcp:
  - match: [{port: 9090, sourceLabels: {tier: db}}]
    route: [{destination: {host: svc-1.ns-1.svc.cluster.local, port: {number: 9090}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: ns-1}
spec:
  hosts: [ext.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: STATIC
  endpoints:
  - {address: 10.9.0.1, locality: us/z1, labels: {version: v1}}
  - {address: 10.9.0.2, locality: eu/z2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ext, namespace: ns-1}
spec:
  host: ext.example.com
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 3}
    loadBalancer: {simple: ROUND_ROBIN, localityLbSetting: {enabled: true, failoverPriority: [version]}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: dns, namespace: ns-1}
spec:
  hosts: [dns.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  endpoints:
  - {address: a.example.com, locality: us/z1}
  - {address: b.example.com, locality: eu/z2}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dns, namespace: ns-1}
spec:
  host: dns.example.com
  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 3}}
`;

/** ns-1 pods over every combination of the label-reading inputs, two pods each (one makes the parts, the other must match). */
function readersFleet(): Proxy[] {
  const out: Proxy[] = [];
  let i = 0;
  for (const track of [undefined, 'canary'])
    for (const tier of [undefined, 'db'])
      for (const region of ['us', 'eu'])
        for (const version of ['v1', 'v2'])
          for (let k = 0; k < 2; k++, i++)
            out.push(
              proxy(`sidecar~10.201.0.${i}~p-${i}.ns-1~ns-1.svc.cluster.local`, {
                LABELS: {
                  app: 'fleet',
                  version,
                  'statefulset.kubernetes.io/pod-name': `p-${i}`,
                  'topology.kubernetes.io/region': region,
                  'topology.kubernetes.io/zone': region === 'us' ? 'z1' : 'z2',
                  ...(track ? { track } : {}),
                  ...(tier ? { tier } : {}),
                },
              }),
            );
  return out;
}

function fleet(n: number, namespaces: number, labels: (i: number) => Record<string, string> | undefined): Proxy[] {
  return Array.from({ length: n }, (_, i) => {
    const ns = `ns-${i % namespaces}`;
    const l = labels(i);
    return proxy(`sidecar~10.200.0.${i}~proxy-${i}.${ns}~${ns}.svc.cluster.local`, l ? { LABELS: l } : {});
  });
}

/** The real parts, counting into `made` how many of each kind are translated. */
function countingParts(made: Map<string, number>): (m: MeshConfig, p: Proxy) => { classKey: string; parts: readonly OutputPart[] } {
  return (m, p) => {
    const r = outputParts(m, p, PROTO_PATCH_OPS);
    return {
      classKey: r.classKey,
      parts: r.parts.map((x) => ({
        ...x,
        make: () => {
          made.set(x.kind, (made.get(x.kind) ?? 0) + 1);
          return x.make();
        },
      })),
    };
  };
}

describe('server/cache shares output below the class without changing it', function () {
  this.timeout(120_000);

  describe('every golden case: composed output = whole translation', () => {
    const cases = fs
      .readdirSync(TESTDATA)
      .filter((f) => f.endsWith('.in.yaml'))
      .sort();
    it('has cases', () => assert.ok(cases.length >= 5));
    for (const c of cases) {
      it(c.replace(/\.in\.yaml$/, ''), () => {
        const { text, ids, meshConfig } = readCase(path.join(TESTDATA, c));
        const { mesh } = meshFrom(text, readMeshConfig(meshConfig).settings);
        const cache = new SnapshotCache(mesh);
        const proxies = ids.map((p) => proxy(p.id, p.metadata ?? {}));
        // Make every class first (parts made by whichever proxy comes first), then compare each.
        for (const p of proxies) cache.forProxy(p);
        for (const p of proxies) assertSameAsWhole(cache, mesh, p, `${c} ${p.id}`);
      });
    }
  });

  it('the heavy mesh with per-pod, per-Deployment, absent and label-reading labels: composed = whole', async () => {
    const mesh = await heavyMesh(LABEL_READERS);
    const shapes: ((i: number) => Record<string, string> | undefined)[] = [
      (i) => ({ app: 'fleet', version: 'v1', 'statefulset.kubernetes.io/pod-name': `proxy-${i}` }),
      () => ({ app: 'fleet', version: 'v1' }),
      () => undefined,
    ];
    for (const [k, shape] of [...shapes.entries(), [3, null] as const]) {
      const cache = new SnapshotCache(mesh);
      const proxies = shape ? fleet(24, 4, shape) : readersFleet();
      for (const p of proxies) cache.forProxy(p);
      for (const p of proxies) assertSameAsWhole(cache, mesh, p, `shape ${k} ${p.id}`);
    }
  });

  it('the shared parts really are shared: label-reading inputs split them, per-pod labels do not', async () => {
    const mesh = await heavyMesh(LABEL_READERS);
    const parts = (p: Proxy): Map<string, string> => new Map(outputParts(mesh, p).parts.map((x) => [x.kind, x.key]));
    const on1 = (l: Record<string, string>, i = 0): Proxy => proxy(`sidecar~10.0.0.${i}~p-${i}.ns-1~ns-1.svc.cluster.local`, { LABELS: l });
    const a = on1({ app: 'fleet', 'statefulset.kubernetes.io/pod-name': 'p-0' });
    const b = on1({ app: 'fleet', 'statefulset.kubernetes.io/pod-name': 'p-1' }, 1);
    assert.equal(parts(a).get('outbound'), parts(b).get('outbound'), 'per-pod labels share the outbound part');
    assert.equal(parts(a).get('listeners'), parts(b).get('listeners'));
    assert.notEqual(parts(a).get('inbound'), parts(b).get('inbound'), 'and not the inbound one');
    const c = on1({ app: 'fleet', track: 'canary' });
    assert.notEqual(parts(a).get('outbound'), parts(c).get('outbound'), 'a sourceLabels match splits the outbound part');
    const d = on1({ app: 'fleet', 'topology.kubernetes.io/region': 'eu' });
    assert.notEqual(parts(a).get('outbound'), parts(d).get('outbound'), 'so does a locality');
    const e = on1({ app: 'other', 'statefulset.kubernetes.io/pod-name': 'p-9' });
    assert.equal(parts(a).get('outbound'), parts(e).get('outbound'), 'another app shares the outbound part');
    assert.notEqual(parts(a).get('listeners'), parts(e).get('listeners'), 'but not its listeners (tracing tags name the app)');
  });

  it('N pods with distinct labels in K namespaces: K outbound translations (and K listener ones), N inbound; again after a push', async () => {
    const mesh = await heavyMesh();
    const made = new Map<string, number>();
    const count = countingParts(made);
    const N = 30;
    const K = 3;
    const cache = new SnapshotCache(mesh, { parts: count });
    const proxies = fleet(N, K, (i) => ({ app: 'fleet', version: 'v1', 'statefulset.kubernetes.io/pod-name': `proxy-${i}` }));
    const leases = proxies.map((p) => cache.acquire(p));
    for (const l of leases) l.snapshot().wildcardSet(CDS);
    assert.equal(cache.stats().classes, N, 'every pod is its own class');
    assert.equal(made.get('outbound'), K);
    assert.equal(made.get('listeners'), K);
    assert.equal(made.get('inbound'), N);
    assert.equal(made.get('class'), undefined, 'no sidecar fell back to a whole translation');
    made.clear();
    cache.setMesh(await heavyMesh(LABEL_READERS));
    for (const l of leases) l.snapshot().wildcardSet(CDS);
    assert.equal(made.get('outbound'), K, 'a new mesh: again once per namespace scope');
    for (const l of leases) l.release();
    assert.equal(cache.stats().pinned, 0);
  });

  it('per-pod classes share their composed sets, and after a VirtualService or endpoint push still equal a whole translation', async () => {
    const store = await heavyStore();
    const made = new Map<string, number>();
    const count = countingParts(made);
    const cache = new SnapshotCache(store.mesh, { parts: count });
    const proxies = fleet(12, 4, (i) => ({ app: 'fleet', version: 'v1', 'statefulset.kubernetes.io/pod-name': `proxy-${i}` }));
    const leases = proxies.map((p) => cache.acquire(p));
    const check = (label: string): void => {
      for (const p of proxies) assertSameAsWhole(cache, store.mesh, p, `${label} ${p.id}`);
      // proxy-0 and proxy-4 are two pods of ns-0: distinct classes, equal parts' output.
      const [a, b] = [leases[0]!.snapshot(), leases[4]!.snapshot()];
      assert.notEqual(a.classKey, b.classKey);
      for (const t of [CDS, EDS, LDS, RDS]) {
        assert.equal(a.wildcardSet(t), b.wildcardSet(t), `${label}: ${t} one set for both pods`);
        assert.equal(a.names(t), b.names(t), `${label}: ${t} one name list`);
      }
      // Their per-type content is one key (streams' memos are shared by such classes); a pod of ns-1 has another.
      for (const t of [CDS, EDS, LDS, RDS]) assert.equal(a.contentKey?.(t), b.contentKey?.(t), `${label}: ${t} content key`);
      assert.notEqual(a.contentKey?.(CDS), leases[1]!.snapshot().contentKey?.(CDS));
      assert.ok(a.wildcardSet(CDS).resources.length > 1);
      const held = a.wildcardSet(CDS).map;
      assert.deepEqual([...held.keys()], a.names(CDS), `${label}: the shared map lists the class's clusters in order`);
      assert.equal(new Map(held).size, held.size);
      const first = a.names(CDS)[0]!;
      assert.equal(held.get(first), a.get(CDS, first));
      assert.equal(held.has('no-such-cluster'), false);
      // An endpoint push's affected EDS names, as the parts answer them: what a walk of every name gives.
      const svc0 = (k: ClusterKey | undefined): boolean => k?.host === 'svc-0.ns-0.svc.cluster.local';
      const walked = a.names(EDS).filter((n) => svc0(a.clusterKey(EDS, n)));
      assert.ok(walked.length > 0);
      assert.deepEqual(a.namesWhere?.(EDS, svc0), walked, `${label}: EDS names of svc-0`);
      assert.deepEqual(
        a.namesOfHosts?.(EDS, new Set(['svc-0.ns-0.svc.cluster.local'])),
        walked,
        `${label}: the same through the host index`,
      );
      const svc04 = (k: ClusterKey | undefined): boolean =>
        k?.host === 'svc-0.ns-0.svc.cluster.local' || k?.host === 'svc-4.ns-0.svc.cluster.local';
      assert.deepEqual(
        a.namesOfHosts?.(EDS, new Set(['svc-4.ns-0.svc.cluster.local', 'svc-0.ns-0.svc.cluster.local'])),
        a.names(EDS).filter((n) => svc04(a.clusterKey(EDS, n))),
        `${label}: two hosts, in list order`,
      );
      const sent = a.sharedSet(EDS, 'v-test', () => new Map());
      assert.equal(
        b.sharedSet(EDS, 'v-test', () => new Map()),
        sent,
        `${label}: a sent set is shared by version across classes`,
      );
    };
    for (const l of leases) for (const t of [CDS, EDS, LDS, RDS]) l.snapshot().wildcardSet(t);
    check('initial');
    made.clear();
    const inbound = (): unknown => (leases[0]!.snapshot() as ClassSnapshot).parts[2];
    const inboundBefore = inbound();
    // A VirtualService edit (weights): carried over where nothing it read changed.
    const vs = store.edit('vs.yaml', vsYaml(SMALL_HEAVY, 70));
    assert.equal(vs.scope.kind, 'full');
    cache.setMesh(vs.mesh, planPush(vs.scope, vs.prev, vs.mesh, vs.keys).carryOver);
    for (const l of leases) for (const t of [CDS, EDS, LDS, RDS]) l.snapshot().wildcardSet(t);
    assert.equal(made.get('inbound'), undefined, 'a VirtualService edit translates no pod inbound part (all carried over)');
    assert.equal(inbound(), inboundBefore, 'and keeps each pod inbound part as it is');
    const outbound = made.get('outbound') ?? 0;
    assert.ok(outbound >= 1 && outbound < 4, `the outbound part only of the scopes that see a routed service (${outbound} of 4)`);
    check('after a VirtualService edit');
    // An endpoint-only push of svc-0.
    const ep = store.edit('ep-0.yaml', sliceYaml(0, SMALL_HEAVY, 1));
    const scope: PushScope = { kind: 'endpoints', hosts: new Set(['svc-0.ns-0.svc.cluster.local']) };
    const carry = planPush(scope, ep.prev, ep.mesh).carryOver!;
    let asked = 0;
    const counted: CarryOver = Object.assign((...a: Parameters<CarryOver>) => (asked++, carry(...a)), carry);
    cache.setMesh(ep.mesh, counted);
    check('after an endpoint push');
    // The part holding svc-0's EDS is forked with only those rebuilt, not made by asking about each of its resources.
    assert.equal(asked, 0, 'no resource was asked one by one whether it is carried');
    // A whole (open) output may answer names it does not list: its content is its own.
    const whole = new ClassSnapshot('whole', generate(store.mesh, proxies[0]!, PROTO_PATCH_OPS), new Interner(), () => {});
    assert.equal(whole.contentKey(CDS), whole);
    for (const l of leases) l.release();
  });
});
