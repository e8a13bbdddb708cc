/**
 * End to end, issue #12 item 10: tspilot in Kubernetes mode against the API server stand-in under
 * steady churn, an outage and a forced 410, observed by a raw ADS client subscribed to EDS.
 * - Steady churn (~70 writes/s, never a quiet gap): an added endpoint reaches the client by the
 *   endpoint maximum, not the config maximum; a removed one at once, not after the endpoint maximum.
 * - API server down 12 s: no retry waits more than the 3 s cap, and once it answers, every watch
 *   still waiting out a backoff is woken at once by the first success; a change made then is seen.
 * - A forced 410 is logged at info and counted, with the watch reconnects, in /metrics.
 * - An endpoint whose Pod is not known yet is held back (not published without labels, outside its
 *   subset), and appears in the subset cluster as soon as the Pod arrives (a Pod-only change).
 */
import { strict as assert } from 'node:assert';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from './kube/apiserver.js';
import { kubeconfigFile, startKubeTspilot, type KubeTspilot } from './kube-mode-kit.js';
import { rawAds, type RawAds } from './adsclient.js';
import { EDS } from '../proto/typeurls.js';
import { messageType } from '../proto/registry.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/**
 * The two debounce maxima, far apart so each assertion below decides between them with a wide
 * margin (half of each) rather than a tight wall-clock bound a loaded machine can miss: an added
 * endpoint must beat half the config maximum (it waits for the endpoint maximum), a removed one
 * half the endpoint maximum (it waits for nothing).
 */
const CONFIG_MAX_S = 60;
const ENDPOINTS_MAX_S = 6;
const HOST = 'victim.default.svc.cluster.local';
const ALL = `outbound|8080||${HOST}`;
const V1 = `outbound|8080|v1|${HOST}`;

const pod = (name: string, ip: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'victim', version: 'v1' } },
  spec: { serviceAccountName: 'victim', containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: ip },
});
const slice = (ips: string[]): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'victim-a', namespace: 'default', labels: { 'kubernetes.io/service-name': 'victim' } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({
    addresses: [ip],
    conditions: { ready: true },
    targetRef: { kind: 'Pod', namespace: 'default', name: `victim-${ip.split('.').pop()}` },
  })),
});
const BASE: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'victim', namespace: 'default' },
    spec: { clusterIP: '10.96.0.90', selector: { app: 'victim' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] },
  },
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'victim', namespace: 'default' },
    spec: { host: 'victim', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
  },
  pod('victim-1', '10.7.0.1'),
  pod('victim-2', '10.7.0.2'),
  slice(['10.7.0.1']),
];

