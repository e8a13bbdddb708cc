/**
 * @module translators/grpc-security
 * The security inputs of proxyless gRPC server listeners (`InboundSecurity`), as istiod's gRPC
 * generator takes them:
 * - the effective PeerAuthentication mode of a workload port (model/peerauth.ts: mesh →
 *   namespace → workload → port);
 * - AuthorizationPolicy as RBAC HTTP filters (gRFC A41) from the shared translation
 *   (translators/authz): only ALLOW and DENY policies — gRPC implements no LOG action (AUDIT)
 *   and no ext_authz (CUSTOM), so istiod leaves those out for gRPC too — the DENY filter first,
 *   named `envoy.filters.http.rbac.DENY` as istiod names it (gRPC rejects two HTTP filters with
 *   one name), then `envoy.filters.http.rbac`. A filter holding only dry-run policies
 *   (`shadow_rules`, which gRPC ignores) is left out: gRPC rejects an RBAC filter without `rules`.
 * Everything depends only on the workload's namespace and labels (and the port), which the proxy
 * class key holds. Pure.
 */
import { effectiveMtls, mtlsModeForPort, type PeerAuthentication } from '../model/peerauth.js';
import type { AuthorizationPolicy } from '../model/security.js';
import type { HttpFilter } from '../proto/types.js';
import { authzFilters, RBAC_HTTP_FILTER } from './authz/rbac.js';
import { appliedPolicies, NO_POLICIES, type AppliedPolicies } from './authz/select.js';
import type { InboundSecurity } from './grpc-inbound.js';
import type { Scope } from './scope.js';

export const RBAC_DENY_FILTER = `${RBAC_HTTP_FILTER}.DENY`;

const paPath = (p: PeerAuthentication): string => `/apis/security.istio.io/v1/namespaces/${p.meta.namespace}/peer-authentication/${p.meta.name}`;
const apPath = (p: AuthorizationPolicy): string => `/apis/security.istio.io/v1/namespaces/${p.meta.namespace}/authorization-policy/${p.meta.name}`;

function mtls(scope: Scope) {
  return effectiveMtls(scope.mesh.peerAuthentications, scope.mesh.settings.rootNamespace, scope.namespace, scope.labels);
}

/** The ALLOW and DENY policies that apply to the workload (the only actions gRPC implements). */
function grpcPolicies(scope: Scope): AppliedPolicies {
  const a = appliedPolicies(scope.mesh, { namespace: scope.namespace, labels: scope.labels });
  return { ...NO_POLICIES, allow: a.allow, deny: a.deny };
}

function rbacFilters(scope: Scope): HttpFilter[] {
  const out: HttpFilter[] = [];
  for (const f of authzFilters(scope.mesh, grpcPolicies(scope), false).local) {
    const cfg = f.typed_config as { rules?: { action?: string } };
    if (!cfg.rules) continue;
    out.push({ name: cfg.rules.action === 'DENY' ? RBAC_DENY_FILTER : f.name, typed_config: f.typed_config } as HttpFilter);
  }
  return out;
}

export const grpcInboundSecurity: InboundSecurity = {
  mtlsMode: (scope, port) => mtlsModeForPort(mtls(scope), port),
  rbacFilters,
  sources: (scope) => {
    const l = mtls(scope).levels;
    const pas = [l.mesh, l.namespace, l.workload].filter((p): p is PeerAuthentication => p !== undefined).map(paPath);
    const p = grpcPolicies(scope);
    return [...pas, ...[...p.deny, ...p.allow].map(apPath)];
  },
};
