/**
 * @module server/ca/kube-secrets
 * CA material from Kubernetes Secrets in tspilot's namespace, as istiod keeps it:
 * - `cacerts` (a plugged-in CA: ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem) — absent
 *   unless the Secret exists with ca-cert.pem and ca-key.pem;
 * - `istio-ca-secret` (type istio.io/ca-root; the self-signed root in ca-cert.pem / ca-key.pem):
 *   read if it exists (istiod's, or another replica's), else created ONCE — create-if-absent, and
 *   on 409 Conflict (another replica won the race) the winner's is read back and used. Deleted
 *   while running, it is NOT re-created (that would replace the root under every workload).
 * Both are re-read periodically (a GET per tick; RBAC can then be limited to these resourceNames).
 */
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import type { CaFiles } from './bundle.js';
import { createSelfSignedRoot } from './issue.js';
import type { MaterialCandidate, MaterialRead } from './folder.js';

export const CACERTS_SECRET = 'cacerts';
export const CA_SECRET = 'istio-ca-secret';
export const CA_SECRET_TYPE = 'istio.io/ca-root';

/** The HTTP status of client-node's ApiException (read by shape, so this module does not load client-node). */
const codeOf = (e: unknown): number | undefined => {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
};

function decode(s: V1Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

async function getSecret(api: CoreV1Api, namespace: string, name: string): Promise<V1Secret | null> {
  try {
    return await api.readNamespacedSecret({ name, namespace });
  } catch (e) {
    if (codeOf(e) === 404) return null;
    throw new Error(`GET Secret ${namespace}/${name}: ${codeOf(e) ?? ''} ${(e as Error).message}`.replace(/\s+/g, ' '));
  }
}

function ticker(cb: () => void, pollMs: number): () => void {
  const t = setInterval(cb, pollMs);
  t.unref();
  return () => clearInterval(t);
}

export function cacertsSecret(api: CoreV1Api, namespace: string): MaterialCandidate {
  const where = `Secret ${namespace}/${CACERTS_SECRET}`;
  return {
    describe: where,
    read: async (): Promise<MaterialRead | null> => {
      const s = await getSecret(api, namespace, CACERTS_SECRET);
      if (!s) return null;
      const d = decode(s);
      if (!d['ca-cert.pem'] || !d['ca-key.pem']) return null;
      if (!d['root-cert.pem']) throw new Error(`${where}: ca-cert.pem and ca-key.pem are there but root-cert.pem is missing`);
      const files: CaFiles = {
        'ca-cert.pem': d['ca-cert.pem'],
        'ca-key.pem': d['ca-key.pem'],
        'cert-chain.pem': d['cert-chain.pem'] ?? '',
        'root-cert.pem': d['root-cert.pem'],
      };
      return { files, source: where, plugged: true };
    },
    watch: ticker,
  };
}

export function caSecret(api: CoreV1Api, namespace: string, trustDomain: string, rootTtlMs: number): MaterialCandidate {
  const where = `Secret ${namespace}/${CA_SECRET}`;
  const fromSecret = (s: V1Secret): MaterialRead => {
    const d = decode(s);
    if (!d['ca-cert.pem'] || !d['ca-key.pem']) throw new Error(`${where} has no ca-cert.pem/ca-key.pem`);
    return {
      files: {
        'ca-cert.pem': d['ca-cert.pem'],
        'ca-key.pem': d['ca-key.pem'],
        'cert-chain.pem': d['cert-chain.pem'] ?? '',
        'root-cert.pem': d['root-cert.pem'] ?? '',
      },
      source: where,
      plugged: false,
    };
  };
  let loaded = false;
  return {
    describe: `${where} (self-signed root)`,
    read: async () => {
      const existing = await getSecret(api, namespace, CA_SECRET);
      if (existing) {
        loaded = true;
        return fromSecret(existing);
      }
      // Deleted while running: making a new root now would silently distrust every issued
      // certificate; keep the one in use (a restart creates a new root, as istiod's does).
      if (loaded) throw new Error(`${where} was deleted; keeping the root in use (restart tspilot to create a new one)`);
      const root = await createSelfSignedRoot(trustDomain, rootTtlMs);
      const b64 = (t: string): string => Buffer.from(t, 'utf8').toString('base64');
      const body: V1Secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: CA_SECRET_TYPE,
        metadata: { name: CA_SECRET, namespace, labels: { 'app.kubernetes.io/managed-by': 'tspilot' } },
        data: { 'ca-cert.pem': b64(root.cert), 'ca-key.pem': b64(root.key), 'cert-chain.pem': '', 'key.pem': '', 'root-cert.pem': '' },
      };
      loaded = true;
      try {
        return fromSecret(await api.createNamespacedSecret({ namespace, body }));
      } catch (e) {
        if (codeOf(e) !== 409)
          throw new Error(`POST Secret ${namespace}/${CA_SECRET}: ${codeOf(e) ?? ''} ${(e as Error).message}`.replace(/\s+/g, ' '));
      }
      // Another replica created it first: everyone uses the winner's root.
      const theirs = await getSecret(api, namespace, CA_SECRET);
      if (!theirs) throw new Error(`${where}: create answered 409 Conflict but the Secret cannot be read back`);
      return fromSecret(theirs);
    },
    watch: ticker,
  };
}
