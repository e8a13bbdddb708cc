/**
 * @module model/push
 * `PushRequest`: what the store stage hands to the push stage for one debounced batch of config
 * events (istiod's model.PushRequest): the new mesh, exactly which kinds and keys changed since
 * the previous snapshot, how far the push must go (`scope`: everything, only the EDS of some
 * hosts, or only SDS), why (istiod's trigger reasons), and when the first change of the batch
 * arrived. Plain readonly data; the helpers below are pure.
 */
import type { ConfigKey, ConfigKind, MeshConfig } from './config.js';

/**
 * How far a push must go.
 * - `full`: any type may have changed (the state machines still send only types whose content changed).
 * - `endpoints`: only endpoints moved: EDS only (plus the name table when a host is headless), only
 *   the clusters of these hostnames, only to streams subscribed to one (a partial EDS response).
 *   `proxies` (Pod changes, watchers/store/pod-scope.ts): workloads (`namespace/name`) whose own
 *   Pod's labels or annotations changed, or that appeared or went — their proxies' class may change,
 *   so their streams get a full push (istiod's ProxyUpdate); every other stream gets the EDS push.
 * - `secrets`: only Secrets changed (a certificate rotated): SDS only.
 */
export type PushScope =
  | { readonly kind: 'full' }
  | { readonly kind: 'endpoints'; readonly hosts: ReadonlySet<string>; readonly proxies?: ReadonlySet<string> }
  | { readonly kind: 'secrets' };

export const FULL_PUSH: PushScope = { kind: 'full' };

/** istiod's push trigger types (pilot/pkg/model/push_context.go TriggerReason) as pilot_push_triggers labels them. */
export type PushReason = 'service' | 'endpoint' | 'config' | 'unknownconfig';

export interface PushRequest {
  /** The snapshot to push. */
  readonly mesh: MeshConfig;
  /** Kinds changed since the previous snapshot (every kind present, for the first one). */
  readonly kinds: ReadonlySet<ConfigKind>;
  /** Keys (`Kind/namespace/name`) changed since the previous snapshot. */
  readonly keys: ReadonlySet<ConfigKey>;
  /** How far the push must go (see PushScope). */
  readonly scope: PushScope;
  /** Why, from the changed kinds (sorted, distinct). */
  readonly reasons: readonly PushReason[];
  /** When the first change folded into this batch arrived (ms since the epoch; debounce and convergence timing). */
  readonly firstChangeAt: number;
  /** How long building the mesh took (istiod's pilot_pushcontext_init_seconds). */
  readonly buildMs: number;
  /**
   * `keys` name every change since the previous request's mesh (the store stage's requests), so
   * the push may carry over what none of them can affect (server/push/runner.ts). Absent or false
   * for pushes made outside the pipeline (a re-push with new JWKS keys, tools): they re-translate everything.
   */
  readonly exactKeys?: boolean;
}

/** The trigger reason of each kind; a kind not listed is `unknownconfig`. */
export const REASON_OF_KIND: Readonly<Record<string, PushReason>> = {
  Service: 'service',
  EndpointSlice: 'endpoint',
  Endpoints: 'endpoint',
  Pod: 'endpoint',
  VirtualService: 'config',
  DestinationRule: 'config',
};

/** The distinct reasons of a set of changed kinds, sorted. */
export function pushReasons(kinds: Iterable<string>): PushReason[] {
  return [...new Set([...kinds].map((k) => REASON_OF_KIND[k] ?? 'unknownconfig'))].sort();
}

/** The kinds that carry endpoints (an endpoint-only change is made of these alone). */
export const ENDPOINT_KINDS: ReadonlySet<string> = new Set(['EndpointSlice', 'Endpoints']);

/** Kinds a change may hold and still be an endpoint-only push, when what else they feed is unchanged (watchers/store/scope.ts). */
export const ENDPOINT_SCOPE_KINDS: ReadonlySet<string> = new Set([...ENDPOINT_KINDS, 'Pod']);

/** A push of everything, for a mesh built outside the pipeline (tests, tools). */
export function fullPush(
  mesh: MeshConfig,
  kinds: ReadonlySet<ConfigKind> = new Set(),
  keys: ReadonlySet<ConfigKey> = new Set(),
  firstChangeAt = 0,
): PushRequest {
  return { mesh, kinds, keys, scope: FULL_PUSH, reasons: pushReasons(kinds), firstChangeAt, buildMs: 0 };
}

/**
 * The scope that covers both `a` and `b`: everything when either is full or they differ in kind,
 * else the union of their hosts and proxies (two endpoint-only pushes) or secrets only.
 */
export function mergeScopes(a: PushScope, b: PushScope): PushScope {
  if (a.kind === 'endpoints' && b.kind === 'endpoints') {
    const proxies = new Set([...(a.proxies ?? []), ...(b.proxies ?? [])]);
    return { kind: 'endpoints', hosts: new Set([...a.hosts, ...b.hosts]), ...(proxies.size ? { proxies } : {}) };
  }
  if (a.kind === 'secrets' && b.kind === 'secrets') return a;
  return FULL_PUSH;
}

/**
 * One request standing for `older` followed by `newer` (a push superseded before it reached every
 * stream, or requests queued behind a running push): `newer`'s mesh, the union of what changed,
 * a scope covering both, the earliest first change.
 */
export function mergePushRequests(older: PushRequest, newer: PushRequest): PushRequest {
  const kinds = new Set([...older.kinds, ...newer.kinds]);
  return {
    mesh: newer.mesh,
    kinds,
    keys: new Set([...older.keys, ...newer.keys]),
    scope: mergeScopes(older.scope, newer.scope),
    reasons: pushReasons(kinds),
    firstChangeAt: Math.min(older.firstChangeAt, newer.firstChangeAt),
    buildMs: older.buildMs + newer.buildMs,
    exactKeys: older.exactKeys === true && newer.exactKeys === true,
  };
}
