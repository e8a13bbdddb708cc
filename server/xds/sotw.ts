/**
 * @module server/xds/sotw
 * The state-of-the-world protocol as pure functions over StreamState (no gRPC, no timers):
 * `onRequest` classifies a DiscoveryRequest (initial / ACK / NACK / stale nonce), updates the
 * subscription and returns the response owed, if any; `onPush` returns the responses a new
 * config owes the stream, in make-before-break order with warming (EDS after CDS, RDS after LDS).
 * Rules implemented are numbered as in ../shared/reference/xds-protocol.md.
 */
import type { EncodedResource } from '../../proto/encode.js';
import type { SotwRequest } from '../../proto/wire.js';
import { CDS, EDS, LDS, RDS, PUSH_ORDER, isWildcardType, isXdsType, type XdsType } from '../../proto/typeurls.js';
import { entryHash, foldVersion, typeVersion, unfoldVersion, type ClassSnapshot } from '../cache/snapshot.js';
import { truncateText } from './nacklog.js';
import { newTypeState, nextNonce, type SotwResponse, type StreamState, type TypeState } from './state.js';

export type RequestKind = 'initial' | 'ack' | 'nack' | 'stale' | 'unknown-type';

export interface RequestOutcome {
  readonly kind: RequestKind;
  readonly typeUrl: string;
  /** The subscription grew (names added, or wildcard turned on). */
  readonly resubscribed: boolean;
  readonly response: SotwResponse | null;
}

/** Version of a response: a hash of its (name, version) pairs, so equal content ⇒ equal version everywhere. */
export const versionOf = (resources: readonly EncodedResource[]): string => typeVersion(resources);

const byName = (a: EncodedResource, b: EncodedResource): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Applies the request's names; true when something was added (a removal needs no response). */
function applySubscription(ts: TypeState, typeUrl: string, names: readonly string[]): boolean {
  if (names === ts.namesFrom) return false; // the very names (same bytes) as last time: ads.ts reuses the array
  ts.namesFrom = names;
  // Fast path, the common case: an ACK repeating the same names (SotW clients resend every name
  // in every request — 1,200 EDS names per ACK in the bench — so no new Set unless they changed).
  if (names.length && names.length === ts.names.size && !ts.wildcard) {
    let same = true;
    for (const n of names) if (!ts.names.has(n)) { same = false; break; }
    if (same) return false;
  }
  const beforeWildcard = ts.wildcard;
  const before = ts.names;
  const explicit = names.filter((n) => n !== '*');
  // Rule 13: "*" or (legacy) an empty list from a client that never named anything is wildcard.
  ts.wildcard = isWildcardType(typeUrl) && (names.includes('*') || (names.length === 0 && !ts.everNamed));
  if (explicit.length) ts.everNamed = true;
  ts.names = new Set(explicit);
  if (ts.wildcard && !beforeWildcard) return true;
  for (const n of ts.names) if (!before.has(n)) return true;
  return false;
}

/**
 * The response this type would carry now, or null when it would carry nothing new (rule 10:
 * same version as last sent). With `only` (named types, endpoint-only pushes) just those names
 * are looked at and sent — rule 15 lets an EDS/RDS response hold some of the subscribed names —
 * and the rest stay as sent. A plain wildcard subscription shares its class's precomputed set.
 */
function compose(st: StreamState, typeUrl: XdsType, ts: TypeState, snap: ClassSnapshot, mustSend: boolean,
  only?: ReadonlySet<string>): SotwResponse | null {
  // Rule 13: a client that unsubscribed from everything is owed nothing.
  if (!ts.wildcard && ts.names.size === 0) return null;
  const quiet = !mustSend && !ts.force;
  if (only && !ts.wildcard && ts.sent !== null && quiet) {
    const held = ts.sent;
    const changed: EncodedResource[] = [];
    const gone: string[] = [];
    for (const n of only) {
      if (!ts.names.has(n)) continue;
      const r = snap.get(typeUrl, n);
      if (r && held.get(n)?.version !== r.version) changed.push(r);
      else if (!r && held.has(n)) gone.push(n);
    }
    if (!changed.length && !gone.length) return null;
    // The new version from the old one: XOR out what changed, XOR in the new (no full rehash).
    const acc = unfoldVersion(ts.versionSent);
    let version: string;
    if (acc) {
      let [h1, h2, count] = acc;
      for (const n of gone) { const [a, b] = entryHash(held.get(n)!); h1 ^= a; h2 ^= b; count--; }
      for (const r of changed) {
        const old = held.get(r.name);
        if (old) { const [a, b] = entryHash(old); h1 ^= a; h2 ^= b; } else count++;
        const [a, b] = entryHash(r); h1 ^= a; h2 ^= b;
      }
      version = foldVersion(h1, h2, count);
    } else {
      const next = new Map(held);
      for (const n of gone) next.delete(n);
      for (const r of changed) next.set(r.name, r);
      version = typeVersion(next.values());
    }
    const sent = snap.sharedSet(typeUrl, version, () => {
      const next = new Map(held);
      for (const n of gone) next.delete(n);
      for (const r of changed) next.set(r.name, r);
      return next;
    });
    return record(st, ts, typeUrl, sent, changed.sort(byName), version);
  }
  if (ts.wildcard && ts.names.size === 0) {
    const w = snap.wildcardSet(typeUrl);
    if (ts.sent !== null && w.version === ts.versionSent && quiet) return null;
    return record(st, ts, typeUrl, w.map, w.resources, w.version);
  }
  const names = ts.wildcard ? new Set([...ts.names, ...snap.names(typeUrl)]) : ts.names;
  const resources: EncodedResource[] = [];
  for (const n of names) {
    const r = snap.get(typeUrl, n);
    if (r) resources.push(r);
  }
  // Rule 7: names that do not exist yet are remembered (ts.names) and sent when they appear. A
  // named type with nothing to send has nothing to say yet (rule 15: it cannot express deletion).
  if (!ts.wildcard && resources.length === 0 && ts.sent === null) return null;
  const version = typeVersion(resources);
  if (ts.sent !== null && version === ts.versionSent && quiet) return null;
  resources.sort(byName);
  return record(st, ts, typeUrl, snap.sharedSet(typeUrl, version, () => new Map(resources.map((r) => [r.name, r]))), resources, version);
}

