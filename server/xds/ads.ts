/**
 * @module server/xds/ads
 * The ADS engine: owns the connected streams (SotW and Delta), drives the pure state machines
 * (sotw.ts, delta.ts) with decoded requests and config pushes, and writes responses through an
 * abstract StreamIO (grpc.ts adapts grpc-js to it; tests use an in-memory one).
 * Sending: per stream, responses wait in a latest-wins slot per type, written in CDS → EDS → LDS
 * → RDS order, one response in flight per stream; a global throttle bounds how many streams are
 * being written at once (istiod: min(15 + 5·cores, 100)). A client that stops reading holds at
 * most one pending response per type and its slot is released after `sendTimeoutMs`, so memory
 * stays bounded and other streams keep flowing.
 * Bounds on what clients control: each stream leases its proxy class from the cache (released on
 * close, so made-up identities do not pile up), and subscribed names are capped per request, per
 * stream and per server (RESOURCE_EXHAUSTED naming the limit). A failure computing one stream's
 * response is isolated: the push goes on to every other stream (see server/cache/snapshot.ts for
 * how a class whose translation throws keeps its last good config).
 */
import type { MeshConfig } from '../../model/config.js';
import { FULL_PUSH } from '../../model/push.js';
import type { Proxy } from '../../model/proxy.js';
import { resolveProxy } from '../../model/resolve-proxy.js';
import { nameTableFollowsEndpoints } from '../../model/headless.js';
import type { ClusterKey } from '../../model/cluster-key.js';
import { decodeDeltaRequest, decodeSotwRequest, deltaResponseBytes, sotwResponseBytes, type DeltaRequest, type SotwRequest, type WireNode } from '../../proto/wire.js';
import { EDS, NDS, PUSH_ORDER, SDS, SHORT, isXdsType, type XdsType } from '../../proto/typeurls.js';
import { secretAccess } from './secretauthz.js';
import type { ClassLease, ClassSnapshot, SnapshotCache } from '../cache/snapshot.js';
import { onPush, onRequest } from './sotw.js';
import { onDeltaPush, onDeltaRequest } from './delta.js';
import { namesDigest, scanSotw } from './ackscan.js';
import { namesAfter, subscribedCount } from './limits.js';
import type { DeltaResponse, SotwResponse, StreamState } from './state.js';
import type { AuthResult, CallerIdentity } from '../security/identity.js';
import { Status, defaultSendConcurrency, type AdsEvents, type EngineCounters, type EngineOptions, type OpenOptions, type PushScope, type StreamHandle, type StreamIO } from './engine-api.js';

export * from './engine-api.js';

/** Requests (and their bytes, beyond the first) a stream may send while its authorization is pending; more is RESOURCE_EXHAUSTED. */
const MAX_HELD = 16;
const MAX_HELD_BYTES = 1024 * 1024;

type Kind = 'sotw' | 'delta';

interface Connection {
  readonly io: StreamIO;
  readonly kind: Kind;
  state: StreamState | null;
  /** Pins the stream's proxy class in the cache while the stream lives. */
  lease: ClassLease | null;
  readonly pending: Map<XdsType, SotwResponse | DeltaResponse>;
  /** A response is written and not yet taken by the transport. */
  busy: boolean;
  queued: boolean;
  closed: boolean;
  readonly defaultType: string | undefined;
  /** Names this stream subscribes to (counted in the engine's server-wide total). */
  names: number;
  /** SotW: per type, a digest of the last request's raw resource_names bytes and the names decoded from them. */
  readonly lastNames: Map<string, { readonly digest: string; readonly names: readonly string[] }>;
  /** Set while the first request waits for `authorize`: requests received meanwhile, replayed in order. */
  held: Uint8Array[] | null;
  /** Bytes in `held` (counted in the engine's server-wide total while authorization is pending). */
  heldBytes: number;
  /** undefined: no authorization on this stream; null: not decided yet. */
  identity?: CallerIdentity | null;
  readonly authorize?: ((proxy: Proxy) => Promise<AuthResult>) | undefined;
  /** The SDS names last refused, so a client repeating them in every ACK is logged once. */
  deniedSecrets: string;
}

/** A service the DNS name table answers with its endpoints' IPs (the translator's own rule). */
function isHeadless(mesh: MeshConfig, host: string): boolean {
  const s = mesh.serviceByHost.get(host);
  return s !== undefined && nameTableFollowsEndpoints(s);
}

/** Whether an EDS resource, by the key the translators put beside it, belongs to one of `hosts`. */
const ofHosts = (hosts: ReadonlySet<string>) => (key: ClusterKey | undefined): boolean => key !== undefined && hosts.has(key.host);

