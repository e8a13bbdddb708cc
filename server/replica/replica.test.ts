/**
 * Multi-replica debug views over real HTTP servers on 127.0.0.1: the replica header on every
 * answer, the merged syncz (this replica, its peers, itself skipped when listed, an unreachable
 * peer named with its error), forwarding only the per-proxy views, and the peer list from flags
 * or from a Service's EndpointSlices.
 */
import { strict as assert } from 'node:assert';
import { Router, startHttp, type HttpServer } from '../http/router.js';
import { ReplicaFanout } from './fanout.js';
import { replicaLabel, REPLICA_HEADER } from './identity.js';
import { kubeSliceLister, servicePeers, staticPeers, type SliceLister } from './peers.js';
import { parsePeerUrls, parseServiceRef } from './flags.js';
import { startFakeApiServer, type KubeObject } from '../../e2e/kube/apiserver.js';
import { kubeConfigFor } from '../../e2e/kube/testkit.js';
import { replicaRoutes } from './routes.js';
import { syncState, type SyncEntry } from '../cli/status.js';

const entry = (proxy: string, nack: string | null = null): object => ({
  proxy,
  types: {
    cds: {
      sent: 'v1',
      nonce: 'n1',
      acked: nack ? '' : 'v1',
      ackedNonce: nack ? '' : 'n1',
      nack: nack ? { version: 'v1', nonce: 'n1', error: nack } : null,
    },
  },
});

