/**
 * End to end, issue #5, the API server misbehaving: tspilot started while the API server is
 * unreachable stays not-ready (HTTP up, xDS closed) and retries with clear logs until it comes
 * back; a kind its service account may not list (403) is named in an error log with the verb,
 * resource and API group while everything else is served, and heals when access is granted; a
 * CRD that is not installed is a warning, not a blocker; a cluster without EndpointSlices is read
 * through core Endpoints.
 */
import { strict as assert } from 'node:assert';
import { DESTINATION_RULE, ECHO_HOST, registryYaml, virtualServiceYaml } from './fixtures/echo-mesh.js';
import { DEFAULT_RESOURCES, startFakeApiServer, type FakeApiServer } from './kube/apiserver.js';
import { applyYaml, kubeconfigFile, startKubeTspilot, type KubeTspilot } from './kube-mode-kit.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('e2e Kubernetes mode when the API server misbehaves', function () {
  this.timeout(120_000);
  let srv: FakeApiServer | undefined, kc: Awaited<ReturnType<typeof kubeconfigFile>> | undefined, pilot: KubeTspilot | undefined;

  afterEach(async () => {
    await pilot?.close();
    await srv?.close();
    await kc?.cleanup();
    pilot = undefined;
    srv = undefined;
    kc = undefined;
  });

  const hosts = async (p: KubeTspilot) => (await p.getJson<{ hostname: string }[]>('/debug/registryz')).body.map((s) => s.hostname);

  it('API server down at start: not ready, retries with clear logs, then ready once it answers', async () => {
    srv = await startFakeApiServer();
    applyYaml(srv, registryYaml(9001, 9002));
    kc = await kubeconfigFile(srv);
    await srv.setDown(true);
    pilot = await startKubeTspilot(kc.file);
    const p = pilot;
    const warn = await p.waitForLog((l) => /cannot reach the Kubernetes API server at http:\/\/127\.0\.0\.1:\d+/.test(l.msg), 10_000, 0);
    assert.match(warn.msg, /retrying in \d+ ms/);
    await until(async () => p.logs.filter((l) => l.msg.startsWith('cannot reach')).length >= 2 * 12, 'several retries');
    assert.equal(await p.ready(), false, 'not ready while the API is unreachable');
    assert.equal(
      p.logs.some((l) => l.msg === 'listening'),
      false,
      'xDS stays closed: no proxy gets an empty mesh',
    );
    const upAt = Date.now();
    await srv.setDown(false);
    await p.xds(30_000);
    console.log(`      API server back → xDS open and ready: ${Date.now() - upAt} ms`);
    assert.equal(await p.ready(), true);
    assert.ok((await hosts(p)).includes(ECHO_HOST));
  });

  it('403 on one kind: a clear error naming verb, resource and group; the rest is served; granting access heals it', async () => {
    srv = await startFakeApiServer();
    applyYaml(srv, registryYaml(9001, 9002));
    applyYaml(srv, DESTINATION_RULE);
    applyYaml(srv, virtualServiceYaml(100, 0));
    srv.forbid('destinationrules.networking.istio.io', ['list', 'watch']);
    kc = await kubeconfigFile(srv);
    pilot = await startKubeTspilot(kc.file);
    const p = pilot;
    await p.xds();
    assert.equal(await p.ready(), true, 'a forbidden kind does not hold readiness hostage');
    const err = p.logs.find((l) => l.msg.startsWith('forbidden:'))!;
    assert.ok(err, 'an error log for the 403');
    assert.equal(err.level, 'error');
    assert.match(err.msg, /may not list destinationrules\.networking\.istio\.io/);
    assert.match(err.msg, /verbs get, list, watch on resource "destinationrules" in API group "networking\.istio\.io"/);
    assert.deepEqual(err['missing'], {
      verbs: ['get', 'list', 'watch'],
      resources: ['destinationrules'],
      apiGroups: ['networking.istio.io'],
    });
    assert.ok((await hosts(p)).includes(ECHO_HOST), 'Services still read');
    const configz = async () => (await p.getJson<{ configs: { key: string }[] }>('/debug/configz')).body.configs.map((c) => c.key);
    assert.ok((await configz()).includes('EndpointSlice/default/echo-v1'));
    assert.equal((await configz()).includes('DestinationRule/default/echo'), false);
    srv.unforbid();
    await until(
      async () => (await configz()).includes('DestinationRule/default/echo'),
      'the DestinationRule once access is granted',
      20_000,
    );
    assert.ok(p.logs.some((l) => /destinationrules\.networking\.istio\.io: access granted/.test(l.msg)));
  });

  it('a CRD that is not installed is a warning and is watched once installed; a cluster without EndpointSlices is read through core Endpoints', async () => {
    srv = await startFakeApiServer({
      resources: DEFAULT_RESOURCES.filter((r) => r.resource !== 'sidecars' && r.resource !== 'endpointslices'),
    });
    srv.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'legacy', namespace: 'default' },
      spec: { clusterIP: '10.96.0.88', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    srv.create({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'legacy', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '10.9.0.1' }, { ip: '10.9.0.2' }], ports: [{ name: 'http', port: 8080 }] }],
    });
    kc = await kubeconfigFile(srv);
    pilot = await startKubeTspilot(kc.file, ['--crd-poll-interval', '200ms']);
    const p = pilot;
    await p.xds();
    const w = p.logs.find((l) => /sidecars\.networking\.istio\.io is not served by the API server \(CRD not installed\)/.test(l.msg));
    assert.ok(w, 'a warning for the missing CRD');
    assert.equal(w.level, 'warn');
    assert.ok(p.logs.some((l) => /no endpointslices\.discovery\.k8s\.io API: reading endpoints instead/.test(l.msg)));
    const { body } =
      await p.getJson<{ hostname: string; ports: Record<string, { address: string; port: number }[]> }[]>('/debug/endpointz');
    const legacy = body.find((s) => s.hostname === 'legacy.default.svc.cluster.local');
    assert.deepEqual(
      legacy?.ports['80']?.map((e) => `${e.address}:${e.port}`),
      ['10.9.0.1:8080', '10.9.0.2:8080'],
    );
    // The CRD gets installed later: discovery notices, the watch starts, its objects arrive.
    srv.installResource(DEFAULT_RESOURCES.find((r) => r.resource === 'sidecars')!);
    srv.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: 'default', namespace: 'default' },
      spec: { egress: [{ hosts: ['./*'] }] },
    });
    await p.waitForLog(
      (l) => /sidecars\.networking\.istio\.io is now served \(networking\.istio\.io\/v1\); starting its watch/.test(l.msg),
      10_000,
      0,
    );
    await until(
      async () =>
        (await p.getJson<{ configs: { key: string; source: string }[] }>('/debug/configz')).body.configs.some(
          (c) => c.key === 'Sidecar/default/default' && c.source === 'kube:sidecars.networking.istio.io',
        ),
      'the Sidecar from the newly installed CRD',
    );
  });
});