/** A raw ADS client subscribed to the victim's EDS clusters, ACKing every response and keeping the latest addresses. */
class EdsWatch {
  readonly latest = new Map<string, string[]>();
  private readonly ads: RawAds;
  private closed = false;
  constructor(port: number) {
    const ads = rawAds(`127.0.0.1:${port}`);
    this.ads = ads;
    const node = {
      id: 'sidecar~10.0.0.5~watcher.default~default.svc.cluster.local',
      cluster: '',
      metadata: { NAMESPACE: 'default' },
      userAgentName: 'churn',
      clientFeatures: [],
      locality: null,
    };
    const names = [ALL, V1];
    ads.send({ node, typeUrl: EDS, resourceNames: names });
    const cla = messageType('envoy.config.endpoint.v3.ClusterLoadAssignment');
    void (async () => {
      while (!this.closed) {
        const r = await ads.next(600_000).catch(() => null);
        if (!r) return;
        for (const res of r.resources) {
          const c = cla.toObject(cla.decode(res.value), { defaults: true, arrays: true }) as {
            cluster_name: string;
            endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[] }[];
          };
          this.latest.set(
            c.cluster_name,
            c.endpoints.flatMap((l) => l.lb_endpoints.map((e) => e.endpoint.address.socket_address.address)).sort(),
          );
        }
        ads.send({ node, typeUrl: EDS, resourceNames: names, versionInfo: r.version_info, responseNonce: r.nonce });
      }
    })();
  }
  has(cluster: string, ip: string): boolean {
    return (this.latest.get(cluster) ?? []).includes(ip);
  }
  /** Milliseconds until `cond` holds (polled every 10 ms), or throws after timeoutMs. */
  async until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<number> {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...this.latest])}`);
      await sleep(10);
    }
    return Date.now() - t0;
  }
  close(): void {
    this.closed = true;
    this.ads.close();
  }
}

describe('e2e Kubernetes mode under churn and outages', function () {
  this.timeout(120_000);
  let srv: FakeApiServer, kc: Awaited<ReturnType<typeof kubeconfigFile>>, pilot: KubeTspilot, eds: EdsWatch;

  before(async () => {
    srv = await startFakeApiServer({ bookmarkIntervalMs: 500 });
    for (const o of BASE) srv.apply(o);
    kc = await kubeconfigFile(srv);
    pilot = await startKubeTspilot(kc.file, ['--debounce-max', `${CONFIG_MAX_S}s`, '--debounce-endpoints-max', `${ENDPOINTS_MAX_S}s`]);
    eds = new EdsWatch(await pilot.xds());
    await eds.until(() => eds.has(V1, '10.7.0.1'), 'the first endpoint in the v1 subset');
  });
  after(async () => {
    eds?.close();
    await pilot?.close();
    await srv?.close();
    await kc?.cleanup();
  });

  it('steady churn: an added endpoint arrives within the endpoint maximum, a removed one at once', async () => {
    let n = 0;
    // ~70 writes/s of config that changes (Service labels): never a 50 ms quiet gap, so the config maximum is what waits.
    const churn = setInterval(() => {
      n++;
      srv.apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `churn-${n % 20}`, namespace: 'default', labels: { gen: String(n) } },
        spec: { clusterIP: `10.96.1.${n % 20}`, ports: [{ name: 'http', port: 80 }] },
      });
    }, 14);
    try {
      await sleep(1000);
      srv.apply(slice(['10.7.0.1', '10.7.0.2']));
      const added = await eds.until(() => eds.has(ALL, '10.7.0.2'), 'the added endpoint', CONFIG_MAX_S * 1000);
      await sleep(300);
      srv.apply(slice(['10.7.0.1']));
      const removed = await eds.until(() => !eds.has(ALL, '10.7.0.2'), 'the removed endpoint', CONFIG_MAX_S * 1000);
      console.log(`      under ${n} churn writes so far: endpoint added → client ${added} ms, removed → client ${removed} ms`);
      assert.ok(
        added < (CONFIG_MAX_S * 1000) / 2,
        `added endpoint took ${added} ms (endpoint maximum ${ENDPOINTS_MAX_S} s; config maximum ${CONFIG_MAX_S} s)`,
      );
      assert.ok(
        removed < (ENDPOINTS_MAX_S * 1000) / 2,
        `removed endpoint took ${removed} ms (removals should not wait for the ${ENDPOINTS_MAX_S} s endpoint maximum)`,
      );
    } finally {
      clearInterval(churn);
    }
  });

  it('an endpoint whose Pod is unknown is held back, then joins its subset when the Pod arrives', async () => {
    srv.apply(slice(['10.7.0.1', '10.7.0.3'])); // victim-3 does not exist yet
    await sleep(1500);
    assert.equal(eds.has(ALL, '10.7.0.3'), false, 'not published without its Pod (it would miss the v1 subset)');
    const { body } = await pilot.getJson<{ hostname: string; ports: Record<string, { address: string }[]> }[]>('/debug/endpointz');
    assert.deepEqual(
      body.find((s) => s.hostname === HOST)?.ports['8080']?.map((e) => e.address),
      ['10.7.0.1'],
    );
    srv.apply(pod('victim-3', '10.7.0.3'));
    const t = await eds.until(
      () => eds.has(V1, '10.7.0.3') && eds.has(ALL, '10.7.0.3'),
      'the endpoint in the v1 subset once its Pod is known',
    );
    console.log(`      Pod arrived → endpoint in the subset cluster: ${t} ms`);
  });

  it('API server down 12 s: retries capped at 3 s, every waiting watch woken by the first success, changes seen at once', async () => {
    const since = pilot.logs.length;
    await srv.setDown(true);
    const downAt = Date.now();
    await sleep(12_000);
    srv.clearRequests();
    await srv.setDown(false);
    const upAt = Date.now();
    srv.apply(slice(['10.7.0.1', '10.7.0.4']));
    srv.apply(pod('victim-4', '10.7.0.4'));
    const seen = await eds.until(() => eds.has(V1, '10.7.0.4'), 'a change made when the API server came back');
    const delays = pilot.logs
      .slice(since)
      .map((l) => l['retryInMs'])
      .filter((x): x is number => typeof x === 'number');
    assert.ok(delays.length > 11, 'retries were logged');
    assert.ok(Math.max(...delays) <= 3000, `retry delays capped at 3 s while unreachable (max ${Math.max(...delays)} ms)`);
    await sleep(3500);
    const firstOk = new Map<string, number>();
    for (const r of srv.requests) if (r.status === 200 && r.resource && !firstOk.has(r.resource)) firstOk.set(r.resource, r.time);
    const times = [...firstOk.values()];
    assert.ok(firstOk.size >= 10, `requests for every resource after the outage: ${[...firstOk.keys()].join(', ')}`);
    const spread = Math.max(...times) - Math.min(...times);
    console.log(
      `      down ${upAt - downAt} ms; back → change at the client ${seen} ms; first successful request per resource within ${spread} ms`,
    );
    // The others retry at once, woken by the first success, instead of waiting out their own backoff
    // (up to the 3 s cap): decided from the informers' log lines, not a wall-clock spread that a
    // loaded machine stretches. A watch not woken must have been back before the wake-up.
    const wake = pilot.logs.slice(since).filter((l) => /retrying now, the API server answers again/.test(l.msg));
    assert.ok(wake.length > 0, 'the first success woke the loops waiting out a backoff');
    const wokeAt = Math.min(...wake.map((l) => Date.parse(String(l['time']))));
    const woken = new Set(wake.map((l) => String(l['resource'])));
    // Informers list and watch; other callers (the Lease of the status writer) keep their own schedule.
    const informed = new Set(srv.requests.filter((r) => r.verb === 'list' || r.verb === 'watch').map((r) => r.resource));
    const late = [...firstOk]
      .filter(([resource, t]) => informed.has(resource) && !woken.has(resource) && t > wokeAt)
      .map(([resource]) => resource);
    assert.deepEqual(late, [], `every watch back with the first or woken by it (spread ${spread} ms)`);
    assert.ok(seen < 4500, `change after the outage seen in ${seen} ms`);
  });

  it('a forced 410 is logged at info and counted with the watch reconnects in /metrics', async () => {
    const since = pilot.logs.length;
    srv.closeWatches();
    srv.apply(slice(['10.7.0.1', '10.7.0.4', '10.7.0.2']));
    srv.compact();
    const line = await pilot.waitForLog(
      (l) => /endpointslices\.discovery\.k8s\.io: watch history expired \(410 Gone\); relisting/.test(l.msg),
      10_000,
      since,
    );
    assert.equal(line.level, 'info');
    await eds.until(() => eds.has(ALL, '10.7.0.2'), 'the change made before the 410');
    const text = await (await fetch(`http://127.0.0.1:${pilot.monitoringPort}/metrics`)).text();
    const value = (name: string, resource: string): number =>
      Number(new RegExp(`^${name}\\{resource="${resource.replace(/\./g, '\\.')}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    assert.ok(
      value('tspilot_kube_relists_total', 'endpointslices.discovery.k8s.io') >= 1,
      text
        .split('\n')
        .filter((l) => l.startsWith('tspilot_kube'))
        .join('\n'),
    );
    assert.ok(value('tspilot_kube_watch_reconnects_total', 'endpointslices.discovery.k8s.io') >= 2);
  });
});