export class AdsEngine {
  private readonly conns = new Set<Connection>();
  private readonly ready = new Set<Connection>();
  private inFlight = 0;
  /** Request bytes held by streams whose authorization is pending (see EngineOptions.maxPendingAuthBytes). */
  private heldBytes = 0;
  /** Names subscribed by all streams (see EngineOptions.maxServerNames). */
  private totalNames = 0;
  private seq = 0;
  readonly counters: EngineCounters = { rejectedStreams: 0, unknownTypes: 0, largeResponses: 0, droppedResponses: 0, sendTimeouts: 0 };
  private readonly opts: Required<EngineOptions>;

  constructor(private readonly cache: SnapshotCache, private readonly events: AdsEvents = {}, private readonly now: () => number = Date.now,
    opts: EngineOptions = {}) {
    this.opts = {
      sendConcurrency: opts.sendConcurrency ?? defaultSendConcurrency(), sendTimeoutMs: opts.sendTimeoutMs ?? 5000,
      largeResponseBytes: opts.largeResponseBytes ?? 4 * 1024 * 1024, maxResponseBytes: opts.maxResponseBytes ?? 0, maxNames: opts.maxNames ?? 100_000,
      maxStreamNames: opts.maxStreamNames ?? 200_000, maxServerNames: opts.maxServerNames ?? 5_000_000, maxPendingAuthBytes: opts.maxPendingAuthBytes ?? 64 * 1024 * 1024,
    };
  }

  /** Streams that have sent a valid first request. */
  streams(): StreamState[] {
    return [...this.conns].map((c) => c.state).filter((s): s is StreamState => s !== null);
  }

  /** Responses waiting on streams (for tests and metrics): at most one per type per stream. */
  pendingCount(): number {
    let n = 0;
    for (const c of this.conns) n += c.pending.size;
    return n;
  }

  /** Resource names subscribed by all streams together. */
  subscribedNames(): number {
    return this.totalNames;
  }

  /** Open connections, including those that have not sent a valid first request yet. */
  connectionCount(): number {
    return this.conns.size;
  }

  /** A new stream; `defaultType` fills an empty type_url (per-type services, not ADS). */
  open(io: StreamIO, defaultType?: string, kind: Kind = 'sotw', opts: OpenOptions = {}): StreamHandle {
    const conn: Connection = { io, kind, state: null, lease: null, pending: new Map(), busy: false, queued: false, closed: false, defaultType, lastNames: new Map(), names: 0,
      held: null, heldBytes: 0, deniedSecrets: '',
      ...(opts.authorize ? { identity: null, authorize: opts.authorize.bind(opts) } : opts.identity !== undefined ? { identity: opts.identity } : {}) };
    this.conns.add(conn);
    io.onDrain(() => this.pump());
    return {
      onMessage: (bytes) => this.onMessage(conn, bytes),
      onEnd: () => this.close(conn),
    };
  }

  private close(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.dropHeld(conn);
    conn.pending.clear();
    conn.lease?.release();
    this.totalNames -= conn.names;
    conn.names = 0;
    this.conns.delete(conn);
    this.ready.delete(conn);
    if (conn.state) this.events.disconnected?.(conn.state);
  }

  private fail(conn: Connection, code: number, message: string): void {
    this.counters.rejectedStreams++;
    this.events.rejected?.(conn.io.peer, message);
    conn.io.fail(code, message);
    this.close(conn);
  }

  private proxyOf(node: WireNode): { proxy: Proxy } | { error: string } {
    const r = resolveProxy(node, this.cache.mesh);
    return r.ok ? { proxy: r.proxy } : { error: r.reason };
  }

