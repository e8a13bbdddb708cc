/**
 * CreateCertificate (server/ca/service.ts) over a real grpc-js server and client in-process. The
 * TLS port 15012 and the real authenticators are another part of the server; here the server is
 * plaintext on 127.0.0.1 and a fake Authenticator maps `authorization: Bearer <name>` to
 * spiffe://cluster.local/ns/<ns>/sa/<name> — the CA's own behaviour (identity from the caller,
 * CSR checks, TTL limits, status codes, metrics) is what is tested, with real crypto.
 */
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import type { Authenticator } from '../security/identity.js';
import { CaMetrics } from './metrics.js';
import { CA_SERVICE_DEFINITION, CREATE_CERTIFICATE, caService, caTypes, clampTtl } from './service.js';
import { startMeshCA, type RunningMeshCA } from './start.js';
import { assertChain, makeCsr, memoryLog, opensslCsr, rmDir, tempDir } from './testkit.js';

const fakeAuth: Authenticator = {
  authenticate: async (c) => {
    const m = /^Bearer (\w+)$/.exec(c.authorization ?? '');
    if (!m) return { ok: false, code: 'UNAUTHENTICATED', message: 'no credentials' };
    if (m[1] === 'denied') return { ok: false, code: 'PERMISSION_DENIED', message: 'token for another audience' };
    return { ok: true, identity: { spiffe: [`spiffe://cluster.local/ns/${c.clusterId ?? 'default'}/sa/${m[1]}`], method: 'jwt' } };
  },
};

interface Answer {
  err: grpc.ServiceError | null;
  chain: string[];
  root: string;
}

describe('CA service: istio.v1.auth.IstioCertificateService/CreateCertificate', function () {
  this.timeout(30_000);
  let dir: string;
  let ca: RunningMeshCA;
  let server: grpc.Server;
  let client: grpc.Client;
  let metrics: CaMetrics;
  let registry: Registry;
  const { req, res } = caTypes();

  const call = (fields: { csr?: string; validity_duration?: number }, token?: string, clusterId?: string): Promise<Answer> =>
    new Promise((resolve) => {
      const md = new grpc.Metadata();
      if (token) md.set('authorization', `Bearer ${token}`);
      if (clusterId) md.set('ClusterID', clusterId);
      client.makeUnaryRequest(
        CREATE_CERTIFICATE,
        (o: object) => Buffer.from(req.encode(req.fromObject(o)).finish()),
        (b: Buffer) => b,
        fields,
        md,
        (err, out) => {
          const o = out ? (res.toObject(res.decode(out)) as { cert_chain?: string[]; root_cert?: string }) : {};
          resolve({ err, chain: o.cert_chain ?? [], root: o.root_cert ?? '' });
        },
      );
    });

  before(async () => {
    dir = tempDir();
    ca = await startMeshCA({ namespace: 'istio-system', cacertsDir: `${dir}/none`, stateDir: `${dir}/state`, log: memoryLog() });
    registry = new Registry();
    metrics = new CaMetrics(registry);
    server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
    server.addService(CA_SERVICE_DEFINITION, caService(ca, fakeAuth, { maxTtlSeconds: 7 * 24 * 3600, metrics, log: memoryLog() }));
    const port = await new Promise<number>((ok, ko) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? ko(e) : ok(p))),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 4 * 1024 * 1024 });
  });
  after(async () => {
    client.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
    ca.close();
    rmDir(dir);
  });

  it('no credentials → UNAUTHENTICATED; credentials refused → PERMISSION_DENIED; nothing is signed', async () => {
    const csr = await makeCsr();
    const none = await call({ csr });
    assert.equal(none.err?.code, grpc.status.UNAUTHENTICATED);
    assert.match(none.err!.details, /no credentials/);
    const denied = await call({ csr }, 'denied');
    assert.equal(denied.err?.code, grpc.status.PERMISSION_DENIED);
    assert.equal(none.chain.length + denied.chain.length, 0);
  });

  it("a CSR asking for another identity gets the caller's; chain leaf → root (≥ 2 entries), root_cert the mesh root", async () => {
    const a = await call(
      { csr: await makeCsr('rsa2048', 'spiffe://cluster.local/ns/istio-system/sa/istiod'), validity_duration: 3600 },
      'reviews',
      'bookinfo',
    );
    assert.equal(a.err, null);
    assert.ok(a.chain.length >= 2);
    const [leaf] = assertChain(a.chain);
    assert.equal(leaf!.subjectAltName, 'URI:spiffe://cluster.local/ns/bookinfo/sa/reviews');
    assert.equal(a.root, ca.roots().join(''));
    assert.equal(a.chain[a.chain.length - 1], ca.roots()[0]);
  });

  it('bad CSRs → INVALID_ARGUMENT with the reason: garbage, RSA-1024, a 1 MB CSR, a tampered signature', async () => {
    const good = await makeCsr();
    const der = Buffer.from(good.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    der[der.length - 1] ^= 0x01;
    const cases: [string, string, RegExp][] = [
      ['garbage', 'not a csr', /bad CSR: .*not PEM/],
      ['rsa1024', opensslCsr(['-newkey', 'rsa:1024']), /bad CSR: .*1024 bits/],
      ['1 MB', good + ' '.repeat(1024 * 1024), /bad CSR: .*over the 65536-byte limit/],
      [
        'tampered',
        `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`,
        /bad CSR: .*signature does not verify/,
      ],
    ];
    for (const [name, csr, reason] of cases) {
      const r = await call({ csr }, 'reviews');
      assert.equal(r.err?.code, grpc.status.INVALID_ARGUMENT, name);
      assert.match(r.err!.details, reason, name);
    }
    // Bytes that are not an IstioCertificateRequest at all.
    const garbage = await new Promise<grpc.ServiceError | null>((resolve) => {
      const md = new grpc.Metadata();
      md.set('authorization', 'Bearer reviews');
      client.makeUnaryRequest(
        CREATE_CERTIFICATE,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        md,
        (err) => resolve(err),
      );
    });
    assert.equal(garbage?.code, grpc.status.INVALID_ARGUMENT);
  });

  it('the requested validity is used within limits: 0 → 24 h default, over the max → the max (flag), tiny → as asked', async () => {
    const life = async (validity_duration: number): Promise<number> => {
      const r = await call({ csr: await makeCsr(), validity_duration }, 'ratings');
      assert.equal(r.err, null);
      const leaf = new X509Certificate(r.chain[0]!);
      return Math.round((Date.parse(leaf.validTo) - Date.now()) / 1000);
    };
    const near = (got: number, want: number): void => assert.ok(Math.abs(got - want) <= 5, `${got} ≈ ${want}`);
    near(await life(0), 24 * 3600);
    near(await life(365 * 24 * 3600), 7 * 24 * 3600);
    near(await life(120), 120);
    assert.equal(clampTtl(-5, 86400, 100), 100, 'the default never exceeds the max');
    assert.equal(clampTtl(1e12, 86400, 90 * 86400), 90 * 86400);
  });

  it("counts CSRs, issuances and failures under istiod's metric names", async () => {
    const text = await registry.metrics();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    assert.ok(value('citadel_server_csr_count') >= 11);
    assert.ok(value('citadel_server_success_cert_issuance_count') >= 4);
    assert.equal(value('citadel_server_authentication_failure_count'), 2);
    assert.equal(value('citadel_server_csr_parsing_err_count'), 5);
    assert.equal(value('citadel_server_csr_count'), value('citadel_server_success_cert_issuance_count') + 2 + 5);
  });
});
