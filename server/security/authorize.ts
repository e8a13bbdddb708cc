/**
 * @module server/security/authorize
 * istiod's default xDS authorization (pilot/pkg/xds/auth.go): a caller may fetch config for a
 * proxy when one of its SPIFFE identities is in the proxy's namespace (node metadata NAMESPACE,
 * else derived from the node ID — Proxy.namespace) and, when the node's metadata sets
 * SERVICE_ACCOUNT, has that service account. Otherwise PERMISSION_DENIED naming both sides.
 */
import type { Proxy } from '../../model/proxy.js';
import type { AuthResult, CallerIdentity } from './identity.js';
import { parseSpiffe } from './identity.js';

export function authorizeProxy(identity: CallerIdentity, proxy: Pick<Proxy, 'id' | 'namespace' | 'metadata'>): AuthResult {
  const sa = typeof proxy.metadata['SERVICE_ACCOUNT'] === 'string' ? proxy.metadata['SERVICE_ACCOUNT'] : '';
  for (const id of identity.spiffe) {
    const p = parseSpiffe(id);
    if (p && p.namespace === proxy.namespace && (!sa || p.serviceAccount === sa)) return { ok: true, identity };
  }
  const want = `namespace "${proxy.namespace}"${sa ? ` and service account "${sa}"` : ''}`;
  return {
    ok: false,
    code: 'PERMISSION_DENIED',
    message: `caller ${identity.spiffe.join(', ') || '(no SPIFFE identity)'} may not fetch config for proxy ${proxy.id}, which is in ${want}`,
  };
}
