/**
 * @module watchers/gatewayapi/conditions
 * Condition values with the Gateway API's types and reasons, and the small shared helpers of the
 * conversion: namespace-less object metadata for generated Istio objects, hostname matching and
 * listener × route hostname intersection (the spec's rules: a wildcard matches one or more labels,
 * the more specific side wins). Pure.
 */
import type { ObjectMeta } from '../../model/k8s.js';
import type { GwCondition } from '../../model/gatewayapi.js';

export const cond = (type: string, ok: boolean, reason: string, message = ''): GwCondition => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message,
});

export function generatedMeta(namespace: string, name: string): ObjectMeta {
  return { name, namespace, labels: {}, annotations: {}, generation: 0, resourceVersion: '' };
}

/** Whether `host` (concrete or wildcard) lies within the wildcard-or-concrete `pattern`. */
function within(pattern: string, host: string): boolean {
  if (pattern === host || pattern === '*') return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  return host.endsWith(suffix) && host.length > suffix.length && host !== pattern;
}

/**
 * The hostnames a route serves on a listener: the route's hostnames that the listener's hostname
 * admits (or the listener's when it is the narrower), `['*']` when neither sets any.
 */
export function intersectHostnames(listener: string | undefined, route: readonly string[]): string[] {
  if (!route.length) return [listener ?? '*'];
  if (!listener) return [...route];
  const out = new Set<string>();
  for (const h of route) {
    if (within(listener, h)) out.add(h);
    else if (within(h, listener)) out.add(listener);
  }
  return [...out].sort();
}

export { within as hostnameWithin };

/** Matches a namespace's labels against a label selector (matchLabels and matchExpressions). */
export function selectorMatches(
  sel: {
    matchLabels: Readonly<Record<string, string>>;
    matchExpressions: readonly { key: string; operator: string; values: readonly string[] }[];
  },
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const k of Object.keys(sel.matchLabels)) if (labels[k] !== sel.matchLabels[k]) return false;
  for (const e of sel.matchExpressions) {
    const v = labels[e.key];
    if (e.operator === 'In' && (v === undefined || !e.values.includes(v))) return false;
    if (e.operator === 'NotIn' && v !== undefined && e.values.includes(v)) return false;
    if (e.operator === 'Exists' && v === undefined) return false;
    if (e.operator === 'DoesNotExist' && v !== undefined) return false;
  }
  return true;
}
