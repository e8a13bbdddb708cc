/**
 * @module translators/authz/select
 * Which AuthorizationPolicies and RequestAuthentications apply to a workload, as istiod decides
 * it: a policy in the mesh root namespace applies to every namespace, others only to their own;
 * a `selector` must match the workload's labels (no selector → every workload in scope); a
 * policy with `targetRefs` applies only to what it targets — a Gateway API `Gateway` through its
 * pods' `gateway.networking.k8s.io/gateway-name` label in the policy's namespace (Service and
 * ServiceEntry targets bind waypoints, which tspilot does not run, so they select no proxy).
 * Also which policies select no known workload at all, so they are reported instead of kept
 * silently. Pure; every list is in namespace/name order.
 */
import type { MeshConfig } from '../../model/config.js';
import type { ObjectMeta } from '../../model/k8s.js';
import { GATEWAY_NAME_LABEL, type AuthorizationPolicy, type PolicySelector, type PolicyTargetReference, type RequestAuthentication } from '../../model/security.js';

export interface Workload {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

interface Selectable {
  readonly meta: ObjectMeta;
  readonly spec: { readonly selector?: PolicySelector; readonly targetRefs?: readonly PolicyTargetReference[] };
}

/** Whether a policy (selector or targetRefs, root namespace or not) applies to the workload. */
export function policyApplies(p: Selectable, w: Workload, rootNamespace: string): boolean {
  const ns = p.meta.namespace;
  if (p.spec.targetRefs?.length) {
    if (ns !== w.namespace) return false;
    return p.spec.targetRefs.some((t) => t.kind === 'Gateway' && (t.namespace ?? ns) === w.namespace && w.labels[GATEWAY_NAME_LABEL] === t.name);
  }
  if (ns !== rootNamespace && ns !== w.namespace) return false;
  const sel = p.spec.selector?.matchLabels ?? {};
  return Object.keys(sel).every((k) => w.labels[k] === sel[k]);
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
  return all.map((p) => `${p.kind[0]}:${p.meta.namespace}/${p.meta.name}`).sort().join(',');
}

/** Every workload the mesh knows (pods and WorkloadEntries), for "selects nothing" reports. */
function knownWorkloads(mesh: MeshConfig): Workload[] {
  const out: Workload[] = [...mesh.pods.values()].map((p) => ({ namespace: p.meta.namespace, labels: p.meta.labels }));
  for (const we of mesh.workloadEntries) out.push({ namespace: we.meta.namespace, labels: we.spec.labels ?? {} });
  return out;
}

export interface UnboundPolicy {
  readonly kind: 'AuthorizationPolicy' | 'RequestAuthentication';
  readonly namespace: string;
  readonly name: string;
  readonly reason: string;
}

/** Policies that select no known workload (a typo in a label, a target that does not exist). */
export function unboundPolicies(mesh: MeshConfig): UnboundPolicy[] {
  const ws = knownWorkloads(mesh);
  const root = mesh.settings.rootNamespace;
  const out: UnboundPolicy[] = [];
  for (const p of [...mesh.authorizationPolicies, ...mesh.requestAuthentications]) {
    if (ws.some((w) => policyApplies(p, w, root))) continue;
    const t = p.spec.targetRefs;
    const reason = t?.length
      ? t.every((x) => x.kind !== 'Gateway') ? `targetRefs name ${t.map((x) => x.kind).join(', ')}: only Gateway targets bind proxies tspilot serves (Service targets bind waypoints)` : `no pod carries ${GATEWAY_NAME_LABEL}=${t.map((x) => x.name).join('|')} in ${p.meta.namespace}`
      : p.spec.selector ? `no workload in ${p.meta.namespace === root ? 'the mesh' : p.meta.namespace} has labels ${Object.entries(p.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',')}` : `no workload in ${p.meta.namespace}`;
    out.push({ kind: p.kind, namespace: p.meta.namespace, name: p.meta.name, reason });
  }
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind));
}
