/**
 * Tests for watchers/store/reduce.ts (reduce) and watchers/mesh.ts (buildMesh), driven the way the file
 * source drives them: each file's text goes through parseConfigText and arrives as one `replace`
 * event (or a `sourceError` when it does not parse). Covers "last good wins" (an object that turns
 * invalid keeps its previous version in force and is listed as rejected; a file that stops parsing
 * keeps its objects; a deleted file takes its objects with it), endpoints from EndpointSlices,
 * Endpoints and selected Pods, subset membership through pod labels, the cross-object subset check
 * on VirtualServices, and short-name resolution.
 */
import assert from 'node:assert/strict';
import type { ConfigEvent, MeshConfig, MeshEndpoint } from '../../model/config.js';
import type { VirtualService } from '../../model/istio.js';
import { parseConfigText } from '../file/parse.js';
import { buildMesh, DEFAULT_MESH_OPTIONS, type MeshOptions } from '../mesh.js';
import { duplicateDefinitions, emptyState, reduce, takeChanges, type StoreState } from './reduce.js';

/** The event the file source emits for a file with this text. */
function fileEvent(source: string, text: string): ConfigEvent {
  const r = parseConfigText(text, source, 'bookinfo');
  if (!r.ok) return { type: 'sourceError', origin: { source }, reason: r.reason };
  return { type: 'replace', origin: { source }, objects: r.file.objects, rejections: r.file.rejections, ignored: r.file.ignored };
}

const deleted = (source: string): ConfigEvent => ({ type: 'replace', origin: { source }, objects: [], rejections: [] });

/** The last snapshot built from each state: the next build's last-good fallback, as the store stage keeps it. */
const previous = new WeakMap<StoreState, MeshConfig>();

/** Builds a snapshot against the previous one of the same state, as watchers/store/stage.ts does. */
function snapshot(st: StoreState, opts: MeshOptions = DEFAULT_MESH_OPTIONS): MeshConfig {
  const { mesh } = buildMesh(st, opts, previous.get(st));
  previous.set(st, mesh);
  return mesh;
}

function apply(st: StoreState, ...events: ConfigEvent[]): MeshConfig {
  for (const e of events) reduce(st, e);
  return snapshot(st);
}

const vsTimeout = (mesh: MeshConfig, name: string): string | undefined =>
  mesh.virtualServices.find((v) => v.meta.name === name)?.spec.http?.[0]?.timeout;

const eps = (mesh: MeshConfig, host: string, port: number): readonly MeshEndpoint[] => mesh.endpoints.get(host)?.get(port) ?? [];
const addrs = (list: readonly MeshEndpoint[]): string[] => list.map((e) => `${e.address}:${e.port}`);

const REVIEWS_HOST = 'reviews.bookinfo.svc.cluster.local';

const SERVICE = `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec:
  clusterIP: 10.96.0.13
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080, targetPort: http-web}
  - {name: http-metrics, port: 15090, targetPort: 15090}
`;

const DR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: bookinfo}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

const vs = (opts: { name?: string; timeout?: string; subset?: string; weights?: [number, number]; host?: string } = {}): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${opts.name ?? 'reviews'}, namespace: bookinfo}
spec:
  hosts: [${opts.host ?? 'reviews'}]
  http:
  - timeout: ${opts.timeout ?? '1s'}
    route:
${
  opts.weights
    ? `    - {destination: {host: reviews, subset: v1}, weight: ${opts.weights[0]}}\n    - {destination: {host: reviews, subset: v2}, weight: ${opts.weights[1]}}`
    : `    - {destination: {host: ${opts.host ?? 'reviews'}${opts.subset === '' ? '' : `, subset: ${opts.subset ?? 'v1'}`}}}`
}
`;

const pod = (
  name: string,
  labels: Record<string, string>,
  ip: string,
  opts: { phase?: string; ns?: string; portName?: string; port?: number } = {},
): string => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${opts.ns ?? 'bookinfo'}
  labels: ${JSON.stringify(labels)}
spec:
  serviceAccountName: bookinfo-reviews
  containers:
  - name: app
    ports:
    - {name: ${opts.portName ?? 'http-web'}, containerPort: ${opts.port ?? 8080}}
status: {phase: ${opts.phase ?? 'Running'}, podIP: ${ip}}
`;

