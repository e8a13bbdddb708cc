/**
 * @module watchers/policy-notices
 * Accepted security policies that apply to nothing, reported instead of kept silently: a
 * PeerAuthentication whose selector picks no Pod or WorkloadEntry of its namespace, or that has a
 * selector in the root namespace (istiod ignores workload selectors there). The policy stays in
 * force (a proxy sending matching LABELS still gets it); the notice explains why it may not act.
 */
import { configKey, type PolicyNotice } from '../model/config.js';
import type { WorkloadEntry } from '../model/istio.js';
import type { Pod } from '../model/k8s.js';
import { peerAuthSelects, type PeerAuthentication } from '../model/peerauth.js';

export function peerAuthNotices(policies: readonly PeerAuthentication[], rootNamespace: string, pods: readonly Pod[], wes: readonly WorkloadEntry[]): PolicyNotice[] {
  const out: PolicyNotice[] = [];
  for (const p of policies) {
    const sel = p.spec.selector?.matchLabels;
    if (!sel) continue;
    const note = (reason: string): void => {
      out.push({ key: configKey('PeerAuthentication', p.meta.namespace, p.meta.name), kind: 'PeerAuthentication', namespace: p.meta.namespace, name: p.meta.name, reason });
    };
    const want = Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
    if (p.meta.namespace === rootNamespace) {
      note(`spec.selector: a workload selector in the root namespace ${rootNamespace} has no effect (istiod ignores it); remove the selector for a mesh-wide policy`);
      continue;
    }
    const hit = pods.some((pod) => peerAuthSelects(p, pod.meta.namespace, pod.meta.labels))
      || wes.some((we) => peerAuthSelects(p, we.meta.namespace, we.spec.labels ?? {}));
    if (!hit) note(`spec.selector: selects no Pod or WorkloadEntry in namespace ${p.meta.namespace} (${want}); only proxies sending these LABELS get it`);
  }
  return out;
}
