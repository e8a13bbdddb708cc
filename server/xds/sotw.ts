/**
 * @module server/xds/sotw
 * The state-of-the-world protocol as pure functions over StreamState (no gRPC, no timers):
 * `onRequest` applies a DiscoveryRequest's names (the whole subscription, subscription.ts),
 * classifies it (initial / ACK / NACK / stale nonce, `classifyRequest`) and returns the response
 * owed, if any; `onPush` returns the responses a new config owes the stream, in make-before-break
 * order with warming (EDS after CDS, RDS after LDS). `sotw` is the engine's Protocol for it:
 * those two plus decoding (with the ACK shortcut of ackscan.ts) and encoding.
 * Rules implemented are numbered as in ../shared/reference/xds-protocol.md.
 */
import type { EncodedResource } from '../../proto/encode.js';
import { decodeSotwRequest, sotwResponseBytes, type SotwRequest } from '../../proto/wire.js';
import { CDS, EDS, LDS, RDS, PUSH_ORDER, isXdsType, type XdsType } from '../../proto/typeurls.js';
import { entryHash, foldVersion, typeVersion, unfoldVersion } from '../cache/classsnapshot.js';
import type { ResourceSnapshot } from '../cache/api.js';
import { scanSotw } from './ackscan.js';
import { nameListKey, nameListOf, sameNameBytes, shareNameList, sharedNameList } from './namelists.js';
import { sotwNamesAfter } from './limits.js';
import type { Outcome, Protocol } from './protocol.js';
import { grpcFramed } from '../../proto/envelope.js';
import { newTypeState, sotwPart, type NonceSequence, type SotwPart, type SotwResponse, type StreamState, type TypeState } from './state.js';
import { classifyRequest, recordReply, replaceNames } from './subscription.js';

export type { RequestKind } from './subscription.js';
export type RequestOutcome = Outcome<SotwResponse>;
type St = StreamState<SotwPart>;
type Ts = TypeState<SotwPart>;

/** Version of a response: a hash of its (name, version) pairs, so equal content ⇒ equal version everywhere. */
export const versionOf = (resources: readonly EncodedResource[]): string => typeVersion(resources);

const byName = (a: EncodedResource, b: EncodedResource): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The response this type would carry now, or null when it would carry nothing new (rule 10:
 * same version as last sent). EDS and RDS, when the client already holds them, get only what
 * changed since (rule 15 lets an EDS/RDS response hold some of the subscribed names; only LDS and
 * CDS are whole-state, rule 14), as istiod's incremental EDS: the subscribed names whose resource
 * differs from the one sent, plus those being warmed (`own.warm`, rule 8); with `only`
 * (endpoint-only pushes) just those names are looked at. The rest stay as sent, and the version
 * still describes everything the client holds. A whole response is sent when the subscription grew
 * (rule 16), the type is forced, or nothing was sent yet. A plain wildcard subscription shares its
 * class's precomputed set.
 */
