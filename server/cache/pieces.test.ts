/**
 * A route config encoded as pieces (server/cache/pieces.ts) is byte for byte what encoding it whole
 * gives, and a VirtualService edit rebuilds only the virtual hosts that read the edited host: in a
 * route config of 800 virtual hosts (one namespace, one port), an edit translates one virtual host,
 * the served bytes equal a from-scratch translation of the same mesh, and decoded side by side with
 * the previous config only that virtual host differs. Edits that move a VirtualService to another
 * host, give it a wildcard host, or delete it must rebuild every virtual host they affect — a
 * virtual host carried over with stale bytes fails the from-scratch comparison.
 */
import { strict as assert } from 'node:assert';
import type { ConfigEvent, MeshConfig } from '../../model/config.js';
import { parseNodeId, type Proxy } from '../../model/proxy.js';
import type { PushRequest } from '../../model/push.js';
import { encodeMessage } from '../../proto/encode.js';
import { toProto3Json } from '../../proto/json.js';
import { RDS } from '../../proto/typeurls.js';
import { outputParts, type OutputPart } from '../../translators/index.js';
import { piecesOf, type Pieces } from '../../translators/pieces.js';
import { parseConfigText } from '../../watchers/file/parse.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../../watchers/mesh.js';
import { emptyState, reduce, takeChanges, type StoreState } from '../../watchers/store/reduce.js';
import { storeChange } from '../../watchers/store/stage.js';
import { PushRunner } from '../push/runner.js';
import { SnapshotCache } from './snapshot.js';
import { encodePieces } from './pieces.js';

const ROUTE_CONFIGURATION = 'envoy.config.route.v3.RouteConfiguration';
const SERVICES = 800;
const host = (i: number): string => `s${i}.a.svc.cluster.local`;

function services(): string {
  return Array.from(
    { length: SERVICES },
    (_, i) => `apiVersion: v1
kind: Service
metadata: {name: s${i}, namespace: a}
spec:
  clusterIP: 10.96.${i >> 8}.${i & 255}
  selector: {app: s${i}}
  ports: [{name: http, port: 8080}]
`,
  ).join('---\n');
}

/** VirtualService `name` on `hosts` splitting 8080 traffic between s1 and s2. */
function vs(name: string, hosts: string, weight: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: a}
spec:
  hosts: ${hosts}
  http:
  - route:
    - destination: {host: ${host(1)}}
      weight: ${weight}
    - destination: {host: ${host(2)}}
      weight: ${100 - weight}
