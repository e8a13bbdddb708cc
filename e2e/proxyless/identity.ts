/**
 * @module e2e/proxyless/identity
 * Workload certificates for proxyless gRPC tests, issued the way the mesh CA issues them: a
 * self-signed root for the trust domain (server/ca's own root maker), leaves with only a SPIFFE URI
 * SAN (empty subject, as istiod's CA signs them), written where pilot-agent writes them for gRPC
 * (`cert-chain.pem`, `key.pem`, `root-cert.pem` in one folder), and the gRPC bootstrap pilot-agent
 * writes for a proxyless workload: `certificate_providers.default` of plugin `file_watcher` over those
 * files and `server_listener_resource_name_template: xds.istio.io/grpc/lds/inbound/%s`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadBundle, type CaBundle } from '../../server/ca/bundle.js';
import { generateKey, privateKeyPem } from '../../server/ca/crypto.js';
import { createSelfSignedRoot, issueLeaf } from '../../server/ca/issue.js';

export interface CertFiles { readonly dir: string; readonly certFile: string; readonly keyFile: string; readonly rootFile: string }

export interface TestMeshCa {
  readonly rootPem: string;
  /** Issues a leaf for `spiffe` and writes the three files into `dir` (created). */
  issue(spiffe: string, dir: string): Promise<CertFiles>;
}

export async function testMeshCa(trustDomain = 'cluster.local'): Promise<TestMeshCa> {
  const root = await createSelfSignedRoot(trustDomain, 86_400_000);
  const bundle: CaBundle = await loadBundle({ 'ca-cert.pem': root.cert, 'ca-key.pem': root.key }, 'test root', false);
  return {
    rootPem: root.cert,
    async issue(spiffe, dir) {
      mkdirSync(dir, { recursive: true });
      const k = await generateKey();
      const leaf = await issueLeaf(bundle, { publicKey: k.publicKey, uris: [spiffe], ttlSeconds: 3600 });
      const files = { dir, certFile: path.join(dir, 'cert-chain.pem'), keyFile: path.join(dir, 'key.pem'), rootFile: path.join(dir, 'root-cert.pem') };
      writeFileSync(files.certFile, leaf + root.cert);
      writeFileSync(files.keyFile, await privateKeyPem(k.privateKey));
      writeFileSync(files.rootFile, root.cert);
      return files;
    },
  };
}

export const spiffeId = (ns: string, sa: string, trustDomain = 'cluster.local'): string => `spiffe://${trustDomain}/ns/${ns}/sa/${sa}`;

/** The gRPC bootstrap pilot-agent writes for a proxyless workload (node ID `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`). */
export function proxylessBootstrap(xdsPort: number, o: { pod: string; namespace: string; labels?: Record<string, string>; certs?: CertFiles }): object {
  return {
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: {
      id: `sidecar~127.0.0.1~${o.pod}.${o.namespace}~${o.namespace}.svc.cluster.local`,
      locality: {},
      metadata: { GENERATOR: 'grpc', NAMESPACE: o.namespace, ...(o.labels ? { LABELS: o.labels } : {}) },
    },
    ...(o.certs ? {
      certificate_providers: {
        default: {
          plugin_name: 'file_watcher',
          config: { certificate_file: o.certs.certFile, private_key_file: o.certs.keyFile, ca_certificate_file: o.certs.rootFile, refresh_interval: '900s' },
        },
      },
    } : {}),
    server_listener_resource_name_template: 'xds.istio.io/grpc/lds/inbound/%s',
  };
}
