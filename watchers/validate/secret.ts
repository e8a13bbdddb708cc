/**
 * @module watchers/validate/secret
 * Reads a Kubernetes Secret into the model's Secret: `data` (base64) and `stringData` (plain,
 * winning over `data` as the API server merges them), keeping only the TLS keys gateways use —
 * `tls.crt`/`tls.key`/`ca.crt`/`ca.crl` and the generic `cert`/`key`/`cacert`/`crl` — and checking
 * them: certificates must be PEM that parses, a key must be a PEM private key, a certificate and
 * key present together must match. A bad value rejects the object naming the field (the last good
 * version stays in force). Error messages and the debug view never carry key material: the view
 * (`secretView`) shows name, namespace, type and each certificate's subject, issuer and expiry.
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import type { Secret, SecretCertInfo } from '../../model/k8s.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';

/** Keys read from a Secret; every other key is dropped. */
export const TLS_KEYS: readonly string[] = ['tls.crt', 'tls.key', 'ca.crt', 'ca.crl', 'cert', 'key', 'cacert', 'crl'];
const CERT_KEYS = new Set(['tls.crt', 'ca.crt', 'cert', 'cacert']);
const KEY_KEYS = new Set(['tls.key', 'key']);
/** The API server's own limit on a Secret. */
const MAX_VALUE_BYTES = 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Whether `data` or `stringData` has any key tspilot reads (other Secrets are ignored whole). */
export function holdsTlsKeys(raw: Raw): boolean {
  return ['data', 'stringData'].some((f) => {
    const o = raw[f];
    return o !== null && typeof o === 'object' && TLS_KEYS.some((k) => Object.hasOwn(o, k));
  });
}

/**
 * Drops, in place, everything of a raw Secret tspilot does not read: values of other keys (service
 * account tokens, registry credentials…), managedFields, and the last-applied-configuration
 * annotation (kubectl copies the whole Secret, values included, into it).
 */
export function scrubSecret(raw: object): void {
  const o = raw as Raw;
  for (const f of ['data', 'stringData']) {
    const m = o[f];
    if (m === null || typeof m !== 'object') continue;
    for (const k of Object.keys(m)) if (!TLS_KEYS.includes(k)) delete (m as Raw)[k];
  }
  const meta = o['metadata'];
  if (meta !== null && typeof meta === 'object') {
    delete (meta as Raw)['managedFields'];
    const ann = (meta as Raw)['annotations'];
    if (ann !== null && typeof ann === 'object') delete (ann as Raw)['kubectl.kubernetes.io/last-applied-configuration'];
  }
}

/** Parses every CERTIFICATE block of a PEM bundle; a message (never the value) when one does not parse. */
export function parseCertificates(pem: string): X509Certificate[] | string {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (!blocks.length) return 'is not a PEM certificate (no "BEGIN CERTIFICATE" block)';
  const out: X509Certificate[] = [];
  for (const [i, b] of blocks.entries()) {
    try {
      out.push(new X509Certificate(b));
    } catch {
      return `certificate ${i + 1} of ${blocks.length} does not parse as X.509`;
    }
  }
  return out;
}

const oneLine = (dn: string): string => dn.split('\n').filter(Boolean).join(', ');

function certInfo(key: string, certs: readonly X509Certificate[]): SecretCertInfo {
  const leaf = certs[0]!;
  return {
    key,
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    notAfter: new Date(leaf.validTo).toISOString(),
    certificates: certs.length,
  };
}

/** Hides key material from JSON (logs, debug dumps) should the object ever be serialized whole. */
function sealed(values: Record<string, string>): Readonly<Record<string, string>> {
  Object.defineProperty(values, 'toJSON', { value: () => '[redacted]', enumerable: false });
  return Object.freeze(values);
}

