/**
 * Gateway secrets over the TLS xDS port, end to end with the repo's grpc-js ADS client and real TLS:
 * a gateway authenticated by a JWT of its own namespace receives its credentialName Secret; a
 * gateway of another namespace asking for it by namespace gets nothing, and the same request on
 * the plaintext port gets nothing either.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { messageType } from '../../proto/registry.js';
import { LDS, SDS } from '../../proto/typeurls.js';
import type { WireNode } from '../../proto/wire.js';
import { SnapshotCache } from '../../server/cache/snapshot.js';
import { AdsEngine } from '../../server/xds/ads.js';
import { startXdsServer, type XdsGrpcServer } from '../../server/xds/grpc.js';
import { startXdsTlsServer, type XdsTlsServer } from '../../server/xds/grpc-tls.js';
import { ChainAuthenticator } from '../../server/security/authn.js';
import { JwtKeysAuthenticator } from '../../server/security/jwt-keys.js';
import { meshOf } from '../../server/xds/conformance/harness.js';
import { pem, sdsYaml } from '../../server/xds/conformance/secrets.js';
import { rawAds, type RawAds } from '../adsclient.js';
import { ISTIOD_SAN, TestMeshCA, testRoot, type TestRoot } from './testca.js';

const gateway = (name: string, ns: string): WireNode => ({
  id: `router~10.0.0.9~${name}.${ns}~${ns}.svc.cluster.local`,
  cluster: 'Kubernetes',
  metadata: { NAMESPACE: ns, SERVICE_ACCOUNT: 'istio-ingressgateway', LABELS: { istio: 'ingressgateway' } },
  userAgentName: 'envoy',
  clientFeatures: [],
  locality: null,
});

function privateKeyOf(r: { resources: { value: Uint8Array }[] }): string {
  const sec = messageType('envoy.extensions.transport_sockets.tls.v3.Secret');
  const s = sec.toObject(sec.decode(r.resources[0]!.value)) as { tls_certificate?: { private_key?: { inline_bytes?: Uint8Array } } };
  return Buffer.from(s.tls_certificate?.private_key?.inline_bytes ?? []).toString('utf8');
}

describe('gateway secrets over the TLS xDS port', function () {
  this.timeout(60_000);
  let root: TestRoot, tls: XdsTlsServer, plain: XdsGrpcServer, dir: string;
  let sign: (sub: string) => Promise<string>;
  const open: RawAds[] = [];
  const dial = (token: string): RawAds => {
    const c = rawAds(`127.0.0.1:${tls.port}`, undefined, {
      credentials: grpc.credentials.createSsl(Buffer.from(root.certPem)),
      channelOptions: { 'grpc.ssl_target_name_override': ISTIOD_SAN, 'grpc.default_authority': ISTIOD_SAN },
      metadata: { authorization: `Bearer ${token}`, clusterid: 'Kubernetes' },
    });
    open.push(c);
    return c;
  };

  before(async () => {
    root = await testRoot();
    const engine = new AdsEngine(new SnapshotCache(meshOf(sdsYaml())));
    dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-sds-'));
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await writeFile(
      path.join(dir, 'jwks.json'),
      JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }),
    );
    sign = (sub) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ sub })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('test-issuer')
        .setAudience('istio-ca')
        .setIssuedAt(now - 60)
        .setExpirationTime(now + 3600)
        .sign(privateKey);
    };
    const jwt = new JwtKeysAuthenticator({ file: path.join(dir, 'jwks.json'), trustDomain: () => 'cluster.local', issuer: 'test-issuer' });
    tls = await startXdsTlsServer(engine, '127.0.0.1', 0, {
      ca: await TestMeshCA.create(root),
      authenticator: new ChainAuthenticator([jwt]),
    });
    plain = await startXdsServer(engine, '127.0.0.1', 0);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await Promise.all([tls?.close(), plain?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a gateway with a JWT of its namespace gets kubernetes://gw-cert with the key', async () => {
    const c = dial(await sign('system:serviceaccount:istio-system:istio-ingressgateway'));
    c.send({ node: gateway('gw-1', 'istio-system'), typeUrl: SDS, resourceNames: ['kubernetes://gw-cert'] });
    const r = await c.next();
    assert.equal(r.type_url, SDS);
    assert.equal(privateKeyOf(r), pem('gw-a.key'));
  });

  it('a gateway of another namespace, or any gateway on the plaintext port, gets nothing; their streams go on', async () => {
    const other = dial(await sign('system:serviceaccount:team:istio-ingressgateway'));
    other.send({ node: gateway('gw-2', 'team'), typeUrl: SDS, resourceNames: ['kubernetes://istio-system/gw-cert'] });
    const p = rawAds(`127.0.0.1:${plain.port}`);
    open.push(p);
    p.send({ node: gateway('gw-3', 'istio-system'), typeUrl: SDS, resourceNames: ['kubernetes://gw-cert'] });
    for (const c of [other, p]) {
      c.send({ typeUrl: LDS, resourceNames: [] });
      assert.equal((await c.next()).type_url, LDS, 'the first response is LDS: no secret was sent');
      assert.ok(!c.responses.some((r) => r.type_url === SDS));
    }
  });
});