/** Records a response as sent; `versionInfo` describes everything the client now holds. */
function record(st: StreamState, ts: TypeState, typeUrl: XdsType, sent: ReadonlyMap<string, EncodedResource>, resources: EncodedResource[],
  versionInfo: string): SotwResponse {
  const nonce = nextNonce(st);
  ts.sent = sent;
  ts.nonce = nonce;
  ts.versionSent = versionInfo;
  ts.force = false;
  ts.responses++;
  return { typeUrl, versionInfo, nonce, resources };
}

export function onRequest(st: StreamState, req: SotwRequest, snap: ClassSnapshot, now: number): RequestOutcome {
  const typeUrl = req.typeUrl;
  if (!isXdsType(typeUrl)) return { kind: 'unknown-type', typeUrl, resubscribed: false, response: null };
  let ts = st.types.get(typeUrl);
  const fresh = !ts;
  if (!ts) { ts = newTypeState(); st.types.set(typeUrl, ts); }
  const resubscribed = applySubscription(ts, typeUrl, req.resourceNames) || fresh;
  let kind: RequestKind;
  if (!req.responseNonce) kind = 'initial';
  else if (req.responseNonce !== ts.nonce) kind = 'stale'; // rule 12 (and rule 1: old streams' nonces)
  else if (req.errorDetail) kind = 'nack'; // rule 11: detect NACK by error_detail only
  else kind = 'ack';
  if (kind === 'ack') {
    ts.ackedVersion = req.versionInfo; ts.ackedAt = now; ts.ackedNonce = req.responseNonce; ts.nack = null;
  } else if (kind === 'nack') {
    ts.ackedNonce = req.responseNonce;
    ts.nack = { version: ts.versionSent, nonce: req.responseNonce, message: truncateText(req.errorDetail?.message ?? ''), at: now };
    if (req.versionInfo) ts.ackedVersion = req.versionInfo;
  } else if (kind === 'initial' && req.versionInfo) {
    // A reconnecting client states what it holds; if that is what we would send, no churn (rule 10).
    ts.ackedVersion = req.versionInfo;
  }
  let response: SotwResponse | null = null;
  // A class with no config yet (its translation failed): the subscription is recorded, nothing is sent.
  // `force`: whatever type a later push is about, this one is composed then.
  if (snap.unavailable) { ts.force = true; return { kind, typeUrl, resubscribed, response }; }
  if (kind === 'initial') {
    const r = compose(st, typeUrl, ts, snap, false);
    if (r && req.versionInfo && r.versionInfo === req.versionInfo) {
      // Same content the client already has: keep it as sent so later pushes diff against it,
      // but do not send it again. The client will ACK our next response normally.
      ts.responses--;
      ts.nonce = '';
    } else response = r;
  } else if (resubscribed) {
    response = compose(st, typeUrl, ts, snap, true); // rule 16: new names are sent even if sent before
  }
  return { kind, typeUrl, resubscribed, response };
}

/** Responses a new snapshot owes this stream, CDS → EDS → LDS → RDS (rules 8, 9). */
export function onPush(st: StreamState, snap: ClassSnapshot, types: ReadonlySet<XdsType> = new Set(PUSH_ORDER),
  only?: ReadonlySet<string>): SotwResponse[] {
  const out: SotwResponse[] = [];
  if (snap.unavailable) return out;
  for (const t of PUSH_ORDER) {
    const ts = st.types.get(t);
    if (!ts || !types.has(t) && !ts.force) continue;
    const r = compose(st, t, ts, snap, false, only);
    if (!r) continue;
    out.push(r);
    const warm = t === CDS ? st.types.get(EDS) : t === LDS ? st.types.get(RDS) : undefined;
    if (warm && warm.sent !== null) warm.force = true;
  }
  return out;
}
