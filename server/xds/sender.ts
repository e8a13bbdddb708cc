/**
 * @module server/xds/sender
 * How the ADS engine (ads.ts) writes responses. Per stream, responses wait in a latest-wins slot
 * per type, written in CDS → EDS → LDS → RDS order, one response in flight per stream; a global
 * throttle bounds how many streams are being written at once (istiod: min(15 + 5·cores, 100)),
 * and beyond it small responses still go while the bytes in flight stay under a budget. A client
 * that stops reading holds at most one pending response per type and its slot is released after
 * `sendTimeoutMs`, so memory stays bounded and other streams keep flowing. A push's responses are
 * encoded once for every stream sent the same one (frames.ts); a stream's own frames come from a
 * pool and go back to it once written (framepool.ts). Responses over `largeResponseBytes` are
 * reported, over `maxResponseBytes` dropped.
 */
import { PUSH_ORDER } from '../../proto/typeurls.js';
import type { XdsRequest } from './protocol.js';
import type { SotwResponse } from './state.js';
import { SharedFrames } from './frames.js';
import { FramePool } from './framepool.js';
import type { Connection } from './connection.js';
import type { AdsEvents, EngineCounters, EngineOptions } from './engine-api.js';

type SendOptions = Required<
  Pick<EngineOptions, 'sendConcurrency' | 'sendBudgetBytes' | 'sendTimeoutMs' | 'largeResponseBytes' | 'maxResponseBytes'>
>;

export class Sender {
  private readonly ready = new Set<Connection>();
  private inFlight = 0;
  /** Bytes of the writes in flight (see EngineOptions.sendBudgetBytes). */
  private inFlightBytes = 0;
  /** Frames of the responses written this turn, shared by the streams sent the same one. */
  readonly frames = new SharedFrames();
  /** Unshared response frames reused once sent (framepool.ts). */
  readonly framePool = new FramePool();
  /**
   * Responses a push queued (the ones shared): a first response to a request is framed for its
   * stream alone — sharing those during a cold start raised its peak RSS by ~35 MB at 500 heavy
   * proxies (measured; the cause is not known), where sharing a push's responses lowered it.
   */
  private readonly pushed = new WeakSet<object>();

  constructor(
    private readonly opts: SendOptions,
    private readonly counters: EngineCounters,
    private readonly events: AdsEvents,
    private readonly now: () => number,
  ) {}

  /** `conn` closed: it is no longer waiting to be written. */
  forget(conn: Connection): void {
    this.ready.delete(conn);
  }

  /** Queues `r` for `conn` (latest wins per type); `pushed`: a push's response, which streams may share (frames.ts). */
  enqueue<Resp extends SotwResponse>(conn: Connection<XdsRequest, Resp>, r: Resp, pushed = false): void {
    if (pushed) this.pushed.add(r);
    conn.pending.set(r.typeUrl, r); // latest wins
    if (!conn.busy && !conn.queued) {
      conn.queued = true;
      this.ready.add(conn);
    }
    this.pump();
  }

  /** Writes the next response of streams that are ready, up to the concurrency throttle (or, beyond it, the byte budget). */
  pump(): void {
    while ((this.inFlight < this.opts.sendConcurrency || this.inFlightBytes < this.opts.sendBudgetBytes) && this.ready.size) {
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
    const w0 = performance.now();
    // A transport that sends frames as they are shares one encoding among the streams sent the same response (frames.ts).
    const writeFramed = conn.io.writeFramed;
    const encodeFramed = conn.proto.encodeFramed;
    // A frame only this stream is sent comes from the pool and goes back once written (framepool.ts).
    const shared = this.pushed.has(r);
    const frame =
      writeFramed && encodeFramed
        ? shared
          ? this.frames.frame(r, () => encodeFramed(r))
          : encodeFramed(r, (n) => this.framePool.acquire(n))
        : null;
    const bytes = frame ? frame.subarray(5) : conn.proto.encode(r, conn.io.alloc);
    const st = conn.state!;
    if (bytes.length > this.opts.largeResponseBytes || (this.opts.maxResponseBytes && bytes.length > this.opts.maxResponseBytes)) {
      const dropped = this.opts.maxResponseBytes > 0 && bytes.length > this.opts.maxResponseBytes;
      this.counters.largeResponses++;
      if (dropped) this.counters.droppedResponses++;
      this.events.largeResponse?.(st, r, bytes.length, dropped);
      if (dropped) {
        this.requeue(conn);
        return;
      }
    }
    const ts = st.types.get(t);
    if (ts) ts.sentAt = this.now();
    conn.busy = true;
    this.inFlight++;
    this.inFlightBytes += bytes.length;
    let slotHeld = true;
    const release = (): void => {
      if (slotHeld) {
        slotHeld = false;
        this.inFlight--;
        this.inFlightBytes -= bytes.length;
      }
    };
    const timer = setTimeout(() => {
      this.counters.sendTimeouts++;
      release();
      this.pump();
    }, this.opts.sendTimeoutMs);
    timer.unref?.();
    const done = (): void => {
      clearTimeout(timer);
      release();
      conn.busy = false;
      this.requeue(conn);
      this.pump();
    };
    if (frame && !shared)
      writeFramed!(frame, () => {
        this.framePool.release(frame);
        done();
      });
    else if (frame) writeFramed!(frame, done);
    else conn.io.write(bytes, done);
    this.counters.bytesWritten += bytes.length;
    this.counters.writeMs += performance.now() - w0;
    this.events.sent?.(st, r, bytes.length);
  }

  private requeue(conn: Connection): void {
    if (!conn.closed && conn.pending.size && !conn.queued && !conn.busy) {
      conn.queued = true;
      this.ready.add(conn);
    }
  }
}
