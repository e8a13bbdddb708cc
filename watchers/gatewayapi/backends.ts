/**
 * @module watchers/gatewayapi/backends
 * Resolves a route's backendRef (a Service, or Istio's `Hostname` kind naming a ServiceEntry host)
 * to a mesh host and port, enforcing ReferenceGrant for another namespace — or says why not with
 * the spec's reason (BackendNotFound, RefNotPermitted, InvalidKind). Also the grant check for a
 * Gateway's certificateRefs. Pure.
 */
import type { MeshService } from '../../model/config.js';
import { GATEWAY_API_GROUP, type GwBackendRef, type ReferenceGrant } from '../../model/gatewayapi.js';

export type Resolved =
  | { readonly ok: true; readonly host: string; readonly port?: number; readonly weight: number }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** Whether a ReferenceGrant in `toNs` lets `fromKind` objects of `fromNs` refer to `toKind`/`toName`. */
export function granted(
  grants: readonly ReferenceGrant[],
  from: { group: string; kind: string; namespace: string },
  to: { group: string; kind: string; namespace: string; name: string },
): boolean {
  if (from.namespace === to.namespace) return true;
  return grants.some(
    (g) =>
      g.meta.namespace === to.namespace &&
      g.from.some((f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace) &&
      g.to.some((t) => t.group === to.group && t.kind === to.kind && (!t.name || t.name === to.name)),
  );
}

export function resolveBackend(
  ref: GwBackendRef,
  routeKind: string,
  routeNs: string,
  services: ReadonlyMap<string, MeshService>,
  grants: readonly ReferenceGrant[],
  suffix: string,
): Resolved {
  if (ref.group === '' && ref.kind === 'Service') {
    const host = `${ref.name}.${ref.namespace}.svc.${suffix}`;
    if (
      !granted(
        grants,
        { group: GATEWAY_API_GROUP, kind: routeKind, namespace: routeNs },
        { group: '', kind: 'Service', namespace: ref.namespace, name: ref.name },
      )
    ) {
      return {
        ok: false,
        reason: 'RefNotPermitted',
        message: `backendRef Service ${ref.namespace}/${ref.name}: no ReferenceGrant in ${ref.namespace} allows ${routeKind}s from ${routeNs}`,
      };
    }
    if (!services.has(host))
      return { ok: false, reason: 'BackendNotFound', message: `backendRef Service ${ref.namespace}/${ref.name} not found` };
    return { ok: true, host, ...(ref.port !== undefined ? { port: ref.port } : {}), weight: ref.weight };
  }
  if (ref.group === 'networking.istio.io' && ref.kind === 'Hostname') {
    if (!services.has(ref.name))
      return {
        ok: false,
        reason: 'BackendNotFound',
        message: `backendRef Hostname ${ref.name}: no Service or ServiceEntry defines that host`,
      };
    if (ref.port === undefined)
      return { ok: false, reason: 'BackendNotFound', message: `backendRef Hostname ${ref.name}: port is required` };
    return { ok: true, host: ref.name, port: ref.port, weight: ref.weight };
  }
  return {
    ok: false,
    reason: 'InvalidKind',
    message: `backendRef kind ${ref.group ? `${ref.group}/` : ''}${ref.kind} is not supported (Service, or networking.istio.io Hostname)`,
  };
}

/**
 * Weights as percentages summing to exactly 100 (largest remainder, ties to the earlier backend),
 * as istiod converts them: gRPC C-core before 1.55 NACKs weighted clusters whose weights do not
 * add up to the default total_weight of 100. A backend whose share rounds to 0 keeps none.
 */
export function percentWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (w * 100) / total);
  const out = exact.map(Math.floor);
  let left = 100 - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]! += 1;
    left--;
  }
  return out;
}
