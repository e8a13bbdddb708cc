/**
 * @module server/xds/delta
 * The incremental (delta) protocol as pure functions over StreamState, the sibling of sotw.ts:
 * `onDeltaRequest` applies subscribe/unsubscribe (even on a stale nonce, rule 19), seeds what the
 * client holds from initial_resource_versions (rule 18), classifies ACK/NACK by nonce and
 * error_detail, and returns the response owed; `onDeltaPush` returns what a new snapshot owes,
 * CDS → EDS → LDS → RDS, with warming (EDS of changed clusters after CDS, RDS after LDS).
 * Per name the state remembers the version the client holds (`TypeState.known`), so only what
 * differs is sent (rule 23) and deletions become `removed_resources`.
 */
import type { EncodedResource } from '../../proto/encode.js';
import type { DeltaRequest } from '../../proto/wire.js';
import { CDS, EDS, LDS, RDS, PUSH_ORDER, isWildcardType, isXdsType, type XdsType } from '../../proto/typeurls.js';
import type { ClassSnapshot } from '../cache/snapshot.js';
import { truncateText } from './nacklog.js';
import { newTypeState, nextNonce, type DeltaResponse, type StreamState, type TypeState } from './state.js';
import { versionOf, type RequestKind } from './sotw.js';

export interface DeltaOutcome {
  readonly kind: RequestKind;
  readonly typeUrl: string;
  /** Names were subscribed (or wildcard turned on) by this request. */
  readonly resubscribed: boolean;
  readonly response: DeltaResponse | null;
}

/** Marks a name the client was told does not exist. */
const ABSENT = '';

function applyChanges(ts: TypeState, typeUrl: string, req: DeltaRequest, first: boolean): boolean {
  let grew = false;
  // Rule 13 (delta flavour): "*" subscribes to everything; a first request for LDS/CDS that names nothing is legacy wildcard.
  if (isWildcardType(typeUrl) && (req.resourceNamesSubscribe.includes('*') || (first && req.resourceNamesSubscribe.length === 0 && !ts.everNamed))) {
    if (!ts.wildcard) grew = true;
    ts.wildcard = true;
  }
  for (const n of req.resourceNamesSubscribe) {
    if (n === '*') continue;
    ts.everNamed = true;
    ts.names.add(n);
    ts.forceNames.add(n); // rule 20: sent even if the server thinks the client has it
    grew = true;
  }
  for (const n of req.resourceNamesUnsubscribe) {
    if (n === '*') { ts.wildcard = false; continue; }
    ts.names.delete(n); // rule 21: unsubscribing a name never had is a no-op
    if (ts.wildcard) {
      // Rule 22: still covered by the wildcard; the client may have dropped it, so send it again.
      ts.known.delete(n);
      ts.forceNames.add(n);
      grew = true;
    } else {
      ts.known.delete(n);
      ts.forceNames.delete(n);
    }
  }
  return grew;
}

