/**
 * @module server/xds/framepool
 * Large response frames reused once their transport has sent them, instead of left to the garbage
 * collector (issue 18: memory proportional to what is served). A cold start or a reconnect storm
 * writes each of 2,000 streams its own ~0.2–1 MB frames; once written they are garbage, but V8
 * frees an ArrayBuffer's memory only when it collects the object, and a frame that waited for a slow
 * client long enough to be promoted waits for a full collection — which V8 starts only once
 * external memory has grown ~64 MB past its last level. At 2,000 heavy proxies 107–152 MB of RSS
 * was such dead frames (bench/results/2026-11-30-stop25-memory.md).
 *
 * The contract: `acquire(n)` gives a buffer of exactly `n` bytes, a view of a pooled block of at
 * least `n`; `release(frame)` gives the block back, and must be called only once the frame's bytes
 * will never be read again — the engine calls it from the transport's write callback, which grpc-js
 * calls once the HTTP/2 stream has handed the bytes to the socket (never for a cancelled or failed
 * write: such a frame is left to the GC). A frame shared by several streams (frames.ts) is never
 * pooled. Blocks are sized in 8 KiB steps up to 64 KiB and 64 KiB steps above; idle blocks are
 * kept up to `maxIdleBytes`, so the pool adds at most that much to what the in-flight writes hold,
 * and all of them are let go once no frame has been asked for in `idleMs` (a quiet mesh holds none).
 * When a released block does not fit, idle blocks of the size used longest ago make room for it
 * (they go to the GC): a cold start writes every stream's CDS first (768 KiB blocks at the heavy
 * mesh), then its EDS and RDS; dropping the released block instead left the pool full of CDS
 * blocks no stream needed any more, and every EDS and RDS frame garbage — ~1,000 fresh 128–192 KiB
 * blocks per cold start and storm at 500 proxies. Frames of 4–64 KiB are pooled too: Node gives every buffer of 4 KiB or
 * more an ArrayBuffer of its own, and such a frame (the heavy mesh's 13 KB listener response, one
 * per stream) waits for its write like a large one — 26 MB more promoted garbage per cold start or
 * reconnect storm at 2,000 proxies.
 */

/** Frames under this size come from Node's shared 8 KiB slab (Buffer.allocUnsafe) and die young: not worth pooling. */
export const POOLED_MIN_BYTES = 4 * 1024;
const SMALL_STEP = 8 * 1024;
const STEP = 64 * 1024;

/** The block size for `n` bytes, and the next size up (a block one step larger also serves). */
const blockSize = (n: number): number => (n <= STEP ? Math.ceil(n / SMALL_STEP) * SMALL_STEP : Math.ceil(n / STEP) * STEP);
const nextSize = (size: number): number => size + (size < STEP ? SMALL_STEP : STEP);

export class FramePool {
  /** Idle blocks by size (blockSize's steps). */
  private readonly idle = new Map<number, Buffer[]>();
  private idleBytes = 0;
  /** Blocks handed out and not yet released (a block released twice is refused). */
  private readonly out = new WeakSet<object>();
  /** Blocks reused, made, and dropped because the idle pool was full (released or evicted; tests and /debug/memory). */
  reused = 0;
  made = 0;
  dropped = 0;

  /** Per block size, when it was last acquired or released (a sequence number): eviction goes by it. */
  private readonly lastUse = new Map<number, number>();
  private uses = 0;
  private lastAcquire = 0;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxIdleBytes = 16 * 1024 * 1024,
    private readonly idleMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A buffer of `n` bytes, from an idle block when one of the same step (or the next) is free. */
  acquire(n: number): Buffer {
    if (n < POOLED_MIN_BYTES) return Buffer.allocUnsafe(n);
    this.lastAcquire = this.now();
    const size = blockSize(n);
    this.lastUse.set(size, ++this.uses);
    for (const s of [size, nextSize(size)]) {
      const b = this.idle.get(s)?.pop();
      if (b) {
        this.idleBytes -= s;
        this.reused++;
        this.out.add(b.buffer);
        return b.subarray(0, n);
      }
    }
    this.made++;
    // Its own ArrayBuffer (not Node's shared 8 KB pool), so release() finds the whole block.
    const b = Buffer.allocUnsafeSlow(size);
    this.out.add(b.buffer);
    return b.subarray(0, n);
  }

  /** Gives `frame`'s block back (see the contract above); frames not from acquire() are ignored. */
  release(frame: Uint8Array): void {
    const ab = frame.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.out.has(ab)) return;
    this.out.delete(ab);
    const size = ab.byteLength;
    this.lastUse.set(size, ++this.uses);
    while (this.idleBytes + size > this.maxIdleBytes && this.evictStalest(size));
    if (this.idleBytes + size > this.maxIdleBytes) {
      this.dropped++;
      return;
    }
    const list = this.idle.get(size);
    const block = Buffer.from(ab, 0, size);
    if (list) list.push(block);
    else this.idle.set(size, [block]);
    this.idleBytes += size;
    this.trimLater();
  }

  /** Lets one idle block go, of the size (other than `keep`) used longest ago; false when there is none. */
  private evictStalest(keep: number): boolean {
    let victim: number | undefined;
    for (const [s, list] of this.idle)
      if (s !== keep && list.length && (victim === undefined || (this.lastUse.get(s) ?? 0) < (this.lastUse.get(victim) ?? 0))) victim = s;
    if (victim === undefined) return false;
    const list = this.idle.get(victim)!;
    list.pop();
    if (!list.length) this.idle.delete(victim);
    this.idleBytes -= victim;
    this.dropped++;
    return true;
  }

  /** Lets every idle block go (to the GC) if no frame was asked for in the last `idleMs`. */
  trim(): void {
    if (this.now() - this.lastAcquire < this.idleMs) return;
    this.idle.clear();
    this.idleBytes = 0;
  }

  private trimLater(): void {
    if (this.trimTimer) return;
    const tick = (): void => {
      this.trim();
      this.trimTimer = this.idleBytes ? setTimeout(tick, this.idleMs) : undefined;
      this.trimTimer?.unref();
    };
    this.trimTimer = setTimeout(tick, this.idleMs);
    this.trimTimer.unref();
  }

  /** Bytes held by idle blocks. */
  get idleSize(): number {
    return this.idleBytes;
  }
}