function compose(
  st: St,
  typeUrl: XdsType,
  ts: Ts,
  snap: ResourceSnapshot,
  mustSend: boolean,
  only?: ReadonlySet<string>,
): SotwResponse | null {
  // Rule 13: a client that unsubscribed from everything is owed nothing.
  if (!ts.sub.wildcard && ts.sub.names.size === 0) return null;
  const quiet = !mustSend && !ts.force;
  // Only EDS and RDS may carry part of the subscription: LDS and CDS are whole-state even when
  // named (gRPC clients name them), so leaving one out would delete it (rule 14).
  if (!ts.sub.wildcard && ts.sent !== null && quiet && (typeUrl === EDS || typeUrl === RDS)) {
    const held = ts.sent;
    const warm = ts.own.warm;
    ts.own.warm = null;
    // Streams of the class holding the same set, subscribed to the same names, owe the same update.
    const d = warm
      ? diff(typeUrl, ts.sub.names, held, snap, warm, only, ts.versionSent)
      : memo(
          snap,
          typeUrl,
          ts.sub.names,
          held,
          ts.versionSent,
          () => diff(typeUrl, ts.sub.names, held, snap, null, only, ts.versionSent),
          only,
        );
    if (!d) return null;
    return record(st, ts, typeUrl, d.sent, d.resources, d.version);
  }
  if (ts.sub.wildcard && ts.sub.names.size === 0) {
    const w = snap.wildcardSet(typeUrl);
    if (ts.sent !== null && w.version === ts.versionSent && quiet) return null;
    return record(st, ts, typeUrl, w.map, w.resources, w.version);
  }
  const names = ts.sub.wildcard ? new Set([...ts.sub.names, ...snap.names(typeUrl)]) : ts.sub.names;
  const whole = (): Composed => {
    const resources: EncodedResource[] = [];
    for (const n of names) {
      const r = snap.get(typeUrl, n);
      if (r) resources.push(r);
    }
    resources.sort(byName);
    const version = typeVersion(resources);
    return { resources, version, sent: snap.sharedSet(typeUrl, version, () => new Map(resources.map((r) => [r.name, r]))) };
  };
  const w = ts.sub.wildcard ? whole() : memo(snap, typeUrl, names, WHOLE, '', whole)!;
  // What a later push's partial response (above) would find against this one on the same content:
  // nothing. Noted now, so the first push after a start does not diff every class's unchanged EDS
  // and RDS names against what each class was sent whole (the pushes after it found it memoized).
  if ((typeUrl === EDS || typeUrl === RDS) && !ts.sub.wildcard) memo(snap, typeUrl, names, w.sent, w.version, () => null);
  // Rule 7: names that do not exist yet are remembered (ts.sub.names) and sent when they appear. A
  // named type with nothing to send has nothing to say yet (rule 15: it cannot express deletion).
  if (!ts.sub.wildcard && w.resources.length === 0 && ts.sent === null) return null;
  if (ts.sent !== null && w.version === ts.versionSent && quiet) return null;
  return record(st, ts, typeUrl, w.sent, w.resources, w.version);
}

/** A response's content: its resources (sorted by name, shared — never changed), version and the set the client then holds. */
interface Composed {
  readonly resources: readonly EncodedResource[];
  readonly version: string;
  readonly sent: ReadonlyMap<string, EncodedResource>;
}

/**
 * What a partial EDS/RDS response carries (see compose): the subscribed names whose resource
 * differs from the one held, or is warmed; null when none.
 */
