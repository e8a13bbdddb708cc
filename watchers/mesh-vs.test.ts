/**
 * watchers/mesh-vs: a VirtualService-only change updates the previous MeshConfig (`vsOnlyMesh`) and
 * gives exactly what a full build gives — here with Gateway API objects present (a Gateway, an
 * HTTPRoute attached to it and a GAMMA HTTPRoute on a Service), whose conversion the update reuses
 * from the previous snapshot. That reuse is right only because the conversion reads no
 * VirtualServices and only while no Gateway API object changed: a batch that edits a VirtualService
 * and a Gateway API object together must be converted again (a full build), which the last cases
 * check by comparing with a full build after such batches.
 * Also: the hosts several VirtualServices claim (`conflicts`), kept up to date per edit, equal a
 * count over every VirtualService when an edit creates, moves or resolves a conflict.
 */
import { strict as assert } from 'node:assert';
import type { ConfigEvent, MeshConfig } from '../model/config.js';
import { parseConfigText } from './file/parse.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from './mesh.js';
import { vsConflicts } from './mesh-vs.js';
import { emptyState, reduce, takeChanges } from './store/reduce.js';

const event = (source: string, text: string): ConfigEvent => {
  if (!text) return { type: 'replace', origin: { source }, objects: [], rejections: [] };
  const r = parseConfigText(text, source);
  if (!r.ok) throw new Error(r.reason);
  return { type: 'replace', origin: { source }, objects: r.file.objects, rejections: [] };
};

const SERVICES = ['web', 'api', 'db']
  .map(
    (name, i) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec: {clusterIP: 10.96.0.${10 + i}, selector: {app: ${name}}, ports: [{name: http, port: 80}]}
`,
  )
  .join('---\n');

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: default}
spec: {host: web.default.svc.cluster.local, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
`;

const gateway = (host: string): string => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP, hostname: "${host}"}]
`;

/** An HTTPRoute on the Gateway (ingress) and a GAMMA one on the api Service (mesh), both weighted by `w`. */
const routes = (w: number): string => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ingress, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 80, weight: ${w}}, {name: api, port: 80, weight: ${100 - w}}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: gamma, namespace: default}
spec:
  parentRefs: [{group: "", kind: Service, name: api, port: 80}]
  rules: [{matches: [{path: {type: PathPrefix, value: /v${w}}}], backendRefs: [{name: api, port: 80}]}]
`;

/** A mesh VirtualService for `host`, routing to web's subset v1 with weight `w` (subset v9: rejected, the last good version stays). */
const vs = (name: string, host: string, w: number, subset = 'v1'): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: "${name}", namespace: default}
spec:
  hosts: [${host}]
  http:
  - route:
    - {destination: {host: web.default.svc.cluster.local, subset: ${subset}}, weight: ${w}}
    - {destination: {host: db.default.svc.cluster.local}, weight: ${100 - w}}
`;

const plain = (m: MeshConfig): object => ({ ...m, objects: [...m.objects] });

/**
 * A store fed `files`, then each batch of edits: after every batch the store's build (given the
 * changed kinds and keys, as the store stage passes them) equals a full build. Returns, per batch,
 * whether the build took the VirtualService-only update (it keeps the previous snapshot's services
 * and Gateway API conversion: the same objects).
 */
function run(files: Record<string, string>, batches: Record<string, string>[]): boolean[] {
  const st = emptyState();
  for (const [f, text] of Object.entries(files)) reduce(st, event(f, text));
  reduce(st, { type: 'synced' });
  takeChanges(st);
  let mesh = buildMesh(st, DEFAULT_MESH_OPTIONS).mesh;
  return batches.map((batch, i) => {
    for (const [f, text] of Object.entries(batch)) reduce(st, event(f, text));
    const { kinds, keys } = takeChanges(st);
    const next = buildMesh(st, DEFAULT_MESH_OPTIONS, mesh, kinds, keys).mesh;
    const full = buildMesh(st, DEFAULT_MESH_OPTIONS, mesh).mesh;
    assert.deepEqual(plain(next), plain(full), `batch ${i} (${Object.keys(batch).join(', ')}): the store's build equals a full build`);
    assert.deepEqual(next.conflicts, vsConflicts(userVirtualServices(next), 'cluster.local'), `batch ${i}: conflicts as a full count`);
    const incremental = next.services === mesh.services && next.gatewayApiStatus === mesh.gatewayApiStatus;
    mesh = next;
    return incremental;
  });
}

