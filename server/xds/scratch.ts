/**
 * @module server/xds/scratch
 * One reusable buffer that SotW responses are encoded into before grpc-js sends them. grpc-js
 * serializes every message by copying it into a framed buffer of its own (length prefix + bytes),
 * so a fresh ~1 MB buffer per encoded response was pure garbage the moment `write` returned — half
 * of the dead external memory a cold start of 2,000 heavy proxies left for the GC to find. Lending
 * one scratch buffer instead leaves grpc-js's copy as the only per-response allocation.
 * Safety: bytes are handed out by `alloc` and are valid until the next `alloc`; `write` runs the
 * transport's write and checks that the transport's serializer saw them (`copied`) while it ran —
 * grpc-js copies right after serializing, synchronously. If it did not (grpc-js buffered the
 * message, e.g. its stream was still writing), the transport keeps the bytes and the scratch is
 * given up to it: the next `alloc` makes a new one. Responses larger than `maxBytes` get a buffer
 * of their own, so one huge response does not stay pinned.
 */

export class ResponseScratch {
  private buf: Buffer | null = null;
  private seen = false;
  /** Buffers given up because the transport kept them (for tests). */
  abandoned = 0;

  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  /** `n` bytes to encode the next response into; valid until the next `alloc` or `write` of them. */
  alloc(n: number): Uint8Array {
    if (n > this.maxBytes) return Buffer.allocUnsafe(n);
    if (!this.buf || this.buf.length < n) {
      // allocUnsafeSlow: never a slice of Node's shared pool, so `buffer` identifies the scratch.
      this.buf = Buffer.allocUnsafeSlow(Math.min(this.maxBytes, Math.max(n + (n >> 3), 64 * 1024)));
    }
    return this.buf.subarray(0, n);
  }

  /** Called by the transport's serializer with the bytes it is about to copy. */
  copied(bytes: Uint8Array): void {
    if (this.buf && bytes.buffer === this.buf.buffer) this.seen = true;
  }

  /** Runs `write` of `bytes`; if they are the scratch's and the serializer did not see them meanwhile, the transport keeps the scratch. */
  write<T>(bytes: Uint8Array, write: () => T): T {
    const mine = this.buf !== null && bytes.buffer === this.buf.buffer;
    this.seen = false;
    try {
      return write();
    } finally {
      if (mine && !this.seen) {
        this.buf = null;
        this.abandoned++;
      }
      this.seen = false;
    }
  }
}