function diff(
  typeUrl: XdsType,
  subscribed: ReadonlySet<string>,
  held: ReadonlyMap<string, EncodedResource>,
  snap: ResourceSnapshot,
  warm: ReadonlySet<string> | null,
  only: ReadonlySet<string> | undefined,
  versionSent: string,
): Composed | null {
  const changed: EncodedResource[] = [];
  const gone: string[] = [];
  const look = (n: string): void => {
    if (!subscribed.has(n)) return;
    const r = snap.get(typeUrl, n);
    if (r && (held.get(n)?.version !== r.version || warm?.has(n))) changed.push(r);
    else if (!r && held.has(n)) gone.push(n);
  };
  if (only) {
    for (const n of only) look(n);
    if (warm) for (const n of warm) if (!only.has(n)) look(n);
  } else for (const n of subscribed) look(n);
  if (!changed.length && !gone.length) return null;
  // The new version from the old one: XOR out what changed, XOR in the new (no full rehash).
  const acc = unfoldVersion(versionSent);
  let version: string;
  if (acc) {
    let [h1, h2, count] = acc;
    for (const n of gone) {
      const [a, b] = entryHash(held.get(n)!);
      h1 ^= a;
      h2 ^= b;
      count--;
    }
    for (const r of changed) {
      const old = held.get(r.name);
      if (old) {
        const [a, b] = entryHash(old);
        h1 ^= a;
        h2 ^= b;
      } else count++;
      const [a, b] = entryHash(r);
      h1 ^= a;
      h2 ^= b;
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
  return { resources: changed.sort(byName), version, sent };
}

/** The key of a whole (not a partial) response in `memo`. */
const WHOLE = {};
/** The key of a response not limited to some names (no `only`) in `memo`. */
const EVERY_NAME = {};
const memos = new WeakMap<
  object,
  Map<XdsType, WeakMap<ReadonlySet<string>, WeakMap<object, WeakMap<object, Map<string, Composed | null>>>>>
>();

/**
 * Composes once per class snapshot, subscription set, held set (and its version) and, for an
 * endpoint-only push, its set of names looked at (`only`, one per class and push): streams of one
 * class share their subscription set when they sent the same names (namelists.ts) and their held
 * set when they hold the same version (sharedSet), so 2,000 streams of a few classes compose a few
 * times, not 2,000 (issue 18) — and get the very same resources, so one encoded frame (frames.ts).
 * Held weakly by snapshot, sets and held set, so it lives no longer than they do.
 */
function memo(
  snap: ResourceSnapshot,
  typeUrl: XdsType,
  names: ReadonlySet<string>,
  held: object,
  version: string,
  make: () => Composed | null,
  only: ReadonlySet<string> | undefined = undefined,
): Composed | null {
  // Classes with equal output of the type share one key (per-pod classes: server/cache/composer.ts contentKey).
  const key = snap.contentKey?.(typeUrl) ?? snap;
  let byType = memos.get(key);
  if (!byType) memos.set(key, (byType = new Map()));
  let byNames = byType.get(typeUrl);
  if (!byNames) byType.set(typeUrl, (byNames = new WeakMap()));
  let byHeld = byNames.get(names);
  if (!byHeld) byNames.set(names, (byHeld = new WeakMap()));
  let byOnly = byHeld.get(held);
  if (!byOnly) byHeld.set(held, (byOnly = new WeakMap()));
  let byVersion = byOnly.get(only ?? EVERY_NAME);
  if (!byVersion) byOnly.set(only ?? EVERY_NAME, (byVersion = new Map()));
  let c = byVersion.get(version);
  if (c === undefined) byVersion.set(version, (c = make()));
  return c;
}

/** The sequence of streams that have no engine's (tests' hand-made states). */
const processNonces: NonceSequence = { last: 0 };
const nonceOfContent = new WeakMap<readonly EncodedResource[], { readonly version: string; readonly seq: number }>();

/**
 * The nonce of a response carrying `resources` at `version`. Streams composed the same response
 * (one shared resource list: `memo`, wildcardSet) get the same nonce, so their wire bytes are
 * identical and encoded once (frames.ts) — unless the stream has had a later nonce since, since a
 * stream's nonces only ever increase: each is unique on its stream, which is all a nonce must be
 * (xds-protocol.md rule 1: a nonce belongs to its stream).
 */
function nonceFor(st: St, resources: readonly EncodedResource[], version: string): string {
  const given = nonceOfContent.get(resources);
  let seq: number;
  if (given && given.version === version && given.seq > st.nonceSeq) seq = given.seq;
  else {
    const src = st.nonces ?? processNonces;
    // Never at or below the stream's last (a content's nonce may come from another engine's sequence).
    seq = src.last = Math.max(src.last, st.nonceSeq) + 1;
    nonceOfContent.set(resources, { version, seq });
  }
  st.nonceSeq = seq;
  return seq.toString(36);
}

/** Records a response as sent; `versionInfo` describes everything the client now holds. */
function record(
  st: St,
  ts: Ts,
  typeUrl: XdsType,
  sent: ReadonlyMap<string, EncodedResource>,
  resources: readonly EncodedResource[],
  versionInfo: string,
): SotwResponse {
  const nonce = nonceFor(st, resources, versionInfo);
  ts.sent = sent;
  ts.nonce = nonce;
  ts.versionSent = versionInfo;
  ts.force = false;
  ts.own.warm = null;
  ts.responses++;
  return { typeUrl, versionInfo, nonce, resources };
}

/** Applies a request's names; SotW owes a response for what was added only (a removal needs none). */
function applyNames(ts: Ts, typeUrl: string, names: readonly string[]): boolean {
  if (names === ts.own.namesFrom) return false; // the very names (same bytes) as last time: `decode` reuses the array
  ts.own.namesFrom = names;
  return replaceNames(ts.sub, typeUrl, names, nameListOf(names)?.set).added;
}

export function onRequest(st: St, typeUrl: XdsType, req: SotwRequest, snap: ResourceSnapshot, now: number): RequestOutcome {
  let ts = st.types.get(typeUrl);
  const fresh = !ts;
  if (!ts) {
    ts = newTypeState(sotwPart());
    st.types.set(typeUrl, ts);
  }
  const added = applyNames(ts, typeUrl, req.resourceNames);
  const { kind, subscribed: resubscribed } = classifyRequest(ts.nonce, req, { added, removed: false }, fresh);
  recordReply(ts, kind, req, req.versionInfo, now);
  let response: SotwResponse | null = null;
  // A class with no config yet (its translation failed): the subscription is recorded, nothing is sent.
  // `force`: whatever type a later push is about, this one is composed then.
  if (snap.unavailable) {
    ts.force = true;
    return { kind, typeUrl, resubscribed, response };
  }
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
export function onPush(
  st: St,
  snap: ResourceSnapshot,
  types: ReadonlySet<XdsType> = new Set(PUSH_ORDER),
  only?: ReadonlySet<string>,
): SotwResponse[] {
  const out: SotwResponse[] = [];
  if (snap.unavailable) return out;
  for (const t of PUSH_ORDER) {
    const ts = st.types.get(t);
    if (!ts || (!types.has(t) && !ts.force && !ts.own.warm)) continue;
    const before = ts.sent;
    const r = compose(st, t, ts, snap, false, only);
    if (!r) continue;
    out.push(r);
    if (t === CDS) {
      // Rule 8: a changed cluster warms until its endpoints arrive, so their EDS is resent even if unchanged.
      const eds = st.types.get(EDS);
      if (eds && eds.sent !== null) {
        const warm = eds.own.warm ?? new Set<string>();
        for (const c of r.resources) if (before?.get(c.name)?.version !== c.version && eds.sub.names.has(c.name)) warm.add(c.name);
        if (warm.size) eds.own.warm = warm;
      }
    } else if (t === LDS) {
      const rds = st.types.get(RDS);
      if (rds && rds.sent !== null) rds.force = true;
    }
  }
  return out;
}

/** The parts of the SotW Protocol that keep no per-connection state (shared by every connection). */
const SOTW: Omit<Protocol<SotwRequest, SotwResponse, SotwPart>, 'decode'> = {
  kind: 'sotw',
  requestName: 'DiscoveryRequest',
  debugRequest: (req) => req,
  replacesNames: true,
  withType: (req, typeUrl) => ({ ...req, typeUrl }),
  nameCount: (req) => req.resourceNames.length,
  requested: (req) => req.resourceNames,
  withRequested: (req, names) => ({ ...req, resourceNames: names }),
  namesAfter: sotwNamesAfter,
  onRequest,
  onPush,
  encode: (r, alloc) =>
    sotwResponseBytes(
      r.versionInfo,
      r.typeUrl,
      r.nonce,
      r.resources.map((x) => x.any),
      alloc,
    ),
  encodeFramed: (r, allocFrame) => grpcFramed((alloc) => SOTW.encode(r, alloc), allocFrame),
  report: (events, st, req, outcome) => events.request?.(st, req, outcome),
};

/**
 * The engine's SotW Protocol, one per connection: its decoder remembers, per type, the key of the
 * last request's resource_names bytes and the names decoded from them, so an ACK repeating them
 * costs an envelope scan instead of a full decode (see ackscan.ts); and names other streams sent
 * with the same bytes are not decoded again but shared (namelists.ts).
 */
export function sotw(): Protocol<SotwRequest, SotwResponse, SotwPart> {
  const lastNames = new Map<string, { readonly key: string; readonly names: readonly string[] }>();
  return {
    ...SOTW,
    decode(bytes, started) {
      const scan = started ? scanSotw(bytes) : null;
      const envelope = (s: NonNullable<typeof scan>, names: readonly string[]): SotwRequest => ({
        versionInfo: s.versionInfo,
        node: null,
        resourceNames: names,
        typeUrl: s.typeUrl,
        responseNonce: s.responseNonce,
        errorDetail: null,
      });
      const prev = scan && lastNames.get(scan.typeUrl);
      // The stream's own last names again (an ACK): one byte comparison, no digest.
      if (scan && prev && sameNameBytes(prev.names, scan.names)) return envelope(scan, prev.names);
      const key = scan && isXdsType(scan.typeUrl) ? nameListKey(scan.typeUrl, scan.names) : null;
      if (scan && key) {
        const names = prev && prev.key === key ? prev.names : sharedNameList(key)?.names;
        if (names) {
          if (names !== prev?.names) lastNames.set(scan.typeUrl, { key, names });
          return envelope(scan, names);
        }
      }
      const req = decodeSotwRequest(bytes);
      if (!scan || !key) return req;
      const names = shareNameList(key, req.resourceNames, scan.names).names;
      lastNames.set(scan.typeUrl, { key, names });
      return { ...req, resourceNames: names };
    },
  };
}