/** The mesh's VirtualServices that are not converted from Gateway API routes. */
const userVirtualServices = (m: MeshConfig): MeshConfig['virtualServices'] =>
  m.virtualServices.filter((v) => m.objects.get(`VirtualService/${v.meta.namespace}/${v.meta.name}`)?.object === v);

const FILES = {
  'svc.yaml': SERVICES,
  'dr.yaml': DR,
  'gw.yaml': gateway('shop.example.com'),
  'routes.yaml': routes(80),
  'vs-a.yaml': vs('a', 'web', 90),
};

describe('watchers/mesh-vs VirtualService-only updates', () => {
  it('with a Gateway and HTTPRoutes present, a VirtualService edit reuses their conversion and equals a full build', () => {
    const took = run(FILES, [
      { 'vs-a.yaml': vs('a', 'web', 70) },
      // A second VirtualService for the api host, which the GAMMA route also routes (the user's wins).
      { 'vs-b.yaml': vs('b', 'api.default.svc.cluster.local', 60) },
      // A subset no DestinationRule defines: rejected, the last good version stays.
      { 'vs-b.yaml': vs('b', 'api.default.svc.cluster.local', 50, 'v9') },
      { 'vs-a.yaml': '' },
    ]);
    assert.deepEqual(took, [true, true, true, true], 'every VirtualService-only edit took the update');
  });

  it('a VirtualService edited in the same batch as an HTTPRoute or a Gateway is converted again, as a full build', () => {
    const took = run(FILES, [
      { 'vs-a.yaml': vs('a', 'web', 70), 'routes.yaml': routes(30) },
      { 'vs-a.yaml': vs('a', 'web', 60), 'gw.yaml': gateway('store.example.com') },
      { 'vs-a.yaml': vs('a', 'web', 50) },
    ]);
    assert.deepEqual(took, [false, false, true], 'only the VirtualService-only batch reuses the conversion');
  });

  it('conflicts follow the edits that create, move and resolve them', () => {
    const st = emptyState();
    for (const [f, text] of Object.entries(FILES)) reduce(st, event(f, text));
    reduce(st, { type: 'synced' });
    takeChanges(st);
    let mesh = buildMesh(st, DEFAULT_MESH_OPTIONS).mesh;
    const edits: [string, string, string[]][] = [
      ['vs-b.yaml', vs('b', 'web.default.svc.cluster.local', 60), ['web.default.svc.cluster.local default/a [default/b]']],
      ['vs-0.yaml', vs('0', 'web', 50), ['web.default.svc.cluster.local default/0 [default/a, default/b]']],
      ['vs-a.yaml', vs('a', 'api', 50), ['web.default.svc.cluster.local default/0 [default/b]']],
      ['vs-0.yaml', vs('0', 'api.default.svc.cluster.local', 40), ['api.default.svc.cluster.local default/0 [default/a]']],
      // Rejected (subset v9): its last good version (host api) stays, so the conflict does too.
      ['vs-0.yaml', vs('0', 'db', 40, 'v9'), ['api.default.svc.cluster.local default/0 [default/a]']],
      ['vs-a.yaml', '', []],
    ];
    for (const [f, text, want] of edits) {
      reduce(st, event(f, text));
      const { kinds, keys } = takeChanges(st);
      mesh = buildMesh(st, DEFAULT_MESH_OPTIONS, mesh, kinds, keys).mesh;
      assert.deepEqual(
        mesh.conflicts.map((c) => `${c.host} ${c.winner} [${c.ignored.join(', ')}]`),
        want,
        `after ${f}`,
      );
    }
  });
});
