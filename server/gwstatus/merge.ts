/**
 * @module server/gwstatus/merge
 * The Gateway API status tspilot writes, from the conditions the conversion computed and the
 * status the object has now (pure): conditions get `observedGeneration` and keep their
 * `lastTransitionTime` while their status does not change; a route's `parents` (a policy's
 * `ancestors`) written by other
 * controllers are kept; a Gateway's `addresses` are left as they are. `sameStatus` tells the writer
 * when there is nothing to write, which is what keeps a status write from looping back into another.
 */
import { ISTIO_GATEWAY_CONTROLLER, type GwCondition, type GwObjectStatus, type GwRouteParentStatus } from '../../model/gatewayapi.js';

type Json = Record<string, unknown>;

interface KubeCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

function conditions(want: readonly GwCondition[], have: unknown, generation: number, now: string): KubeCondition[] {
  const old = Array.isArray(have) ? (have as Json[]) : [];
  return want.map((c) => {
    const prev = old.find((o) => o['type'] === c.type);
    const since = prev && prev['status'] === c.status && typeof prev['lastTransitionTime'] === 'string' ? prev['lastTransitionTime'] : now;
    return {
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      observedGeneration: generation,
      lastTransitionTime: since,
    };
  });
}

function parentRef(p: GwRouteParentStatus): Json {
  const r = p.parentRef;
  return {
    group: r.group,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    ...(r.sectionName ? { sectionName: r.sectionName } : {}),
    ...(r.port ? { port: r.port } : {}),
  };
}

/** The status object to write, given the object's current `status` (anything) and `now` (RFC 3339). */
export function mergeStatus(s: GwObjectStatus, current: unknown, now: string): Json {
  const cur = current && typeof current === 'object' ? (current as Json) : {};
  const gen = s.generation;
  // A route's `parents` and a policy's `ancestors` (BackendTLSPolicy: `ancestorRef`) are merged alike.
  const list = s.parents
    ? { field: 'parents', ref: 'parentRef', items: s.parents }
    : s.ancestors
      ? { field: 'ancestors', ref: 'ancestorRef', items: s.ancestors }
      : null;
  if (list) {
    const oldParents = Array.isArray(cur[list.field]) ? (cur[list.field] as Json[]) : [];
    const others = oldParents.filter((p) => p['controllerName'] !== ISTIO_GATEWAY_CONTROLLER);
    const ours = list.items.map((p) => {
      const ref = parentRef(p);
      const prev = oldParents.find(
        (o) => o['controllerName'] === ISTIO_GATEWAY_CONTROLLER && JSON.stringify(o[list.ref]) === JSON.stringify(ref),
      );
      return { [list.ref]: ref, controllerName: p.controllerName, conditions: conditions(p.conditions, prev?.['conditions'], gen, now) };
    });
    return { ...cur, [list.field]: [...others, ...ours] };
  }
  const out: Json = { ...cur, conditions: conditions(s.conditions ?? [], cur['conditions'], gen, now) };
  if (s.listeners) {
    const oldListeners = Array.isArray(cur['listeners']) ? (cur['listeners'] as Json[]) : [];
    out['listeners'] = s.listeners.map((l) => ({
      name: l.name,
      attachedRoutes: l.attachedRoutes,
      supportedKinds: l.supportedKinds.map((k) => ({ group: k.group, kind: k.kind })),
      conditions: conditions(l.conditions, oldListeners.find((o) => o['name'] === l.name)?.['conditions'], gen, now),
    }));
  }
  return out;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Json)[k])]),
    );
  return v;
}

/** Whether two status objects say the same (key order does not matter). */
export function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b ?? {}));
}
