/**
 * @module server/xds/delta
 * The incremental (delta) protocol as pure functions over StreamState, the sibling of sotw.ts:
 * `onDeltaRequest` applies subscribe/unsubscribe (even on a stale nonce, rule 19; subscription.ts),
 * seeds what the client holds from initial_resource_versions (rule 18), classifies ACK/NACK
 * (`classifyRequest`) and returns the response owed; `onDeltaPush` returns what a new snapshot
 * owes, CDS → EDS → LDS → RDS, with warming (EDS of changed clusters after CDS, RDS after LDS).
 * Per name the state remembers the version the client holds (`DeltaPart.known`), so only what
 * differs is sent (rule 23) and deletions become `removed_resources`. `delta` is the engine's
 * Protocol for it.
 */
import type { EncodedResource } from '../../proto/encode.js';
import { decodeDeltaRequest, deltaResponseBytes, type DeltaRequest } from '../../proto/wire.js';
import { CDS, EDS, LDS, RDS, PUSH_ORDER, type XdsType } from '../../proto/typeurls.js';
import type { ResourceSnapshot } from '../cache/api.js';
import { deltaNamesAfter } from './limits.js';
import type { Outcome, Protocol } from './protocol.js';
import { deltaPart, newTypeState, nextNonce, type DeltaPart, type DeltaResponse, type StreamState, type TypeState } from './state.js';
import { classifyRequest, recordReply, subscribe, unsubscribe } from './subscription.js';
import { versionOf } from './sotw.js';

export type DeltaOutcome = Outcome<DeltaResponse>;
type St = StreamState<DeltaPart>;
type Ts = TypeState<DeltaPart>;

/** Marks a name the client was told does not exist. */
const ABSENT = '';

/** Applies the request's subscription changes; true when something is owed (names added, or re-covered by the wildcard). */
function applyChanges(ts: Ts, typeUrl: string, req: DeltaRequest, first: boolean): boolean {
  let grew = subscribe(ts.sub, typeUrl, req.resourceNamesSubscribe, first);
  for (const n of req.resourceNamesSubscribe) if (n !== '*') ts.own.forceNames.add(n); // rule 20: sent even if the server thinks the client has it
  for (const { name, covered } of unsubscribe(ts.sub, req.resourceNamesUnsubscribe)) {
    ts.own.known.delete(name);
    if (covered) {
      // Rule 22: still covered by the wildcard; the client may have dropped it, so send it again.
      ts.own.forceNames.add(name);
      grew = true;
    } else {
      ts.own.forceNames.delete(name);
    }
  }
  return grew;
}