function readValues(r: Reader, raw: Raw): Record<string, string> {
  const out: Record<string, string> = {};
  const data = r.object(raw['data'], 'data');
  for (const k of TLS_KEYS) {
    const v = data?.[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') {
      r.fail(`data.${k}`, 'must be a base64 string');
      continue;
    }
    const compact = v.replace(/\s+/g, '');
    if (compact.length > (MAX_VALUE_BYTES * 4) / 3 + 4) {
      r.fail(`data.${k}`, `is larger than ${MAX_VALUE_BYTES} bytes`);
      continue;
    }
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
      r.fail(`data.${k}`, 'is not valid base64');
      continue;
    }
    out[k] = Buffer.from(compact, 'base64').toString('utf8');
  }
  const stringData = r.object(raw['stringData'], 'stringData');
  for (const k of TLS_KEYS) {
    const v = stringData?.[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') {
      r.fail(`stringData.${k}`, 'must be a string');
      continue;
    }
    if (v.length > MAX_VALUE_BYTES) {
      r.fail(`stringData.${k}`, `is larger than ${MAX_VALUE_BYTES} bytes`);
      continue;
    }
    out[k] = v;
  }
  return out;
}

export function readSecret(r: Reader, raw: Raw, ns: string): Secret {
  // Annotations are not kept: kubectl's last-applied-configuration copies the values into one.
  const meta = { ...readMeta(r, raw, ns), annotations: {} };
  const type = r.string(raw['type'], 'type') ?? 'Opaque';
  const values = readValues(r, raw);
  const field = (k: string): string =>
    r.isObject(raw['stringData']) && Object.hasOwn(raw['stringData'], k) ? `stringData.${k}` : `data.${k}`;
  const certs: SecretCertInfo[] = [];
  const parsed = new Map<string, X509Certificate[]>();
  for (const k of TLS_KEYS) {
    const v = values[k];
    if (v === undefined) continue;
    if (CERT_KEYS.has(k)) {
      const c = parseCertificates(v);
      if (typeof c === 'string') {
        r.fail(field(k), c);
        continue;
      }
      parsed.set(k, c);
      certs.push(certInfo(k, c));
    } else if (KEY_KEYS.has(k)) {
      try {
        createPrivateKey(v);
      } catch {
        r.fail(field(k), 'is not a PEM private key (PKCS#1, PKCS#8 or SEC1) that parses');
      }
    } else if (!/-----BEGIN X509 CRL-----/.test(v)) {
      r.fail(field(k), 'is not a PEM certificate revocation list');
    }
  }
  // A certificate with the wrong key is refused by Envoy (a NACK on every gateway): catch it here.
  for (const [certKey, keyKey] of [
    ['tls.crt', 'tls.key'],
    ['cert', 'key'],
  ] as const) {
    const c = parsed.get(certKey)?.[0];
    const k = values[keyKey];
    if (c && k !== undefined && !r.problems.some((p) => p.field.endsWith(keyKey))) {
      try {
        if (!c.checkPrivateKey(createPrivateKey(k))) r.fail(field(keyKey), `does not match the public key of ${certKey}`);
      } catch {
        r.fail(field(keyKey), `cannot be checked against ${certKey}`);
      }
    }
  }
  if (type === 'kubernetes.io/tls') {
    if (values['tls.crt'] === undefined) r.fail('data.tls.crt', 'is required in a kubernetes.io/tls Secret');
    if (values['tls.key'] === undefined) r.fail('data.tls.key', 'is required in a kubernetes.io/tls Secret');
  }
  const digest = createHash('sha256')
    .update(
      JSON.stringify(
        Object.keys(values)
          .sort()
          .map((k) => [k, values[k]]),
      ),
    )
    .digest('base64url');
  return { kind: 'Secret', meta, type, data: sealed(values), certs, digest };
}

/** What debug views show of a Secret: identity, type, which TLS keys it holds, and each certificate's subject and expiry. */
export function secretView(s: Secret): object {
  return {
    kind: 'Secret',
    metadata: { name: s.meta.name, namespace: s.meta.namespace, resourceVersion: s.meta.resourceVersion },
    type: s.type,
    keys: Object.keys(s.data).sort(),
    certificates: s.certs,
  };
}
