/**
 * @module bench/tls
 * `--tls` for the bench: the fleet dials the TLS xDS port as pilot-agent does — TLS with the
 * server's DNS SAN checked, a bearer JWT per namespace (`system:serviceaccount:<ns>:default`,
 * audience istio-ca) — and tspilot verifies them with --jwt-keys (folder mode; TokenReview needs a
 * cluster). Writes the throwaway root, serving certificate and JWKS into the bench's folder.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { ISTIOD_SAN, testLeaf, testRoot } from '../e2e/security/testca.js';

export interface BenchTls {
  /** Extra `tspilot serve` arguments. */
  readonly serverArgs: readonly string[];
  /** The serving certificate chain and key files (the TLS ceiling serves with them too). */
  readonly certFile: string;
  readonly keyFile: string;
  /** What a client of namespace `ns` dials with. */
  client(ns: string): { credentials: grpc.ChannelCredentials; channelOptions: grpc.ChannelOptions; metadata: Record<string, string> };
}

export async function benchTls(dir: string, namespaces: readonly string[]): Promise<BenchTls> {
  const root = await testRoot('bench root');
  const leaf = await testLeaf(root, { dns: [ISTIOD_SAN] });
  const f = (n: string): string => path.join(dir, n);
  await writeFile(f('tls.crt'), leaf.certPem);
  await writeFile(f('tls.key'), leaf.keyPem);
  await writeFile(f('ca.crt'), root.certPem);
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  await writeFile(f('jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256' }] }));
  const tokens = new Map<string, string>();
  for (const ns of namespaces) {
    tokens.set(
      ns,
      await new SignJWT({ sub: `system:serviceaccount:${ns}:default` })
        .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
        .setAudience('istio-ca')
        .setExpirationTime('2h')
        .sign(privateKey),
    );
  }
  const rootBuf = Buffer.from(root.certPem);
  return {
    certFile: f('tls.crt'),
    keyFile: f('tls.key'),
    serverArgs: [
      '--xds-tls-port',
      '0',
      '--no-plaintext-xds',
      '--tls-cert',
      f('tls.crt'),
      '--tls-key',
      f('tls.key'),
      '--tls-ca',
      f('ca.crt'),
      '--jwt-keys',
      f('jwks.json'),
    ],
    client: (ns) => ({
      credentials: grpc.credentials.createSsl(rootBuf),
      channelOptions: { 'grpc.ssl_target_name_override': ISTIOD_SAN },
      metadata: { authorization: `Bearer ${tokens.get(ns) ?? ''}` },
    }),
  };
}
