/**
 * @module watchers/file/kinds
 * Why a document was skipped, in words an operator can act on: a kind tspilot does not translate
 * yet (Istio's WasmPlugin, the Gateway API's UDPRoute), an ordinary Kubernetes kind
 * that carries no mesh configuration, or an unknown kind — with a "did you mean" for near misses
 * of known kinds (`VirtualServce`, `destinationrules`). Pure.
 */
import { SUPPORTED_KINDS } from '../validate/index.js';

/** Mesh kinds istiod reads that tspilot does not translate yet, by API group. */
const NOT_TRANSLATED: Readonly<Record<string, readonly string[]>> = {
  'networking.istio.io': ['WorkloadGroup', 'ProxyConfig'],
  'extensions.istio.io': ['WasmPlugin'],
  'gateway.networking.k8s.io': ['UDPRoute'],
};

/** Kubernetes kinds commonly applied next to mesh config that have nothing for tspilot. */
const WORKLOAD_KINDS: readonly string[] = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Namespace',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolumeClaim',
  'PersistentVolume',
  'Ingress',
  'IngressClass',
  'NetworkPolicy',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'CustomResourceDefinition',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'StorageClass',
  'LimitRange',
  'ResourceQuota',
  'PriorityClass',
  'ReplicationController',
];

const KNOWN: readonly string[] = [...SUPPORTED_KINDS, ...new Set(Object.values(NOT_TRANSLATED).flat()), ...WORKLOAD_KINDS];

/** Optimal string alignment distance (edits, counting one transposition as one), capped at `max + 1`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known kind `kind` is a near miss of (case, a plural, one or two typos), if any. */
export function suggestKind(kind: string): string | undefined {
  const k = kind.toLowerCase();
  let best: { kind: string; d: number } | undefined;
  for (const known of KNOWN) {
    const c = known.toLowerCase();
    const plural = c.endsWith('y') ? `${c.slice(0, -1)}ies` : `${c}s`;
    if (k === c || k === plural || k === `${c}es`) return known;
    const max = c.length >= 8 ? 2 : 1;
    const d = distance(k, c, max);
    if (d <= max && (!best || d < best.d)) best = { kind: known, d };
  }
  return best?.kind;
}

/** The reason a document of `apiVersion`/`kind` is skipped, and how loudly to say it. */
export function ignoredReason(kind: string, apiVersion: string): { reason: string; level: 'warn' | 'info' } {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (NOT_TRANSLATED[group]?.includes(kind)) {
    return { reason: `${kind} (${group}) is not translated by tspilot yet; it has no effect on what proxies receive`, level: 'warn' };
  }
  if (WORKLOAD_KINDS.includes(kind)) return { reason: `${kind} carries no mesh configuration tspilot reads`, level: 'info' };
  if (SUPPORTED_KINDS.includes(kind))
    return { reason: `${apiVersion} ${kind} is not a kind tspilot reads (another API group than the one tspilot knows)`, level: 'warn' };
  const hint = suggestKind(kind);
  return { reason: `unknown kind ${kind}${hint && hint !== kind ? ` (did you mean ${hint}?)` : ''}`, level: 'warn' };
}
