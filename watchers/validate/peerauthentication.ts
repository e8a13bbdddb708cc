/**
 * @module watchers/validate/peerauthentication
 * Validates a PeerAuthentication (security.istio.io v1/v1beta1) with istiod's rules: a workload
 * selector whose label keys and values are valid Kubernetes labels without wildcards; `mtls.mode`
 * and each `portLevelMtls` mode one of UNSET, DISABLE, PERMISSIVE, STRICT; `portLevelMtls` only
 * with a selector (istiod: "mesh/namespace peer authentication cannot have port level mTLS"),
 * not empty when given, ports 1–65535. Every problem names the field.
 */
import { MTLS_MODES, type MtlsMode, type PeerAuthentication, type PeerAuthenticationSpec } from '../../model/peerauth.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes label key (`[prefix/]name`), as labels.Instance.Validate checks it. */
function validLabelKey(k: string): boolean {
  const slash = k.indexOf('/');
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  const prefix = slash >= 0 ? k.slice(0, slash) : '';
  if (slash >= 0 && (!prefix || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return LABEL_NAME.test(name);
}

/** A workload selector (`selector.matchLabels`) as istiod's validateWorkloadSelector checks it. */
export function readMatchLabelsSelector(r: Reader, v: unknown, path: string): { matchLabels: Record<string, string> } | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['matchLabels']);
  const labels = r.stringMap(o['matchLabels'], `${path}.matchLabels`) ?? {};
  for (const [k, val] of Object.entries(labels)) {
    const f = `${path}.matchLabels.${k}`;
    if (k.includes('*') || val.includes('*')) r.fail(f, `wildcard is not supported in selector: "${k}=${val}"`);
    else if (!validLabelKey(k)) r.fail(f, `"${k}" is not a valid label key`);
    else if (val.length > 63 || !LABEL_VALUE.test(val)) r.fail(f, `"${val}" is not a valid label value`);
  }
  return { matchLabels: labels };
}

function readMode(r: Reader, v: unknown, path: string): MtlsMode | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['mode']);
  const m = r.string(o['mode'], `${path}.mode`);
  if (m === undefined) return 'UNSET';
  if (!(MTLS_MODES as readonly string[]).includes(m)) {
    r.fail(`${path}.mode`, `"${m}" is not one of ${MTLS_MODES.join(', ')}`);
    return undefined;
  }
  return m as MtlsMode;
}

export function readPeerAuthentication(r: Reader, raw: Raw, ns: string): PeerAuthentication {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec') ?? {};
  r.known(spec, 'spec', ['selector', 'mtls', 'portLevelMtls']);
  const selector = readMatchLabelsSelector(r, spec['selector'], 'spec.selector');
  const mode = readMode(r, spec['mtls'], 'spec.mtls');
  const out: { -readonly [K in keyof PeerAuthenticationSpec]: PeerAuthenticationSpec[K] } = {};
  if (selector && Object.keys(selector.matchLabels).length) out.selector = selector;
  if (mode !== undefined) out.mtls = { mode };
  const plRaw = r.object(spec['portLevelMtls'], 'spec.portLevelMtls');
  if (plRaw) {
    const keys = Object.keys(plRaw);
    if (!keys.length) r.fail('spec.portLevelMtls', 'port level mTLS, if defined, must have at least one element');
    if (!out.selector) r.fail('spec.portLevelMtls', 'mesh/namespace peer authentication cannot have port level mTLS (set spec.selector)');
    const pl: Record<number, { mode: MtlsMode }> = {};
    for (const k of keys) {
      const path = `spec.portLevelMtls.${k}`;
      const port = /^\d+$/.test(k) ? Number(k) : NaN;
      if (!(port >= 1 && port <= 65535)) {
        r.fail(path, `"${k}" is not a port (1..65535)`);
        continue;
      }
      if (plRaw[k] === null || plRaw[k] === undefined) {
        r.fail(path, 'must not be null');
        continue;
      }
      const m = readMode(r, plRaw[k], path);
      if (m !== undefined) pl[port] = { mode: m };
    }
    if (Object.keys(pl).length) out.portLevelMtls = pl;
  }
  return { kind: 'PeerAuthentication', meta, spec: out };
}
