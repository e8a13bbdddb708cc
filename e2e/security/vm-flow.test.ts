/**
 * The VM flow on tspilot's own CA: `serve` with the TLS port and no serving files runs the CA,
 * whose certificate the port presents and whose CreateCertificate it serves. A workload with only
 * the root and a token asks for a certificate (its CSR claims another identity; it gets its own),
 * then uses that certificate — no token — as its client certificate for xDS.
 */
import { inProcessServe } from '../tspilot.js';
import 'reflect-metadata';
import { strict as assert } from 'node:assert';
import { X509Certificate, webcrypto } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { CDS } from '../../proto/typeurls.js';
import { serve, type RunningServer } from '../../server/serve.js';
import { CREATE_CERTIFICATE, caTypes } from '../../server/ca/service.js';
import { fixtureYaml } from '../../server/xds/conformance/fixture.js';
import { rawAds } from '../adsclient.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

describe('VM flow: token → CreateCertificate on the TLS port → that certificate for xDS → renewal with it', function () {
  this.timeout(60_000);
  let dir: string;
  let s: RunningServer;
  let token: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-vm-'));
    await mkdir(path.join(dir, 'config'));
    await writeFile(path.join(dir, 'config', 'mesh.yaml'), fixtureYaml());
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    await writeFile(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] }));
    token = await new SignJWT({ sub: 'system:serviceaccount:vm-ns:vm-sa' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setAudience('istio-ca')
      .setExpirationTime('1h')
      .sign(privateKey);
    s = await serve({
      ...inProcessServe(path.join(dir, 'config')),
      xdsTlsPort: 0,
      jwtKeys: path.join(dir, 'jwks.json'),
      ca: {
        cacertsDir: path.join(dir, 'no-cacerts'),
        caStateDir: path.join(dir, 'ca-state'),
        tlsDnsNames: ['tspilot'],
        workloadCertTtl: 3600,
        maxWorkloadCertTtl: 7200,
      },
    });
  });
  after(async () => {
    await s?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('issues the caller identity, and the issued certificate alone authenticates xDS', async () => {
    const root = Buffer.from(s.ca!.roots().join('\n'));
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: ALG,
      name: 'O=vm',
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: 'spiffe://cluster.local/ns/istio-system/sa/istiod' }])],
    });
    const { req, res } = caTypes();
    const client = new grpc.Client(`127.0.0.1:${s.xdsTlsPort}`, grpc.credentials.createSsl(root), {
      'grpc.ssl_target_name_override': 'istiod.istio-system.svc',
    });
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const body = Buffer.from(req.encode(req.fromObject({ csr: csr.toString('pem'), validity_duration: 600 })).finish());
    const out = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        CREATE_CERTIFICATE,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        md,
        (e, r) => (e ? reject(e) : resolve(r!)),
      ),
    );
    client.close();
    const chain = (res.toObject(res.decode(out)) as { cert_chain: string[] }).cert_chain;
    const leaf = new X509Certificate(chain[0]!);
    assert.match(leaf.subjectAltName ?? '', /URI:spiffe:\/\/cluster\.local\/ns\/vm-ns\/sa\/vm-sa/);
    assert.doesNotMatch(leaf.subjectAltName ?? '', /istiod/);
    const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
    const c = rawAds(`127.0.0.1:${s.xdsTlsPort}`, undefined, {
      credentials: grpc.credentials.createSsl(root, Buffer.from(keyPem), Buffer.from(chain.slice(0, -1).join(''))),
      channelOptions: { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' },
    });
    try {
      c.send({
        typeUrl: CDS,
        node: {
          id: 'sidecar~10.0.0.50~vm-1.vm-ns~vm-ns.svc.cluster.local',
          cluster: 'vm',
          metadata: { NAMESPACE: 'vm-ns', SERVICE_ACCOUNT: 'vm-sa' },
          userAgentName: 'envoy',
          clientFeatures: [],
          locality: null,
        },
      });
      assert.equal((await c.next()).type_url, CDS);
      assert.equal(s.engine.streams().find((x) => x.proxy.id.includes('vm-1.vm-ns'))?.identity?.method, 'client-cert');
    } finally {
      c.close();
    }

    // Rotation before expiry, as pilot-agent does it: a new key and CSR, authenticated by the current
    // certificate alone (the token may be gone), then the new certificate for the next xDS connection.
    const keys2 = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const csr2 = await x509.Pkcs10CertificateRequestGenerator.create({ keys: keys2, signingAlgorithm: ALG, name: 'O=vm' });
    const certCreds = grpc.credentials.createSsl(root, Buffer.from(keyPem), Buffer.from(chain.slice(0, -1).join('')));
    const renew = new grpc.Client(`127.0.0.1:${s.xdsTlsPort}`, certCreds, { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' });
    const body2 = Buffer.from(req.encode(req.fromObject({ csr: csr2.toString('pem'), validity_duration: 600 })).finish());
    const out2 = await new Promise<Buffer>((resolve, reject) =>
      renew.makeUnaryRequest(
        CREATE_CERTIFICATE,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body2,
        new grpc.Metadata(),
        (e, r) => (e ? reject(e) : resolve(r!)),
      ),
    );
    renew.close();
    const chain2 = (res.toObject(res.decode(out2)) as { cert_chain: string[] }).cert_chain;
    const leaf2 = new X509Certificate(chain2[0]!);
    assert.match(
      leaf2.subjectAltName ?? '',
      /URI:spiffe:\/\/cluster\.local\/ns\/vm-ns\/sa\/vm-sa/,
      'the renewed certificate keeps the identity',
    );
    assert.notEqual(leaf2.serialNumber, leaf.serialNumber);
    assert.ok(
      leaf2.publicKey
        .export({ format: 'der', type: 'spki' })
        .equals(Buffer.from(await webcrypto.subtle.exportKey('spki', keys2.publicKey))),
      'issued for the new key',
    );
    const keyPem2 = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys2.privateKey), 'PRIVATE KEY');
    const c2 = rawAds(`127.0.0.1:${s.xdsTlsPort}`, undefined, {
      credentials: grpc.credentials.createSsl(root, Buffer.from(keyPem2), Buffer.from(chain2.slice(0, -1).join(''))),
      channelOptions: { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' },
    });
    try {
      c2.send({
        typeUrl: CDS,
        node: {
          id: 'sidecar~10.0.0.50~vm-1.vm-ns~vm-ns.svc.cluster.local',
          cluster: 'vm',
          metadata: { NAMESPACE: 'vm-ns', SERVICE_ACCOUNT: 'vm-sa' },
          userAgentName: 'envoy',
          clientFeatures: [],
          locality: null,
        },
      });
      assert.equal((await c2.next()).type_url, CDS, 'config over the renewed certificate');
    } finally {
      c2.close();
    }
  });
});