`;
}

function fileEvent(source: string, text: string): ConfigEvent {
  if (!text) return { type: 'replace', origin: { source }, objects: [], rejections: [] };
  const r = parseConfigText(text, source, 'a');
  if (!r.ok) throw new Error(r.reason);
  return { type: 'replace', origin: { source }, objects: r.file.objects, rejections: r.file.rejections, ignored: r.file.ignored };
}

/** The store stage's step for a batch of events (watchers/store/stage.ts). */
function step(st: StoreState, prev: MeshConfig, events: ConfigEvent[]): PushRequest {
  for (const e of events) reduce(st, e);
  const { kinds, keys } = takeChanges(st);
  const mesh = buildMesh(st, DEFAULT_MESH_OPTIONS, prev, kinds).mesh;
  return storeChange(prev, mesh, kinds, keys);
}

function proxy(): Proxy {
  const r = parseNodeId('sidecar~10.0.0.1~client.a~a.svc.cluster.local', { LABELS: { app: 'client' } });
  if (!r.ok) throw new Error(r.reason);
  return r.proxy;
}

/** Virtual hosts of route config 8080 as served, by name (proto3 JSON text each). */
function vhosts(bytes: Uint8Array): Map<string, string> {
  const rc = toProto3Json(ROUTE_CONFIGURATION, bytes) as { virtualHosts: { name: string }[] };
  return new Map(rc.virtualHosts.map((v) => [v.name, JSON.stringify(v)]));
}

describe('server/cache pieces: a route config rebuilds only the virtual hosts an edit touched', function () {
  this.timeout(60_000);

  it('encodes the same bytes as the whole message, reusing elements by key and dependencies', () => {
    const shell = { name: '80', virtual_hosts: [], validate_clusters: { value: false }, ignore_port_in_host_matching: true };
    const vh = (n: string, cluster: string): object => ({
      name: n,
      domains: [n],
      routes: [{ match: { prefix: '/' }, route: { cluster } }],
    });
    const make = (keys: string[], cluster: (k: string) => string, built: string[]): Pieces => ({
      shell,
      field: 'virtual_hosts',
      keys,
      deps: new Set(),
      build: (i) => (built.push(keys[i]!), { value: vh(keys[i]!, cluster(keys[i]!)), deps: new Set([`vs:${keys[i]}`]) }),
    });
    const whole = (keys: string[], cluster: (k: string) => string): Uint8Array =>
      encodeMessage(ROUTE_CONFIGURATION, { ...shell, virtual_hosts: keys.map((k) => vh(k, cluster(k))) });
    const enc = (type: string, e: unknown): Uint8Array => encodeMessage(type, e);
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const first: string[] = [];
    const r1 = encodePieces(
      ROUTE_CONFIGURATION,
      make(keys, () => 'x', first),
      undefined,
      () => true,
      enc,
    );
    assert.deepEqual(first, keys);
    assert.ok(Buffer.from(r1.bytes).equals(whole(keys, () => 'x')));
    assert.deepEqual([...r1.deps].sort(), ['vs:a', 'vs:b', 'vs:c', 'vs:d', 'vs:e']);
    // Same keys (the same list): only c, whose dependency changed, is built again.
    const again: string[] = [];
    const y = (k: string): string => (k === 'c' ? 'y' : 'x');
    const r2 = encodePieces(ROUTE_CONFIGURATION, make(keys, y, again), r1.state, (d) => !d.has('vs:c'), enc);
    assert.deepEqual(again, ['c']);
    assert.equal(r2.built, 1);
    assert.ok(Buffer.from(r2.bytes).equals(whole(keys, y)));
    // The same, keyed by the changed dependency: the elements to build come from the element index, not from asking each.
    const noAsking = (): boolean => assert.fail('asked an element with the index at hand');
    const keyed: string[] = [];
    const k2 = encodePieces(ROUTE_CONFIGURATION, make(keys, y, keyed), r1.state, noAsking, enc, new Set(['vs:c']));
    assert.deepEqual(keyed, ['c']);
    assert.ok(Buffer.from(k2.bytes).equals(r2.bytes));
    // And again from that encoding (its index forked, with what c read noted again), for two changed keys.
    const w = (k: string): string => (k === 'a' || k === 'e' ? 'w' : y(k));
    const keyed2: string[] = [];
    const k3 = encodePieces(ROUTE_CONFIGURATION, make(keys, w, keyed2), k2.state, noAsking, enc, new Set(['vs:a', 'vs:e', 'dr:x']));
    assert.deepEqual(keyed2, ['a', 'e']);
    assert.ok(Buffer.from(k3.bytes).equals(whole(keys, w)));
    // A changed wildcard key (every key of its kind): each element is asked.
    const asked: string[] = [];
    encodePieces(ROUTE_CONFIGURATION, make(keys, w, asked), k3.state, () => false, enc, new Set(['vs:*']));
    assert.deepEqual(asked, keys);
    // A different list: elements found by key (b and e gone, f new), d's dependency changed.
    const keys3 = ['a', 'c', 'd', 'f'];
    const third: string[] = [];
    const z = (k: string): string => (k === 'd' ? 'z' : y(k));
    const r3 = encodePieces(ROUTE_CONFIGURATION, make(keys3, z, third), r2.state, (d) => !d.has('vs:d'), enc);
    assert.deepEqual(third, ['d', 'f']);
    assert.ok(Buffer.from(r3.bytes).equals(whole(keys3, z)));
    // Nothing reusable: everything built, still the same bytes.
    const fourth: string[] = [];
    const r4 = encodePieces(ROUTE_CONFIGURATION, make(keys3, z, fourth), r3.state, () => false, enc);
    assert.deepEqual(fourth, keys3);
    assert.ok(Buffer.from(r4.bytes).equals(r3.bytes));
  });

  it('an edit of one VirtualService among 800 virtual hosts rebuilds that virtual host, equal to a from-scratch translation', () => {
    const st = emptyState();
    const files = new Map<string, string>([
      ['svc', services()],
      ['vs-1', vs('r1', `[${host(10)}]`, 90)],
      ['vs-2', vs('r2', `[${host(20)}]`, 80)],
    ]);
    let req = step(st, buildMesh(emptyState(), DEFAULT_MESH_OPTIONS).mesh, [
      ...[...files].map(([f, t]) => fileEvent(f, t)),
      { type: 'synced' },
    ]);
    const built: string[] = [];
    /** The real parts, noting each virtual host built as a piece. */
    const counting = (mesh: MeshConfig, p: Proxy): { classKey: string; parts: readonly OutputPart[] } => {
      const r = outputParts(mesh, p);
      return {
        classKey: r.classKey,
        parts: r.parts.map((part) => ({
          ...part,
          make: () => {
            const g = part.make();
            const pieces = piecesOf(g.routes);
            if (!pieces) return g;
            const spied = (n: string): Pieces | undefined => {
              const pc = pieces(n);
              return pc && { ...pc, build: (i: number) => (built.push(pc.keys[i]!.split('\u0000')[0]!), pc.build(i)) };
            };
            return { ...g, routes: { ...g.routes, pieces: spied } as typeof g.routes };
          },
        })),
      };
    };
    const cache = new SnapshotCache(req.mesh, { parts: counting });
    const runner = new PushRunner(cache, { subscribers: () => [] });
    const lease = cache.acquire(proxy());
    runner.push(req);
    const served = (): Uint8Array => lease.snapshot().get(RDS, '8080')!.bytes;
    let before = vhosts(served());
    assert.equal(before.size, SERVICES + 1, 'a virtual host per service, and allow_any');
    assert.equal(built.length, SERVICES + 1, 'the first translation builds every virtual host');

    /** Applies `edits`, then checks what was built, what changed, and the bytes against a fresh cache. */
    const edit = (edits: [string, string][], rebuilt: string[], label: string): void => {
      built.length = 0;
      for (const [f, t] of edits) files.set(f, t);
      req = step(
        st,
        req.mesh,
        edits.map(([f, t]) => fileEvent(f, t)),
      );
      assert.ok(req.exactKeys && [...req.kinds].every((k) => k === 'VirtualService'), label);
      runner.push(req);
      const bytes = served();
      const fresh = new SnapshotCache(req.mesh).forProxy(proxy()).get(RDS, '8080')!;
      assert.ok(Buffer.from(bytes).equals(Buffer.from(fresh.bytes)), `${label}: bytes equal a from-scratch translation`);
      assert.equal(lease.snapshot().get(RDS, '8080')!.version, fresh.version, `${label}: version`);
      const after = vhosts(bytes);
      const changed = [...after].filter(([n, v]) => before.get(n) !== v).map(([n]) => n);
      for (const n of changed) assert.ok(rebuilt.includes(n), `${label}: ${n} changed without being rebuilt`);
      before = after;
      assert.deepEqual([...built].sort(), [...rebuilt].sort(), `${label}: virtual hosts built`);
    };
    const vh = (i: number): string => `${host(i)}:8080`;
    edit([['vs-1', vs('r1', `[${host(10)}]`, 70)]], [vh(10)], 'weights of r1');
    edit([['vs-1', vs('r1', `[${host(10)}]`, 60)]], [vh(10)], 'weights of r1 again');
    edit([['vs-1', vs('r1', `[${host(11)}]`, 60)]], [vh(10), vh(11)], 'r1 moved from s10 to s11');
    edit([['vs-2', vs('r2', `[s20]`, 50)]], [vh(20)], 'r2 by short name');
    // A wildcard host may change the answer for any host: every virtual host that read a VirtualService is rebuilt.
    const every = Array.from({ length: SERVICES }, (_, i) => vh(i));
    edit([['vs-3', vs('r3', '["*.a.svc.cluster.local"]', 30)]], every, 'a wildcard VirtualService');
    edit([['vs-3', '']], every, 'the wildcard deleted');
    edit([['vs-1', '']], [vh(11)], 'r1 deleted');
    lease.release();
  });
});
