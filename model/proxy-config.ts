/**
 * @module model/proxy-config
 * Reads the part of Istio's ProxyConfig tspilot translates (`gatewayTopology`) from plain data —
 * the mesh config's `defaultConfig`, the pod annotation `proxy.istio.io/config`, or the node
 * metadata `PROXY_CONFIG` pilot-agent sends — and merges them as istiod sees them: the metadata
 * PROXY_CONFIG when the proxy sends one (pilot-agent has already merged mesh default and
 * annotation into it: istiod's ProxyConfigOrDefault), else the annotation over the mesh default,
 * field by field. Unknown ProxyConfig fields are ignored; a known field of the wrong type is a
 * problem naming it. Pure.
 */
import {
  FORWARD_CLIENT_CERT_DETAILS,
  type ForwardClientCertDetails,
  type GatewayTopology,
  type ProxyConfigSettings,
} from './meshconfig.js';

export interface ProxyConfigProblem {
  readonly field: string;
  readonly reason: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ProxyConfig (as parsed from YAML/JSON) → the settings tspilot reads; `prefix` names fields in problems. */
export function readProxyConfig(raw: unknown, prefix: string): { config: ProxyConfigSettings; problems: ProxyConfigProblem[] } {
  const problems: ProxyConfigProblem[] = [];
  if (raw === undefined || raw === null) return { config: {}, problems };
  if (!isObject(raw)) return { config: {}, problems: [{ field: prefix, reason: 'must be an object (ProxyConfig)' }] };
  const gt = raw['gatewayTopology'];
  if (gt === undefined || gt === null) return { config: {}, problems };
  const f = `${prefix}.gatewayTopology`;
  if (!isObject(gt)) return { config: {}, problems: [{ field: f, reason: 'must be an object' }] };
  const out: { numTrustedProxies?: number; forwardClientCertDetails?: ForwardClientCertDetails } = {};
  const n = gt['numTrustedProxies'];
  if (n !== undefined) {
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff) out.numTrustedProxies = n;
    else problems.push({ field: `${f}.numTrustedProxies`, reason: `${JSON.stringify(n)} is not an unsigned 32-bit integer` });
  }
  const x = gt['forwardClientCertDetails'];
  if (x !== undefined && x !== 'UNDEFINED') {
    if (typeof x === 'string' && (FORWARD_CLIENT_CERT_DETAILS as readonly string[]).includes(x))
      out.forwardClientCertDetails = x as ForwardClientCertDetails;
    else
      problems.push({
        field: `${f}.forwardClientCertDetails`,
        reason: `${JSON.stringify(x)} is not one of ${FORWARD_CLIENT_CERT_DETAILS.join(', ')}`,
      });
  }
  return { config: { gatewayTopology: out }, problems };
}

/** Overlay `over` on `base` field by field (istiod merges ProxyConfig protos the same way). */
export function mergeProxyConfig(base: ProxyConfigSettings | undefined, over: ProxyConfigSettings | undefined): ProxyConfigSettings {
  const gt: GatewayTopology | undefined =
    base?.gatewayTopology || over?.gatewayTopology ? { ...base?.gatewayTopology, ...over?.gatewayTopology } : undefined;
  return gt ? { gatewayTopology: gt } : {};
}