/** The delta response this type owes now, or null when nothing differs. */
function compose(st: StreamState, typeUrl: XdsType, ts: TypeState, snap: ClassSnapshot, only?: ReadonlySet<string>): DeltaResponse | null {
  // With `only` (endpoint-only pushes) just those names are looked at; nothing else can have changed.
  const partial = only !== undefined && !ts.wildcard && !ts.force;
  const desired = new Set(partial ? [...only].filter((n) => ts.names.has(n)) : ts.names);
  if (ts.wildcard) for (const n of snap.names(typeUrl)) desired.add(n);
  if (partial) for (const n of ts.forceNames) if (ts.names.has(n)) desired.add(n);
  const resources: EncodedResource[] = [];
  const removed: string[] = [];
  for (const n of [...desired].sort()) {
    const r = snap.get(typeUrl, n);
    const held = ts.known.get(n);
    if (r) {
      if (held !== r.version || ts.forceNames.has(n) || ts.force) resources.push(r);
    } else if (held !== ABSENT || ts.forceNames.has(n)) {
      removed.push(n); // rule 21: a subscribed name that does not exist; rule 23: a deleted one
    }
  }
  // Names the client holds that no subscription covers any more: deleted from a wildcard set.
  for (const [n, v] of partial ? [] : [...ts.known.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (desired.has(n)) continue;
    ts.known.delete(n);
    if (v !== ABSENT) removed.push(n);
  }
  ts.forceNames.clear();
  ts.force = false;
  if (!resources.length && !removed.length) return null; // rule 23: unchanged ones are not resent
  for (const r of resources) ts.known.set(r.name, r.version);
  for (const n of removed) {
    if (desired.has(n)) ts.known.set(n, ABSENT);
    else ts.known.delete(n);
  }
  // Rule 17: system_version_info is informational; a hash of what this response carries (not of
  // everything held, which would cost O(held) allocations per stream per push).
  const versionInfo = removed.length ? `${versionOf(resources)}-${removed.length}` : versionOf(resources);
  const nonce = nextNonce(st);
  ts.nonce = nonce;
  ts.versionSent = versionInfo;
  ts.responses++;
  ts.sent = new Map(resources.map((r) => [r.name, r]));
  return { typeUrl, versionInfo, nonce, resources, removed };
}

export function onDeltaRequest(st: StreamState, req: DeltaRequest, snap: ClassSnapshot, now: number): DeltaOutcome {
  const typeUrl = req.typeUrl;
  if (!isXdsType(typeUrl)) return { kind: 'unknown-type', typeUrl, resubscribed: false, response: null };
  let ts = st.types.get(typeUrl);
  const first = !ts;
  if (!ts) {
    ts = newTypeState();
    st.types.set(typeUrl, ts);
    // Rule 18: only the first request per type after a (re)connect says what the client holds.
    for (const [n, v] of Object.entries(req.initialResourceVersions).sort()) ts.known.set(n, v);
  }
  // Rule 19: subscription changes apply whatever the nonce.
  const grew = applyChanges(ts, typeUrl, req, first);
  const unsubscribed = req.resourceNamesUnsubscribe.length > 0;
  let kind: RequestKind;
  if (!req.responseNonce) kind = 'initial';
  else if (req.responseNonce !== ts.nonce) kind = 'stale';
  else if (req.errorDetail) kind = 'nack';
  else kind = 'ack';
  if (kind === 'ack') {
    ts.ackedVersion = ts.versionSent; ts.ackedAt = now; ts.ackedNonce = req.responseNonce; ts.nack = null;
  } else if (kind === 'nack') {
    ts.ackedNonce = req.responseNonce;
    ts.nack = { version: ts.versionSent, nonce: req.responseNonce, message: truncateText(req.errorDetail?.message ?? ''), at: now };
  }
  // A class with no config yet (its translation failed): names are recorded (forceNames), nothing is sent.
  if (snap.unavailable) ts.force = true; // composed by the next push whatever it is about
  const response = !snap.unavailable && (first || grew || unsubscribed) ? compose(st, typeUrl, ts, snap) : null;
  return { kind, typeUrl, resubscribed: grew || first, response };
}

/** Responses a new snapshot owes this delta stream, CDS → EDS → LDS → RDS (rules 8, 9). */
export function onDeltaPush(st: StreamState, snap: ClassSnapshot, types: ReadonlySet<XdsType> = new Set(PUSH_ORDER),
  only?: ReadonlySet<string>): DeltaResponse[] {
  const out: DeltaResponse[] = [];
  if (snap.unavailable) return out;
  for (const t of PUSH_ORDER) {
    const ts = st.types.get(t);
    if (!ts || (!types.has(t) && !ts.force && !ts.forceNames.size)) continue;
    const r = compose(st, t, ts, snap, only);
    if (!r) continue;
    out.push(r);
    if (t === CDS) {
      // Warming: a changed cluster waits for its endpoints, so resend them even if unchanged.
      const eds = st.types.get(EDS);
      if (eds) for (const c of r.resources) if (eds.names.has(c.name)) eds.forceNames.add(c.name);
    } else if (t === LDS) {
      const rds = st.types.get(RDS);
      if (rds && r.resources.length) for (const n of rds.names) rds.forceNames.add(n);
    }
  }
  return out;
}
