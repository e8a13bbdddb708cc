/**
 * @module watchers/policy-notices
 * Accepted security policies that apply to nothing, reported instead of kept silently: a
 * PeerAuthentication whose selector picks no Pod or WorkloadEntry of its namespace, or that has a
 * selector in the root namespace (istiod ignores workload selectors there). The policy stays in
 * force (a proxy sending matching LABELS still gets it); the notice explains why it may not act.
 * Likewise an AuthorizationPolicy or RequestAuthentication that selects no Pod or WorkloadEntry
 * (a label typo, a targetRef naming a Gateway with no pods, a Service target meant for waypoints).
 */
import { configKey, type PolicyNotice } from '../model/config.js';
import type { WorkloadEntry } from '../model/istio.js';
import type { Pod } from '../model/k8s.js';
import { peerAuthSelects, type PeerAuthentication } from '../model/peerauth.js';
import { GATEWAY_NAME_LABEL, policyApplies, type AuthorizationPolicy, type RequestAuthentication } from '../model/security.js';

export function peerAuthNotices(
  policies: readonly PeerAuthentication[],
  rootNamespace: string,
  pods: readonly Pod[],
  wes: readonly WorkloadEntry[],
): PolicyNotice[] {
  const out: PolicyNotice[] = [];
  for (const p of policies) {
    const sel = p.spec.selector?.matchLabels;
    if (!sel) continue;
    const note = (reason: string): void => {
      out.push({
        key: configKey('PeerAuthentication', p.meta.namespace, p.meta.name),
        kind: 'PeerAuthentication',
        namespace: p.meta.namespace,
        name: p.meta.name,
        reason,
      });
    };
    const want = Object.entries(sel)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    if (p.meta.namespace === rootNamespace) {
      note(
        `spec.selector: a workload selector in the root namespace ${rootNamespace} has no effect (istiod ignores it); remove the selector for a mesh-wide policy`,
      );
      continue;
    }
    const hit =
      pods.some((pod) => peerAuthSelects(p, pod.meta.namespace, pod.meta.labels)) ||
      wes.some((we) => peerAuthSelects(p, we.meta.namespace, we.spec.labels ?? {}));
    if (!hit)
      note(
        `spec.selector: selects no Pod or WorkloadEntry in namespace ${p.meta.namespace} (${want}); only proxies sending these LABELS get it`,
      );
  }
  return out;
}

/** AuthorizationPolicies and RequestAuthentications that select no known workload. */
export function authzNotices(
  policies: readonly (AuthorizationPolicy | RequestAuthentication)[],
  rootNamespace: string,
  pods: readonly Pod[],
  wes: readonly WorkloadEntry[],
): PolicyNotice[] {
  const out: PolicyNotice[] = [];
  for (const p of policies) {
    const hit =
      pods.some((pod) => policyApplies(p, pod.meta.namespace, pod.meta.labels, rootNamespace)) ||
      wes.some((we) => policyApplies(p, we.meta.namespace, we.spec.labels ?? {}, rootNamespace));
    if (hit) continue;
    const t = p.spec.targetRefs;
    const where = p.meta.namespace === rootNamespace ? 'the mesh' : `namespace ${p.meta.namespace}`;
    const reason = t?.length
      ? t.every((x) => x.kind !== 'Gateway')
        ? `spec.targetRefs: ${t.map((x) => `${x.kind} ${x.name}`).join(', ')} bind waypoints, which tspilot does not serve; only Gateway targets reach its proxies`
        : `spec.targetRefs: no Pod in ${p.meta.namespace} carries ${GATEWAY_NAME_LABEL}=${t
            .filter((x) => x.kind === 'Gateway')
            .map((x) => x.name)
            .join('|')}`
      : p.spec.selector
        ? `spec.selector: selects no Pod or WorkloadEntry in ${where} (${Object.entries(p.spec.selector.matchLabels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}); only proxies sending these LABELS get it`
        : `no Pod or WorkloadEntry in ${where} yet`;
    out.push({
      key: configKey(p.kind, p.meta.namespace, p.meta.name),
      kind: p.kind,
      namespace: p.meta.namespace,
      name: p.meta.name,
      reason,
    });
  }
  return out;
}