  private onMessage(conn: Connection, bytes: Uint8Array): void {
    if (conn.closed) return;
    if (conn.held) {
      const bytesHeld = conn.held.reduce((n, b, i) => (i ? n + b.length : n), bytes.length);
      if (conn.held.length >= MAX_HELD || bytesHeld > MAX_HELD_BYTES) {
        this.fail(conn, Status.RESOURCE_EXHAUSTED, `requests sent before the stream was authorized exceed the limit of ${MAX_HELD} requests or ${MAX_HELD_BYTES} bytes`);
      } else if (this.hold(conn, bytes)) conn.held.push(bytes);
      return;
    }
    let req: SotwRequest | DeltaRequest;
    try {
      req = conn.kind === 'delta' ? decodeDeltaRequest(bytes) : this.decodeSotw(conn, bytes);
      if (!req.typeUrl && conn.defaultType) req = { ...req, typeUrl: conn.defaultType };
    } catch (e) {
      this.fail(conn, Status.INVALID_ARGUMENT, `malformed ${conn.kind === 'delta' ? 'DeltaDiscoveryRequest' : 'DiscoveryRequest'}: ${(e as Error).message}`);
      return;
    }
    const names = 'resourceNames' in req ? req.resourceNames.length
      : req.resourceNamesSubscribe.length + req.resourceNamesUnsubscribe.length + Object.keys(req.initialResourceVersions).length;
    if (names > this.opts.maxNames) {
      this.fail(conn, Status.RESOURCE_EXHAUSTED, `request for ${typeShort(req.typeUrl)} names ${names} resources; the limit is ${this.opts.maxNames}`);
      return;
    }
    if (!conn.state) {
      if (!req.node || !req.node.id) {
        this.fail(conn, Status.INVALID_ARGUMENT, 'the first DiscoveryRequest of a stream must carry node.id');
        return;
      }
      const p = this.proxyOf(req.node);
      if ('error' in p) { this.fail(conn, Status.INVALID_ARGUMENT, `invalid node: ${p.error}`); return; }
      if (conn.identity === null) { this.authorizeFirst(conn, p.proxy, bytes); return; }
      conn.state = {
        id: `${p.proxy.id}-${++this.seq}`, proxy: p.proxy, node: req.node, kind: conn.kind, connectedAt: this.now(),
        peer: conn.io.peer, types: new Map(), nonceSeq: 0, ...(conn.identity !== undefined ? { identity: conn.identity } : {}),
      };
      conn.lease = this.cache.acquire(p.proxy);
      this.events.connected?.(conn.state);
    }
    const st = conn.state;
    if (!req.typeUrl) { this.fail(conn, Status.INVALID_ARGUMENT, 'DiscoveryRequest.type_url is required on an aggregated stream'); return; }
    if (!isXdsType(req.typeUrl)) {
      // Types we do not serve (istio-agent's NameTable, ProxyConfig…) are tolerated and ignored.
      this.counters.unknownTypes++;
      const outcome = { kind: 'unknown-type', typeUrl: req.typeUrl, resubscribed: false, response: null } as const;
      if ('resourceNames' in req) this.events.request?.(st, req, outcome);
      else this.events.deltaRequest?.(st, req, outcome);
      return;
    }
    if (req.typeUrl === SDS) req = this.authorizeSecrets(conn, st, req);
    if (!this.withinNameLimits(conn, st, req)) return;
    let response: SotwResponse | DeltaResponse | null;
    try {
      const snap = conn.lease!.snapshot();
      if ('resourceNames' in req) {
        const outcome = onRequest(st, req, snap, this.now());
        this.events.request?.(st, req, outcome);
        response = outcome.response;
      } else {
        const outcome = onDeltaRequest(st, req, snap, this.now());
        this.events.deltaRequest?.(st, req, outcome);
        response = outcome.response;
      }
    } catch (e) {
      // A bug, not bad input: this stream cannot be served consistently, so it ends (the client reconnects).
      const error = e instanceof Error ? e : new Error(String(e));
      this.events.streamError?.(st, error, 'request');
      this.fail(conn, Status.INTERNAL, `cannot compute the ${typeShort(req.typeUrl)} response: ${error.message}`);
      return;
    }
    const now = subscribedCount(st);
    this.totalNames += now - conn.names;
    conn.names = now;
    if (response) this.enqueue(conn, response);
  }

  /** Refuses (RESOURCE_EXHAUSTED) a request that would take the stream or the server past its name limit. */
  private withinNameLimits(conn: Connection, st: StreamState, req: SotwRequest | DeltaRequest): boolean {
    const others = this.totalNames - conn.names;
    const limit = Math.min(this.opts.maxStreamNames, this.opts.maxServerNames - others);
    const after = namesAfter(st, req, conn.names, limit);
    if (after > this.opts.maxStreamNames) {
      this.fail(conn, Status.RESOURCE_EXHAUSTED, `the stream would subscribe to ${after} resource names; the per-stream limit is ${this.opts.maxStreamNames}`);
      return false;
    }
    if (others + after > this.opts.maxServerNames) {
      this.fail(conn, Status.RESOURCE_EXHAUSTED, `all streams would subscribe to ${others + after} resource names together; the server limit is ${this.opts.maxServerNames}`);
      return false;
    }
    return true;
  }

