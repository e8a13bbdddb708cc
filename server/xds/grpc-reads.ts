/**
 * @module server/xds/grpc-reads
 * Request bytes grpc-js would keep after handing a request on (issue 18: memory proportional to
 * what is served). Node's HTTP/2 hands each DATA frame to grpc-js as a view of the socket read it
 * came in: one ArrayBuffer per read, up to 64 KiB. grpc-js's message decoder (its StreamDecoder,
 * one per call) copies a whole message out of those views, but then keeps the views themselves —
 * the one-byte compression flag of the last message and every chunk of its body — until the
 * stream's next message begins. So an idle stream pins the socket reads of its last request: after
 * an endpoint change, 2,000 SotW streams each hold the ~30 KB of their last EDS ACK. During a
 * cold start or a reconnect storm a stream's next request comes only after its response is written
 * (seconds at 2,000 streams), so the reads are promoted by then and, once let go, wait for a full
 * GC: with the heavy mesh at 400 streams, 50 MB of ArrayBuffers at the cold start's peak instead of
 * 38 (bench/results/2026-11-30-stop26-heap.md).
 *
 * `releaseRequestReads` makes a call's decoder let go of them as soon as a write has been decoded:
 * the flag becomes a constant, the body chunks of a message already emitted are dropped, and a
 * message still incomplete is gathered into one buffer of its own, sized for the whole framed
 * message, which the following writes fill and which is itself the message handed on (so a
 * partial message does not pin the rest of the read it shares, and its bytes are copied once).
 * Copying each pending chunk out and letting grpc-js concatenate them at the end copied them
 * twice: at a reconnect storm's tail the ACKs (~30 KB each, in two or more DATA frames) made
 * ~10–20 MB of short-lived ArrayBuffers a second, and V8 charges external memory allocated since
 * its last mark-compact to the old generation's limit, whose slack is ~10 % of the heap — a run
 * of mark-compacts that freed nothing (bench/results/2026-11-30-stop27-gc.md).
 * It reaches into grpc-js's server call (`call.call.decoder`,
 * grpc-js 1.10–1.14 without server interceptors), as framedWriter (grpc.ts) does: where the
 * decoder is not there or not shaped as expected, nothing is changed and false is returned (the
 * call works as before, only holding more). grpc-reads.test.ts checks that it is in force with the
 * grpc-js installed.
 */
import type * as grpc from '@grpc/grpc-js';

/** The fields of grpc-js's StreamDecoder this relies on (internal: not in its typings). */
export interface Decoder {
  write(data: Buffer): Buffer[];
  /** 0 between messages, 1 reading the length prefix, 2 reading the body. */
  readState: number;
  readCompressFlag: Buffer;
  /** The 4-byte length prefix being read (then read). */
  readPartialSize: Buffer;
  readMessageSize: number;
  readMessageRemaining: number;
  readPartialMessage: Buffer[];
}

const NO_DATA = 0;

const READING_MESSAGE = 2;
/** The compression flag as grpc-js reads it back (a one-byte buffer): constants instead of views of a read. */
const FLAGS = [Buffer.alloc(1, 0), Buffer.alloc(1, 1)];

const isDecoder = (d: unknown): d is Decoder => {
  const x = d as Partial<Decoder> | null | undefined;
  return (
    typeof x?.write === 'function' &&
    typeof x.readState === 'number' &&
    Buffer.isBuffer(x.readCompressFlag) &&
    Buffer.isBuffer(x.readPartialSize) &&
    typeof x.readMessageSize === 'number' &&
    typeof x.readMessageRemaining === 'number' &&
    Array.isArray(x.readPartialMessage)
  );
};

/** Whether `b` is all of an ArrayBuffer of its own (a copy), not a view of a larger read. */
const own = (b: Buffer): boolean => b.byteOffset === 0 && b.buffer.byteLength === b.length;

function copy(b: Buffer): Buffer {
  const c = Buffer.allocUnsafeSlow(b.length);
  b.copy(c);
  return c;
}

/** Drops or copies what `d` still references of the reads it was given (see the module comment). */
export function unpin(d: Decoder): void {
  const flag = d.readCompressFlag;
  if (!own(flag)) d.readCompressFlag = flag.length === 1 && flag[0]! <= 1 ? FLAGS[flag[0]!]! : copy(flag);
  if (d.readState !== READING_MESSAGE) {
    if (d.readPartialMessage.length) d.readPartialMessage = [];
  } else {
    const parts = d.readPartialMessage;
    for (let i = 0; i < parts.length; i++) if (!own(parts[i]!)) parts[i] = copy(parts[i]!);
  }
}

/** A split message at most this large (framed) is gathered at once; a larger one once half of it is here. */
const GATHER_AT_ONCE_BYTES = 64 * 1024;

/**
 * Whether the message `d` is reading is gathered now: the buffer is sized for the whole message,
 * so a client that announces 4 MB and sends a few bytes must not make the server allocate 4 MB per
 * stream — beyond 64 KiB (what one socket read may already take) only once half of it has arrived
 * (until then its chunks are copied out one by one, as unpin does).
 */
const gatherNow = (d: Decoder): boolean =>
  5 + d.readMessageSize <= GATHER_AT_ONCE_BYTES || d.readMessageSize <= 2 * (d.readMessageSize - d.readMessageRemaining);

/**
 * Wraps `d.write` so that `d` keeps no view of a read once a write is decoded (see the module
 * comment): a message split across writes is gathered into one framed buffer of its own, filled
 * by the following writes and emitted as it is; everything else is grpc-js's decoder, then unpin.
 */
export function gatherSplitMessages(d: Decoder): void {
  const write = d.write;
  /** The framed message being gathered (flag, length, body), and how much of it is filled. */
  let frame: Buffer | null = null;
  let filled = 0;
  const decode = (data: Buffer): Buffer[] => {
    try {
      return write.call(d, data);
    } finally {
      if (d.readState === READING_MESSAGE && d.readPartialMessage.length && gatherNow(d)) {
        frame = Buffer.allocUnsafeSlow(5 + d.readMessageSize);
        frame[0] = d.readCompressFlag[0]!;
        d.readPartialSize.copy(frame, 1, 0, 4);
        filled = 5;
        for (const part of d.readPartialMessage) filled += part.copy(frame, filled);
        d.readPartialMessage = [];
      }
      unpin(d);
    }
  };
  d.write = (data: Buffer): Buffer[] => {
    if (!frame) return decode(data);
    const need = frame.length - filled;
    if (data.length < need) {
      filled += data.copy(frame, filled);
      d.readMessageRemaining -= data.length;
      return [];
    }
    data.copy(frame, filled, 0, need);
    const message = frame;
    frame = null;
    d.readMessageRemaining = 0;
    d.readState = NO_DATA;
    return need < data.length ? [message, ...decode(data.subarray(need))] : [message];
  };
  unpin(d);
}

/**
 * Makes `call`'s request decoder keep no view of a socket read once a write is decoded; false
 * when this grpc-js has no such decoder where expected (then the call is left as it is).
 */
export function releaseRequestReads(call: grpc.ServerDuplexStream<Buffer, Buffer>): boolean {
  // grpc-js's own call behind the stream, and its decoder (not in its typings: internal).
  const decoder = (call as unknown as { call?: { decoder?: unknown } }).call?.decoder;
  if (!isDecoder(decoder)) return false;
  gatherSplitMessages(decoder);
  return true;
}