/** The delta response this type owes now, or null when nothing differs. */
function compose(st: St, typeUrl: XdsType, ts: Ts, snap: ResourceSnapshot, only?: ReadonlySet<string>): DeltaResponse | null {
  const { known, forceNames } = ts.own;
  // With `only` (endpoint-only pushes) just those names are looked at; nothing else can have changed.
  const partial = only !== undefined && !ts.sub.wildcard && !ts.force;
  const desired = new Set(partial ? [...only].filter((n) => ts.sub.names.has(n)) : ts.sub.names);
  if (ts.sub.wildcard) for (const n of snap.names(typeUrl)) desired.add(n);
  if (partial) for (const n of forceNames) if (ts.sub.names.has(n)) desired.add(n);
  const resources: EncodedResource[] = [];
  const removed: string[] = [];
  for (const n of [...desired].sort()) {
    const r = snap.get(typeUrl, n);
    const held = known.get(n);
    if (r) {
      if (held !== r.version || forceNames.has(n) || ts.force) resources.push(r);
    } else if (held !== ABSENT || forceNames.has(n)) {
      removed.push(n); // rule 21: a subscribed name that does not exist; rule 23: a deleted one
    }
  }
  // Names the client holds that no subscription covers any more: deleted from a wildcard set.
  for (const [n, v] of partial ? [] : [...known.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (desired.has(n)) continue;
    known.delete(n);
    if (v !== ABSENT) removed.push(n);
  }
  forceNames.clear();
  ts.force = false;
  if (!resources.length && !removed.length) return null; // rule 23: unchanged ones are not resent
  for (const r of resources) known.set(r.name, r.version);
  for (const n of removed) {
    if (desired.has(n)) known.set(n, ABSENT);
    else known.delete(n);
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

export function onDeltaRequest(st: St, typeUrl: XdsType, req: DeltaRequest, snap: ResourceSnapshot, now: number): DeltaOutcome {
  let ts = st.types.get(typeUrl);
  const first = !ts;
  if (!ts) {
    ts = newTypeState(deltaPart());
    st.types.set(typeUrl, ts);
    // Rule 18: only the first request per type after a (re)connect says what the client holds.
    for (const [n, v] of Object.entries(req.initialResourceVersions).sort()) ts.own.known.set(n, v);
  }
  // Rule 19: subscription changes apply whatever the nonce.
  const grew = applyChanges(ts, typeUrl, req, first);
  const { kind, subscribed, unsubscribed } = classifyRequest(
    ts.nonce,
    req,
    { added: grew, removed: req.resourceNamesUnsubscribe.length > 0 },
    first,
  );
  recordReply(ts, kind, req, null, now);
  // A class with no config yet (its translation failed): names are recorded (forceNames), nothing is sent.
  if (snap.unavailable) ts.force = true; // composed by the next push whatever it is about
  const response = !snap.unavailable && (subscribed || unsubscribed) ? compose(st, typeUrl, ts, snap) : null;
  return { kind, typeUrl, resubscribed: subscribed, response };
}

/** Responses a new snapshot owes this delta stream, CDS → EDS → LDS → RDS (rules 8, 9). */
export function onDeltaPush(
  st: St,
  snap: ResourceSnapshot,
  types: ReadonlySet<XdsType> = new Set(PUSH_ORDER),
  only?: ReadonlySet<string>,
): DeltaResponse[] {
  const out: DeltaResponse[] = [];
  if (snap.unavailable) return out;
  for (const t of PUSH_ORDER) {
    const ts = st.types.get(t);
    if (!ts || (!types.has(t) && !ts.force && !ts.own.forceNames.size)) continue;
    const r = compose(st, t, ts, snap, only);
    if (!r) continue;
    out.push(r);
    if (t === CDS) {
      // Warming: a changed cluster waits for its endpoints, so resend them even if unchanged.
      const eds = st.types.get(EDS);
      if (eds) for (const c of r.resources) if (eds.sub.names.has(c.name)) eds.own.forceNames.add(c.name);
    } else if (t === LDS) {
      const rds = st.types.get(RDS);
      if (rds && r.resources.length) for (const n of rds.sub.names) rds.own.forceNames.add(n);
    }
  }
  return out;
}

/** The engine's Delta Protocol (stateless: one shared object serves every connection). */
const DELTA: Protocol<DeltaRequest, DeltaResponse, DeltaPart> = {
  kind: 'delta',
  requestName: 'DeltaDiscoveryRequest',
  debugRequest: () => null,
  replacesNames: false,
  decode: (bytes) => decodeDeltaRequest(bytes),
  withType: (req, typeUrl) => ({ ...req, typeUrl }),
  nameCount: (req) =>
    req.resourceNamesSubscribe.length + req.resourceNamesUnsubscribe.length + Object.keys(req.initialResourceVersions).length,
  requested: (req) => req.resourceNamesSubscribe,
  withRequested: (req, names) => ({ ...req, resourceNamesSubscribe: names }),
  namesAfter: deltaNamesAfter,
  onRequest: onDeltaRequest,
  onPush: onDeltaPush,
  encode: (r) => deltaResponseBytes(r.versionInfo, r.typeUrl, r.nonce, r.resources, r.removed),
  report: (events, st, req, outcome) => events.deltaRequest?.(st, req, outcome),
};

export const delta = (): Protocol<DeltaRequest, DeltaResponse, DeltaPart> => DELTA;
