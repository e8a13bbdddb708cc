/**
 * @module server/xds/ackscan
 * A shortcut for the most frequent SotW message, the ACK: clients resend every subscribed name in
 * every request (1,200 EDS names per ACK at bench scale), and decoding them dominated the server's
 * profile. `scanSotw` reads only the envelope of a DiscoveryRequest — type, version, nonce, and
 * where the resource_names bytes lie — so the engine can compare those bytes with the previous
 * request's (by digest, namelists.ts) and reuse the names it already decoded. Anything unusual (a node, an error_detail,
 * names not in one run, unknown layout) returns null and the caller decodes fully.
 */
import protobuf from 'protobufjs';

export interface SotwScan {
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly responseNonce: string;
  /** The contiguous bytes holding every resource_names field (empty when there are none). */
  readonly names: Uint8Array;
}

export function scanSotw(buf: Uint8Array): SotwScan | null {
  const r = protobuf.Reader.create(buf);
  let typeUrl = '',
    versionInfo = '',
    responseNonce = '';
  let start = -1,
    end = -1;
  try {
    while (r.pos < r.len) {
      const at = r.pos;
      const tag = r.uint32();
      const field = tag >>> 3;
      if ((tag & 7) !== 2) return null;
      switch (field) {
        case 1:
          versionInfo = r.string();
          break;
        case 3:
          if (start < 0) start = at;
          else if (end !== at) return null; // names interleaved with other fields
          end = r.pos = skipNames(buf, at, r.len);
          break;
        case 4:
          typeUrl = r.string();
          break;
        case 5:
          responseNonce = r.string();
          break;
        default:
          return null; // node (2), error_detail (6), resource_locators (7): decode fully
      }
    }
  } catch {
    return null;
  }
  return { typeUrl, versionInfo, responseNonce, names: start < 0 ? new Uint8Array(0) : buf.subarray(start, end) };
}

/** resource_names (field 3, length-delimited): its tag byte. */
const NAME_TAG = (3 << 3) | 2;

/**
 * The end of the run of resource_names fields starting at `pos`: a tight loop over tag bytes and
 * length varints (600 names per ACK: Reader calls per field cost more than the rest of the scan).
 * Throws (as Reader does) when a length runs past `len`.
 */
function skipNames(buf: Uint8Array, pos: number, len: number): number {
  while (pos < len && buf[pos] === NAME_TAG) {
    pos++;
    let n = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= len || shift > 28) throw new RangeError('truncated resource name');
      b = buf[pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    pos += n;
    if (pos > len) throw new RangeError('truncated resource name');
  }
  return pos;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}
