/**
 * @module translators/grpc-security
 * The security inputs of proxyless gRPC server listeners (`InboundSecurity`), as istiod's gRPC
 * generator takes them:
 * - the effective PeerAuthentication mode of a workload port (model/peerauth.ts: mesh →
 *   namespace → workload → port);
 * - AuthorizationPolicy as RBAC HTTP filters (gRFC A41): the local RBAC the shared translation
 *   gives the `grpc-inbound` listener class (translators/authz/workload.ts, which already leaves
 *   CUSTOM out), adapted to what gRPC accepts, as istiod's gRPC generator builds it: no AUDIT
 *   filter (gRPC has no LOG action and rejects the listener), the DENY filter named
 *   `envoy.filters.http.rbac.DENY` (gRPC rejects two HTTP filters with one name), and no filter
 *   holding only dry-run policies (`shadow_rules`, ignored by gRPC; it rejects RBAC without
 *   `rules`). The registry's HCM builder is not used here: it would add the fault filter, which an
 *   xDS server rejects (gRPC implements it for clients only).
 * Everything depends only on the workload's namespace and labels (and the port), which the proxy
 * class key holds. Pure.
 */
import { mtlsModeForPort, type PeerAuthentication } from '../model/peerauth.js';
import type { AuthorizationPolicy } from '../model/security.js';
import type { HttpFilter } from '../proto/types.js';
import { RBAC_HTTP_FILTER } from './authz/rbac.js';
import { httpAuthz } from './authz/workload.js';
import type { InboundSecurity } from './grpc-inbound.js';
import type { Scope } from './scope.js';

export const RBAC_DENY_FILTER = `${RBAC_HTTP_FILTER}.DENY`;

const paPath = (p: PeerAuthentication): string =>
  `/apis/security.istio.io/v1/namespaces/${p.meta.namespace}/peer-authentication/${p.meta.name}`;
const apPath = (p: AuthorizationPolicy): string =>
  `/apis/security.istio.io/v1/namespaces/${p.meta.namespace}/authorization-policy/${p.meta.name}`;

const mtls = (scope: Scope) => scope.peerAuth();

function rbacFilters(scope: Scope): HttpFilter[] {
  const out: HttpFilter[] = [];
  for (const f of httpAuthz(scope, 'grpc-inbound').local) {
    const action = (f.typed_config as { rules?: { action?: string } }).rules?.action;
    if (action !== 'ALLOW' && action !== 'DENY') continue;
    out.push({ name: action === 'DENY' ? RBAC_DENY_FILTER : f.name, typed_config: f.typed_config } as HttpFilter);
  }
  return out;
}

export const grpcInboundSecurity: InboundSecurity = {
  mtlsMode: (scope, port) => mtlsModeForPort(mtls(scope), port),
  rbacFilters,
  sources: (scope) => {
    const l = mtls(scope).levels;
    const pas = [l.mesh, l.namespace, l.workload].filter((p): p is PeerAuthentication => p !== undefined).map(paPath);
    const p = scope.policies();
    return [...pas, ...[...p.deny, ...p.allow].map(apPath)];
  },
};