describe('server/replica', () => {
  const servers: HttpServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  /** A replica: its own syncz list, its peers, served on a free port. */
  async function replica(name: string, proxies: object[], peers: () => string[]): Promise<{ url: string; fan: ReplicaFanout }> {
    const fan = new ReplicaFanout(
      { name, instance: 'aaaa0000' },
      { source: 'test', urls: () => Promise.resolve(peers()) },
      () => proxies,
      1000,
      (t) => syncState(t as SyncEntry['types'][string]),
    );
    const router = replicaRoutes(new Router(), fan);
    router.on('GET', '/debug/syncz', () => ({ json: proxies }));
    router.on('GET', '/debug/config_dump', ({ url }) => ({ json: { from: name, proxyID: url.searchParams.get('proxyID') } }));
    router.on('GET', '/debug/configz', () => ({ json: { secret: name } }));
    const s = await startHttp(router, '127.0.0.1', 0, (e) => {
      throw e;
    });
    servers.push(s);
    return { url: `http://127.0.0.1:${s.port}`, fan };
  }

  it("merges every replica's proxies with their replica and sync states, skipping itself and naming a replica that does not answer", async () => {
    let urls: string[] = [];
    const a = await replica('pilot-a', [entry('sidecar~1~a.ns~ns.svc.cluster.local')], () => urls);
    const b = await replica('pilot-b', [entry('sidecar~2~b.ns~ns.svc.cluster.local', 'bad cluster')], () => urls);
    const dead = await startHttp(new Router(), '127.0.0.1', 0, () => undefined);
    const deadUrl = `http://127.0.0.1:${dead.port}`;
    await dead.close();
    const istiod = await startHttp(
      new Router().on('GET', '/debug/syncz', () => ({ json: [entry('sidecar~3~z.ns~ns.svc.cluster.local')] })),
      '127.0.0.1',
      0,
      (e) => {
        throw e;
      },
    );
    servers.push(istiod);
    const istiodUrl = `http://127.0.0.1:${istiod.port}`;
    urls = [a.url, b.url, deadUrl, istiodUrl];
    const res = await fetch(`${a.url}/debug/replicas/syncz`);
    assert.equal(res.headers.get(REPLICA_HEADER), 'pilot-a/aaaa0000');
    const m = (await res.json()) as {
      answeredBy: string;
      replicas: { replica: string; url: string | null; proxies: number; error?: string }[];
      proxies: { proxy: string; replica: string; states: Record<string, string> }[];
    };
    assert.equal(m.answeredBy, 'pilot-a/aaaa0000');
    assert.deepEqual(
      m.proxies.map((p) => [p.proxy.split('~')[2], p.replica, p.states['cds']]),
      [
        ['a.ns', 'pilot-a/aaaa0000', 'SYNCED'],
        ['b.ns', 'pilot-b/aaaa0000', 'NACKED'],
      ],
      'itself listed once; not the proxies of a server that is not a tspilot replica',
    );
    assert.equal(m.replicas[0]!.replica, 'pilot-a/aaaa0000', 'the answering replica first');
    const by = new Map(m.replicas.map((r) => [r.replica, r]));
    assert.equal(m.replicas.length, 4);
    assert.equal(by.get('pilot-b/aaaa0000')?.proxies, 1);
    assert.match(by.get(deadUrl)?.error ?? '', /^cannot reach http:\/\/127\.0\.0\.1:\d+: /);
    assert.match(by.get(istiodUrl)?.error ?? '', /is not a tspilot replica \(no x-tspilot-replica header\)/);
  });

  it('forwards a per-proxy view to the replica holding the proxy, and nothing else', async () => {
    let urls: string[] = [];
    const a = await replica('fw-a', [], () => urls);
    const b = await replica('fw-b', [entry('x')], () => urls);
    urls = [a.url, b.url];
    const get = async (q: string): Promise<{ status: number; body: { from?: string; proxyID?: string; error?: string } }> => {
      const r = await fetch(`${a.url}/debug/replicas/get?${q}`);
      return { status: r.status, body: (await r.json()) as { from?: string; error?: string } };
    };
    const ok = await get(`replica=${encodeURIComponent('fw-b/aaaa0000')}&path=${encodeURIComponent('/debug/config_dump?proxyID=p.ns')}`);
    assert.deepEqual([ok.status, ok.body], [200, { from: 'fw-b', proxyID: 'p.ns' }]);
    const refused = await get(`replica=${encodeURIComponent('fw-b/aaaa0000')}&path=${encodeURIComponent('/debug/configz')}`);
    assert.equal(refused.status, 400);
    assert.match(refused.body.error ?? '', /only \/debug\/config_dump, \/debug\/explain are forwarded/);
    assert.equal((await get(`replica=elsewhere/1&path=${encodeURIComponent('/debug/config_dump?proxyID=p')}`)).status, 404);
    assert.equal((await get(`replica=fw-b%2Faaaa0000&path=${encodeURIComponent('//evil.example/debug/config_dump')}`)).status, 400);
    assert.equal(
      (await get(`replica=fw-a%2Faaaa0000&path=${encodeURIComponent('/debug/config_dump?proxyID=p')}`)).status,
      400,
      'itself: ask directly',
    );
  });

  it('answers the console a page, one proxy or a summary of the merged list, and the full list otherwise', async () => {
    let urls: string[] = [];
    const a = await replica(
      'pg-a',
      [entry('sidecar~1~a1.ns~ns.svc.cluster.local'), entry('sidecar~2~a2.ns~ns.svc.cluster.local')],
      () => urls,
    );
    const b = await replica('pg-b', [entry('sidecar~3~b1.ns~ns.svc.cluster.local', 'bad cluster')], () => urls);
    urls = [a.url, b.url];
    type Page = {
      total?: number;
      offset?: number;
      counts?: Record<string, Record<string, number>>;
      proxies: { proxy: string; replica: string }[];
    };
    const get = async (q: string): Promise<{ status: number; body: Page & { error?: string } }> => {
      const r = await fetch(`${a.url}/debug/replicas/syncz${q}`);
      return { status: r.status, body: (await r.json()) as Page & { error?: string } };
    };
    const short = (p: Page): string[] => p.proxies.map((e) => e.proxy.split('~')[2]!);
    const full = await get('');
    assert.deepEqual(short(full.body), ['a1.ns', 'a2.ns', 'b1.ns']);
    assert.equal(full.body.total, undefined, 'the unpaged answer keeps its shape (proxy-status reads it)');
    const p2 = await get('?offset=1&limit=1');
    assert.deepEqual([short(p2.body), p2.body.total, p2.body.offset], [['a2.ns'], 3, 1]);
    assert.deepEqual(p2.body.counts, { cds: { SYNCED: 2, NACKED: 1 } }, 'counts cover the whole list, not the page');
    const one = await get(`?proxy=${encodeURIComponent('sidecar~3~b1.ns~ns.svc.cluster.local')}`);
    assert.deepEqual([short(one.body), one.body.proxies[0]!.replica, one.body.total], [['b1.ns'], 'pg-b/aaaa0000', 1]);
    const none = await get('?proxy=nobody&replica=pg-a%2Faaaa0000');
    assert.deepEqual([none.body.proxies, none.body.total], [[], 0]);
    const sum = await get('?summary=true');
    assert.deepEqual([sum.body.proxies, sum.body.total, sum.body.counts], [[], 3, { cds: { SYNCED: 2, NACKED: 1 } }]);
    const bad = await get('?limit=5000');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error ?? '', /query parameter limit: "5000" is not a whole number from 0 to 1000/);
    assert.equal((await get('?offset=-1')).status, 400);
    assert.equal((await get('?summary=yes')).status, 400);
  });

  it('reads peers from --peers and from the ready endpoints of a Service', async () => {
    assert.deepEqual(parsePeerUrls('http://10.0.0.2:15014, http://10.0.0.1:15014,http://10.0.0.1:15014'), [
      'http://10.0.0.1:15014',
      'http://10.0.0.2:15014',
    ]);
    assert.throws(() => parsePeerUrls('10.0.0.1:15014'), /--peers: "10\.0\.0\.1:15014" (is not a URL|must be http)/);
    assert.throws(() => parsePeerUrls('ftp://10.0.0.1:15014'), /must be http:\/\/ or https:\/\//);
    assert.throws(() => parsePeerUrls('http://10.0.0.1:15014/debug'), /scheme:\/\/host:port only/);
    assert.deepEqual(parseServiceRef('istio-system/istiod'), { namespace: 'istio-system', name: 'istiod' });
    assert.throws(() => parseServiceRef('istiod'), /--peers-service: "istiod" is not namespace\/name/);
    assert.deepEqual(await staticPeers(['http://a:1']).urls(), ['http://a:1']);
    let calls = 0;
    let fail = false;
    const lister: SliceLister = (ns, sel) => {
      calls++;
      assert.deepEqual([ns, sel], ['istio-system', 'kubernetes.io/service-name=istiod']);
      if (fail) return Promise.reject(new Error('forbidden'));
      return Promise.resolve([
        {
          ports: [
            { name: 'grpc-xds', port: 15010 },
            { name: 'http-monitoring', port: 15014 },
          ],
          endpoints: [
            { addresses: ['10.1.0.7'], conditions: { ready: true } },
            { addresses: ['10.1.0.8'], conditions: { ready: false } },
            { addresses: ['fd00::5'] },
          ],
        },
      ]);
    };
    let t = 0;
    const p = servicePeers(lister, { namespace: 'istio-system', name: 'istiod' }, 9999, 5000, () => t);
    assert.deepEqual(await p.urls(), ['http://10.1.0.7:15014', 'http://[fd00::5]:15014']);
    await p.urls();
    assert.equal(calls, 1, 'cached');
    t = 6000;
    fail = true;
    assert.deepEqual(await p.urls(), ['http://10.1.0.7:15014', 'http://[fd00::5]:15014'], 'a failed read keeps the last list');
    assert.match(p.lastError() ?? '', /cannot list the endpoints of istio-system\/istiod: forbidden/);
    assert.equal(replicaLabel({ name: 'istiod-7d9f', instance: '0badf00d' }), 'istiod-7d9f/0badf00d');
  });

  it("--peers-service lists the Service's EndpointSlices through the Kubernetes API (the stand-in)", async () => {
    const srv = await startFakeApiServer();
    try {
      const slice = (name: string, svc: string, ip: string): KubeObject => ({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name, namespace: 'istio-system', labels: { 'kubernetes.io/service-name': svc } },
        addressType: 'IPv4',
        ports: [{ name: 'http-monitoring', port: 15014 }],
        endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      });
      srv.apply(slice('istiod-abc', 'istiod', '10.2.0.1'));
      srv.apply(slice('istiod-def', 'istiod', '10.2.0.2'));
      srv.apply(slice('other-xyz', 'other', '10.2.0.9'));
      const p = servicePeers(kubeSliceLister(kubeConfigFor(srv)), parseServiceRef('istio-system/istiod'), 15014);
      assert.deepEqual(await p.urls(), ['http://10.2.0.1:15014', 'http://10.2.0.2:15014']);
      assert.equal(p.lastError(), null);
    } finally {
      await srv.close();
    }
  });
});
