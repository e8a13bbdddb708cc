/**
 * watchers/mesh-eps: an endpoint-only change updates the previous MeshConfig and gives exactly
 * what a full build gives — for the cases the store's equivalence test (server/push/incremental)
 * does not reach on their own: Services without slices whose endpoints file mode derives from the
 * Pods their selector picks, an endpoint held back until its Pod is known (Kubernetes mode), and
 * the changes that must fall back to a full build.
 */
import { strict as assert } from 'node:assert';
import type { ConfigEvent, MeshConfig } from '../model/config.js';
import { parseConfigText } from './file/parse.js';
import { buildMesh, DEFAULT_MESH_OPTIONS, type MeshOptions } from './mesh.js';
import { endpointsOnlyMesh } from './mesh-eps.js';
import { sliceIndexWalks } from './slice-index.js';
import { emptyState, reduce, takeChanges } from './store/reduce.js';

const KUBE: MeshOptions = { ...DEFAULT_MESH_OPTIONS, endpointsFromPods: false, holdEndpointsWithoutPod: true };

const event = (source: string, text: string): ConfigEvent => {
  const r = parseConfigText(text, source);
  if (!r.ok) throw new Error(r.reason);
  return { type: 'replace', origin: { source }, objects: r.file.objects, rejections: [] };
};

const pod = (name: string, labels: string, ip: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: ${labels}}
spec: {containers: [{name: app, ports: [{containerPort: 8080}]}]}
status: {podIP: ${ip}, phase: Running}
`;

const SERVICES = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: 10.96.0.10, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec: {clusterIP: 10.96.0.11, selector: {app: db}, ports: [{name: tcp, port: 5432}]}
`;

const SLICE = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-1, namespace: default, labels: {kubernetes.io/service-name: db}}
ports: [{name: tcp, port: 5432}]
endpoints:
- {addresses: [10.1.0.9], conditions: {ready: true}, targetRef: {kind: Pod, name: db-0, namespace: default}}
`;

/** A store fed `files`, then each edit in turn: after every edit, the endpoint-only update equals a full build. */
function run(opts: MeshOptions, files: Record<string, string>, edits: [string, string][]): { updated: number; last: MeshConfig } {
  const st = emptyState();
  for (const [f, text] of Object.entries(files)) reduce(st, event(f, text));
  reduce(st, { type: 'synced' });
  takeChanges(st);
  let mesh = buildMesh(st, opts).mesh;
  let updated = 0;
  for (const [f, text] of edits) {
    reduce(st, event(f, text));
    const { kinds, keys } = takeChanges(st);
    const next = buildMesh(st, opts, mesh, kinds, keys).mesh;
    const full = buildMesh(st, opts, mesh).mesh;
    // The update keeps every field it does not touch (a full build makes new ones).
    if (next.services === mesh.services && next.virtualServices === mesh.virtualServices) updated++;
    assert.deepEqual(
      { ...next, objects: [...next.objects], pods: new Map(next.pods) },
      { ...full, objects: [...full.objects], pods: new Map(full.pods) },
      `after ${f}: the update equals a full build`,
    );
    mesh = next;
  }
  assert.equal(updated, edits.length, 'every edit took the endpoint-only update');
  return { updated, last: mesh };
}

const addresses = (m: MeshConfig, host: string, port: number): string[] =>
  (m.endpoints.get(host)?.get(port) ?? []).map((e) => `${e.address} ${e.labels['version'] ?? ''}`);

describe('watchers/mesh-eps endpoint-only updates', () => {
  it('file mode: a Service without slices follows the Pods its selector picks (relabelled out, added, moved, deleted)', () => {
    const { last } = run(DEFAULT_MESH_OPTIONS, { 'svc.yaml': SERVICES, 'pods.yaml': pod('web-0', '{app: web, version: v1}', '10.1.0.1') }, [
      ['pods.yaml', pod('web-0', '{app: web, version: v2}', '10.1.0.1')],
      ['pods.yaml', pod('web-0', '{app: other}', '10.1.0.1')],
      ['pods.yaml', pod('web-0', '{app: web}', '10.1.0.1') + '---\n' + pod('web-1', '{app: web, version: v1}', '10.1.0.2')],
      ['pods.yaml', pod('web-1', '{app: web, version: v3}', '10.1.0.3')],
    ]);
    assert.deepEqual(addresses(last, 'web.default.svc.cluster.local', 80), ['10.1.0.3 v3']);
  });

  it('Kubernetes mode: an endpoint held back for its unknown Pod appears when the Pod arrives, with its labels', () => {
    const { last } = run(KUBE, { 'svc.yaml': SERVICES, 'slice.yaml': SLICE }, [
      ['pods.yaml', pod('db-0', '{role: db, version: v1}', '10.1.0.9')], // labels the selector does not pick: only the slice names it
      ['pods.yaml', pod('db-0', '{role: db, version: v2}', '10.1.0.9')],
    ]);
    assert.deepEqual(addresses(last, 'db.default.svc.cluster.local', 5432), ['10.1.0.9 v2']);
  });

  it('Kubernetes mode: a Service fed by a core Endpoints object follows relabels of the Pods it names (found by index, not selector)', () => {
    const core = (ip: string): string => `apiVersion: v1
