/**
 * @module watchers/validate/configmap
 * Reads a ConfigMap for what tspilot uses it for: the CA bundle under `ca.crt` that a
 * BackendTLSPolicy's caCertificateRefs names. Other keys are not kept (only their names, for
 * status messages). A `ca.crt` that does not parse as PEM certificates is not a rejection (a
 * ConfigMap is anyone's config): it is kept as `caProblem` and reported on the policy that uses it.
 */
import type { ConfigMap } from '../../model/k8s.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { parseCertificates } from './secret.js';

const CA_KEY = 'ca.crt';
const MAX_CA_BYTES = 1 << 20;

export function readConfigMap(r: Reader, raw: Raw, ns: string): ConfigMap {
  const meta = { ...readMeta(r, raw, ns), annotations: {} };
  const data = r.isObject(raw['data']) ? raw['data'] : {};
  const keys = Object.keys(data).sort();
  const v = data[CA_KEY];
  if (v === undefined) return { kind: 'ConfigMap', meta, keys };
  if (typeof v !== 'string' || v.length > MAX_CA_BYTES)
    return { kind: 'ConfigMap', meta, keys, caProblem: `data.${CA_KEY} is not a string of at most ${MAX_CA_BYTES} bytes` };
  const certs = parseCertificates(v);
  if (typeof certs === 'string') return { kind: 'ConfigMap', meta, keys, caProblem: `data.${CA_KEY} ${certs}` };
  return { kind: 'ConfigMap', meta, keys, caCert: v };
}
