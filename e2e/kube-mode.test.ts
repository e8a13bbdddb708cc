/**
 * End to end, issue #5: the real tspilot process in Kubernetes mode (`--kubeconfig`) against the
 * API server stand-in, with the real grpc-js-xds client routing real RPCs to two real backends.
 * Every kind tspilot reads is added/changed/deleted through the API and must show in the client's
 * routing; watches dropped or compacted (410) while objects change lose nothing; the webhook
 * refuses what the store would reject with the same field and reason; discoverySelectors scope
 * namespaces; two replicas serve byte-identical CDS/EDS.
 */
import { strict as assert } from 'node:assert';
import { startBackend, type Backend } from './clients/backend.js';
import { bootstrapFor, startXdsClient, type XdsClient } from './clients/driver.js';
import { DESTINATION_RULE, ECHO_HOST, ECHO_TARGET, registryYaml, virtualServiceYaml } from './fixtures/echo-mesh.js';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from './kube/apiserver.js';
import { applyYaml, kubeconfigFile, objectsOf, startKubeTspilot, type KubeTspilot } from './kube-mode-kit.js';
import { rawAds, type DecodedResponse } from './adsclient.js';
import { CDS, EDS } from '../proto/typeurls.js';
import { messageType } from '../proto/registry.js';
import { SECRET_FIELD_SELECTOR } from '../watchers/kube/resources.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function count(results: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of results) c[r] = (c[r] ?? 0) + 1;
  return c;
}

