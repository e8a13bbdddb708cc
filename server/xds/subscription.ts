/**
 * @module server/xds/subscription
 * One subscription model for SotW and Delta (go-control-plane's `Subscription`): a wildcard flag
 * and the explicitly subscribed names, plus whether the client ever named a resource (rule 13:
 * after that, an empty SotW list means "none", not wildcard). SotW replaces the subscription with
 * every request (`replaceNames`); Delta changes it (`subscribe`, `unsubscribe`). And one
 * `classifyRequest` for both: a request is the stream's first for the type (`initial`), a stale
 * one (its nonce is not the latest sent, rule 12 — its subscription change still counts, rule
 * 19), a NACK (error_detail present, rule 11) or an ACK; `recordReply` keeps the ACK/NACK
 * bookkeeping the debug views and proxy-status read. Pure functions over plain data.
 */
import { isWildcardType } from '../../proto/typeurls.js';
import type { WireStatus } from '../../proto/wire.js';
import { truncateText } from './nacklog.js';
import type { NackRecord } from './state.js';

export interface Subscription {
  /** Subscribed to everything of this type (LDS/CDS wildcard). */
  wildcard: boolean;
  /**
   * Explicitly subscribed names ("*" is not a name). Never changed in place through this field:
   * SotW streams that sent the same name list share one set (namelists.ts).
   */
  names: ReadonlySet<string>;
  /** `names` when it is this subscription's own set, which Delta changes in place; null while it is shared. */
  mine: Set<string> | null;
  /** The client named resources at least once (then an empty SotW list is "none", not wildcard). */
  everNamed: boolean;
}

export const newSubscription = (): Subscription => {
  const names = new Set<string>();
  return { wildcard: false, names, mine: names, everNamed: false };
};

/** The subscription's own set of names, to change in place (a shared one is copied first). */
function mutableNames(sub: Subscription): Set<string> {
  if (!sub.mine) {
    sub.mine = new Set(sub.names);
    sub.names = sub.mine;
  }
  return sub.mine;
}

/** How a request changed the subscription. */
export interface SubscriptionChange {
  /** Names were added or the wildcard turned on (they are owed a response, rules 16 and 20). */
  readonly added: boolean;
  /** Names were removed or the wildcard turned off. */
  readonly removed: boolean;
}

const NO_CHANGE: SubscriptionChange = { added: false, removed: false };

/**
 * SotW: the request's names are the whole subscription. Rule 13: "*" or (legacy) an empty list
 * from a client that never named anything is wildcard, for LDS/CDS only. `shared`: the set of
 * `names` without "*", shared with other streams (namelists.ts), used instead of a new one.
 */
export function replaceNames(
  sub: Subscription,
  typeUrl: string,
  names: readonly string[],
  shared?: ReadonlySet<string>,
): SubscriptionChange {
  // Fast path, the common case: an ACK repeating the same names (SotW clients resend every name
  // in every request — 1,200 EDS names per ACK in the bench — so no new Set unless they changed).
  if (names.length && names.length === sub.names.size && !sub.wildcard) {
    let same = true;
    for (const n of names)
      if (!sub.names.has(n)) {
        same = false;
        break;
      }
    if (same) return NO_CHANGE;
  }
  const beforeWildcard = sub.wildcard;
  const before = sub.names;
  sub.wildcard = isWildcardType(typeUrl) && (names.includes('*') || (names.length === 0 && !sub.everNamed));
  if (shared) {
    sub.names = shared;
    sub.mine = null;
  } else {
    const mine = new Set(names.filter((n) => n !== '*'));
    sub.names = mine;
    sub.mine = mine;
  }
  if (sub.names.size) sub.everNamed = true;
  let added = sub.wildcard && !beforeWildcard;
  if (!added)
    for (const n of sub.names)
      if (!before.has(n)) {
        added = true;
        break;
      }
  let removed = beforeWildcard && !sub.wildcard;
  if (!removed)
    for (const n of before)
      if (!sub.names.has(n)) {
        removed = true;
        break;
      }
  return { added, removed };
}

