// Wire-level checks of the fake API server (plain HTTP, no client library): discovery documents,
// Status bodies, watch stream framing and start points, selector semantics on list and watch,
// resourceVersion / resourceVersionMatch / sendInitialEvents rules, HTTP writes and teardown.
import assert from 'node:assert/strict';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from './apiserver.js';
import { matchLabels, parseLabelSelector } from './selectors.js';
import { openRawWatch, sleep, waitFor } from './testkit.js';

const svc = (name: string, namespace = 'default', labels?: Record<string, string>, port = 80): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels },
  spec: { ports: [{ port }] },
});

type Json = Record<string, unknown> & { metadata?: Record<string, unknown>; items?: Json[] };

describe('fake apiserver wire protocol', function () {
  this.timeout(20000);
  let srv: FakeApiServer;
  beforeEach(async () => {
    srv = await startFakeApiServer({ bookmarkIntervalMs: 100, tooLargeWaitMs: 150 });
  });
  afterEach(async () => {
    await srv.close();
  });

  const get = async (path: string, init?: RequestInit): Promise<{ status: number; body: Json }> => {
    const r = await fetch(srv.url + path, init);
    return { status: r.status, body: (await r.json()) as Json };
  };
  const names = (l: Json): string[] => (l.items ?? []).map((i) => String(i.metadata?.name));

  it('serves discovery documents for the registered resources', async () => {
    const api = await get('/api');
    assert.equal(api.body.kind, 'APIVersions');
    assert.deepEqual(api.body.versions, ['v1']);
    const v1 = await get('/api/v1');
    assert.equal(v1.body.apiVersion, undefined, 'core APIResourceList has no apiVersion');
    const res = (v1.body.resources as Json[]).map((r) => r.name);
    assert.deepEqual(res, ['services', 'endpoints', 'pods', 'namespaces', 'configmaps', 'secrets']);
    const apis = await get('/apis');
    const groups = apis.body.groups as Array<{ name: string; preferredVersion: { version: string }; versions: unknown[] }>;
    const istio = groups.find((g) => g.name === 'networking.istio.io');
    assert.equal(istio?.preferredVersion.version, 'v1');
    assert.equal(istio?.versions.length, 3);
    const gv = await get('/apis/networking.istio.io/v1alpha3');
    assert.equal(gv.body.groupVersion, 'networking.istio.io/v1alpha3');
    assert.ok((gv.body.resources as Json[]).some((r) => r.name === 'sidecars' && r.kind === 'Sidecar' && r.namespaced === true));
    assert.equal((await get('/apis/gateway.networking.k8s.io/v1')).status, 404);
  });

  it('installResource: a CRD created at run time appears in discovery and is served from then on', async () => {
    const def = {
      group: 'telemetry.istio.io',
      versions: ['v1', 'v1alpha1'],
      resource: 'telemetries',
      kind: 'Telemetry',
      namespaced: true,
      crd: true,
    };
    assert.equal((await get('/apis/telemetry.istio.io')).status, 404);
    assert.equal((await get('/apis/telemetry.istio.io/v1/telemetries')).status, 404);
    srv.installResource(def);
    assert.throws(() => srv.installResource(def), /duplicate resource/);
    const g = await get('/apis/telemetry.istio.io');
    assert.deepEqual(
      (g.body.versions as { version: string }[]).map((v) => v.version),
      ['v1', 'v1alpha1'],
    );
    assert.ok(((await get('/apis')).body.groups as { name: string }[]).some((x) => x.name === 'telemetry.istio.io'));
    const rv = srv.resourceVersion();
    srv.create({ apiVersion: 'telemetry.istio.io/v1alpha1', kind: 'Telemetry', metadata: { name: 't', namespace: 'default' }, spec: {} });
    const l = await get('/apis/telemetry.istio.io/v1/telemetries');
    assert.deepEqual(names(l.body), ['t']);
    assert.equal(l.body.items?.[0]?.apiVersion, 'telemetry.istio.io/v1');
    const w = await openRawWatch(`${srv.url}/apis/telemetry.istio.io/v1/telemetries?watch=1&resourceVersion=${rv}`);
    await waitFor(() => w.events.length === 1, 'replayed ADDED');
    assert.equal(w.events[0]?.type, 'ADDED');
    w.close();
  });

  it('answers real Status objects for unknown resources and missing objects', async () => {
    assert.deepEqual(await get('/apis/gateway.networking.k8s.io/v1/httproutes'), {
      status: 404,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        details: {},
        code: 404,
      },
    });
    assert.equal((await get('/api/v1/namespaces/default/namespaces')).status, 404, 'cluster-scoped under a namespace');
    const nf = await get('/apis/networking.istio.io/v1/namespaces/default/virtualservices/nope');
    assert.equal(nf.body.message, 'virtualservices.networking.istio.io "nope" not found');
    assert.deepEqual(nf.body.details, { name: 'nope', group: 'networking.istio.io', kind: 'virtualservices' });
    srv.forbid('virtualservices.networking.istio.io');
    const fb = await get('/apis/networking.istio.io/v1/virtualservices?watch=1');
    assert.equal(fb.status, 403);
    assert.equal(
      fb.body.message,
      'virtualservices.networking.istio.io is forbidden: User "system:serviceaccount:istio-system:istiod" cannot watch resource "virtualservices" in API group "networking.istio.io" at the cluster scope',
    );
  });

  it('lists: typed items carry no kind, CRD items do; versions rewrite apiVersion; cluster-scoped namespaces', async () => {
    srv.create(svc('a'));
    srv.create({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'istio-system' }, spec: {} });
    srv.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    const l = await get('/api/v1/services');
    assert.equal(l.body.kind, 'ServiceList');
    assert.equal(l.body.metadata?.resourceVersion, String(srv.resourceVersion()));
    assert.equal(l.body.items?.[0].kind, undefined);
    const g = await get('/apis/networking.istio.io/v1beta1/gateways');
    assert.equal(g.body.items?.[0].apiVersion, 'networking.istio.io/v1beta1');
    assert.equal(g.body.items?.[0].kind, 'Gateway');
    const ns = await get('/api/v1/namespaces/istio-system');
    assert.equal(ns.body.kind, 'Namespace');
    assert.equal(ns.body.metadata?.namespace, undefined);
    const one = await get('/api/v1/namespaces/default/services/a');
    assert.equal(one.body.kind, 'Service');
    assert.match(String(one.body.metadata?.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(one.body.metadata?.generation, 1);
  });

  it('label and field selectors on list', async () => {
    srv.create(svc('a', 'default', { app: 'a', tier: 'web' }));
    srv.create(svc('b', 'default', { app: 'b' }));
    srv.create(svc('c', 'other', {}));
    const q = async (s: string) => names((await get(`/api/v1/services?${s}`)).body);
    assert.deepEqual(await q('labelSelector=app%3Da'), ['a']);
    assert.deepEqual(await q('labelSelector=app!%3Da'), ['b', 'c'], '!= matches objects without the key');
    assert.deepEqual(await q('labelSelector=app%20in%20(a,b)'), ['a', 'b']);
    assert.deepEqual(await q('labelSelector=app%20notin%20(a)'), ['b', 'c']);
    assert.deepEqual(await q('labelSelector=tier'), ['a']);
    assert.deepEqual(await q('labelSelector=!tier'), ['b', 'c']);
    assert.deepEqual(await q('labelSelector=app,!tier'), ['b']);
    assert.deepEqual(await q('fieldSelector=metadata.name%3Db'), ['b']);
    assert.deepEqual(await q('fieldSelector=metadata.namespace!%3Ddefault'), ['c']);
    const bad = await get('/api/v1/services?fieldSelector=spec.type%3DClusterIP');
    assert.deepEqual([bad.status, bad.body.reason, bad.body.message], [400, 'BadRequest', 'field label not supported: spec.type']);
    assert.equal((await get('/api/v1/services?labelSelector=app%20in%20(a')).status, 400);
    assert.throws(() => parseLabelSelector('a=,'), /expected/);
    assert.equal(matchLabels(parseLabelSelector('n>3'), { n: '4' }), true);
  });

  it('resourceVersion semantics on list: "0" ignores limit, Exact reads history, compacted -> 410, future -> 504', async () => {
    srv.create(svc('a'));
    srv.create(svc('b'));
    const rvAfterB = srv.resourceVersion();
    srv.create(svc('c'));
    assert.equal(names((await get('/api/v1/services?resourceVersion=0&limit=1')).body).length, 3);
    assert.equal((await get('/api/v1/services?limit=1')).body.metadata?.continue !== undefined, true);
    const exact = await get(`/api/v1/services?resourceVersion=${rvAfterB}&resourceVersionMatch=Exact`);
    assert.deepEqual(names(exact.body), ['a', 'b']);
    assert.equal(exact.body.metadata?.resourceVersion, String(rvAfterB));
    const notOlder = await get(`/api/v1/services?resourceVersion=${rvAfterB}&resourceVersionMatch=NotOlderThan`);
    assert.deepEqual(names(notOlder.body), ['a', 'b', 'c']);
    srv.compact();
    const gone = await get(`/api/v1/services?resourceVersion=${rvAfterB}&resourceVersionMatch=Exact`);
    assert.deepEqual(
      [gone.status, gone.body.reason, gone.body.message],
      [410, 'Expired', 'The resourceVersion for the provided list is too old.'],
    );
    const future = await get(`/api/v1/services?resourceVersion=${srv.resourceVersion() + 5}`);
    assert.equal(future.status, 504);
    assert.equal((future.body.details as { causes: Array<{ reason: string }> }).causes[0].reason, 'ResourceVersionTooLarge');
  });

  it('ListOptions validation answers 422 Invalid like ValidateListOptions', async () => {
    const a = await get('/api/v1/services?resourceVersionMatch=NotOlderThan');
    assert.equal(a.status, 422);
    assert.equal(
      a.body.message,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
    const b = await get('/api/v1/services?sendInitialEvents=true');
    assert.equal(
      b.body.message,
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
    );
    const c = await get('/api/v1/services?watch=true&sendInitialEvents=true');
    assert.equal(c.status, 422);
    assert.match(String(c.body.message), /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/);
  });

  it('watch from an RV replays history in order, applies namespace/selector, then streams live', async () => {
    srv.create(svc('a', 'default', { app: 'web' }));
    const rv0 = srv.resourceVersion();
    srv.create(svc('b', 'default', { app: 'web' }));
    srv.create(svc('x', 'other', { app: 'web' }));
    srv.update(svc('a', 'default', { app: 'db' }));
    const w = await openRawWatch(`${srv.url}/api/v1/namespaces/default/services?watch=true&resourceVersion=${rv0}&labelSelector=app%3Dweb`);
    assert.equal(w.status, 200);
    srv.update(svc('a', 'default', { app: 'web' }));
    srv.delete({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'b' });
    await waitFor(() => w.events.length === 4, '4 events');
    assert.deepEqual(
      w.events.map((e) => `${e.type} ${String(e.object.metadata?.name)}`),
      ['ADDED b', 'DELETED a', 'ADDED a', 'DELETED b'],
    );
    const delA = w.events[1].object;
    assert.deepEqual(delA.metadata?.labels, { app: 'web' }, 'DELETED carries the last matching content');
    assert.equal(Number(delA.metadata?.resourceVersion), rv0 + 3, '... with the resourceVersion of the change');
    assert.equal(w.events[0].object.apiVersion, 'v1');
    assert.equal(w.events[0].object.kind, 'Service');
    w.close();
  });

  it('watch below the compaction point: HTTP 200, one ERROR event with Status 410 Expired, clean end', async () => {
    srv.create(svc('a'));
    const old = srv.resourceVersion();
    srv.create(svc('b'));
    srv.compact();
    const w = await openRawWatch(`${srv.url}/api/v1/services?watch=1&resourceVersion=${old}`);
    await w.done;
    assert.equal(w.status, 200);
    assert.equal(w.outcome, 'end');
    assert.deepEqual(w.events, [
      {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${old} (${old + 1})`,
          reason: 'Expired',
          code: 410,
        },
      },
    ]);
  });

  it('watch start points: unset -> synthetic ADDED; sendInitialEvents -> ADDED + initial-events-end BOOKMARK; timeoutSeconds ends cleanly', async () => {
    srv.create(svc('a'));
    srv.create(svc('b'));
    const w1 = await openRawWatch(`${srv.url}/api/v1/services?watch=true&timeoutSeconds=1`);
    await waitFor(() => w1.events.length === 2, 'synthetic adds');
    assert.deepEqual(
      w1.events.map((e) => e.type),
      ['ADDED', 'ADDED'],
    );
    await w1.done;
    assert.equal(w1.outcome, 'end');

    const w2 = await openRawWatch(
      `${srv.url}/api/v1/services?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    );
    await waitFor(() => w2.events.length >= 3, 'initial events + bookmark');
    assert.deepEqual(w2.events[2], {
      type: 'BOOKMARK',
      object: {
        kind: 'Service',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(srv.resourceVersion()), annotations: { 'k8s.io/initial-events-end': 'true' } },
      },
    });
    w2.close();

    const w3 = await openRawWatch(`${srv.url}/api/v1/services?watch=true&resourceVersion=${srv.resourceVersion() + 2}`);
    srv.create(svc('c'));
    srv.create(svc('d'));
    srv.create(svc('e'));
    await waitFor(() => w3.events.length === 1, 'event after the future RV');
    assert.equal(w3.events[0].object.metadata?.name, 'e');
    w3.close();
  });

  it('HTTP writes: POST 201, PUT with a stale RV 409, merge PATCH bumps generation, DELETE returns Success', async () => {
    const base = `${srv.url}/api/v1/namespaces/default/configmaps`;
    const json = { 'Content-Type': 'application/json' };
    const c = await fetch(base, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { k: 'v' } }),
    });
    assert.equal(c.status, 201);
    const created = (await c.json()) as Json;
    assert.equal((await fetch(base, { method: 'POST', headers: json, body: JSON.stringify(created) })).status, 409);
    const p = await fetch(`${base}/m`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ data: { k: 'w' } }),
    });
    const patched = (await p.json()) as Json;
    assert.equal((patched.metadata as { generation: number }).generation, 2);
    const stale = await fetch(`${base}/m`, { method: 'PUT', headers: json, body: JSON.stringify(created) });
    assert.deepEqual([stale.status, ((await stale.json()) as Json).reason], [409, 'Conflict']);
    const d = await fetch(`${base}/m`, { method: 'DELETE' });
    assert.equal(((await d.json()) as Json).status, 'Success');
    assert.equal((await fetch(`${base}/m`)).status, 404);
  });

  it('dropWatches breaks streams abruptly, closeWatches ends them cleanly, close() kills hanging watches', async () => {
    const w1 = await openRawWatch(`${srv.url}/api/v1/pods?watch=true`);
    const w2 = await openRawWatch(`${srv.url}/api/v1/pods?watch=true`);
    await waitFor(() => srv.activeWatches() === 2, 'watches');
    srv.dropWatches();
    await w1.done;
    await w2.done;
    assert.deepEqual([w1.outcome, w2.outcome], ['error', 'error']);
    const w3 = await openRawWatch(`${srv.url}/api/v1/pods?watch=true`);
    await waitFor(() => srv.activeWatches() === 1, 'watch');
    srv.closeWatches();
    await w3.done;
    assert.equal(w3.outcome, 'end');
    const w4 = await openRawWatch(`${srv.url}/api/v1/pods?watch=true&allowWatchBookmarks=true`);
    await sleep(50);
    const t0 = Date.now();
    await srv.close();
    await w4.done;
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(srv.activeWatches(), 0);
    await assert.rejects(fetch(`${srv.url}/api`));
  });
});