const BULK_HOST = 'bulk.default.svc.cluster.local';
const bulkService: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'bulk', namespace: 'default' },
  spec: { clusterIP: '10.96.0.77', ports: [{ name: 'http', port: 8080 }] },
};
const bulkSlice = (i: number, ips: string[]): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `bulk-${i}`, namespace: 'default', labels: { 'kubernetes.io/service-name': 'bulk' } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
});
const sliceOf = (service: string, port: number): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${service}-a`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: [{ name: 'grpc', port, protocol: 'TCP' }],
  endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
});
const sliceRef = (name: string) => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace: 'default', name });

describe('e2e Kubernetes mode (tspilot --kubeconfig against the API server stand-in)', function () {
  this.timeout(120_000);
  let srv: FakeApiServer, kc: Awaited<ReturnType<typeof kubeconfigFile>>, pilot: KubeTspilot, client: XdsClient, v1: Backend, v2: Backend;
  const nodeId = 'sidecar~127.0.0.1~kube-client.default~default.svc.cluster.local';

  async function bulkAddresses(p: KubeTspilot = pilot): Promise<string[]> {
    const { body } = await p.getJson<{ hostname: string; ports: Record<string, { address: string }[]> }[]>('/debug/endpointz');
    return (body.find((s) => s.hostname === BULK_HOST)?.ports['8080'] ?? []).map((e) => e.address).sort();
  }
  /** What the stand-in holds for bulk, as tspilot should see it. */
  function expectedBulk(): string[] {
    return srv
      .list('discovery.k8s.io/v1', 'EndpointSlice', 'default')
      .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === 'bulk')
      .flatMap((s) => (s['endpoints'] as { addresses: string[] }[]).flatMap((e) => e.addresses))
      .sort();
  }
  async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  before(async () => {
    v1 = await startBackend('v1');
    v2 = await startBackend('v2');
    srv = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    applyYaml(srv, registryYaml(v1.port, v2.port));
    applyYaml(srv, DESTINATION_RULE);
    applyYaml(srv, virtualServiceYaml(100, 0));
    srv.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    srv.create(bulkService);
    kc = await kubeconfigFile(srv);
    pilot = await startKubeTspilot(kc.file);
    const xds = await pilot.xds();
    client = await startXdsClient('grpc-js', bootstrapFor(`127.0.0.1:${xds}`, nodeId, { GENERATOR: 'grpc', NAMESPACE: 'default' }));
  });

  after(async () => {
    await client?.close();
    await pilot?.close();
    await Promise.all([v1?.close(), v2?.close(), srv?.close()]);
    await kc?.cleanup();
  });

  it('routes by the Service, EndpointSlices, Pods, DestinationRule and VirtualService it read from the API', async () => {
    assert.equal(await pilot.ready(), true);
    assert.deepEqual(count(await client.rpc(ECHO_TARGET, 20)), { v1: 20 });
    assert.deepEqual(count(await client.rpc(ECHO_TARGET, 10, { 'end-user': 'jason' })), { v2: 10 });
    const { body } = await pilot.getJson<{ configs: { key: string; source: string }[] }>('/debug/configz');
    const src = Object.fromEntries(body.configs.map((c) => [c.key, c.source]));
    assert.equal(src['VirtualService/default/echo'], 'kube:virtualservices.networking.istio.io');
    assert.equal(src['EndpointSlice/default/echo-v1'], 'kube:endpointslices.discovery.k8s.io');
    assert.equal(src['Pod/default/echo-v1'], 'kube:pods');
  });

  it('VirtualService update → the client follows to 100% v2; delete → default route over both pods', async () => {
    applyYaml(srv, virtualServiceYaml(0, 100));
    assert.ok((await client.until(ECHO_TARGET, 'v2', { consecutive: 20 })).ok);
    srv.delete({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'echo' });
    await until(async () => {
      const c = count(await client.rpc(ECHO_TARGET, 20));
      return (c['v1'] ?? 0) > 0 && (c['v2'] ?? 0) > 0;
    }, 'round robin over v1 and v2');
    applyYaml(srv, virtualServiceYaml(0, 100));
    assert.ok((await client.until(ECHO_TARGET, 'v2', { consecutive: 20 })).ok);
  });

  it('DestinationRule and Pod label updates move endpoints between subsets', async () => {
    // The v2 subset now selects version=v1: the 100%-v2 route lands on the v1 pod.
    const dr = objectsOf(DESTINATION_RULE)[0]!;
    srv.apply({
      ...dr,
      spec: {
        host: 'echo',
        subsets: [
          { name: 'v1', labels: { version: 'v2' } },
          { name: 'v2', labels: { version: 'v1' } },
        ],
      },
    });
    assert.ok((await client.until(ECHO_TARGET, 'v1', { consecutive: 20 })).ok, 'DR update');
    srv.apply(dr);
    assert.ok((await client.until(ECHO_TARGET, 'v2', { consecutive: 20 })).ok, 'DR restored');
    // Relabel pod echo-v1 as version v2: subset v2 now has both endpoints.
    srv.patch({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'echo-v1' }, { metadata: { labels: { version: 'v2' } } });
    await until(async () => {
      const c = count(await client.rpc(ECHO_TARGET, 20));
      return (c['v1'] ?? 0) > 0 && (c['v2'] ?? 0) > 0;
    }, 'pod relabel reaching the subset');
    srv.patch({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'echo-v1' }, { metadata: { labels: { version: 'v1' } } });
    assert.ok((await client.until(ECHO_TARGET, 'v2', { consecutive: 20 })).ok, 'pod restored');
  });

  it('EndpointSlice and Service changes: a slice moved to the other backend, a Service added then deleted', async () => {
    const slice = srv.get(sliceRef('echo-v2'))!;
    srv.apply({ ...slice, ports: [{ name: 'grpc', port: v1.port, protocol: 'TCP' }] });
    assert.ok((await client.until(ECHO_TARGET, 'v1', { consecutive: 20 })).ok, 'slice port change');
    srv.apply({ ...slice, ports: [{ name: 'grpc', port: v2.port, protocol: 'TCP' }] });
    assert.ok((await client.until(ECHO_TARGET, 'v2', { consecutive: 20 })).ok, 'slice restored');
    // A new Service (and its slice) becomes routable; deleting it takes it away. Not recreated under
    // the same client: grpc-js-xds 1.14 keeps a deleted resource's cached value, and when the same
    // bytes come back its resourcesEqual() check skips notifying the watchers (xds-client.js), so
    // that client never resubscribes RDS. tspilot does resend the listener (seen in /debug/syncz).
    const echo2 = 'xds:///echo2.default.svc.cluster.local:9080';
    srv.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo2', namespace: 'default' },
      spec: { clusterIP: '10.96.0.51', ports: [{ name: 'grpc', port: 9080 }] },
    });
    srv.create({ ...sliceOf('echo2', v1.port) });
    assert.ok((await client.until(echo2, 'v1', { consecutive: 10 })).ok, 'Service added');
    srv.delete({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'echo2' });
    await until(
      async () => (await client.rpc(echo2, 1, {}, { deadlineMs: 1000 }))[0]!.startsWith('error:'),
      'RPCs failing without the Service',
    );
    assert.equal(
      (await pilot.getJson<{ hostname: string }[]>('/debug/registryz')).body.some((s) => s.hostname === 'echo2.default.svc.cluster.local'),
      false,
    );
    assert.deepEqual(count(await client.rpc(ECHO_TARGET, 10)), { v2: 10 }, 'the other service is untouched');
  });

  it('ServiceEntry, WorkloadEntry, Gateway and Sidecar added, updated and deleted through the API', async () => {
    const NET = 'networking.istio.io/v1';
    const ext = 'xds:///ext.example.internal:9080';
    const se = (spec: object): KubeObject => ({
      apiVersion: NET,
      kind: 'ServiceEntry',
      metadata: { name: 'ext', namespace: 'default' },
      spec: {
        hosts: ['ext.example.internal'],
        location: 'MESH_INTERNAL',
        resolution: 'STATIC',
        ports: [{ number: 9080, name: 'grpc', protocol: 'GRPC' }],
        ...spec,
      },
    });
    srv.apply(se({ endpoints: [{ address: '127.0.0.1', ports: { grpc: v1.port } }] }));
    assert.ok((await client.until(ext, 'v1', { consecutive: 10 })).ok, 'ServiceEntry added');
    srv.apply(se({ endpoints: [{ address: '127.0.0.1', ports: { grpc: v2.port } }] }));
    assert.ok((await client.until(ext, 'v2', { consecutive: 10 })).ok, 'ServiceEntry updated');
    srv.apply(se({ workloadSelector: { labels: { app: 'ext-vm' } } }));
    srv.apply({
      apiVersion: NET,
      kind: 'WorkloadEntry',
      metadata: { name: 'vm1', namespace: 'default' },
      spec: { address: '127.0.0.1', labels: { app: 'ext-vm' }, ports: { grpc: v1.port } },
    });
    assert.ok((await client.until(ext, 'v1', { consecutive: 10 })).ok, 'WorkloadEntry selected by the ServiceEntry');
    srv.patch({ apiVersion: NET, kind: 'WorkloadEntry', namespace: 'default', name: 'vm1' }, { spec: { ports: { grpc: v2.port } } });
    assert.ok((await client.until(ext, 'v2', { consecutive: 10 })).ok, 'WorkloadEntry updated');
    srv.delete({ apiVersion: NET, kind: 'WorkloadEntry', namespace: 'default', name: 'vm1' });
    await until(
      async () => (await client.rpc(ext, 1, {}, { deadlineMs: 1000 }))[0]!.startsWith('error:'),
      'no endpoints once the WorkloadEntry is gone',
    );

    type Configz = { configs: { key: string; source: string; object: { spec: unknown } }[] };
    const configz = async () => (await pilot.getJson<Configz>('/debug/configz')).body.configs;
    const gw = (hosts: string[]): KubeObject => ({
      apiVersion: NET,
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'default' },
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }] },
    });
    const sc = (hosts: string[]): KubeObject => ({
      apiVersion: NET,
      kind: 'Sidecar',
      metadata: { name: 'default', namespace: 'default' },
      spec: { egress: [{ hosts }] },
    });
    srv.apply(gw(['a.example.com']));
    srv.apply(sc(['./*']));
    await until(async () => {
      const c = await configz();
      return c.some((x) => x.key === 'Gateway/default/gw') && c.some((x) => x.key === 'Sidecar/default/default');
    }, 'Gateway and Sidecar added');
    const src = Object.fromEntries((await configz()).map((c) => [c.key, c.source]));
    assert.equal(src['Gateway/default/gw'], 'kube:gateways.networking.istio.io');
    assert.equal(src['Sidecar/default/default'], 'kube:sidecars.networking.istio.io');
    assert.equal(src['ServiceEntry/default/ext'], 'kube:serviceentries.networking.istio.io');
    srv.apply(gw(['b.example.com']));
    srv.apply(sc(['./*', 'istio-system/*']));
    await until(async () => {
      const c = await configz();
      return (
        JSON.stringify(c.find((x) => x.key === 'Gateway/default/gw')?.object.spec).includes('b.example.com') &&
        JSON.stringify(c.find((x) => x.key === 'Sidecar/default/default')?.object.spec).includes('istio-system/*')
      );
    }, 'Gateway and Sidecar updated');
    for (const [kind, name] of [
      ['Gateway', 'gw'],
      ['Sidecar', 'default'],
      ['ServiceEntry', 'ext'],
    ])
      srv.delete({ apiVersion: NET, kind: kind!, namespace: 'default', name: name! });
    await until(
      async () => !(await configz()).some((x) => /^(Gateway|Sidecar|ServiceEntry|WorkloadEntry)\//.test(x.key)),
      'all four deleted',
    );
    assert.deepEqual(count(await client.rpc(ECHO_TARGET, 10)), { v2: 10 }, 'the mesh service is untouched');
  });

  it('Secrets: a TLS Secret is read (shown redacted: subject, no key), rotated, deleted; a token Secret is not kept', async () => {
    const { readFileSync } = await import('node:fs');
    const pem = (f: string): string => readFileSync(new URL(`../../watchers/testdata/tls/${f}`, import.meta.url), 'utf8');
    const b64 = (t: string): string => Buffer.from(t).toString('base64');
    const tls = (cert: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'gw-cert', namespace: 'default' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(pem(`${cert}.crt`)), 'tls.key': b64(pem(`${cert}.key`)), extra: b64('not ours') },
    });
    srv.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sa-token', namespace: 'default' },
      type: 'kubernetes.io/service-account-token',
      data: { token: b64('secret-token-value') },
    });
    srv.apply(tls('gw-a'));
    type Configz = { configs: { key: string; source: string; object: { certificates?: { subject: string }[] } }[] };
    const secretIn = async (): Promise<string> => {
      const res = await pilot.getJson<Configz>('/debug/configz');
      const text = JSON.stringify(res.body);
      assert.ok(!text.includes('PRIVATE KEY') && !text.includes(b64(pem('gw-a.key')).slice(0, 40)) && !text.includes('secret-token-value'));
      assert.ok(!res.body.configs.some((c) => c.key === 'Secret/default/sa-token'), 'a Secret without TLS keys is not kept');
      return res.body.configs.find((c) => c.key === 'Secret/default/gw-cert')?.object.certificates?.[0]?.subject ?? '';
    };
    await until(async () => (await secretIn()).includes('gw-a.example.com'), 'the TLS Secret read');
    // Helm release blobs and service-account tokens are filtered by the API server: every Secret
    // list and watch carries the selector, so their values never reach tspilot at all.
    const secretCalls = srv.requests.filter((r) => r.path.endsWith('/secrets'));
    assert.ok(secretCalls.length >= 2, 'Secrets were listed and watched');
    assert.deepEqual([...new Set(secretCalls.map((r) => r.query['fieldSelector']))], [SECRET_FIELD_SELECTOR]);
    assert.equal(
      Object.fromEntries((await pilot.getJson<Configz>('/debug/configz')).body.configs.map((c) => [c.key, c.source]))[
        'Secret/default/gw-cert'
      ],
      'kube:secrets',
    );
    srv.apply(tls('gw-b'));
    await until(async () => (await secretIn()).includes('gw-b.example.com'), 'the rotated Secret');
    srv.delete({ apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'gw-cert' });
    await until(async () => (await secretIn()) === '', 'the Secret deleted');
    srv.delete({ apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'sa-token' });
  });

  it('updates that change nothing tspilot reads (Pod conditions) cause no store change and no push', async () => {
    const generation = async () => (await pilot.getJson<{ generation: number }>('/debug/configz')).body.generation;
    const g0 = await generation();
    const pushes0 = pilot.logs.filter((l) => l.msg === 'config pushed').length;
    for (let i = 0; i < 5; i++) {
      srv.patch(
        { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'echo-v1' },
        { status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: `2026-01-01T00:00:0${i}Z` }] } },
      );
    }
    // A real change afterwards: once it is in, the five status updates before it have been processed too.
    srv.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'marker', namespace: 'default' },
      spec: { clusterIP: '10.96.0.99', ports: [{ name: 'http', port: 80 }] },
    });
    await until(
      async () =>
        (await pilot.getJson<{ hostname: string }[]>('/debug/registryz')).body.some(
          (x) => x.hostname === 'marker.default.svc.cluster.local',
        ),
      'marker service',
    );
    assert.equal(await generation(), g0 + 1, 'only the marker Service changed the store');
    assert.equal(pilot.logs.filter((l) => l.msg === 'config pushed').length, pushes0 + 1, 'one push, for the marker');
    srv.delete({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'marker' });
  });

  it('endpoints changed while every watch was down are all present after the reconnect (0 lost, 0 extra)', async () => {
    for (let i = 0; i < 10; i++) srv.apply(bulkSlice(i, [`10.1.${i}.1`, `10.1.${i}.2`]));
    await until(async () => (await bulkAddresses()).length === 20, 'initial bulk endpoints');
    const since = pilot.logs.length;
    const droppedAt = Date.now();
    assert.ok(srv.dropWatches() >= 10, 'the informers had watches open');
    // Synchronously, before tspilot can reconnect: adds, updates and deletes.
    for (let i = 10; i < 40; i++) srv.apply(bulkSlice(i, [`10.1.${i}.1`]));
    for (let i = 0; i < 5; i++) srv.delete(sliceRef(`bulk-${i}`));
    for (let i = 5; i < 10; i++) srv.apply(bulkSlice(i, [`10.2.${i}.1`, `10.2.${i}.2`, `10.2.${i}.3`]));
    const want = expectedBulk();
    assert.equal(want.length, 30 + 15);
    await until(async () => JSON.stringify(await bulkAddresses()) === JSON.stringify(want), 'endpoints after reconnect');
    console.log(`      watches dropped + 45 slice changes → all in /debug/endpointz: ${Date.now() - droppedAt} ms`);
    await sleep(500);
    assert.deepEqual(await bulkAddresses(), want, 'nothing lost, nothing duplicated, nothing stale');
    const restarts = pilot.logs.slice(since).filter((l) => /watch of endpointslices\.discovery\.k8s\.io failed/.test(l.msg));
    assert.ok(restarts.length >= 1, 'the dropped watch was logged and restarted');
    assert.match(restarts[0]!.msg, /retrying in \d+ ms/);
    assert.deepEqual(count(await client.rpc(ECHO_TARGET, 10)), { v2: 10 }, 'routing unaffected');
  });

  it('a forced 410 (history compacted) while objects change: relist applies adds, updates and deletes exactly', async () => {
    const listsBefore = srv.requests.filter((r) => r.verb === 'list' && r.resource === 'endpointslices').length;
    const closedAt = Date.now();
    srv.closeWatches(); // a server-side watch timeout: client-node re-watches from its last resourceVersion...
    for (let i = 40; i < 50; i++) srv.apply(bulkSlice(i, [`10.3.${i}.1`]));
    for (let i = 10; i < 20; i++) srv.delete(sliceRef(`bulk-${i}`));
    srv.apply(bulkSlice(5, ['10.4.5.1']));
    srv.compact(); // ...which is now below the compaction point: 410 Expired, relist.
    await sleep(30);
    for (let i = 50; i < 55; i++) srv.apply(bulkSlice(i, [`10.5.${i}.1`])); // still changing during the relist
    srv.delete(sliceRef('bulk-20'));
    const want = expectedBulk();
    await until(async () => JSON.stringify(await bulkAddresses()) === JSON.stringify(want), 'endpoints after the relist');
    console.log(`      410 + relist while changing → all in /debug/endpointz: ${Date.now() - closedAt} ms`);
    await sleep(500);
    assert.deepEqual(await bulkAddresses(), want);
    const listsAfter = srv.requests.filter((r) => r.verb === 'list' && r.resource === 'endpointslices').length;
    assert.ok(listsAfter > listsBefore, 'the 410 made the informer relist');
    assert.equal(await pilot.ready(), true);
  });

  it('the admission webhook refuses a bad VirtualService with the same field and reason tspilot logs for it', async () => {
    const bad = objectsOf(virtualServiceYaml(70, 20))[0]!;
    bad.metadata = { name: 'bad', namespace: 'default' };
    const reviewOf = (object: unknown, operation = 'CREATE') => ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u-1',
        kind: { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' },
        namespace: 'default',
        name: 'bad',
        operation,
        object,
      },
    });
    const post = async (body: unknown) =>
      await fetch(`http://127.0.0.1:${pilot.webhookPort}/validate`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const res = await post(reviewOf(bad));
    assert.equal(res.status, 200);
    const out = (await res.json()) as {
      apiVersion: string;
      kind: string;
      response: { uid: string; allowed: boolean; status?: { message: string; code: number } };
    };
    assert.equal(out.kind, 'AdmissionReview');
    assert.equal(out.response.uid, 'u-1');
    assert.equal(out.response.allowed, false);
    // The same object written straight to the API (no webhook registered in the stand-in) is logged by the store.
    const since = pilot.logs.length;
    srv.apply(bad);
    const line = await pilot.waitForLog((l) => l.msg.startsWith('rejected VirtualService default/bad'), 10_000, since);
    assert.equal(out.response.status!.message, `VirtualService default/bad: ${String(line['field'])}: ${String(line['reason'])}`);
    assert.equal(out.response.status!.code, 400);
    srv.delete({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'bad' });
    const good = objectsOf(virtualServiceYaml(50, 50))[0]!;
    assert.equal(((await (await post(reviewOf(good))).json()) as { response: { allowed: boolean } }).response.allowed, true);
    assert.equal(
      ((await (await post(reviewOf(bad, 'DELETE'))).json()) as { response: { allowed: boolean } }).response.allowed,
      true,
      'deletes are never refused',
    );
    assert.equal((await post({ kind: 'Nonsense' })).status, 400);
  });

  it('discoverySelectors in the istio ConfigMap scope the namespaces read; relabelling a namespace brings it in', async () => {
    const hosts = async () => (await pilot.getJson<{ hostname: string }[]>('/debug/registryz')).body.map((s) => s.hostname);
    const OTHER = 'svc.other.svc.cluster.local';
    srv.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    srv.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: 'other' },
      spec: { clusterIP: '10.96.1.1', ports: [{ name: 'http', port: 80 }] },
    });
    await until(async () => (await hosts()).includes(OTHER), 'service in namespace other');
    srv.patch({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }, { metadata: { labels: { 'istio-discovery': 'enabled' } } });
    srv.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: 'istio-system' },
      data: { mesh: 'discoverySelectors:\n- matchLabels: {istio-discovery: enabled}\n' },
    });
    await until(async () => !(await hosts()).includes(OTHER), 'namespace other out of scope');
    assert.ok((await hosts()).includes(ECHO_HOST), 'the selected namespace stays');
    assert.deepEqual(count(await client.rpc(ECHO_TARGET, 10)), { v2: 10 });
    srv.patch({ apiVersion: 'v1', kind: 'Namespace', name: 'other' }, { metadata: { labels: { 'istio-discovery': 'enabled' } } });
    await until(async () => (await hosts()).includes(OTHER), 'namespace other back in scope after relabelling');
    srv.patch({ apiVersion: 'v1', kind: 'Namespace', name: 'other' }, { metadata: { labels: { 'istio-discovery': null } } });
    await until(async () => !(await hosts()).includes(OTHER), 'out again');
    srv.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'istio-system', name: 'istio' });
    await until(async () => (await hosts()).includes(OTHER), 'no selectors: every namespace');
  });

  it('mesh settings in the istio ConfigMap reach the proxies on their own (no other change needed)', async () => {
    type Dump = { configs: { dynamicActiveClusters?: { cluster: { name: string; connectTimeout?: string } }[] }[] };
    const timeouts = async () =>
      (
        await pilot.getJson<Dump>('/debug/config_dump?proxyID=kube-client.default&types=cds')
      ).body.configs[0]!.dynamicActiveClusters!.filter((c) => c.cluster.name.endsWith('|echo.default.svc.cluster.local')).map(
        (c) => c.cluster.connectTimeout,
      );
    assert.ok((await timeouts()).length > 0);
    assert.ok(
      (await timeouts()).every((t) => t === '10s'),
      `istiod's default first: ${JSON.stringify(await timeouts())}`,
    );
    srv.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: 'istio-system' },
      data: { mesh: 'connectTimeout: 3s\n' },
    });
    await until(async () => (await timeouts()).every((t) => t === '3s'), 'connectTimeout 3s pushed');
    srv.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'istio-system', name: 'istio' });
    await until(async () => (await timeouts()).every((t) => t === '10s'), 'back to the default once the ConfigMap is gone');
    assert.deepEqual(count(await client.rpc(ECHO_TARGET, 10)), { v2: 10 });
  });

  it('two replicas watching the same API serve byte-identical CDS and EDS', async () => {
    const second = await startKubeTspilot(kc.file);
    try {
      const xds2 = await second.xds();
      const sidecar = 'sidecar~10.0.0.9~replica-check.default~default.svc.cluster.local';
      const fetchTypes = async (port: number): Promise<DecodedResponse[]> => {
        const ads = rawAds(`127.0.0.1:${port}`);
        try {
          const node = {
            id: sidecar,
            cluster: '',
            metadata: { NAMESPACE: 'default' },
            userAgentName: 'replica-check',
            clientFeatures: [],
            locality: null,
          };
          ads.send({ node, typeUrl: CDS, resourceNames: [] });
          const cds = await ads.next(10_000);
          const clusterType = messageType('envoy.config.cluster.v3.Cluster');
          const edsNames = cds.resources
            .map((r) => clusterType.toObject(clusterType.decode(r.value)) as { name: string; eds_cluster_config?: unknown })
            .filter((c) => c.eds_cluster_config !== undefined)
            .map((c) => c.name)
            .sort();
          assert.ok(edsNames.length > 0, 'EDS clusters to ask for');
          ads.send({ node, typeUrl: EDS, resourceNames: edsNames });
          const eds = await ads.next(10_000);
          return [cds, eds];
        } finally {
          ads.close();
        }
      };
      assert.equal(await second.ready(), true);
      const [a, b] = [await fetchTypes(await pilot.xds()), await fetchTypes(xds2)];
      for (const i of [0, 1]) {
        assert.ok(a[i]!.resources.length > 0, `${a[i]!.type_url}: resources served`);
        assert.equal(a[i]!.version_info, b[i]!.version_info, `${a[i]!.type_url}: same version`);
        assert.deepEqual(
          a[i]!.resources.map((r) => Buffer.from(r.value).toString('base64')),
          b[i]!.resources.map((r) => Buffer.from(r.value).toString('base64')),
          `${a[i]!.type_url}: same bytes`,
        );
      }
    } finally {
      await second.close();
    }
  });
});
