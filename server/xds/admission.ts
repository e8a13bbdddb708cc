/**
 * @module server/xds/admission
 * What a stream's request must pass before the ADS engine (ads.ts) hands it to its protocol, with
 * the server-wide counts those bounds need:
 * - **held requests**: while a stream's authorization is pending (`authorizeFirst`), its requests
 *   are held — at most MAX_HELD per stream and MAX_HELD_BYTES beyond the first, and
 *   `maxPendingAuthBytes` over every stream — and replayed in order once it is allowed (`held`);
 * - **name limits**: a request that would take the stream past `maxStreamNames`, or all streams
 *   past `maxServerNames`, is refused (`withinNameLimits`); `counted` keeps the total once applied;
 * - **SDS authorization**: only the secret names the stream may read stay in its request
 *   (`authorizeSecrets`, secretauthz.ts); a refusal is logged once per change, not a stream error.
 * Contract: every refusal ends the stream through the engine's `fail` (RESOURCE_EXHAUSTED,
 * UNAUTHENTICATED, PERMISSION_DENIED or INTERNAL, with a message naming the limit or reason), and
 * the engine calls `release` when a connection closes. Nothing here reads the cache or changes a
 * stream's protocol state.
 */
import type { Proxy } from '../../model/proxy.js';
import { secretAccess } from './secretauthz.js';
import { subscribedCount } from './limits.js';
import type { XdsRequest } from './protocol.js';
import type { Connection } from './connection.js';
import type { ProtocolPart, SotwResponse, StreamState } from './state.js';
import { Status, type AdsEvents, type EngineOptions } from './engine-api.js';

/** Requests (and their bytes, beyond the first) a stream may send while its authorization is pending; more is RESOURCE_EXHAUSTED. */
const MAX_HELD = 16;
const MAX_HELD_BYTES = 1024 * 1024;

/** The engine's limits this module enforces. */
export type AdmissionLimits = Pick<Required<EngineOptions>, 'maxStreamNames' | 'maxServerNames' | 'maxPendingAuthBytes'>;

export class Admission {
  /** Request bytes held by streams whose authorization is pending (see EngineOptions.maxPendingAuthBytes). */
  private heldBytes = 0;
  /** Names subscribed by all streams (see EngineOptions.maxServerNames). */
  private totalNames = 0;

  constructor(
    private readonly opts: AdmissionLimits,
    private readonly events: AdsEvents,
    /** Ends a stream with a gRPC status (the engine's: counts, reports and closes it, which calls `release`). */
    private readonly fail: (conn: Connection, code: number, message: string) => void,
  ) {}

  /** Resource names subscribed by all streams together. */
  get subscribedNames(): number {
    return this.totalNames;
  }

  /**
   * A request on a stream whose authorization is pending (`conn.held` set): held for the replay,
   * or the stream refused when it holds too much. False when the stream is not waiting (the
   * request goes on to the protocol).
   */
  held(conn: Connection, bytes: Uint8Array): boolean {
    if (!conn.held) return false;
    const bytesHeld = conn.held.reduce((n, b, i) => (i ? n + b.length : n), bytes.length);
    if (conn.held.length >= MAX_HELD || bytesHeld > MAX_HELD_BYTES) {
      this.fail(
        conn,
        Status.RESOURCE_EXHAUSTED,
        `requests sent before the stream was authorized exceed the limit of ${MAX_HELD} requests or ${MAX_HELD_BYTES} bytes`,
      );
    } else if (this.hold(conn, bytes)) conn.held.push(bytes);
    return true;
  }

  /** After a request was applied: the stream's subscribed names, counted in the server-wide total. */
  counted(conn: Connection, st: StreamState): void {
    const now = subscribedCount(st);
    this.totalNames += now - conn.names;
    conn.names = now;
  }

  /** The connection is closed: what it held and subscribed no longer counts. */
  release(conn: Connection): void {
    this.dropHeld(conn);
    this.totalNames -= conn.names;
    conn.names = 0;
  }

  /** Refuses (RESOURCE_EXHAUSTED) a request that would take the stream or the server past its name limit. */
  withinNameLimits<Req extends XdsRequest, Resp extends SotwResponse, P extends ProtocolPart>(
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
  authorizeSecrets<Req extends XdsRequest, Resp extends SotwResponse, P extends ProtocolPart>(
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

  /** Holds the stream's requests until `authorize` decides; then replays them (the first one included) through `replay`, or refuses the stream. */
  authorizeFirst(conn: Connection, proxy: Proxy, first: Uint8Array, replay: (bytes: Uint8Array) => void): void {
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
        for (const b of held) replay(b);
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
}
