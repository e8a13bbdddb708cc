/**
 * @module server/ca/testkit
 * Test helpers for the CA (real crypto, no mocks): CSRs made with WebCrypto or openssl, a plugged-in
 * CA made with openssl (root → intermediate, istio's cacerts layout), chain checks with Node's
 * X509Certificate and `openssl verify`, a quiet log, and temporary folders.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strict as assert } from 'node:assert';
import { subtle, x509 } from './crypto.js';
import type { CaLog } from './mesh-ca.js';

export interface LogLine {
  level: string;
  obj: object;
  msg: string;
}
export function memoryLog(): CaLog & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      lines.push({ level, obj, msg });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

export function tempDir(prefix = 'tspilot-ca-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
export const rmDir = (d: string): void => rmSync(d, { recursive: true, force: true });

/** A CSR (PEM) for a fresh key; its own SAN asks for `san`. */
export async function makeCsr(kind: 'rsa2048' | 'p256' = 'p256', san = 'spiffe://cluster.local/ns/victim/sa/admin'): Promise<string> {
  const alg =
    kind === 'rsa2048'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await subtle.generateKey(alg, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: alg,
    name: 'O=attacker',
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: san }])],
  });
  return csr.toString('pem');
}

/** A CSR made by openssl with `args` for the key, e.g. ['-newkey', 'rsa:1024']. */
export function opensslCsr(keyArgs: string[]): string {
  return execFileSync('openssl', ['req', '-new', ...keyArgs, '-nodes', '-subj', '/CN=x', '-keyout', '/dev/null'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** openssl-made plugged-in CA in `dir`: root (self-signed) → intermediate (ca-cert.pem), istio's file names. */
export function opensslCacerts(dir: string, name = 'plugged'): { root: string; intermediate: string } {
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  writeFileSync(
    path.join(dir, 'ext.cnf'),
    '[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root-key.pem',
    '-out',
    'root-cert.pem',
    '-days',
    '30',
    '-subj',
    `/O=${name}/CN=Root CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  run([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.csr',
    '-subj',
    `/O=${name}/CN=Intermediate CA`,
  ]);
  run([
    'x509',
    '-req',
    '-in',
    'ca.csr',
    '-CA',
    'root-cert.pem',
    '-CAkey',
    'root-key.pem',
    '-CAcreateserial',
    '-out',
    'ca-cert.pem',
    '-days',
    '20',
    '-extfile',
    'ext.cnf',
    '-extensions',
    'v3_ca',
  ]);
  const root = readFileSync(path.join(dir, 'root-cert.pem'), 'utf8');
  const intermediate = readFileSync(path.join(dir, 'ca-cert.pem'), 'utf8');
  writeFileSync(path.join(dir, 'cert-chain.pem'), intermediate + root);
  return { root, intermediate };
}

/** Asserts `chain` (leaf first, root last) links up with Node's checks and that openssl verifies the leaf. */
export function assertChain(chain: readonly string[], trustedRootPem?: string): X509Certificate[] {
  const certs = chain.map((p) => new X509Certificate(p));
  assert.ok(certs.length >= 2, 'at least leaf and root');
  for (let i = 0; i + 1 < certs.length; i++) {
    assert.ok(certs[i]!.checkIssued(certs[i + 1]!), `entry ${i} is issued by entry ${i + 1}`);
    assert.ok(certs[i]!.verify(certs[i + 1]!.publicKey), `entry ${i}'s signature verifies with entry ${i + 1}'s key`);
  }
  const root = certs[certs.length - 1]!;
  assert.ok(root.verify(root.publicKey), 'the last entry is a self-signed root');
  const d = tempDir('tspilot-verify-');
  try {
    writeFileSync(path.join(d, 'root.pem'), trustedRootPem ?? chain[chain.length - 1]!);
    writeFileSync(path.join(d, 'untrusted.pem'), chain.slice(1, -1).join(''));
    writeFileSync(path.join(d, 'leaf.pem'), chain[0]!);
    const args = ['verify', '-CAfile', 'root.pem', ...(chain.length > 2 ? ['-untrusted', 'untrusted.pem'] : []), 'leaf.pem'];
    const out = execFileSync('openssl', args, { cwd: d, encoding: 'utf8' });
    assert.match(out, /leaf\.pem: OK/);
  } finally {
    rmDir(d);
  }
  return certs;
}
