/**
 * @module server/xds/ads
 * The ADS engine, protocol only: owns the connected streams, decodes their requests and drives
 * each through its connection's Protocol (sotw.ts or delta.ts: decode, onRequest, onPush,
 * encode — the engine never asks which), and writes responses through an abstract StreamIO
 * (grpc.ts adapts grpc-js to it; tests use an in-memory one). It reads the cache only through
 * the ConfigWatcher interface (server/cache/api.ts). Pushes come from the push runner
 * (server/push/runner.ts), which rotates the cache, decides which streams a change reaches and
 * calls each one's `Subscriber.push`; a request for a type the cache does not serve has one
 * dispatch point (`unservedType`).
 * Sending (the latest-wins slot per type, the write throttle and byte budget, shared and pooled
 * frames) is sender.ts; a stream as both hold it is connection.ts.
 * Bounds on what clients control: each stream leases its proxy class from the cache (released on
 * close, so made-up identities do not pile up), and subscribed names are capped per request, per
 * stream and per server (RESOURCE_EXHAUSTED naming the limit). A failure computing one stream's
 * response is isolated: a request's ends that stream (INTERNAL), a push's skips it and the push
 * goes on to every other stream.
 */
import type { Proxy } from '../../model/proxy.js';
import { resolveProxy } from '../../model/resolve-proxy.js';
import type { WireNode } from '../../proto/wire.js';
import { SDS, SHORT, isXdsType, type XdsType } from '../../proto/typeurls.js';
import { secretAccess } from './secretauthz.js';
import type { ConfigWatcher, ResourceSnapshot } from '../cache/api.js';
import { subscribedCount } from './limits.js';
import type { Outcome, Protocol, ProtocolFactory, XdsRequest } from './protocol.js';
import { sotw } from './sotw.js';
import { Sender } from './sender.js';
import type { Connection } from './connection.js';
import type { NonceSequence, ProtocolPart, SotwResponse, StreamState } from './state.js';
import { isDebugType } from './debugtypes.js';
import {
  Status,
  defaultSendConcurrency,
  type AdsEvents,
  type EngineCounters,
  type EngineOptions,
  type OpenOptions,
  type StreamHandle,
  type StreamIO,
  type Subscriber,
} from './engine-api.js';

export * from './engine-api.js';

/** Requests (and their bytes, beyond the first) a stream may send while its authorization is pending; more is RESOURCE_EXHAUSTED. */
const MAX_HELD = 16;
const MAX_HELD_BYTES = 1024 * 1024;

export class AdsEngine {
  private readonly conns = new Set<Connection>();
  /** Request bytes held by streams whose authorization is pending (see EngineOptions.maxPendingAuthBytes). */
  private heldBytes = 0;
  /** Names subscribed by all streams (see EngineOptions.maxServerNames). */
  private totalNames = 0;
  private seq = 0;
  /** Writes the streams' responses (sender.ts). */
  private readonly sender: Sender;
  readonly counters: EngineCounters = {
    rejectedStreams: 0,
    unknownTypes: 0,
    largeResponses: 0,
    droppedResponses: 0,
    sendTimeouts: 0,
    bytesWritten: 0,
    writeMs: 0,
  };
  private readonly opts: Required<EngineOptions>;
  /** SotW nonces of this engine's streams (sotw.ts nonceFor). */
  private readonly nonces: NonceSequence = { last: 0 };

