/**
 * @module translators/authz/select
 * Which AuthorizationPolicies and RequestAuthentications apply to a workload, as istiod decides
 * it: a policy in the mesh root namespace applies to every namespace, others only to their own;
 * a `selector` must match the workload's labels (no selector → every workload in scope); a
 * policy with `targetRefs` applies only to what it targets — a Gateway API `Gateway` through its
 * pods' `gateway.networking.k8s.io/gateway-name` label in the policy's namespace (Service and
 * ServiceEntry targets bind waypoints, which tspilot does not run, so they select no proxy).
 * The rule itself is model/security's `policyApplies`. Pure; every list is in namespace/name order.
 */
import type { MeshConfig } from '../../model/config.js';
import {
  policyApplies as appliesTo,
  type AuthorizationPolicy,
  type RequestAuthentication,
  type SelectingPolicy,
} from '../../model/security.js';

export interface Workload {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Whether a policy (selector or targetRefs, root namespace or not) applies to the workload. */
export function policyApplies(p: SelectingPolicy, w: Workload, rootNamespace: string): boolean {
  return appliesTo(p, w.namespace, w.labels, rootNamespace);
}

export interface AppliedPolicies {
  readonly allow: readonly AuthorizationPolicy[];
  readonly deny: readonly AuthorizationPolicy[];
  readonly audit: readonly AuthorizationPolicy[];
  readonly custom: readonly AuthorizationPolicy[];
  readonly requestAuthentications: readonly RequestAuthentication[];
}

export const NO_POLICIES: AppliedPolicies = { allow: [], deny: [], audit: [], custom: [], requestAuthentications: [] };

/** The policies that apply to the workload, grouped by action (namespace/name order within each). */
export function appliedPolicies(mesh: MeshConfig, w: Workload): AppliedPolicies {
  const root = mesh.settings.rootNamespace;
  const aps = mesh.authorizationPolicies.filter((p) => policyApplies(p, w, root));
  const ras = mesh.requestAuthentications.filter((p) => policyApplies(p, w, root));
  if (!aps.length && !ras.length) return NO_POLICIES;
  return {
    allow: aps.filter((p) => p.spec.action === 'ALLOW'),
    deny: aps.filter((p) => p.spec.action === 'DENY'),
    audit: aps.filter((p) => p.spec.action === 'AUDIT'),
    custom: aps.filter((p) => p.spec.action === 'CUSTOM'),
    requestAuthentications: ras,
  };
}

/** A stable key of the applied policies (kind initial and namespace/name), for proxy class keys. */
export function appliedKey(a: AppliedPolicies): string {
  const all = [...a.allow, ...a.deny, ...a.audit, ...a.custom, ...a.requestAuthentications];
  return all
    .map((p) => `${p.kind[0]}:${p.meta.namespace}/${p.meta.name}`)
    .sort()
    .join(',');
}