  /**
   * Keeps only the SDS names this stream may read (see secretauthz.ts); the others are dropped from
   * the subscription and logged once per change — a refusal is not a stream error, as in istiod.
   */
  private authorizeSecrets<R extends SotwRequest | DeltaRequest>(conn: Connection, st: StreamState, req: R): R {
    const names = 'resourceNames' in req ? req.resourceNames : req.resourceNamesSubscribe;
    const denied: { name: string; reason: string }[] = [];
    const allowed = names.filter((n) => {
      const why = secretAccess(st, n);
      if (why) denied.push({ name: n, reason: why });
      return !why;
    });
    const key = denied.map((d) => d.name).sort().join('\n');
    if (denied.length && key !== conn.deniedSecrets) this.events.secretsDenied?.(st, denied);
    if ('resourceNames' in req || denied.length) conn.deniedSecrets = key;
    if (!denied.length) return req;
    return ('resourceNames' in req ? { ...req, resourceNames: allowed } : { ...req, resourceNamesSubscribe: allowed }) as R;
  }

  /** Holds the stream's requests until `authorize` decides; then replays them (the first one included) or refuses the stream. */
  private authorizeFirst(conn: Connection, proxy: Proxy, first: Uint8Array): void {
    conn.held = [];
    if (!this.hold(conn, first)) return;
    conn.held.push(first);
    conn.authorize!(proxy).then((r) => r, (e: unknown) => ({ ok: false, code: 'UNAUTHENTICATED', message: `authorization failed: ${(e as Error).message}` }) as const).then((r) => {
      if (conn.closed) return;
      if (!r.ok) {
        this.dropHeld(conn);
        this.fail(conn, r.code === 'PERMISSION_DENIED' ? Status.PERMISSION_DENIED : Status.UNAUTHENTICATED, r.message);
        return;
      }
      conn.identity = r.identity;
      const held = conn.held!;
      this.dropHeld(conn);
      for (const b of held) this.onMessage(conn, b);
    }).catch((e: unknown) => {
      // Replaying the held requests failed unexpectedly: this stream ends, the process does not.
      if (conn.closed) return;
      this.dropHeld(conn);
      this.fail(conn, Status.INTERNAL, `internal error while starting the stream: ${(e as Error).message}`);
    });
  }

  /**
   * Counts `bytes` as held for `conn` while its authorization is pending, within the server-wide
   * budget (thousands of streams that never finish authenticating must not hold megabytes each);
   * past it the stream is refused with RESOURCE_EXHAUSTED and false is returned.
   */
  private hold(conn: Connection, bytes: Uint8Array): boolean {
    if (this.heldBytes + bytes.length > this.opts.maxPendingAuthBytes) {
      this.fail(conn, Status.RESOURCE_EXHAUSTED, `streams awaiting authorization hold ${this.heldBytes} bytes of requests; the server limit is ${this.opts.maxPendingAuthBytes}`);
      return false;
    }
    this.heldBytes += bytes.length;
    conn.heldBytes += bytes.length;
    return true;
  }

  private dropHeld(conn: Connection): void {
    this.heldBytes -= conn.heldBytes;
    conn.heldBytes = 0;
    conn.held = null;
  }

  /** Decodes a SotW request, reusing the previous request's names when their bytes are unchanged (see ackscan.ts). */
  private decodeSotw(conn: Connection, bytes: Uint8Array): SotwRequest {
    const scan = conn.state ? scanSotw(bytes) : null;
    if (scan) {
      const prev = conn.lastNames.get(scan.typeUrl);
      if (prev && prev.digest === namesDigest(scan.names)) {
        return { versionInfo: scan.versionInfo, node: null, resourceNames: prev.names, typeUrl: scan.typeUrl, responseNonce: scan.responseNonce, errorDetail: null };
      }
    }
    const req = decodeSotwRequest(bytes);
    if (scan && isXdsType(scan.typeUrl)) conn.lastNames.set(scan.typeUrl, { digest: namesDigest(scan.names), names: req.resourceNames });
    return req;
  }

  private enqueue(conn: Connection, r: SotwResponse | DeltaResponse): void {
    conn.pending.set(r.typeUrl as XdsType, r); // latest wins
    if (!conn.busy && !conn.queued) { conn.queued = true; this.ready.add(conn); }
    this.pump();
  }

  /** Writes the next response of streams that are ready, up to the concurrency throttle. */
  private pump(): void {
    while (this.inFlight < this.opts.sendConcurrency && this.ready.size) {
      const conn = this.ready.values().next().value as Connection;
      this.ready.delete(conn);
      conn.queued = false;
      if (conn.closed || conn.busy || !conn.pending.size) continue;
      this.writeNext(conn);
    }
  }

