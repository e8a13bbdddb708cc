/**
 * @module translators/authz/workload
 * The authorization and authentication filters one listener of a workload gets, for the filter
 * registry (HTTP: translators/filters/{ext-authz,jwt-authn,rbac}.ts) and for the TCP filter
 * chains of inbound listeners and gateways (`networkAuthzFilters`, placed before tcp_proxy). Only
 * listeners that receive traffic for the workload carry them — sidecar inbound, gateways, and the
 * proxyless gRPC server side (local RBAC only: gRPC implements neither ext_authz nor jwt_authn, and
 * istiod's gRPC generator builds only the local RBAC). Pure.
 */
import type { MeshConfig } from '../../model/config.js';
import type { Filter } from '../../proto/types.js';
import type { ListenerClass } from '../filters/types.js';
import { appliedPolicies, NO_POLICIES, type AppliedPolicies } from './select.js';
import { authzFilters, type AuthzFilters } from './rbac.js';

/** Listener classes that receive traffic for the workload (where istiod applies its security filters). */
export function enforces(c: ListenerClass): boolean {
  return c === 'sidecar-inbound' || c === 'gateway' || c === 'grpc-inbound';
}

export function appliedFor(
  mesh: MeshConfig,
  c: ListenerClass,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): AppliedPolicies {
  return enforces(c) ? appliedPolicies(mesh, { namespace, labels }) : NO_POLICIES;
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
export function httpAuthz(mesh: MeshConfig, c: ListenerClass, namespace: string, labels: Readonly<Record<string, string>>): AuthzFilters {
  if (!enforces(c) || !mesh.authorizationPolicies.length) return authzFilters(mesh, NO_POLICIES, false);
  return memoized(mesh, `${c === 'grpc-inbound' ? 'grpc' : 'http'}|${shapeKey(namespace, labels)}`, () => {
    const a = appliedFor(mesh, c, namespace, labels);
    return authzFilters(mesh, c === 'grpc-inbound' ? { ...a, custom: [] } : a, false);
  });
}

/**
 * The network filters to put before tcp_proxy in a TCP filter chain that receives traffic for the
 * workload (sidecar inbound, gateway TCP/TLS-passthrough servers): CUSTOM (shadow RBAC +
 * ext_authz for gRPC providers), then AUDIT, DENY, ALLOW network RBAC.
 */
export function networkAuthzFilters(mesh: MeshConfig, namespace: string, labels: Readonly<Record<string, string>>): Filter[] {
  if (!mesh.authorizationPolicies.length) return [];
  const f = memoized(mesh, `tcp|${shapeKey(namespace, labels)}`, () =>
    authzFilters(mesh, appliedPolicies(mesh, { namespace, labels }), true),
  );
  return [...f.custom, ...f.local] as Filter[];
}
