// Unmodified @kubernetes/client-node 1.4 informers (makeInformer = ListWatch + Watch) against the
// fake API server. Besides checking the stand-in, these tests pin down how client-node really
// behaves, which decides how tspilot's watcher has to wrap it:
// - 410 Gone: the server answers a too-old watch with HTTP 200 + one ERROR event (Status 410
//   Expired) and ends the stream. ListWatch.watchHandler clears its resourceVersion on that event,
//   and the clean end of the stream makes it relist BY ITSELF; objects missing from the new list
//   are reported to 'delete' handlers (with the old cached object), changed ones to 'update'. No
//   'error' event. (An HTTP 410 on the watch request would be handled the same way.)
// - Dropped connection (socket destroyed mid-stream): node-fetch reports "Premature close"
//   (code ERR_STREAM_PREMATURE_CLOSE); the informer emits 'error' and STOPS. It does not
//   reconnect. Calling start() again resumes the watch from the last seen resourceVersion (no
//   relist), so history replay delivers the missed changes exactly once.
// - A clean end of the stream (server-side watch timeout) -> silent re-watch from the last RV.
// - 403/404/5xx/connection refused: 'error' and STOP, whether it happened on the list (ApiException
//   with .code and the Status JSON as a string in .body) or on the watch (plain Error with only
//   .statusCode and the status text: the Status body is lost). No retry, no backoff.
// - stop() itself emits an 'error' (AbortError "The user aborted a request.") while a watch is open.
//   stop() during the initial list (before the watch request returned) aborts nothing: the watch
//   still opens and the "stopped" informer keeps firing handlers until that connection ends.
//   'error' handlers fire even after stop() (the stopped flag is checked only after them).
// - The informer never asks for bookmarks (it only sends resourceVersion/labelSelector/fieldSelector)
//   but BOOKMARK events advance latestResourceVersion() when they arrive; a `?allowWatchBookmarks=true`
//   query in the informer path is kept by Watch (URL parsing), which is how to get them.
import assert from 'node:assert/strict';
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  Watch,
  type Informer,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
  type V1Service,
} from '@kubernetes/client-node';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from './apiserver.js';
import { kubeConfigFor, sleep, supervise, track, waitFor } from './testkit.js';

const svc = (name: string, namespace = 'default', labels?: Record<string, string>, port = 80): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels },
  spec: { ports: [{ port }] },
});
const svcRef = (name: string, namespace = 'default') => ({ apiVersion: 'v1', kind: 'Service', name, namespace });
const SVC_PATH = '/api/v1/namespaces/default/services';