  constructor(
    private readonly cache: ConfigWatcher,
    private readonly events: AdsEvents = {},
    private readonly now: () => number = Date.now,
    opts: EngineOptions = {},
  ) {
    this.opts = {
      sendConcurrency: opts.sendConcurrency ?? defaultSendConcurrency(),
      sendBudgetBytes: opts.sendBudgetBytes ?? 1024 * 1024,
      sendTimeoutMs: opts.sendTimeoutMs ?? 5000,
      largeResponseBytes: opts.largeResponseBytes ?? 4 * 1024 * 1024,
      maxResponseBytes: opts.maxResponseBytes ?? 0,
      maxNames: opts.maxNames ?? 100_000,
      maxStreamNames: opts.maxStreamNames ?? 200_000,
      maxServerNames: opts.maxServerNames ?? 5_000_000,
      maxPendingAuthBytes: opts.maxPendingAuthBytes ?? 64 * 1024 * 1024,
      debugTypes: opts.debugTypes ?? null,
    };
    this.sender = new Sender(this.opts, this.counters, this.events, this.now);
  }

  /** The shared frames of a push's responses (frames.ts; tests). */
  get frames(): Sender['frames'] {
    return this.sender.frames;
  }

  /** Streams that have sent a valid first request. */
  streams(): StreamState[] {
    return [...this.conns].map((c) => c.state).filter((s): s is StreamState => s !== null);
  }

