/**
 * @module e2e/proxyless/identity
 * Workload certificates for proxyless gRPC tests, obtained as pilot-agent obtains them: from
 * tspilot's own mesh CA (`serve --xds-tls-port` with a `--ca-state-dir`: a self-signed root for the
 * trust domain), by `IstioCertificateService/CreateCertificate` on the TLS port with a fresh key's
 * CSR and a service-account JWT (audience `istio-ca`, verified with `--jwt-keys`); the CA issues
 * the token's identity as a SPIFFE URI SAN. The files are written where pilot-agent writes them for
 * gRPC (`cert-chain.pem`, `key.pem`, `root-cert.pem` in one folder). Also the gRPC bootstrap
 * pilot-agent writes for a proxyless workload: `certificate_providers.default` of plugin
 * `file_watcher` over those files and `server_listener_resource_name_template:
 * xds.istio.io/grpc/lds/inbound/%s`.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { CREATE_CERTIFICATE, caTypes } from '../../server/ca/service.js';

// Node's WebCrypto is the provider; @peculiar/x509 types it with the DOM's Crypto, which this project's lib does not include.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface CertFiles {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly rootFile: string;
}

/** The token signer tspilot trusts (`--jwt-keys <jwksFile>`), as the API server signs projected tokens. */
export interface TokenSigner {
  readonly jwksFile: string;
  token(namespace: string, serviceAccount: string): Promise<string>;
}

export async function tokenSigner(dir: string): Promise<TokenSigner> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwksFile = path.join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] }));
  return {
    jwksFile,
    token: (ns, sa) =>
      new SignJWT({ sub: `system:serviceaccount:${ns}:${sa}` })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setAudience('istio-ca')
        .setExpirationTime('1h')
        .sign(privateKey),
  };
}

export interface MeshCaClient {
  readonly rootPem: string;
  /** A certificate for `ns/sa` from tspilot's CA, written with its key and the root into `dir`. */
  issue(namespace: string, serviceAccount: string, dir: string): Promise<CertFiles>;
}

/** A client of tspilot's CA on 127.0.0.1:`tlsPort`, trusting the root in `caStateDir` (its self-signed ca-cert.pem). */
export function meshCaClient(tlsPort: number, caStateDir: string, signer: TokenSigner): MeshCaClient {
  const rootPem = readFileSync(path.join(caStateDir, 'ca-cert.pem'), 'utf8');
  const { req, res } = caTypes();
  return {
    rootPem,
    async issue(ns, sa, dir) {
      const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const csr = await x509.Pkcs10CertificateRequestGenerator.create({ keys, signingAlgorithm: ALG, name: 'O=proxyless' });
      const client = new grpc.Client(`127.0.0.1:${tlsPort}`, grpc.credentials.createSsl(Buffer.from(rootPem)), {
        'grpc.ssl_target_name_override': 'istiod.istio-system.svc',
      });
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${await signer.token(ns, sa)}`);
      const body = Buffer.from(req.encode(req.fromObject({ csr: csr.toString('pem'), validity_duration: 3600 })).finish());
      let out: Buffer;
      try {
        out = await new Promise<Buffer>((resolve, reject) =>
          client.makeUnaryRequest(
            CREATE_CERTIFICATE,
            (b: Buffer) => b,
            (b: Buffer) => b,
            body,
            md,
            (e, r) => (e ? reject(e) : resolve(r!)),
          ),
        );
      } finally {
        client.close();
      }
      const chain = (res.toObject(res.decode(out)) as { cert_chain: string[] }).cert_chain;
      mkdirSync(dir, { recursive: true });
      const files = {
        dir,
        certFile: path.join(dir, 'cert-chain.pem'),
        keyFile: path.join(dir, 'key.pem'),
        rootFile: path.join(dir, 'root-cert.pem'),
      };
      writeFileSync(files.certFile, chain.slice(0, -1).join(''));
      writeFileSync(files.keyFile, x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'));
      writeFileSync(files.rootFile, rootPem);
      return files;
    },
  };
}

/** The gRPC bootstrap pilot-agent writes for a proxyless workload (node ID `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`). */
export function proxylessBootstrap(
  xdsPort: number,
  o: { pod: string; namespace: string; labels?: Record<string, string>; certs?: CertFiles },
): object {
  return {
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: {
      id: `sidecar~127.0.0.1~${o.pod}.${o.namespace}~${o.namespace}.svc.cluster.local`,
      locality: {},
      metadata: { GENERATOR: 'grpc', NAMESPACE: o.namespace, ...(o.labels ? { LABELS: o.labels } : {}) },
    },
    ...(o.certs
      ? {
          certificate_providers: {
            default: {
              plugin_name: 'file_watcher',
              config: {
                certificate_file: o.certs.certFile,
                private_key_file: o.certs.keyFile,
                ca_certificate_file: o.certs.rootFile,
                refresh_interval: '900s',
              },
            },
          },
        }
      : {}),
    server_listener_resource_name_template: 'xds.istio.io/grpc/lds/inbound/%s',
  };
}
