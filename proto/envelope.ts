/**
 * @module proto/envelope
 * The SotW DiscoveryResponse envelope written by hand: its length is computed first and the bytes
 * go into one buffer from the caller's allocator, so a transport that copies responses anyway
 * (grpc-js frames every message into a buffer of its own) can lend the same scratch buffer to every
 * response instead of the server allocating — and later garbage-collecting — a fresh ~1 MB buffer
 * per response. Byte-for-byte what protobufjs's Writer produces for the same fields (tested).
 * Fields: 1 version_info, 2 resources (pre-encoded Any, repeated), 4 type_url, 5 nonce,
 * 6 control_plane { 1 identifier }.
 */

/** Where the envelope's bytes go: a buffer of exactly `n` bytes (or longer: only the first n are written). */
export type Alloc = (n: number) => Uint8Array;

export const allocFresh: Alloc = (n) => Buffer.allocUnsafe(n);

const varintLength = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

function writeVarint(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}

/** Length-delimited field size: tag byte + length varint + payload. */
const fieldLength = (n: number): number => 1 + varintLength(n) + n;

/** Encodes a DiscoveryResponse around already-encoded Any resources into a buffer from `alloc`. */
export function writeSotwEnvelope(
  versionInfo: string,
  typeUrl: string,
  nonce: string,
  anys: readonly Uint8Array[],
  controlPlaneId: string,
  alloc: Alloc = allocFresh,
): Uint8Array {
  const version = versionInfo ? Buffer.byteLength(versionInfo) : 0;
  const type = Buffer.byteLength(typeUrl);
  const nonceLen = Buffer.byteLength(nonce);
  const id = Buffer.byteLength(controlPlaneId);
  const controlPlane = fieldLength(id);
  let total = (versionInfo ? fieldLength(version) : 0) + fieldLength(type) + fieldLength(nonceLen) + fieldLength(controlPlane);
  for (const a of anys) total += fieldLength(a.length);
  const whole = alloc(total);
  const out = whole.length === total ? whole : whole.subarray(0, total);
  const buf = Buffer.from(out.buffer, out.byteOffset, total);
  let at = 0;
  const str = (tag: number, s: string, len: number): void => {
    buf[at++] = tag;
    at = writeVarint(buf, at, len);
    at += buf.write(s, at, len, 'utf8');
  };
  if (versionInfo) str(10, versionInfo, version);
  for (const a of anys) {
    buf[at++] = 18;
    at = writeVarint(buf, at, a.length);
    buf.set(a, at);
    at += a.length;
  }
  str(34, typeUrl, type);
  str(42, nonce, nonceLen);
  buf[at++] = 50;
  at = writeVarint(buf, at, controlPlane);
  str(10, controlPlaneId, id);
  if (at !== total) throw new Error(`DiscoveryResponse envelope: wrote ${at} bytes, computed ${total}`);
  return out;
}

/**
 * A gRPC length-prefixed message — a zero byte (not compressed), the message length as 4 bytes
 * big-endian, the message — with `encode` writing the message straight into the frame's buffer (a
 * fresh one, or `allocFrame`'s: the frame may be handed to several streams' transports and held
 * until sent).
 */
export function grpcFramed(encode: (alloc: Alloc) => Uint8Array, allocFrame: (n: number) => Buffer = Buffer.allocUnsafe): Buffer {
  let frame: Buffer | null = null;
  const msg = encode((n) => {
    frame = allocFrame(n + 5);
    return frame.subarray(5);
  });
  const f = frame as Buffer | null;
  if (!f || msg.buffer !== f.buffer || msg.byteOffset !== f.byteOffset + 5)
    throw new Error('grpcFramed: the message was not written into the buffer it was given');
  f[0] = 0;
  f.writeUInt32BE(msg.length, 1);
  return f.length === msg.length + 5 ? f : f.subarray(0, msg.length + 5);
}