/**
 * Delta: adds `names`. "*" subscribes to everything; the first request for LDS/CDS that names
 * nothing is legacy wildcard. Any name counts as added, even one already subscribed (rule 20: it
 * must be sent again).
 */
export function subscribe(sub: Subscription, typeUrl: string, names: readonly string[], first: boolean): boolean {
  let added = false;
  if (isWildcardType(typeUrl) && (names.includes('*') || (first && names.length === 0 && !sub.everNamed))) {
    if (!sub.wildcard) added = true;
    sub.wildcard = true;
  }
  for (const n of names) {
    if (n === '*') continue;
    sub.everNamed = true;
    mutableNames(sub).add(n);
    added = true;
  }
  return added;
}

/**
 * Delta: removes `names`, in order ("*" ends the wildcard). Rule 21: a name never subscribed is a
 * no-op. Returns each name with whether a wildcard still covers it (rule 22: then the client gets
 * it back).
 */
export function unsubscribe(sub: Subscription, names: readonly string[]): { readonly name: string; readonly covered: boolean }[] {
  const out: { name: string; covered: boolean }[] = [];
  for (const n of names) {
    if (n === '*') {
      sub.wildcard = false;
      continue;
    }
    if (sub.names.has(n)) mutableNames(sub).delete(n);
    out.push({ name: n, covered: sub.wildcard });
  }
  return out;
}

export type RequestKind = 'initial' | 'ack' | 'nack' | 'stale' | 'unknown-type';

/** What both protocols' requests carry for classification. */
export interface RequestEnvelope {
  readonly responseNonce: string;
  readonly errorDetail: WireStatus | null;
}

export interface Classified {
  readonly kind: Exclude<RequestKind, 'unknown-type'>;
  /** A new subscription: names added (or wildcard on), or the stream's first request for the type. */
  readonly subscribed: boolean;
  readonly unsubscribed: boolean;
}

/**
 * Classifies a request against the type's latest nonce (`sentNonce`; '' before any response)
 * and the subscription change it made. `first`: the stream's first request for this type.
 */
export function classifyRequest(sentNonce: string, req: RequestEnvelope, change: SubscriptionChange, first: boolean): Classified {
  let kind: Classified['kind'];
  if (!req.responseNonce) kind = 'initial';
  else if (req.responseNonce !== sentNonce)
    kind = 'stale'; // rule 12 (and rule 1: old streams' nonces)
  else if (req.errorDetail)
    kind = 'nack'; // rule 11: detect NACK by error_detail only
  else kind = 'ack';
  return { kind, subscribed: change.added || first, unsubscribed: change.removed };
}

/** The ACK/NACK bookkeeping of a type. */
export interface ReplyState {
  versionSent: string;
  ackedVersion: string;
  ackedAt: number;
  ackedNonce: string;
  nack: NackRecord | null;
}

/**
 * Records what the request says about the last response. `stated`: the version the client says
 * it holds — SotW's version_info; null for Delta, which has none (an ACK is of the version sent).
 */
export function recordReply(ts: ReplyState, kind: RequestKind, req: RequestEnvelope, stated: string | null, now: number): void {
  if (kind === 'ack') {
    ts.ackedVersion = stated ?? ts.versionSent;
    ts.ackedAt = now;
    ts.ackedNonce = req.responseNonce;
    ts.nack = null;
  } else if (kind === 'nack') {
    ts.ackedNonce = req.responseNonce;
    ts.nack = { version: ts.versionSent, nonce: req.responseNonce, message: truncateText(req.errorDetail?.message ?? ''), at: now };
    if (stated) ts.ackedVersion = stated;
  } else if (kind === 'initial' && stated) {
    // A reconnecting client states what it holds; if that is what we would send, no churn (rule 10).
    ts.ackedVersion = stated;
  }
}
