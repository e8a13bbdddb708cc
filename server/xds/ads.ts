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
 * close, so made-up identities do not pile up), and subscribed names are capped per request here,
 * per stream and per server in admission.ts (RESOURCE_EXHAUSTED naming the limit), which also holds
 * a stream's requests while its authorization is pending and filters its SDS names. A failure computing one stream's
 * response is isolated: a request's ends that stream (INTERNAL), a push's skips it and the push
 * goes on to every other stream.
 */
import type { Proxy } from '../../model/proxy.js';
import { resolveProxy } from '../../model/resolve-proxy.js';
import type { WireNode } from '../../proto/wire.js';
import { SDS, SHORT, isXdsType, type XdsType } from '../../proto/typeurls.js';
import type { ConfigWatcher, ResourceSnapshot } from '../cache/api.js';
import { Admission } from './admission.js';
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

export class AdsEngine {
  private readonly conns = new Set<Connection>();
  private seq = 0;
  /** Writes the streams' responses (sender.ts). */
  private readonly sender: Sender;
  /** Held requests, name limits and SDS authorization on the request path (admission.ts). */
  private readonly admission: Admission;
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
    this.admission = new Admission(this.opts, this.events, (conn, code, message) => this.fail(conn, code, message));
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
    return this.admission.subscribedNames;
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
    this.admission.release(conn);
    conn.pending.clear();
    conn.lease?.release();
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
    if (this.admission.held(conn, bytes)) return;
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
        this.admission.authorizeFirst(conn, p.proxy, bytes, (b) => this.onMessage(conn, b));
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
    if (typeUrl === SDS) req = this.admission.authorizeSecrets(conn, st, req);
    if (!this.admission.withinNameLimits(conn, st, req)) return;
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
    this.admission.counted(conn, st);
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