  /** Streams a push may reach (open, with a valid first request), for the push runner. */
  subscribers(): Subscriber[] {
    const out: Subscriber[] = [];
    for (const c of this.conns) if (c.state && !c.closed) out.push(c.subscriber);
    return out;
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

  /** A new stream speaking `protocol` (sotw.ts `sotw`, delta.ts `delta`); `defaultType` fills an empty type_url (per-type services, not ADS). */
  open(io: StreamIO, defaultType?: string, protocol: ProtocolFactory = sotw, opts: OpenOptions = {}): StreamHandle {
    const conn = this.connection(io, protocol(), defaultType, opts);
    this.conns.add(conn);
    io.onDrain(() => this.sender.pump());
    return {
      onMessage: (bytes) => this.onMessage(conn, bytes),
      onEnd: () => this.close(conn),
    };
  }

  private connection<Req extends XdsRequest, Resp extends SotwResponse, P extends ProtocolPart>(
    io: StreamIO,
    proto: Protocol<Req, Resp, P>,
    defaultType: string | undefined,
    opts: OpenOptions,
  ): Connection<Req, Resp, P> {
    const conn: Connection<Req, Resp, P> = {
      io,
      proto,
      state: null,
      lease: null,
      pending: new Map(),
      busy: false,
      queued: false,
      closed: false,
      defaultType,
      names: 0,
      held: null,
      heldBytes: 0,
      deniedSecrets: '',
      ...(opts.authorize
        ? { identity: null, authorize: opts.authorize.bind(opts) }
        : opts.identity !== undefined
          ? { identity: opts.identity }
          : {}),
      subscriber: {
        get state(): StreamState {
          return conn.state!;
        },
        snapshot: () => conn.lease!.snapshot(),
        push: (snap, types, only) => this.pushTo(conn, snap, types, only),
      },
    };
    return conn;
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
    this.sender.forget(conn);
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

  private onMessage<Req extends XdsRequest, Resp extends SotwResponse, P extends ProtocolPart>(
    conn: Connection<Req, Resp, P>,
    bytes: Uint8Array,
  ): void {
    if (conn.closed) return;
    if (conn.held) {
      const bytesHeld = conn.held.reduce((n, b, i) => (i ? n + b.length : n), bytes.length);
      if (conn.held.length >= MAX_HELD || bytesHeld > MAX_HELD_BYTES) {
        this.fail(
          conn,
          Status.RESOURCE_EXHAUSTED,
          `requests sent before the stream was authorized exceed the limit of ${MAX_HELD} requests or ${MAX_HELD_BYTES} bytes`,
        );
      } else if (this.hold(conn, bytes)) conn.held.push(bytes);
      return;
    }
    const proto = conn.proto;
    let req: Req;
    try {
      req = proto.decode(bytes, conn.state !== null);
      if (!req.typeUrl && conn.defaultType) req = proto.withType(req, conn.defaultType);
    } catch (e) {
      this.fail(conn, Status.INVALID_ARGUMENT, `malformed ${proto.requestName}: ${(e as Error).message}`);
      return;
    }
    const names = proto.nameCount(req);
    if (names > this.opts.maxNames) {
      this.fail(
        conn,
        Status.RESOURCE_EXHAUSTED,
        `request for ${typeShort(req.typeUrl)} names ${names} resources; the limit is ${this.opts.maxNames}`,
      );
      return;
    }
    // istioctl's debug types (istio.io/debug/*) are answered by debugtypes.ts; the caller is not a proxy.
    const debug = this.opts.debugTypes && isDebugType(req.typeUrl) ? proto.debugRequest(req) : null;
    if (debug) {
      this.opts.debugTypes!.handle(debug, {
        io: conn.io,
        identity: conn.identity,
        authorize: conn.authorize,
        streams: () => this.streams(),
      });
      return;
    }
    if (!conn.state) {
      if (!req.node || !req.node.id) {
        this.fail(conn, Status.INVALID_ARGUMENT, 'the first DiscoveryRequest of a stream must carry node.id');
        return;
      }
      const p = this.proxyOf(req.node);
      if ('error' in p) {
        this.fail(conn, Status.INVALID_ARGUMENT, `invalid node: ${p.error}`);
        return;
      }
      if (conn.identity === null) {
        this.authorizeFirst(conn, p.proxy, bytes);
        return;
      }
      conn.state = {
        id: `${p.proxy.id}-${++this.seq}`,
        proxy: p.proxy,
        node: req.node,
        kind: proto.kind,
        connectedAt: this.now(),
        peer: conn.io.peer,
        types: new Map(),
        nonces: this.nonces,
        nonceSeq: 0,
        ...(conn.identity !== undefined ? { identity: conn.identity } : {}),
      };
      conn.lease = this.cache.acquire(p.proxy);
      this.events.connected?.(conn.state);
    }
    const st = conn.state;
    const typeUrl = req.typeUrl;
    if (!typeUrl) {
      this.fail(conn, Status.INVALID_ARGUMENT, 'DiscoveryRequest.type_url is required on an aggregated stream');
      return;
    }
    if (!isXdsType(typeUrl)) {
      this.unservedType(conn, st, req);
      return;
    }
    if (typeUrl === SDS) req = this.authorizeSecrets(conn, st, req);
    if (!this.withinNameLimits(conn, st, req)) return;
    let response: Resp | null;
    try {
      const outcome = proto.onRequest(st, typeUrl, req, conn.lease!.snapshot(), this.now());
      proto.report(this.events, st, req, outcome);
      response = outcome.response;
    } catch (e) {
      // A bug, not bad input: this stream cannot be served consistently, so it ends (the client reconnects).
      const error = e instanceof Error ? e : new Error(String(e));
      this.events.streamError?.(st, error, 'request');
      this.fail(conn, Status.INTERNAL, `cannot compute the ${typeShort(typeUrl)} response: ${error.message}`);
      return;
    }
    const now = subscribedCount(st);
    this.totalNames += now - conn.names;
    conn.names = now;
    if (response) this.sender.enqueue(conn, response);
  }

  /**
   * The one place a request for a type the cache does not serve ends up (istio-agent's NameTable
   * when unsupported, ProxyConfig, debug types…): tolerated, counted and reported, never an error.
   */
  private unservedType<Req extends XdsRequest, Resp extends SotwResponse, P extends ProtocolPart>(
    conn: Connection<Req, Resp, P>,
    st: StreamState<P>,
    req: Req,
  ): void {
    this.counters.unknownTypes++;
    const outcome: Outcome<Resp> = { kind: 'unknown-type', typeUrl: req.typeUrl, resubscribed: false, response: null };
    conn.proto.report(this.events, st, req, outcome);
  }

  /** Refuses (RESOURCE_EXHAUSTED) a request that would take the stream or the server past its name limit. */
  private withinNameLimits<Req extends XdsRequest, Resp extends SotwResponse, P extends ProtocolPart>(
    conn: Connection<Req, Resp, P>,
    st: StreamState<P>,
    req: Req,
  ): boolean {
    const others = this.totalNames - conn.names;
    const limit = Math.min(this.opts.maxStreamNames, this.opts.maxServerNames - others);
    const after = conn.proto.namesAfter(st, req, conn.names, limit);
    if (after > this.opts.maxStreamNames) {
      this.fail(
        conn,
        Status.RESOURCE_EXHAUSTED,
        `the stream would subscribe to ${after} resource names; the per-stream limit is ${this.opts.maxStreamNames}`,
      );
      return false;
    }
    if (others + after > this.opts.maxServerNames) {
      this.fail(
        conn,
        Status.RESOURCE_EXHAUSTED,
        `all streams would subscribe to ${others + after} resource names together; the server limit is ${this.opts.maxServerNames}`,
      );
      return false;
    }
    return true;
  }

  /**
   * Keeps only the SDS names this stream may read (see secretauthz.ts); the others are dropped from
   * the subscription and logged once per change — a refusal is not a stream error, as in istiod.
   */
  private authorizeSecrets<Req extends XdsRequest, Resp extends SotwResponse, P extends ProtocolPart>(
    conn: Connection<Req, Resp, P>,
    st: StreamState<P>,
    req: Req,
  ): Req {
    const denied: { name: string; reason: string }[] = [];
    const allowed = conn.proto.requested(req).filter((n) => {
      const why = secretAccess(st, n);
      if (why) denied.push({ name: n, reason: why });
      return !why;
    });
    const key = denied
      .map((d) => d.name)
      .sort()
      .join('\n');
    if (denied.length && key !== conn.deniedSecrets) this.events.secretsDenied?.(st, denied);
    // A SotW request states every name, so it also says which refusals are over; a Delta one only adds.
    if (conn.proto.replacesNames || denied.length) conn.deniedSecrets = key;
    return denied.length ? conn.proto.withRequested(req, allowed) : req;
  }

  /** Holds the stream's requests until `authorize` decides; then replays them (the first one included) or refuses the stream. */
  private authorizeFirst(conn: Connection, proxy: Proxy, first: Uint8Array): void {
    conn.held = [];
    if (!this.hold(conn, first)) return;
    conn.held.push(first);
    conn.authorize!(proxy)
      .then(
        (r) => r,
        (e: unknown) => ({ ok: false, code: 'UNAUTHENTICATED', message: `authorization failed: ${(e as Error).message}` }) as const,
      )
      .then((r) => {
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
      })
      .catch((e: unknown) => {
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
      this.fail(
        conn,
        Status.RESOURCE_EXHAUSTED,
        `streams awaiting authorization hold ${this.heldBytes} bytes of requests; the server limit is ${this.opts.maxPendingAuthBytes}`,
      );
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

  /**
   * What `snap` owes the stream for `types` (`only`: just these names), queued; the responses
   * queued. One stream's failure never stops the push to the others (invariant 5): it is
   * reported, the stream gets nothing from this push, and -1 is returned.
   */
  private pushTo<Req extends XdsRequest, Resp extends SotwResponse, P extends ProtocolPart>(
    conn: Connection<Req, Resp, P>,
    snap: ResourceSnapshot,
    types?: ReadonlySet<XdsType>,
    only?: ReadonlySet<string>,
  ): number {
    const st = conn.state;
    if (!st || conn.closed) return 0;
    let out: Resp[];
    try {
      out = conn.proto.onPush(st, snap, types, only);
    } catch (e) {
      this.events.streamError?.(st, e instanceof Error ? e : new Error(String(e)), 'push');
      return -1;
    }
    for (const r of out) this.sender.enqueue(conn, r, true);
    return out.length;
  }
}

export const typeShort = (t: string): string => (isXdsType(t) ? SHORT[t] : t);
