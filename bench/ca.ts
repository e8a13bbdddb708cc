/**
 * @module bench/ca
 * `node dist/bench/ca.js --csrs 2000`: how fast the CA signs workload CSRs (pods restarting) —
 * CreateCertificate over grpc-js on 127.0.0.1 (plaintext: the TLS port and the real
 * authenticators are measured with the xDS-over-TLS bench; here a bearer token maps straight to an
 * identity, so the number is the CA's own cost: CSR checks, signing, encoding). CSRs are made
 * before the clock starts (pilot-agent's default key: RSA 2048, or --key p256). Prints wall
 * time, CSRs/s, latency percentiles and the process CPU time.
 */
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import { Registry } from 'prom-client';
import os from 'node:os';
import path from 'node:path';
import type { Authenticator } from '../server/security/identity.js';
import { CaMetrics } from '../server/ca/metrics.js';
import { CA_SERVICE_DEFINITION, CREATE_CERTIFICATE, caService, caTypes } from '../server/ca/service.js';
import { startMeshCA } from '../server/ca/start.js';
import { makeCsr, rmDir, tempDir } from '../server/ca/testkit.js';

const opts = new Command('bench-ca')
  .option('--csrs <n>', 'CSRs to sign', Number, 2000)
  .option('--concurrency <n>', 'calls in flight', Number, 100)
  .option('--key <kind>', 'rsa2048 or p256', 'rsa2048')
  .parse()
  .opts<{ csrs: number; concurrency: number; key: 'rsa2048' | 'p256' }>();

const auth: Authenticator = {
  authenticate: async (c) => ({
    ok: true,
    identity: { spiffe: [`spiffe://cluster.local/ns/bench/sa/${(c.authorization ?? '').slice(7)}`], method: 'jwt' },
  }),
};

const dir = tempDir();
const ca = await startMeshCA({
  namespace: 'istio-system',
  cacertsDir: path.join(dir, 'none'),
  stateDir: path.join(dir, 'state'),
  log: { info() {}, warn() {}, error() {} },
});
const server = new grpc.Server();
server.addService(CA_SERVICE_DEFINITION, caService(ca, auth, { metrics: new CaMetrics(new Registry()) }));
const port = await new Promise<number>((ok, ko) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? ko(e) : ok(p))),
);
const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const { req } = caTypes();

const t0 = performance.now();
const csrs = await Promise.all(Array.from({ length: opts.csrs }, () => makeCsr(opts.key)));
const genMs = performance.now() - t0;

const lat: number[] = [];
let failed = 0;
let next = 0;
const cpu0 = process.cpuUsage();
const start = performance.now();
const one = (i: number): Promise<void> =>
  new Promise((resolve) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer pod${i}`);
    const s = performance.now();
    client.makeUnaryRequest(
      CREATE_CERTIFICATE,
      (o: object) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      (b: Buffer) => b,
      { csr: csrs[i], validity_duration: 86400 },
      md,
      (err) => {
        if (err) failed++;
        lat.push(performance.now() - s);
        resolve();
      },
    );
  });
await Promise.all(
  Array.from({ length: Math.min(opts.concurrency, opts.csrs) }, async () => {
    while (next < opts.csrs) await one(next++);
  }),
);
const wallMs = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
lat.sort((a, b) => a - b);
const pct = (p: number): string => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}`);
console.log(
  `CSRs: ${opts.csrs} (${opts.key}, generated in ${(genMs / 1000).toFixed(1)} s, not timed), concurrency ${opts.concurrency}, failed ${failed}`,
);
console.log(
  `signed in ${(wallMs / 1000).toFixed(2)} s = ${(opts.csrs / (wallMs / 1000)).toFixed(0)} CSRs/s; latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${lat[lat.length - 1]!.toFixed(1)} ms`,
);
console.log(`process CPU (server + client in one process): ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`);
client.close();
server.forceShutdown();
await ca.close();
rmDir(dir);
