/**
 * `tspilot serve --kubeconfig` with a TLS xDS port: a pilot-agent-style client presenting a
 * projected service-account token (authorization: Bearer, ClusterID metadata) is authenticated by
 * TokenReview against the API server stand-in, through tspilot's own Kubernetes credentials;
 * a token the API server does not know is refused UNAUTHENTICATED with the API server's error.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CDS } from '../../proto/typeurls.js';
import { rawAds, type RawAds } from '../adsclient.js';
import { startFakeApiServer, type FakeApiServer } from '../kube/apiserver.js';
import { kubeconfigFile, startKubeTspilot, type KubeTspilot } from '../kube-mode-kit.js';
import { ISTIOD_SAN, testLeaf, testRoot, type TestRoot } from './testca.js';

const token = (tag: string): string =>
  `${Buffer.from('{"alg":"RS256","kid":"x"}').toString('base64url')}.${Buffer.from(JSON.stringify({ aud: ['istio-ca'], exp: Math.floor(Date.now() / 1000) + 3600, sub: tag })).toString('base64url')}.c2lnbmF0dXJl`;
const node = (name: string, ns: string) => ({
  id: `sidecar~10.0.0.9~${name}.${ns}~${ns}.svc.cluster.local`,
  cluster: 'Kubernetes',
  metadata: { NAMESPACE: ns, SERVICE_ACCOUNT: 'reviews' },
  userAgentName: 'envoy',
  clientFeatures: [],
  locality: null,
});

describe('tspilot serve --kubeconfig: TLS xDS authenticated by TokenReview', function () {
  this.timeout(90_000);
  let api: FakeApiServer;
  let kc: Awaited<ReturnType<typeof kubeconfigFile>>;
  let pilot: KubeTspilot;
  let dir: string;
  let root: TestRoot;
  let port = 0;
  const open: RawAds[] = [];
  const dial = (t: string): RawAds => {
    const c = rawAds(`127.0.0.1:${port}`, undefined, {
      credentials: grpc.credentials.createSsl(Buffer.from(root.certPem)),
      channelOptions: { 'grpc.ssl_target_name_override': ISTIOD_SAN },
      metadata: { authorization: `Bearer ${t}`, clusterid: 'Kubernetes' },
    });
    open.push(c);
    return c;
  };

  before(async () => {
    api = await startFakeApiServer();
    kc = await kubeconfigFile(api);
    dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-kube-tls-'));
    root = await testRoot();
    const leaf = await testLeaf(root, { dns: [ISTIOD_SAN] });
    await writeFile(path.join(dir, 'tls.crt'), leaf.certPem);
    await writeFile(path.join(dir, 'tls.key'), leaf.keyPem);
    await writeFile(path.join(dir, 'ca.crt'), root.certPem);
    pilot = await startKubeTspilot(kc.file, [
      '--xds-tls-port',
      '0',
      '--tls-cert',
      path.join(dir, 'tls.crt'),
      '--tls-key',
      path.join(dir, 'tls.key'),
      '--tls-ca',
      path.join(dir, 'ca.crt'),
    ]);
    port = (await pilot.waitForLog((l) => l.msg === 'listening', 30_000, 0))['xdsTls'] as number;
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await pilot?.close();
    await api?.close();
    await kc?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('a token the API server accepts: config, and the review asked for audience istio-ca (the only one the token carries)', async () => {
    const t = token('reviews');
    api.tokenReviews.register(t, { namespace: 'bookinfo', serviceAccount: 'reviews', audiences: ['istio-ca'] });
    const c = dial(t);
    c.send({ typeUrl: CDS, node: node('reviews-v1-abc', 'bookinfo') });
    assert.equal((await c.next(10_000)).type_url, CDS);
    assert.ok(api.requests.some((r) => r.resource === 'tokenreviews' && r.status === 201));
    const syncz = await pilot.getJson<{ proxy: string; identity: { spiffe: string[]; method: string } | null }[]>('/debug/syncz');
    const id = syncz.body.find((s) => s.proxy.includes('reviews-v1-abc'))?.identity;
    assert.deepEqual([id?.spiffe, id?.method], [['spiffe://cluster.local/ns/bookinfo/sa/reviews'], 'k8s-token']);
  });

  it('a token the API server does not know: UNAUTHENTICATED with its error', async () => {
    const c = dial(token('stranger'));
    c.send({ typeUrl: CDS, node: node('reviews-v2-x', 'bookinfo') });
    const st = await c.status;
    assert.equal(st.code, grpc.status.UNAUTHENTICATED);
    assert.match(st.details, /invalid bearer token/);
  });
});
