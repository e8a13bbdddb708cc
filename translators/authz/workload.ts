/**
 * @module translators/authz/workload
 * The authorization and authentication filters one listener of a workload gets, for the filter
 * registry (HTTP: translators/filters/{ext-authz,jwt-authn,rbac}.ts) and for the TCP filter
 * chains of inbound listeners and gateways (`networkAuthzFilters`, placed before tcp_proxy). Only
 * listeners that receive traffic for the workload carry them — sidecar inbound, gateways, and the
 * proxyless gRPC server side (local RBAC only: gRPC implements neither ext_authz nor jwt_authn, and
 * istiod's gRPC generator builds only the local RBAC). Each asks the workload's policies of its
 * `PolicyTarget` (its scope), never of the mesh directly, so translators/policy-deps.ts records
 * the read (a policy edit then re-translates only what it can change). Pure.
 */
import type { MeshConfig } from '../../model/config.js';
import type { Filter } from '../../proto/types.js';
import type { ListenerClass } from '../filters/types.js';
import { NO_POLICIES, type AppliedPolicies } from './select.js';
import { authzFilters, type AuthzFilters } from './rbac.js';
import type { HttpListenerContext } from '../filters/types.js';

/**
 * A workload as the policy readers see it: a Scope (translators/scope.ts), or a listener's
 * context, whose `policies()` is its scope's — the one read translators/policy-deps.ts records.
 */
export interface PolicyTarget {
  readonly mesh: MeshConfig;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  policies(): AppliedPolicies;
}

/** The workload of a listener's context. */
export const targetOf = (ctx: HttpListenerContext): PolicyTarget => ({
  mesh: ctx.mesh,
  namespace: ctx.proxy.namespace,
  labels: ctx.labels,
  policies: ctx.policies,
});

/** Listener classes that receive traffic for the workload (where istiod applies its security filters). */
export function enforces(c: ListenerClass): boolean {
  return c === 'sidecar-inbound' || c === 'gateway' || c === 'grpc-inbound';
}

/** The policies a listener of class `c` enforces: the workload's, where it receives traffic for it (none read otherwise). */
export function appliedFor(w: PolicyTarget, c: ListenerClass): AppliedPolicies {
  return enforces(c) ? w.policies() : NO_POLICIES;
}

/**
 * Results per snapshot and workload shape: the ext_authz and rbac registry entries of one HCM, and
 * every HCM and TCP chain of a workload, ask for the same filters. Holding them per MeshConfig
 * (weakly) changes no output; it only avoids translating the same policies several times.
 */
const memo = new WeakMap<MeshConfig, Map<string, AuthzFilters>>();

function memoized(mesh: MeshConfig, key: string, build: () => AuthzFilters): AuthzFilters {
  let m = memo.get(mesh);
  if (!m) {
    m = new Map();
    memo.set(mesh, m);
  }
  let v = m.get(key);
  if (!v) {
    v = build();
    m.set(key, v);
  }
  return v;
}

const shapeKey = (namespace: string, labels: Readonly<Record<string, string>>): string =>
  `${namespace}|${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',')}`;

/** The HTTP authorization filters of a listener (CUSTOM and local parts). */
export function httpAuthz(w: PolicyTarget, c: ListenerClass): AuthzFilters {
  if (!enforces(c)) return authzFilters(w.mesh, NO_POLICIES, false);
  // Asked even when the mesh has no policy: the read is what says a new one must re-translate this.
  const a = w.policies();
  if (!w.mesh.authorizationPolicies.length) return authzFilters(w.mesh, NO_POLICIES, false);
  return memoized(w.mesh, `${c === 'grpc-inbound' ? 'grpc' : 'http'}|${shapeKey(w.namespace, w.labels)}`, () =>
    authzFilters(w.mesh, c === 'grpc-inbound' ? { ...a, custom: [] } : a, false),
  );
}

/**
 * The network filters to put before tcp_proxy in a TCP filter chain that receives traffic for the
 * workload (sidecar inbound, gateway TCP/TLS-passthrough servers): CUSTOM (shadow RBAC +
 * ext_authz for gRPC providers), then AUDIT, DENY, ALLOW network RBAC.
 */
export function networkAuthzFilters(w: PolicyTarget): Filter[] {
  const a = w.policies();
  if (!w.mesh.authorizationPolicies.length) return [];
  const f = memoized(w.mesh, `tcp|${shapeKey(w.namespace, w.labels)}`, () => authzFilters(w.mesh, a, true));
  return [...f.custom, ...f.local] as Filter[];
}
