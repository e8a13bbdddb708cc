/**
 * @module translators/secret
 * Gateway certificates over SDS, as istiod's secret generator builds them: a resource name
 * `kubernetes://<name>` (or `kubernetes://<ns>/<name>`, or `kubernetes-gateway://<ns>/<name>`)
 * names a Kubernetes Secret; `<name>-cacert` asks for the CA part only — from a Secret of that
 * very name, else from `<name>` itself. A certificate comes from the generic keys `cert`/`key`,
 * else `tls.crt`/`tls.key`; a CA from `cacert`, else `ca.crt` (with `crl`/`ca.crl` when present).
 * Output is an `envoy.extensions.transport_sockets.tls.v3.Secret` with inline bytes.
 *
 * Only routers (gateways) get secrets here, and only secrets of their own namespace: a proxy class
 * is per namespace, so a name resolving elsewhere yields nothing. Whether the stream's caller may
 * read that namespace (an authenticated identity of the same namespace) is the server's check,
 * made per stream (server/xds/ads.ts). Pure.
 */
import type { MeshConfig } from '../model/config.js';
import type { Secret } from '../model/k8s.js';
import type { Proxy } from '../model/proxy.js';
import type { TypeOutput } from './generated.js';
import { CA_SUFFIX, parseSecretName } from '../model/secret-name.js';

// The SDS resource-name convention lives in model/ (the server's per-stream secret check reads it
// too); re-exported here for the translators' callers.
export { CA_SUFFIX, KUBERNETES_GATEWAY_SECRET, KUBERNETES_SECRET, parseSecretName, type SecretRef } from '../model/secret-name.js';

/** envoy DataSource with the PEM as inline bytes (base64 in protobufjs' object form). */
const inline = (pem: string): { inline_bytes: string } => ({ inline_bytes: Buffer.from(pem, 'utf8').toString('base64') });

/** The message protobufjs encodes (snake_case). */
export type SecretMessage = Record<string, unknown>;

function caSecret(resource: string, s: Secret): SecretMessage | undefined {
  const ca = s.data['cacert'] ?? s.data['ca.crt'];
  if (ca === undefined) return undefined;
  const crl = s.data['crl'] ?? s.data['ca.crl'];
  return { name: resource, validation_context: { trusted_ca: inline(ca), ...(crl !== undefined ? { crl: inline(crl) } : {}) } };
}

function certSecret(resource: string, s: Secret): SecretMessage | undefined {
  const [cert, key] =
    s.data['cert'] !== undefined && s.data['key'] !== undefined ? [s.data['cert'], s.data['key']] : [s.data['tls.crt'], s.data['tls.key']];
  if (cert === undefined || key === undefined) return undefined;
  return { name: resource, tls_certificate: { certificate_chain: inline(cert), private_key: inline(key) } };
}

/** The Secret resource `resource` for a proxy in `namespace`, or undefined (no such Secret, or no usable keys). */
export function buildSecret(mesh: MeshConfig, resource: string, namespace: string): SecretMessage | undefined {
  const ref = parseSecretName(resource, namespace);
  if ('error' in ref || ref.namespace !== namespace) return undefined;
  const find = (n: string): Secret | undefined => mesh.secrets.get(`${ref.namespace}/${n}`);
  if (ref.caOnly) {
    const own = find(ref.name);
    if (own) return caSecret(resource, own);
    const base = find(ref.name.slice(0, -CA_SUFFIX.length));
    return base ? caSecret(resource, base) : undefined;
  }
  const s = find(ref.name);
  return s ? certSecret(resource, s) : undefined;
}

/** SDS output for one proxy class: named only (never wildcard), gateways only. */
export function secretOutput(mesh: MeshConfig, proxy: Proxy): TypeOutput<SecretMessage> {
  return {
    names: () => [],
    get: (name) => (proxy.type === 'router' ? buildSecret(mesh, name, proxy.namespace) : undefined),
  };
}