describe('fake apiserver with client-node 1.4 informers', function () {
  this.timeout(20000);
  let srv: FakeApiServer;
  let core: CoreV1Api;
  let stops: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    srv = await startFakeApiServer({ bookmarkIntervalMs: 100, tooLargeWaitMs: 200 });
    core = kubeConfigFor(srv).makeApiClient(CoreV1Api);
  });
  afterEach(async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops = [];
    await srv.close();
  });

  function serviceInformer(
    path = SVC_PATH,
    labelSelector?: string,
  ): Informer<V1Service> & ObjectCache<V1Service> & { latestResourceVersion?: () => string } {
    const inf = makeInformer(
      kubeConfigFor(srv),
      path,
      () => core.listNamespacedService({ namespace: 'default', labelSelector }),
      labelSelector,
    );
    stops.push(() => inf.stop());
    return inf;
  }
  const cacheNames = (inf: { list(): ReadonlyArray<KubernetesObject> }): string[] =>
    inf
      .list()
      .map((o) => o.metadata?.name ?? '')
      .sort();
  const serverNames = (): string[] =>
    srv
      .list('v1', 'Service', 'default')
      .map((o) => o.metadata?.name ?? '')
      .sort();
  const watches = () => srv.requests.filter((r) => r.verb === 'watch');
  const lists = () => srv.requests.filter((r) => r.verb === 'list');

  it('initial list delivers adds, then the watch starts at the list resourceVersion', async () => {
    srv.create(svc('a'));
    srv.create(svc('b'));
    srv.create(svc('other', 'kube-system'));
    const inf = serviceInformer();
    const t = track(inf);
    await inf.start();
    await waitFor(() => srv.activeWatches() === 1, 'watch open');
    assert.deepEqual(t.adds.sort(), ['default/a', 'default/b']);
    assert.deepEqual(cacheNames(inf), ['a', 'b']);
    assert.equal(lists().length, 1);
    assert.equal(watches()[0].query.resourceVersion, String(srv.resourceVersion()));
    assert.equal(watches()[0].query.watch, 'true');
  });

  it('create / update / delete reach add / update / delete exactly once; a no-op update emits nothing', async () => {
    srv.create(svc('a'));
    srv.create(svc('b'));
    const inf = serviceInformer();
    const t = track(inf);
    await inf.start();
    await waitFor(() => srv.activeWatches() === 1, 'watch open');
    srv.create(svc('c'));
    const updated = srv.update(svc('a', 'default', undefined, 8080));
    assert.equal(updated.metadata?.generation, 2);
    srv.apply(svc('b')); // same content: no new revision, no event
    srv.delete(svcRef('b'));
    await waitFor(() => t.deletes.length === 1, 'delete');
    await sleep(150);
    assert.deepEqual(t.adds.sort(), ['default/a', 'default/b', 'default/c']);
    assert.deepEqual(t.updates, ['default/a']);
    assert.deepEqual(t.deletes, ['default/b']);
    assert.equal(inf.get('a', 'default')?.spec?.ports?.[0].port, 8080);
    assert.deepEqual(cacheNames(inf), serverNames());
  });

  it('dropWatches: client-node emits "Premature close" and stops; start() resumes from the last RV with 0 lost, 0 duplicated', async () => {
    for (const n of ['a', 'b', 'c']) srv.create(svc(n));
    const inf = serviceInformer();
    const t = track(inf);
    const sup = supervise(inf, 150);
    stops.push(() => sup.stop());
    await inf.start();
    await waitFor(() => srv.activeWatches() === 1, 'watch open');
    const rvBeforeDrop = srv.resourceVersion();
    assert.equal(srv.dropWatches(), 1);
    // Changes while the informer is disconnected (it restarts only after 150 ms).
    srv.create(svc('x'));
    srv.update(svc('a', 'default', undefined, 81));
    srv.delete(svcRef('b'));
    await sleep(20);
    srv.update(svc('a', 'default', undefined, 82));
    srv.create(svc('y'));
    await waitFor(() => t.adds.length === 5 && t.updates.length === 2 && t.deletes.length === 1, 'missed changes');
    await sleep(200);
    assert.equal(t.errors.length, 1);
    assert.equal((t.errors[0] as { code?: string }).code, 'ERR_STREAM_PREMATURE_CLOSE');
    assert.equal(sup.restarts, 1);
    assert.deepEqual(t.adds.sort(), ['default/a', 'default/b', 'default/c', 'default/x', 'default/y']);
    assert.deepEqual(t.updates, ['default/a', 'default/a']);
    assert.deepEqual(t.deletes, ['default/b']);
    assert.equal(lists().length, 1, 'no relist: resumed from the last resourceVersion');
    assert.equal(watches()[1].query.resourceVersion, String(rvBeforeDrop));
    assert.deepEqual(cacheNames(inf), serverNames());
    assert.equal(inf.get('a', 'default')?.spec?.ports?.[0].port, 82);
  });

  it('410: a re-watch below the compaction point gets an ERROR 410 event and client-node relists by itself', async () => {
    for (const n of ['a', 'b', 'c']) srv.create(svc(n));
    const inf = serviceInformer();
    const t = track(inf);
    await inf.start();
    await waitFor(() => srv.activeWatches() === 1, 'watch open');
    const oldRv = srv.resourceVersion();
    srv.closeWatches(); // clean end of stream (like a server watch timeout): client re-watches itself
    srv.create(svc('d'));
    srv.update(svc('a', 'default', undefined, 9090));
    srv.delete(svcRef('b'));
    srv.compact();
    await waitFor(() => lists().length === 2 && srv.activeWatches() === 1, 'relist and new watch');
    await waitFor(() => t.deletes.length === 1 && t.updates.length === 1 && t.adds.length === 4, 'relist diff');
    assert.deepEqual(t.errors, [], 'a 410 is not surfaced as an error event');
    assert.deepEqual(
      watches().map((w) => w.query.resourceVersion),
      [String(oldRv), String(oldRv), String(srv.resourceVersion())],
    );
    assert.deepEqual(t.deletes, ['default/b']);
    assert.deepEqual(t.updates, ['default/a']);
    assert.deepEqual(cacheNames(inf), serverNames());
    for (const o of srv.list('v1', 'Service', 'default')) {
      assert.equal(inf.get(o.metadata?.name ?? '', 'default')?.metadata?.resourceVersion, o.metadata?.resourceVersion);
    }
  });

  it('410 after the history window overflows: restart -> 410 -> relist coalesces the missed updates', async () => {
    await srv.close();
    srv = await startFakeApiServer({ historyWindow: 3 });
    core = kubeConfigFor(srv).makeApiClient(CoreV1Api);
    srv.create(svc('a'));
    const inf = serviceInformer();
    const t = track(inf);
    const sup = supervise(inf, 50);
    stops.push(() => sup.stop());
    await inf.start();
    await waitFor(() => srv.activeWatches() === 1, 'watch open');
    srv.dropWatches();
    for (let p = 1; p <= 5; p++) srv.update(svc('a', 'default', undefined, p));
    await waitFor(() => lists().length === 2 && t.updates.length === 1, 'relist');
    await sleep(100);
    assert.deepEqual(t.updates, ['default/a'], 'five server updates arrive as one relist update');
    assert.equal(inf.get('a', 'default')?.spec?.ports?.[0].port, 5);
    assert.equal(t.errors.length, 1, 'only the dropped connection; the 410 is silent');
  });

  it('chunked list: limit/continue pages through one consistent snapshot; an expired continue is 410', async () => {
    for (const n of ['s1', 's2', 's3', 's4', 's5', 's6', 's7']) srv.create(svc(n));
    const p1 = await core.listNamespacedService({ namespace: 'default', limit: 3 });
    assert.deepEqual(
      p1.items.map((s) => s.metadata?.name),
      ['s1', 's2', 's3'],
    );
    assert.equal(p1.metadata?.remainingItemCount, 4);
    assert.ok(p1.metadata?._continue);
    const s5 = srv.update(svc('s5', 'default', undefined, 1234));
    srv.create(svc('s0'));
    srv.create(svc('s8'));
    const p2 = await core.listNamespacedService({ namespace: 'default', limit: 3, _continue: p1.metadata?._continue });
    const p3 = await core.listNamespacedService({ namespace: 'default', limit: 3, _continue: p2.metadata?._continue });
    assert.deepEqual(
      p2.items.map((s) => s.metadata?.name),
      ['s4', 's5', 's6'],
    );
    assert.deepEqual(
      p3.items.map((s) => s.metadata?.name),
      ['s7'],
    );
    assert.equal(p3.metadata?._continue, undefined);
    assert.equal(p2.metadata?.resourceVersion, p1.metadata?.resourceVersion);
    assert.notEqual(p2.items[1].metadata?.resourceVersion, s5.metadata?.resourceVersion, 's5 as of the first page');
    assert.equal(p2.items[1].spec?.ports?.[0].port, 80);

    // An informer whose list function pages (limit 4) still ends up with the full set.
    const inf = makeInformer(kubeConfigFor(srv), SVC_PATH, async (): Promise<KubernetesListObject<V1Service>> => {
      const items: V1Service[] = [];
      let cont: string | undefined;
      let rv = '';
      do {
        const page = await core.listNamespacedService({ namespace: 'default', limit: 4, _continue: cont });
        items.push(...page.items);
        cont = page.metadata?._continue;
        rv = page.metadata?.resourceVersion ?? '';
      } while (cont);
      return { apiVersion: 'v1', kind: 'ServiceList', metadata: { resourceVersion: rv }, items };
    });
    stops.push(() => inf.stop());
    await inf.start();
    assert.deepEqual(cacheNames(inf), serverNames());

    // Expired continue token: 410 Expired with a token to continue inconsistently at the latest RV.
    const q1 = await core.listNamespacedService({ namespace: 'default', limit: 2 });
    srv.create(svc('s9'));
    srv.compact();
    const err = await core.listNamespacedService({ namespace: 'default', limit: 2, _continue: q1.metadata?._continue }).then(
      () => undefined,
      (e: unknown) => e as { code: number; body: string },
    );
    assert.equal(err?.code, 410);
    const status = JSON.parse(err?.body ?? '{}') as { reason: string; code: number; metadata: { continue?: string } };
    assert.equal(status.reason, 'Expired');
    assert.ok(status.metadata.continue);
    const rest = await core.listNamespacedService({ namespace: 'default', _continue: status.metadata.continue });
    assert.deepEqual(
      rest.items.map((s) => s.metadata?.name),
      ['s2', 's3', 's4', 's5', 's6', 's7', 's8', 's9'],
    );
  });

  it('CRD path: networking.istio.io virtualservices via CustomObjectsApi; versions rewrite apiVersion; missing CRD -> 404 error event', async () => {
    const custom = kubeConfigFor(srv).makeApiClient(CustomObjectsApi);
    const vsRef = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'reviews' };
    srv.create({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { hosts: ['reviews'] },
    });
    const list = (await custom.listNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'default',
      plural: 'virtualservices',
    })) as KubernetesListObject<KubernetesObject>;
    assert.equal(list.kind, 'VirtualServiceList');
    assert.equal(list.items[0].apiVersion, 'networking.istio.io/v1');
    const old = (await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1alpha3',
      namespace: 'default',
      plural: 'virtualservices',
      name: 'reviews',
    })) as KubernetesObject;
    assert.equal(old.apiVersion, 'networking.istio.io/v1alpha3');

    const kc = kubeConfigFor(srv);
    const inf = makeInformer<KubernetesObject>(
      kc,
      '/apis/networking.istio.io/v1/namespaces/default/virtualservices',
      () =>
        custom.listNamespacedCustomObject({
          group: 'networking.istio.io',
          version: 'v1',
          namespace: 'default',
          plural: 'virtualservices',
        }) as Promise<KubernetesListObject<KubernetesObject>>,
    );
    stops.push(() => inf.stop());
    const t = track(inf);
    const seen: string[] = [];
    inf.on('update', (o) => seen.push(String(o.apiVersion)));
    await inf.start();
    await waitFor(() => srv.activeWatches() === 1, 'watch open');
    srv.patch(vsRef, { spec: { hosts: ['reviews', 'reviews.default.svc'] } });
    srv.delete(vsRef);
    await waitFor(() => t.deletes.length === 1, 'delete');
    assert.deepEqual([t.adds, t.updates, t.deletes], [['default/reviews'], ['default/reviews'], ['default/reviews']]);
    assert.deepEqual(seen, ['networking.istio.io/v1']);

    const missing = makeInformer<KubernetesObject>(
      kc,
      '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes',
      () =>
        custom.listNamespacedCustomObject({
          group: 'gateway.networking.k8s.io',
          version: 'v1',
          namespace: 'default',
          plural: 'httproutes',
        }) as Promise<KubernetesListObject<KubernetesObject>>,
    );
    stops.push(() => missing.stop());
    const tm = track(missing);
    await missing.start();
    await waitFor(() => tm.errors.length === 1, 'error event');
    const e = tm.errors[0] as { code: number; body: string };
    assert.equal(e.code, 404);
    assert.equal((JSON.parse(e.body) as { message: string }).message, 'the server could not find the requested resource');
  });

  it('403: a forbidden list surfaces as an error event with the Status; a forbidden watch loses the body; no retry', async () => {
    srv.create(svc('a'));
    srv.forbid('services', ['list']);
    const inf = serviceInformer();
    const t = track(inf);
    await inf.start();
    await waitFor(() => t.errors.length === 1, 'error event');
    const e = t.errors[0] as { code: number; body: string };
    assert.equal(e.code, 403);
    assert.deepEqual(JSON.parse(e.body), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'services is forbidden: User "system:serviceaccount:istio-system:istiod" cannot list resource "services" in API group "" in the namespace "default"',
      reason: 'Forbidden',
      details: { kind: 'services' },
      code: 403,
    });
    await sleep(200);
    assert.equal(srv.requests.length, 1, 'the informer does not retry on its own');

    srv.unforbid();
    srv.forbid('services', ['watch']);
    const inf2 = serviceInformer();
    const t2 = track(inf2);
    await inf2.start();
    await waitFor(() => t2.errors.length === 1, 'watch error');
    const we = t2.errors[0] as { statusCode?: number; message: string; body?: unknown };
    assert.equal(we.statusCode, 403);
    assert.equal(we.message, 'Forbidden');
    assert.equal(we.body, undefined);
    assert.deepEqual(cacheNames(inf2), ['a'], 'the list had succeeded');
  });

  it('bookmarks: sent only when asked, {kind, apiVersion, metadata.resourceVersion} only; they advance the informer RV', async () => {
    srv.create(svc('a'));
    const kc = kubeConfigFor(srv);
    const events: Array<{ type: string; obj: KubernetesObject }> = [];
    const ctl = await new Watch(kc).watch(
      SVC_PATH,
      { allowWatchBookmarks: true, resourceVersion: String(srv.resourceVersion()) },
      (type: string, obj: KubernetesObject) => events.push({ type, obj }),
      () => undefined,
    );
    stops.push(async () => ctl.abort());
    srv.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated' } });
    await waitFor(() => events.some((e) => e.type === 'BOOKMARK'), 'bookmark');
    const bm = events.filter((e) => e.type === 'BOOKMARK').at(-1);
    assert.deepEqual(bm?.obj, { kind: 'Service', apiVersion: 'v1', metadata: { resourceVersion: String(srv.resourceVersion()) } });

    const plain = serviceInformer();
    const hacked = serviceInformer(`${SVC_PATH}?allowWatchBookmarks=true`);
    await plain.start();
    await hacked.start();
    const listRv = hacked.latestResourceVersion?.();
    srv.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated2' } });
    await waitFor(() => hacked.latestResourceVersion?.() === String(srv.resourceVersion()), 'bookmark RV');
    assert.notEqual(listRv, hacked.latestResourceVersion?.());
    assert.equal(plain.latestResourceVersion?.(), listRv, 'without bookmarks the RV only moves with matching events');
    const ws = watches();
    assert.equal(ws.filter((w) => w.query.allowWatchBookmarks === 'true').length, 2, 'raw Watch + hacked informer');
  });

  it('label-selector informer: relabelling out of the selector arrives as DELETED (server-side filtering)', async () => {
    srv.create(svc('web', 'default', { app: 'web' }));
    srv.create(svc('db', 'default', { app: 'db' }));
    const inf = serviceInformer(SVC_PATH, 'app in (web,api)');
    const t = track(inf);
    await inf.start();
    await waitFor(() => srv.activeWatches() === 1, 'watch open');
    assert.deepEqual(t.adds, ['default/web']);
    srv.update(svc('web', 'default', { app: 'other' }));
    srv.update(svc('db', 'default', { app: 'api' }));
    await waitFor(() => t.deletes.length === 1 && t.adds.length === 2, 'relabel events');
    assert.deepEqual(t.deletes, ['default/web']);
    assert.deepEqual(t.adds, ['default/web', 'default/db']);
    assert.equal(watches()[0].query.labelSelector, 'app in (web,api)');
  });

  it('API server down: connection refused / 503 are error events; the supervised informer catches up when it is back', async () => {
    srv.create(svc('a'));
    const inf = serviceInformer();
    const t = track(inf);
    const sup = supervise(inf, 100);
    stops.push(() => sup.stop());
    await inf.start();
    await waitFor(() => srv.activeWatches() === 1, 'watch open');
    await srv.setDown(true);
    await waitFor(() => t.errors.some((e) => (e as { code?: string }).code === 'ECONNREFUSED'), 'ECONNREFUSED');
    srv.create(svc('b'));
    await srv.setDown(false);
    await waitFor(() => t.adds.includes('default/b'), 'catch up');

    await srv.setDown(true, '503');
    await waitFor(() => t.errors.some((e) => (e as { statusCode?: number }).statusCode === 503), '503 on watch');
    srv.delete(svcRef('a'));
    await srv.setDown(false);
    await waitFor(() => t.deletes.includes('default/a'), 'catch up after 503');
    assert.equal(lists().length, 1, 'never relisted: every restart resumed from the last RV');
    assert.deepEqual(cacheNames(inf), serverNames());
  });

  it('stop() emits an AbortError "error" event and leaves no watch open', async () => {
    const inf = serviceInformer();
    const t = track(inf);
    await inf.start();
    await waitFor(() => srv.activeWatches() === 1, 'watch open');
    await inf.stop();
    await waitFor(() => t.errors.length === 1 && srv.activeWatches() === 0, 'stopped');
    assert.equal((t.errors[0] as { name?: string }).name, 'AbortError');
  });

  it('stop() while the list is in flight does NOT prevent the watch: the stopped informer keeps updating', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const inf = makeInformer(kubeConfigFor(srv), SVC_PATH, async () => {
      await gate;
      return core.listNamespacedService({ namespace: 'default' });
    });
    stops.push(() => inf.stop());
    const t = track(inf);
    const started = inf.start();
    await inf.stop(); // nothing to abort yet: ListWatch only aborts a watch it already holds
    release();
    await started;
    await waitFor(() => srv.activeWatches() === 1, 'watch opened after stop()');
    srv.create(svc('late'));
    await waitFor(() => t.adds.includes('default/late'), 'event after stop()');
    srv.dropWatches();
    await waitFor(() => t.errors.length === 1, 'error after stop()');
    await sleep(100);
    assert.equal(srv.activeWatches(), 0, 'stopped: the error did not restart it');
  });
});