kind: Endpoints
metadata: {name: db, namespace: default}
subsets:
- addresses: [{ip: ${ip}, targetRef: {kind: Pod, name: db-0, namespace: default}}]
  ports: [{name: tcp, port: 5432}]
`;
    const { last } = run(
      KUBE,
      { 'svc.yaml': SERVICES, 'eps.yaml': core('10.1.0.9'), 'pods.yaml': pod('db-0', '{role: db, version: v1}', '10.1.0.9') },
      [
        ['pods.yaml', pod('db-0', '{role: db, version: v2}', '10.1.0.9')], // the selector {app: db} picks neither version
        ['eps.yaml', core('10.1.0.7')],
        ['pods.yaml', pod('db-0', '{role: db, version: v3}', '10.1.0.7')],
      ],
    );
    assert.deepEqual(addresses(last, 'db.default.svc.cluster.local', 5432), ['10.1.0.7 v3']);
  });

  it('slices found by index (slice-index.ts): a slice moved to another Service, split in two, deleted; an older mesh asked again', () => {
    const web = (name: string, ip: string, svc = 'web'): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}, namespace: default, labels: {kubernetes.io/service-name: ${svc}}}
ports: [{name: http, port: 8080}]
endpoints:
- {addresses: [${ip}], conditions: {ready: true}, targetRef: {kind: Pod, name: web-0, namespace: default}}
`;
    const { last } = run(KUBE, { 'svc.yaml': SERVICES, 'slice.yaml': SLICE, 'web.yaml': web('web-1', '10.1.0.1') }, [
      ['web.yaml', web('web-1', '10.1.0.2')],
      ['web.yaml', web('web-1', '10.1.0.2') + '---\n' + web('web-2', '10.1.0.3')],
      ['pods.yaml', pod('web-0', '{app: web, version: v7}', '10.1.0.2')], // named by both slices
      ['web.yaml', web('web-2', '10.1.0.3')],
      ['web.yaml', web('web-2', '10.1.0.3', 'db')], // moved to db
      ['web.yaml', ''],
    ]);
    assert.deepEqual(addresses(last, 'web.default.svc.cluster.local', 80), []);

    // The index moves from mesh to mesh; a mesh it has left, asked again, still gives what a full build gives.
    const st = emptyState();
    const files = { 'svc.yaml': SERVICES, 'pods.yaml': pod('web-0', '{app: web}', '10.1.0.1'), 'web.yaml': web('web-1', '10.1.0.1') };
    for (const [f, text] of Object.entries(files)) reduce(st, event(f, text));
    reduce(st, { type: 'synced' });
    takeChanges(st);
    const m0 = buildMesh(st, KUBE).mesh;
    reduce(st, event('web.yaml', web('web-1', '10.1.0.2')));
    const k1 = takeChanges(st).keys;
    const m1 = endpointsOnlyMesh(st, KUBE, m0, new Map(), k1)!;
    reduce(st, event('web.yaml', web('web-1', '10.1.0.5')));
    const k2 = takeChanges(st).keys;
    endpointsOnlyMesh(st, KUBE, m1, new Map(), k2); // the index moves on to this mesh
    const again = endpointsOnlyMesh(st, KUBE, m1, new Map(), k2)!;
    assert.deepEqual(addresses(again, 'web.default.svc.cluster.local', 80), ['10.1.0.5 ']);
    assert.deepEqual(again.endpoints, buildMesh(st, KUBE).mesh.endpoints);
  });

  it('the index is made by the full build and carried by a VirtualService-only one: the endpoint change after them walks no store', () => {
    const VS = (w: number): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec: {hosts: [db.default.svc.cluster.local], tcp: [{route: [{destination: {host: db.default.svc.cluster.local}, weight: ${w}}]}]}
`;
    const st = emptyState();
    for (const [f, text] of Object.entries({
      'svc.yaml': SERVICES,
      'slice.yaml': SLICE,
      'vs.yaml': VS(100),
      'pods.yaml': pod('db-0', '{app: db}', '10.1.0.9'),
    }))
      reduce(st, event(f, text));
    reduce(st, { type: 'synced' });
    takeChanges(st);
    const w0 = sliceIndexWalks();
    const m0 = buildMesh(st, KUBE).mesh;
    assert.equal(sliceIndexWalks(), w0 + 1, 'the full build indexes the store');
    reduce(st, event('vs.yaml', VS(100).replace('tcp: [{route', 'tcp: [{match: [{port: 5432}], route')));
    const c1 = takeChanges(st);
    assert.deepEqual([...c1.kinds], ['VirtualService']);
    const m1 = buildMesh(st, KUBE, m0, c1.kinds, c1.keys).mesh;
    assert.equal(m1.services, m0.services, 'the VirtualService-only build');
    reduce(st, event('slice.yaml', SLICE.replace('10.1.0.9', '10.1.0.10')));
    const c2 = takeChanges(st);
    const m2 = buildMesh(st, KUBE, m1, c2.kinds, c2.keys).mesh;
    assert.equal(m2.virtualServices, m1.virtualServices, 'the endpoint-only build');
    assert.equal(sliceIndexWalks(), w0 + 1, 'neither later build walked the store');
    assert.deepEqual(addresses(m2, 'db.default.svc.cluster.local', 5432), ['10.1.0.10 ']);
    assert.deepEqual(m2.endpoints, buildMesh(st, KUBE).mesh.endpoints);
  });

  it('falls back to a full build for a slice naming no Service, or Pods under a ServiceEntry that selects workloads', () => {
    const st = emptyState();
    for (const [f, text] of Object.entries({ 'svc.yaml': SERVICES, 'slice.yaml': SLICE })) reduce(st, event(f, text));
    reduce(st, { type: 'synced' });
    takeChanges(st);
    const mesh = buildMesh(st, KUBE).mesh;
    reduce(st, event('slice.yaml', SLICE.replace('labels: {kubernetes.io/service-name: db}', 'labels: {}')));
    assert.equal(endpointsOnlyMesh(st, KUBE, mesh, new Map(), takeChanges(st).keys), undefined, 'a slice of no Service');
    const se = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vm, namespace: default}
spec: {hosts: [vm.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, workloadSelector: {labels: {app: web}}}
`;
    const withSe = { ...mesh, serviceEntries: buildWithSe(se) };
    reduce(st, event('pods.yaml', pod('web-0', '{app: web}', '10.1.0.1')));
    assert.equal(endpointsOnlyMesh(st, KUBE, withSe, new Map(), takeChanges(st).keys), undefined, 'Pods under a workload-selecting entry');
  });
});

function buildWithSe(text: string): MeshConfig['serviceEntries'] {
  const st = emptyState();
  reduce(st, event('se.yaml', text));
  reduce(st, { type: 'synced' });
  return buildMesh(st, KUBE).mesh.serviceEntries;
}
