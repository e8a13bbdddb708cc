/**
 * xDS over TLS (the 15012 port), end to end with the repo's own grpc-js ADS client and real TLS
 * (the server's DNS SAN checked): a proxy authenticated by a JWT (folder mode, JWKS), by a
 * Kubernetes token (TokenReview answered by the API server stand-in) or by a client certificate
 * gets its config; every refusal is its own case with the status a real pilot-agent would see.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { CDS, EDS } from '../../proto/typeurls.js';
import { encodeDeltaRequest, encodeSotwRequest, type WireNode } from '../../proto/wire.js';
import { SnapshotCache } from '../../server/cache/snapshot.js';
import { startXdsTlsServer, type XdsTlsServer } from '../../server/xds/grpc-tls.js';
import { ChainAuthenticator } from '../../server/security/authn.js';
import { JwtKeysAuthenticator } from '../../server/security/jwt-keys.js';
import { TokenReviewAuthenticator } from '../../server/security/tokenreview.js';
import { kubeTokenReview } from '../../server/security/kube-review.js';
import { fixtureYaml } from '../../server/xds/conformance/fixture.js';
import { meshOf, PushingEngine } from '../../server/xds/conformance/harness.js';
import { rawAds, type RawAds } from '../adsclient.js';
import { startFakeApiServer, type FakeApiServer } from '../kube/apiserver.js';
import { kubeConfigFor } from '../kube/testkit.js';
import { ISTIOD_SAN, TestMeshCA, testLeaf, testRoot, type Issued, type TestRoot } from './testca.js';

const TD = () => 'cluster.local';
const node = (name: string, ns: string, sa?: string): WireNode => ({
  id: `sidecar~10.0.0.9~${name}.${ns}~${ns}.svc.cluster.local`,
  cluster: 'Kubernetes',
  metadata: { NAMESPACE: ns, ...(sa ? { SERVICE_ACCOUNT: sa } : {}) },
  userAgentName: 'envoy',
  clientFeatures: [],
  locality: null,
});
const PATHS_SOTW = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const DELTA = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

describe('secure xDS (TLS port)', function () {
  this.timeout(120_000);
  let root: TestRoot;
  let ca: TestMeshCA;
  let engine: PushingEngine;
  let jwtServer: XdsTlsServer;
  let kubeServer: XdsTlsServer;
  let api: FakeApiServer;
  let review: TokenReviewAuthenticator;
  let dir: string;
  let sign: (claims: Record<string, unknown>, o?: { aud?: string; expSeconds?: number }) => Promise<string>;
  const open: RawAds[] = [];

  const creds = (o: { root?: string; client?: Issued } = {}): grpc.ChannelCredentials =>
    grpc.credentials.createSsl(
      Buffer.from(o.root ?? root.certPem),
      o.client ? Buffer.from(o.client.keyPem) : null,
      o.client ? Buffer.from(o.client.certPem) : null,
    );
  const dial = (server: XdsTlsServer, o: { token?: string; client?: Issued; root?: string; san?: string; path?: string } = {}): RawAds => {
    const c = rawAds(`127.0.0.1:${server.port}`, o.path, {
      credentials: creds(o),
      channelOptions: { 'grpc.ssl_target_name_override': o.san ?? ISTIOD_SAN, 'grpc.default_authority': o.san ?? ISTIOD_SAN },
      metadata: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), clusterid: 'Kubernetes' },
    });
    open.push(c);
    return c;
  };
  const cds = (c: RawAds, n: WireNode): void => c.send({ typeUrl: CDS, node: n });

  before(async () => {
    root = await testRoot();
    ca = await TestMeshCA.create(root);
    engine = new PushingEngine(new SnapshotCache(meshOf(fixtureYaml())));
    dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-secure-'));
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    await writeFile(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    sign = (claims, o = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('test-issuer')
        .setAudience(o.aud ?? 'istio-ca')
        .setIssuedAt(now - 60)
        .setExpirationTime(now + (o.expSeconds ?? 3600))
        .sign(privateKey);
    };
    const jwt = new JwtKeysAuthenticator({ file: path.join(dir, 'jwks.json'), trustDomain: TD, issuer: 'test-issuer' });
    jwtServer = await startXdsTlsServer(engine, '127.0.0.1', 0, {
      ca,
      authenticator: new ChainAuthenticator([jwt]),
      handshakeTimeoutMs: 500,
    });
    api = await startFakeApiServer();
    review = new TokenReviewAuthenticator({ review: kubeTokenReview(kubeConfigFor(api)), trustDomain: TD, cacheSize: 500 });
    kubeServer = await startXdsTlsServer(engine, '127.0.0.1', 0, { ca, authenticator: new ChainAuthenticator([review]) });
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await Promise.all([jwtServer?.close(), kubeServer?.close(), api?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a proxy with a JWT for its namespace and service account gets its config, and the stream carries its identity', async () => {
    const c = dial(jwtServer, { token: await sign({ sub: 'system:serviceaccount:default:sleep' }) });
    cds(c, node('sleep-1', 'default', 'sleep'));
    const r = await c.next();
    assert.equal(r.type_url, CDS);
    assert.ok(r.resources.length > 0);
    const s = engine.streams().find((x) => x.proxy.id.includes('sleep-1.default'));
    assert.deepEqual(s?.identity, {
      spiffe: ['spiffe://cluster.local/ns/default/sa/sleep'],
      method: 'jwt',
      expiresAt: s?.identity?.expiresAt,
    });
  });

  it('serves Delta ADS on the TLS port too, with the kubernetes.io claims projected tokens carry', async () => {
    const token = await sign({ sub: 'whatever', 'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'sleep' } } });
    const client = new grpc.Client(`127.0.0.1:${jwtServer.port}`, creds(), { 'grpc.ssl_target_name_override': ISTIOD_SAN });
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const call = client.makeBidiStreamRequest(
      DELTA,
      (b: Buffer) => b,
      (b: Buffer) => b,
      md,
    );
    call.on('error', () => undefined);
    const got = new Promise<Buffer>((resolve) => call.once('data', resolve));
    call.write(Buffer.from(encodeDeltaRequest({ typeUrl: CDS, node: node('delta-1', 'default'), resourceNamesSubscribe: ['*'] })));
    assert.ok((await got).length > 0);
    call.cancel();
    client.close();
  });

  it('a client certificate from the mesh root with the workload SPIFFE ID authenticates without a token', async () => {
    const client = await testLeaf(root, { uris: ['spiffe://cluster.local/ns/default/sa/vm-app'] });
    const c = dial(jwtServer, { client });
    cds(c, node('vm-1', 'default', 'vm-app'));
    assert.equal((await c.next()).type_url, CDS);
    assert.equal(engine.streams().find((x) => x.proxy.id.includes('vm-1.default'))?.identity?.method, 'client-cert');
  });

  it('no credentials at all: UNAUTHENTICATED', async () => {
    const c = dial(jwtServer);
    cds(c, node('anon', 'default'));
    const st = await c.status;
    assert.equal(st.code, grpc.status.UNAUTHENTICATED);
    assert.match(st.details, /no credentials/);
  });

  it('a token for another audience: UNAUTHENTICATED naming the audience', async () => {
    const c = dial(jwtServer, {
      token: await sign({ sub: 'system:serviceaccount:default:sleep' }, { aud: 'https://kubernetes.default.svc' }),
    });
    cds(c, node('aud', 'default'));
    const st = await c.status;
    assert.equal(st.code, grpc.status.UNAUTHENTICATED);
    assert.match(st.details, /aud.*istio-ca/);
  });

  it('an expired token: UNAUTHENTICATED saying so', async () => {
    const c = dial(jwtServer, { token: await sign({ sub: 'system:serviceaccount:default:sleep' }, { expSeconds: -120 }) });
    cds(c, node('exp', 'default'));
    const st = await c.status;
    assert.equal(st.code, grpc.status.UNAUTHENTICATED);
    assert.match(st.details, /expired/);
  });

  it('an identity from another namespace: PERMISSION_DENIED naming both, and nothing of the namespace is sent', async () => {
    const c = dial(jwtServer, { token: await sign({ sub: 'system:serviceaccount:attacker:default' }) });
    cds(c, node('vault-0', 'secret'));
    const st = await c.status;
    assert.equal(st.code, grpc.status.PERMISSION_DENIED);
    assert.match(st.details, /spiffe:\/\/cluster\.local\/ns\/attacker\/sa\/default/);
    assert.match(st.details, /namespace "secret"/);
    assert.equal(c.responses.length, 0);
    assert.ok(jwtServer.refusals().some((r) => r.code === 'PERMISSION_DENIED' && r.proxy.includes('vault-0.secret')));
  });

  it('the right namespace but another service account than the node claims: PERMISSION_DENIED', async () => {
    const c = dial(jwtServer, { token: await sign({ sub: 'system:serviceaccount:default:sleep' }) });
    cds(c, node('db-0', 'default', 'database'));
    const st = await c.status;
    assert.equal(st.code, grpc.status.PERMISSION_DENIED);
    assert.match(st.details, /service account "database"/);
  });

  it('an expired client certificate: UNAUTHENTICATED with the verification error', async () => {
    const client = await testLeaf(root, {
      uris: ['spiffe://cluster.local/ns/default/sa/vm-app'],
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const c = dial(jwtServer, { client });
    cds(c, node('vm-old', 'default'));
    const st = await c.status;
    assert.equal(st.code, grpc.status.UNAUTHENTICATED);
    assert.match(st.details, /CERT_HAS_EXPIRED|expired/);
  });

  it('a client certificate from a foreign root: UNAUTHENTICATED, even with the right SPIFFE ID', async () => {
    const other = await testRoot('somebody else');
    const client = await testLeaf(other, { uris: ['spiffe://cluster.local/ns/default/sa/vm-app'] });
    const c = dial(jwtServer, { client });
    cds(c, node('vm-forged', 'default', 'vm-app'));
    const st = await c.status;
    assert.equal(st.code, grpc.status.UNAUTHENTICATED);
    assert.match(st.details, /not verified against the mesh roots/);
  });

  it('the client checks the server DNS SAN: a name the certificate does not carry fails the handshake', async () => {
    const c = dial(jwtServer, { token: await sign({ sub: 'system:serviceaccount:default:sleep' }), san: 'evil.example.com' });
    cds(c, node('sleep-x', 'default'));
    const st = await c.status;
    assert.equal(st.code, grpc.status.UNAVAILABLE);
  });

  describe('Kubernetes mode (TokenReview)', () => {
    const k8sToken = (tag: string): string =>
      `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 3600, tag })).toString('base64url')}.c2ln`;

    it('a projected token the API server accepts authenticates; a second stream with it is served from the cache', async () => {
      const t = k8sToken('productpage');
      api.tokenReviews.register(t, { namespace: 'default', serviceAccount: 'bookinfo-productpage', audiences: ['istio-ca'] });
      const before = api.tokenReviews.count;
      for (const n of ['pp-1', 'pp-2']) {
        const c = dial(kubeServer, { token: t });
        cds(c, node(n, 'default', 'bookinfo-productpage'));
        assert.equal((await c.next()).type_url, CDS);
      }
      assert.equal(api.tokenReviews.count - before, 1);
      assert.deepEqual(engine.streams().find((x) => x.proxy.id.includes('pp-2.default'))?.identity?.spiffe, [
        'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
      ]);
    });

    it('a token the API server refuses for the istio-ca audience: UNAUTHENTICATED with its error', async () => {
      const t = k8sToken('other-aud');
      api.tokenReviews.register(t, { namespace: 'default', serviceAccount: 'x' });
      const c = dial(kubeServer, { token: t });
      cds(c, node('aud-k8s', 'default'));
      const st = await c.status;
      assert.equal(st.code, grpc.status.UNAUTHENTICATED);
      assert.match(st.details, /token audiences .* is invalid for the target audiences \["istio-ca"\]/);
    });

    it('10,000 different bogus tokens: refused, the cache stays within its size, and an authenticated proxy keeps getting config', async () => {
      const good = k8sToken('good');
      api.tokenReviews.register(good, { namespace: 'default', serviceAccount: 'sleep', audiences: ['istio-ca'] });
      const p = dial(kubeServer, { token: good });
      p.send({ typeUrl: EDS, node: node('steady', 'default'), resourceNames: ['outbound|80||a.default.svc.cluster.local'] });
      const first = await p.next();
      // One TLS connection, 10,000 streams (HTTP/2 multiplexes them), 100 at a time.
      const client = new grpc.Client(`127.0.0.1:${kubeServer.port}`, creds(), { 'grpc.ssl_target_name_override': ISTIOD_SAN });
      const attempt = (token: string, i: number): Promise<grpc.StatusObject> =>
        new Promise((resolve) => {
          const md = new grpc.Metadata();
          md.set('authorization', `Bearer ${token}`);
          const call = client.makeBidiStreamRequest(
            PATHS_SOTW,
            (b: Buffer) => b,
            (b: Buffer) => b,
            md,
          );
          call.on('error', () => undefined);
          call.on('data', () => undefined);
          call.on('status', resolve);
          call.write(Buffer.from(encodeSotwRequest({ typeUrl: CDS, node: node(`bogus-${i}`, 'default') })));
        });
      let refused = 0;
      try {
        for (let batch = 0; batch < 100; batch++) {
          const sts = await Promise.all(Array.from({ length: 100 }, (_, i) => attempt(k8sToken(`bogus-${batch}-${i}`), i)));
          refused += sts.filter((x) => x.code === grpc.status.UNAUTHENTICATED).length;
          assert.ok(review.cacheEntries <= 500, `cache has ${review.cacheEntries} entries`);
        }
      } finally {
        client.close();
      }
      assert.equal(refused, 10_000);
      assert.ok(review.cacheEntries <= 500);
      engine.push(meshOf(fixtureYaml({ aEndpoint: 77 })));
      const next = await p.next();
      assert.equal(next.type_url, EDS);
      assert.notEqual(next.version_info, first.version_info);
    });
  });

  describe('bad input on the TLS port', () => {
    const raw = (port: number, bytes: Buffer): Promise<'closed'> =>
      new Promise((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
        s.on('error', () => undefined);
        s.resume(); // read what the server sends (a TLS alert, then EOF): a paused socket never sees the close
        s.on('close', () => resolve('closed'));
        setTimeout(() => {
          s.destroy();
          reject(new Error('the server kept a garbage connection open'));
        }, 5000);
      });

    it('garbage bytes, a malformed ClientHello and a stalled handshake each lose only their connection; open streams keep flowing', async () => {
      const c = dial(jwtServer, { token: await sign({ sub: 'system:serviceaccount:default:sleep' }) });
      c.send({ typeUrl: EDS, node: node('survivor', 'default'), resourceNames: ['outbound|80||a.default.svc.cluster.local'] });
      const first = await c.next();
      assert.equal(await raw(jwtServer.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), 'closed');
      assert.equal(
        await raw(jwtServer.port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x30, 0x01, 0x00, 0x00, 0x2c, ...Array(44).fill(0xff)])),
        'closed',
      );
      assert.equal(await raw(jwtServer.port, Buffer.from([0x16, 0x03, 0x01])), 'closed'); // then silence: the 500 ms handshake timeout
      assert.equal(await raw(jwtServer.port, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))), 'closed');
      engine.push(meshOf(fixtureYaml({ aEndpoint: 91 })));
      const next = await c.next();
      assert.notEqual(next.version_info, first.version_info);
      const d = dial(jwtServer, { token: await sign({ sub: 'system:serviceaccount:default:sleep' }) });
      cds(d, node('after-garbage', 'default'));
      assert.equal((await d.next()).type_url, CDS);
    });
  });

  it('rotation: new handshakes use the new root and serving certificate, an open stream keeps receiving pushes', async () => {
    const own = await TestMeshCA.create(root);
    const jwt = new JwtKeysAuthenticator({ file: path.join(dir, 'jwks.json'), trustDomain: TD, issuer: 'test-issuer' });
    const server = await startXdsTlsServer(engine, '127.0.0.1', 0, { ca: own, authenticator: new ChainAuthenticator([jwt]) });
    try {
      const c = dial(server, { token: await sign({ sub: 'system:serviceaccount:default:sleep' }) });
      c.send({ typeUrl: EDS, node: node('long-lived', 'default'), resourceNames: ['outbound|80||a.default.svc.cluster.local'] });
      const first = await c.next();
      const newRoot = await testRoot('rotated root');
      const leaf = await testLeaf(newRoot, { dns: [ISTIOD_SAN] });
      own.rotate([newRoot.certPem], { keyPem: leaf.keyPem, certChainPem: leaf.certPem });
      const fresh = dial(server, { token: await sign({ sub: 'system:serviceaccount:default:sleep' }), root: newRoot.certPem });
      cds(fresh, node('fresh', 'default'));
      assert.equal((await fresh.next()).type_url, CDS);
      const stale = dial(server, { token: await sign({ sub: 'system:serviceaccount:default:sleep' }), root: root.certPem });
      cds(stale, node('stale', 'default'));
      assert.equal((await stale.status).code, grpc.status.UNAVAILABLE);
      engine.push(meshOf(fixtureYaml({ aEndpoint: 55 })));
      assert.notEqual((await c.next()).version_info, first.version_info);
    } finally {
      for (const c of open.splice(0)) c.close();
      await server.close();
    }
  });
});