  private writeNext(conn: Connection): void {
    const t = PUSH_ORDER.find((x) => conn.pending.has(x))!;
    const r = conn.pending.get(t)!;
    conn.pending.delete(t);
    const anys = r.resources.map((x) => x.any);
    const bytes = conn.kind === 'delta'
      ? deltaResponseBytes(r.versionInfo, r.typeUrl, r.nonce, r.resources, (r as DeltaResponse).removed)
      : sotwResponseBytes(r.versionInfo, r.typeUrl, r.nonce, anys);
    const st = conn.state!;
    if (bytes.length > this.opts.largeResponseBytes || (this.opts.maxResponseBytes && bytes.length > this.opts.maxResponseBytes)) {
      const dropped = this.opts.maxResponseBytes > 0 && bytes.length > this.opts.maxResponseBytes;
      this.counters.largeResponses++;
      if (dropped) this.counters.droppedResponses++;
      this.events.largeResponse?.(st, r, bytes.length, dropped);
      if (dropped) { this.requeue(conn); return; }
    }
    const ts = st.types.get(t);
    if (ts) ts.sentAt = this.now();
    conn.busy = true;
    this.inFlight++;
    let slotHeld = true;
    const release = (): void => { if (slotHeld) { slotHeld = false; this.inFlight--; } };
    const timer = setTimeout(() => { this.counters.sendTimeouts++; release(); this.pump(); }, this.opts.sendTimeoutMs);
    timer.unref?.();
    conn.io.write(bytes, () => {
      clearTimeout(timer);
      release();
      conn.busy = false;
      this.requeue(conn);
      this.pump();
    });
    this.events.sent?.(st, r, bytes.length);
  }

  private requeue(conn: Connection): void {
    if (!conn.closed && conn.pending.size && !conn.queued && !conn.busy) { conn.queued = true; this.ready.add(conn); }
  }

  /** A new mesh: recompute what every (affected) stream is owed; returns the responses queued. */
  push(mesh: MeshConfig, scope: PushScope = FULL_PUSH): number {
    const t0 = performance.now();
    const hostSet = scope.kind === 'endpoints' ? scope.hosts : undefined;
    const scopeTypes = scope.kind === 'secrets' ? new Set<XdsType>([SDS]) : undefined;
    // Endpoints of a headless service are its DNS answers: the name table changes with them.
    const headless = hostSet !== undefined && [...hostSet].some((h) => isHeadless(mesh, h) || isHeadless(this.cache.mesh, h));
    const types = hostSet ? new Set<XdsType>(headless ? [EDS, NDS] : [EDS]) : scopeTypes;
    const typeNames = [...(types ?? PUSH_ORDER)].map(typeShort).sort();
    const hosts = hostSet ? [...hostSet].sort() : null;
    this.events.pushStarted?.({ types: typeNames, edsHosts: hosts });
    // Endpoint-only: only the EDS of affected hosts can differ; everything else is carried over.
    const affected = hostSet ? ofHosts(hostSet) : undefined;
    const typesOnly = !hostSet && scopeTypes ? scopeTypes : undefined;
    this.cache.setMesh(mesh, affected ? (t, _n, key) => (t === NDS ? !headless : t !== EDS || !affected(key))
      : typesOnly ? (t) => !typesOnly.has(t) : undefined); // a types-scoped push (e.g. only Secrets changed) carries the other types over
    // The affected EDS names, once per class (not per stream).
    const onlyByClass = new Map<ClassSnapshot, Set<string>>();
    const onlyFor = (snap: ClassSnapshot): Set<string> | undefined => {
      if (!affected) return undefined;
      let o = onlyByClass.get(snap);
      if (!o) { o = new Set(snap.names(EDS).filter((n) => affected(snap.clusterKey(EDS, n)))); onlyByClass.set(snap, o); }
      return o;
    };
    let sent = 0;
    let streams = 0;
    for (const conn of this.conns) {
      const st = conn.state;
      if (!st || conn.closed) continue;
      if (hostSet && !st.types.has(EDS) && !(headless && st.types.has(NDS))) continue;
      let out: (SotwResponse | DeltaResponse)[];
      try {
        const snap = conn.lease!.snapshot();
        const only = onlyFor(snap);
        out = conn.kind === 'delta' ? onDeltaPush(st, snap, types, only) : onPush(st, snap, types, only);
      } catch (e) {
        // One stream's failure never stops the push to the others (invariant 5).
        this.events.streamError?.(st, e instanceof Error ? e : new Error(String(e)), 'push');
        continue;
      }
      if (out.length) streams++;
      for (const r of out) { this.enqueue(conn, r); sent++; }
    }
    this.events.pushDone?.({ types: typeNames, edsHosts: hosts, streams, responses: sent, ms: performance.now() - t0 });
    return sent;
  }
}

export const typeShort = (t: string): string => (isXdsType(t) ? SHORT[t] : t);