describe('watchers/store/reduce reduce + watchers/mesh buildMesh', () => {
  describe('last good wins (replace events)', () => {
    it('a file’s objects appear in the snapshot', () => {
      const mesh = apply(emptyState(), fileEvent('svc.yaml', SERVICE), fileEvent('dr.yaml', DR), fileEvent('vs.yaml', vs()));
      assert.deepEqual(
        mesh.services.map((s) => s.hostname),
        [REVIEWS_HOST],
      );
      assert.equal(vsTimeout(mesh, 'reviews'), '1s');
      assert.deepEqual(mesh.rejected, []);
    });

    it('an object that becomes invalid keeps its previous version in force and is listed as rejected', () => {
      const st = emptyState();
      apply(st, fileEvent('svc.yaml', SERVICE), fileEvent('dr.yaml', DR), fileEvent('vs.yaml', vs({ timeout: '1s' })));
      const mesh = apply(st, fileEvent('vs.yaml', vs({ timeout: 'later' })));
      assert.equal(vsTimeout(mesh, 'reviews'), '1s', 'the last good version still routes');
      assert.equal(mesh.rejected.length, 1);
      const r = mesh.rejected[0]!;
      assert.deepEqual(
        [r.key, r.kind, r.namespace, r.name, r.source, r.field],
        ['VirtualService/bookinfo/reviews', 'VirtualService', 'bookinfo', 'reviews', 'vs.yaml', 'spec.http[0].timeout'],
      );
      assert.match(r.reason, /"later" is not a duration/);
      assert.ok(mesh.objects.has('VirtualService/bookinfo/reviews'), 'configz still shows the version in force');

      const fixed = apply(st, fileEvent('vs.yaml', vs({ timeout: '3s' })));
      assert.equal(vsTimeout(fixed, 'reviews'), '3s');
      assert.deepEqual(fixed.rejected, [], 'the rejection clears once a good version arrives');
    });

    it('an object invalid from the start is only listed as rejected', () => {
      const mesh = apply(
        emptyState(),
        fileEvent('svc.yaml', SERVICE),
        fileEvent('dr.yaml', DR),
        fileEvent('vs.yaml', vs({ weights: [50, 40] })),
      );
      assert.deepEqual(mesh.virtualServices, []);
      assert.equal(mesh.rejected[0]?.key, 'VirtualService/bookinfo/reviews');
      assert.match(mesh.rejected[0]!.reason, /add up to 100/);
    });

    it('a deleted file removes its objects and their rejections', () => {
      const st = emptyState();
      apply(
        st,
        fileEvent('svc.yaml', SERVICE),
        fileEvent('dr.yaml', DR),
        fileEvent('vs.yaml', `${vs()}---${vs({ name: 'broken', timeout: 'x' })}`),
      );
      let mesh = snapshot(st);
      assert.equal(mesh.virtualServices.length, 1);
      assert.equal(mesh.rejected.length, 1);
      mesh = apply(st, deleted('vs.yaml'));
      assert.deepEqual(mesh.virtualServices, []);
      assert.deepEqual(mesh.rejected, []);
      assert.equal(mesh.services.length, 1, 'other files are untouched');
    });

    it('an object dropped from a file that stays is removed; the rest of the file stays', () => {
      const st = emptyState();
      const before = apply(
        st,
        fileEvent('vs.yaml', `${vs({ name: 'a', host: 'ratings', subset: '' })}---${vs({ name: 'b', host: 'details', subset: '' })}`),
      );
      assert.deepEqual(
        before.virtualServices.map((v) => v.meta.name),
        ['a', 'b'],
      );
      const mesh = apply(st, fileEvent('vs.yaml', vs({ name: 'b', host: 'details', subset: '' })));
      assert.deepEqual(
        mesh.virtualServices.map((v) => v.meta.name),
        ['b'],
      );
      assert.ok(!mesh.objects.has('VirtualService/bookinfo/a'));
      assert.deepEqual(mesh.rejected, []);
    });

    it('a file with a syntax error (sourceError) keeps all its objects', () => {
      const st = emptyState();
      apply(st, fileEvent('svc.yaml', SERVICE), fileEvent('dr.yaml', DR), fileEvent('vs.yaml', vs({ timeout: '1s' })));
      const broken = fileEvent('vs.yaml', 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews\n');
      assert.equal(broken.type, 'sourceError');
      const mesh = apply(st, broken);
      assert.equal(vsTimeout(mesh, 'reviews'), '1s');
      assert.match(st.sourceErrors.get('vs.yaml') ?? '', /line \d+/);
      apply(st, fileEvent('vs.yaml', vs({ timeout: '2s' })));
      assert.equal(st.sourceErrors.has('vs.yaml'), false, 'a good read clears the error');
    });

    it('an object moved to another file survives its old file dropping it', () => {
      const st = emptyState();
      apply(st, fileEvent('svc.yaml', SERVICE), fileEvent('dr.yaml', DR), fileEvent('a.yaml', vs({ timeout: '1s' })));
      apply(st, fileEvent('b.yaml', vs({ timeout: '2s' })));
      const mesh = apply(st, deleted('a.yaml'));
      assert.equal(vsTimeout(mesh, 'reviews'), '2s');
      assert.equal(mesh.objects.get('VirtualService/bookinfo/reviews')?.origin.source, 'b.yaml');
    });

    it('changes are reported per kind (an endpoint-only change stays endpoint-only); re-reading the same file changes nothing', () => {
      const st = emptyState();
      apply(st, fileEvent('svc.yaml', SERVICE), fileEvent('pods.yaml', pod('reviews-v1-a', { app: 'reviews', version: 'v1' }, '10.0.0.1')));
      takeChanges(st);
      reduce(st, fileEvent('svc.yaml', SERVICE));
      assert.deepEqual([...takeChanges(st).keys], []);
      reduce(st, fileEvent('pods.yaml', pod('reviews-v1-a', { app: 'reviews', version: 'v1' }, '10.0.0.2')));
      const ch = takeChanges(st);
      assert.deepEqual([...ch.kinds], ['Pod']);
      assert.deepEqual([...ch.keys], ['Pod/bookinfo/reviews-v1-a']);
    });
  });

  describe('an object defined in two files', () => {
    const KEY = 'VirtualService/bookinfo/reviews';
    const base = (): StoreState => {
      const st = emptyState();
      apply(st, fileEvent('svc.yaml', SERVICE), fileEvent('dr.yaml', DR));
      return st;
    };

    it('the definition from the file whose path sorts first is served, whatever order the files arrive in', () => {
      for (const order of [
        ['a.yaml', 'b.yaml'],
        ['b.yaml', 'a.yaml'],
      ]) {
        const st = base();
        const text: Record<string, string> = { 'a.yaml': vs({ timeout: '1s' }), 'b.yaml': vs({ timeout: '2s' }) };
        const mesh = apply(st, ...order.map((f) => fileEvent(f, text[f]!)));
        assert.equal(vsTimeout(mesh, 'reviews'), '1s', `arrival order ${order.join(', ')}`);
        assert.equal(mesh.objects.get(KEY)?.origin.source, 'a.yaml');
      }
    });

    it('is reported as a conflict naming both files, and no longer once one file drops it', () => {
      const st = base();
      apply(st, fileEvent('b.yaml', vs({ timeout: '2s' })), fileEvent('a.yaml', vs({ timeout: '1s' })));
      assert.deepEqual(duplicateDefinitions(st), [{ key: KEY, winner: 'a.yaml', ignored: ['b.yaml'] }]);
      apply(st, deleted('b.yaml'));
      assert.deepEqual(duplicateDefinitions(st), []);
    });

    it('deleting the file in force falls back to the other definition at once', () => {
      const st = base();
      apply(st, fileEvent('a.yaml', vs({ timeout: '1s' })), fileEvent('b.yaml', vs({ timeout: '2s' })));
      takeChanges(st);
      const mesh = apply(st, deleted('a.yaml'));
      assert.equal(vsTimeout(mesh, 'reviews'), '2s');
      assert.equal(mesh.objects.get(KEY)?.origin.source, 'b.yaml');
      assert.deepEqual([...takeChanges(st).keys], [KEY], 'the switch is a change to push');
    });

    it('deleting the file that arrived last keeps the first file’s definition (it used to vanish until a restart)', () => {
      const st = base();
      apply(st, fileEvent('b.yaml', vs({ timeout: '2s' })), fileEvent('c.yaml', vs({ timeout: '3s' })));
      const mesh = apply(st, deleted('c.yaml'));
      assert.equal(vsTimeout(mesh, 'reviews'), '2s');
      const gone = apply(st, deleted('b.yaml'));
      assert.equal(gone.objects.has(KEY), false, 'gone only when no file defines it');
    });

    it('a file dropping the object (but staying) also falls back to the other file', () => {
      const st = base();
      apply(
        st,
        fileEvent('a.yaml', `${vs({ timeout: '1s' })}---${SERVICE.replace('name: reviews', 'name: other')}`),
        fileEvent('b.yaml', vs({ timeout: '2s' })),
      );
      const mesh = apply(st, fileEvent('a.yaml', SERVICE.replace('name: reviews', 'name: other')));
      assert.equal(vsTimeout(mesh, 'reviews'), '2s');
    });

    it('an invalid definition in one file does not take the other file’s valid one away', () => {
      const st = base();
      apply(st, fileEvent('b.yaml', vs({ timeout: '2s' })));
      const mesh = apply(st, fileEvent('a.yaml', vs({ timeout: 'soon' })));
      assert.equal(vsTimeout(mesh, 'reviews'), '2s');
      assert.equal(mesh.rejected[0]?.source, 'a.yaml');
      const fixed = apply(st, deleted('a.yaml'));
      assert.deepEqual(fixed.rejected, [], 'the rejection goes with its file');
      assert.equal(vsTimeout(fixed, 'reviews'), '2s');
    });

    it('an upsert (the Kubernetes source, a dry run) replaces every definition of the key', () => {
      const st = base();
      apply(st, fileEvent('a.yaml', vs({ timeout: '1s' })), fileEvent('b.yaml', vs({ timeout: '2s' })));
      const r = parseConfigText(vs({ timeout: '9s' }), 'dry-run', 'bookinfo');
      assert.ok(r.ok);
      const mesh = apply(st, { type: 'upsert', key: KEY, object: r.file.objects[0]!.object, origin: { source: 'dry-run' } });
      assert.equal(vsTimeout(mesh, 'reviews'), '9s');
      assert.deepEqual(duplicateDefinitions(st), []);
    });
  });

  describe('ignored kinds', () => {
    it('are kept per file with the reason, and replaced when the file is re-read or deleted', () => {
      const st = emptyState();
      apply(st, fileEvent('x.yaml', `apiVersion: networking.istio.io/v1\nkind: VirtualServce\nmetadata: {name: r}\n---${SERVICE}`));
      assert.deepEqual(
        st.ignored.get('x.yaml')?.map((i) => [i.kind, i.name]),
        [['VirtualServce', 'r']],
      );
      apply(st, fileEvent('x.yaml', SERVICE));
      assert.equal(st.ignored.has('x.yaml'), false);
      apply(st, fileEvent('x.yaml', 'apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: p}\n'));
      assert.deepEqual(
        st.ignored.get('x.yaml')?.map((i) => i.kind),
        ['WasmPlugin'],
      );
      apply(st, { type: 'sourceError', origin: { source: 'x.yaml' }, reason: 'line 1: bad' });
      assert.equal(st.ignored.get('x.yaml')?.length, 1, 'an unreadable file keeps what it said last');
      apply(st, deleted('x.yaml'));
      assert.equal(st.ignored.has('x.yaml'), false);
    });
  });

  describe('endpoints', () => {
    it('from EndpointSlices: the port is matched by name, not-ready addresses are left out, pod labels come through the targetRef', () => {
      const mesh = apply(
        emptyState(),
        fileEvent('svc.yaml', SERVICE),
        fileEvent(
          'pods.yaml',
          [
            pod('reviews-v1-a', { app: 'reviews', version: 'v1' }, '10.0.0.9'),
            pod('reviews-v2-b', { app: 'reviews', version: 'v2' }, '10.0.0.10'),
          ].join('---'),
        ),
        fileEvent(
          'slices.yaml',
          `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-x1, namespace: bookinfo, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports:
- {name: http-metrics, port: 15090}
- {name: http, port: 8080}
endpoints:
- {addresses: [10.0.0.10], conditions: {ready: true}, targetRef: {kind: Pod, name: reviews-v2-b}, zone: us-east1-c}
- {addresses: [10.0.0.9], conditions: {ready: true}, targetRef: {kind: Pod, name: reviews-v1-a}, zone: us-east1-b}
- {addresses: [10.0.0.11], conditions: {ready: false}, targetRef: {kind: Pod, name: reviews-v3-c}}
`,
        ),
      );
      const http = eps(mesh, REVIEWS_HOST, 9080);
      assert.deepEqual(addrs(http), ['10.0.0.9:8080', '10.0.0.10:8080'], 'named port http → 8080, sorted numerically, not-ready left out');
      assert.deepEqual(
        http.map((e) => [e.labels['version'], e.pod, e.locality, e.serviceAccount]),
        [
          ['v1', 'bookinfo/reviews-v1-a', 'us-east1-b', 'bookinfo-reviews'],
          ['v2', 'bookinfo/reviews-v2-b', 'us-east1-c', 'bookinfo-reviews'],
        ],
      );
      assert.deepEqual(addrs(eps(mesh, REVIEWS_HOST, 15090)), ['10.0.0.9:15090', '10.0.0.10:15090']);
    });

    it('from core Endpoints when there are no EndpointSlices', () => {
      const mesh = apply(
        emptyState(),
        fileEvent('svc.yaml', SERVICE),
        fileEvent(
          'ep.yaml',
          `
apiVersion: v1
kind: Endpoints
metadata: {name: reviews, namespace: bookinfo}
subsets:
- addresses: [{ip: 10.1.0.2}, {ip: 10.1.0.1}]
  notReadyAddresses: [{ip: 10.1.0.3}]
  ports: [{name: http, port: 9081}, {name: http-metrics, port: 15090}]
`,
        ),
      );
      assert.deepEqual(addrs(eps(mesh, REVIEWS_HOST, 9080)), ['10.1.0.1:9081', '10.1.0.2:9081']);
    });

    it('EndpointSlices win over Endpoints for the same service', () => {
      const mesh = apply(
        emptyState(),
        fileEvent('svc.yaml', SERVICE),
        fileEvent(
          'ep.yaml',
          `
apiVersion: v1
kind: Endpoints
metadata: {name: reviews, namespace: bookinfo}
subsets: [{addresses: [{ip: 10.1.0.1}], ports: [{name: http, port: 9081}]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-x1, namespace: bookinfo, labels: {kubernetes.io/service-name: reviews}}
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.2.0.1]}]
`,
        ),
      );
      assert.deepEqual(addrs(eps(mesh, REVIEWS_HOST, 9080)), ['10.2.0.1:8080']);
    });

    it('from the Pods a Service selects (file mode): named targetPort resolved per pod; non-Running and unselected pods left out', () => {
      const pods = [
        pod('reviews-v1-a', { app: 'reviews', version: 'v1' }, '10.0.0.1'),
        pod('reviews-v2-b', { app: 'reviews', version: 'v2' }, '10.0.0.2', { port: 8081 }),
        pod('reviews-v3-c', { app: 'reviews', version: 'v3' }, '10.0.0.3', { phase: 'Pending' }),
        pod('reviews-v3-d', { app: 'reviews', version: 'v3' }, '10.0.0.4', { phase: 'Failed' }),
        pod('ratings-v1-e', { app: 'ratings', version: 'v1' }, '10.0.0.5'),
        pod('reviews-other-ns', { app: 'reviews', version: 'v1' }, '10.0.0.6', { ns: 'other' }),
        pod('reviews-noport', { app: 'reviews', version: 'v1' }, '10.0.0.7', { portName: 'grpc' }),
      ];
      const st = emptyState();
      const mesh = apply(st, fileEvent('svc.yaml', SERVICE), fileEvent('pods.yaml', pods.join('---')));
      assert.deepEqual(addrs(eps(mesh, REVIEWS_HOST, 9080)), ['10.0.0.1:8080', '10.0.0.2:8081']);
      assert.deepEqual(
        eps(mesh, REVIEWS_HOST, 9080).map((e) => e.labels['version']),
        ['v1', 'v2'],
      );
      assert.deepEqual(
        addrs(eps(mesh, REVIEWS_HOST, 15090)),
        ['10.0.0.1:15090', '10.0.0.2:15090', '10.0.0.7:15090'],
        'a numeric targetPort needs no named container port',
      );

      const kube = snapshot(st, { ...DEFAULT_MESH_OPTIONS, endpointsFromPods: false });
      assert.deepEqual(eps(kube, REVIEWS_HOST, 9080), [], 'with a real endpoints controller, pods alone give no endpoints');
    });
  });

  describe('VirtualService ↔ DestinationRule subsets', () => {
    it('a VirtualService naming an unknown subset is rejected, naming the field and the subsets that exist', () => {
      const mesh = apply(
        emptyState(),
        fileEvent('svc.yaml', SERVICE),
        fileEvent('dr.yaml', DR),
        fileEvent('vs.yaml', vs({ subset: 'v9' })),
      );
      assert.deepEqual(mesh.virtualServices, []);
      const r = mesh.rejected.find((x) => x.key === 'VirtualService/bookinfo/reviews');
      assert.ok(r, JSON.stringify(mesh.rejected));
      assert.equal(r.field, 'spec.http[0].route[0].destination.subset');
      assert.equal(r.source, 'vs.yaml');
      assert.match(r.reason, /unknown subset "v9" of reviews\.bookinfo\.svc\.cluster\.local/);
      assert.match(r.reason, /DestinationRule bookinfo\/reviews defines v1, v2/);
    });

    it('its previous good version stays in force', () => {
      const st = emptyState();
      apply(st, fileEvent('svc.yaml', SERVICE), fileEvent('dr.yaml', DR), fileEvent('vs.yaml', vs({ subset: 'v2', timeout: '1s' })));
      const mesh = apply(st, fileEvent('vs.yaml', vs({ subset: 'v9', timeout: '5s' })));
      const inForce = mesh.virtualServices.find((v) => v.meta.name === 'reviews');
      assert.ok(inForce, 'the last good version still routes');
      assert.equal(inForce.spec.http![0]!.route![0]!.destination.subset, 'v2');
      assert.equal(inForce.spec.http![0]!.timeout, '1s');
      assert.equal(
        (mesh.objects.get('VirtualService/bookinfo/reviews')?.object as VirtualService).spec.http![0]!.timeout,
        '1s',
        'configz shows the version in force',
      );
      assert.ok(mesh.rejected.some((r) => r.key === 'VirtualService/bookinfo/reviews' && /v9/.test(r.reason)));
      // Stays so across later snapshots while nothing changes.
      assert.equal(snapshot(st).virtualServices.find((v) => v.meta.name === 'reviews')?.spec.http![0]!.timeout, '1s');
    });

    it('a subset with no DestinationRule for the host at all', () => {
      const mesh = apply(emptyState(), fileEvent('svc.yaml', SERVICE), fileEvent('vs.yaml', vs({ subset: 'v1' })));
      assert.match(mesh.rejected[0]?.reason ?? '', /no DestinationRule defines subsets for that host/);
    });

    it('short hosts resolve in the object’s own namespace: reviews → reviews.<ns>.svc.cluster.local', () => {
      const st = emptyState();
      const otherNs = vs({ name: 'reviews-from-shop' }).replace('namespace: bookinfo', 'namespace: shop');
      const mesh = apply(st, fileEvent('svc.yaml', SERVICE), fileEvent('dr.yaml', DR), fileEvent('vs.yaml', `${vs()}---${otherNs}`));
      assert.equal(mesh.destinationRuleByHost.get(REVIEWS_HOST)?.meta.name, 'reviews');
      assert.deepEqual([...mesh.destinationRuleByHost.keys()], [REVIEWS_HOST]);
      assert.deepEqual(
        mesh.virtualServices.map((v) => `${v.meta.namespace}/${v.meta.name}`),
        ['bookinfo/reviews'],
      );
      const r = mesh.rejected.find((x) => x.key === 'VirtualService/shop/reviews-from-shop');
      assert.match(r?.reason ?? '', /reviews\.shop\.svc\.cluster\.local/, 'in namespace shop, "reviews" is reviews.shop');
    });

    it('an FQDN host names the service in another namespace', () => {
      const fqdn = vs({ name: 'from-shop', host: REVIEWS_HOST }).replace('namespace: bookinfo', 'namespace: shop');
      const mesh = apply(emptyState(), fileEvent('svc.yaml', SERVICE), fileEvent('dr.yaml', DR), fileEvent('vs.yaml', fqdn));
      assert.deepEqual(
        mesh.virtualServices.map((v) => `${v.meta.namespace}/${v.meta.name}`),
        ['shop/from-shop'],
      );
      assert.deepEqual(mesh.rejected, []);
    });
  });
});
