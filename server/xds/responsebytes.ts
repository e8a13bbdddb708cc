/**
 * @module server/xds/responsebytes
 * SotW response bytes shared by the streams of a proxy class (issue 18: per-stream cost). Streams
 * of one class in the same state get the very same resources array from compose (sotw.ts memo,
 * the class's wildcard set), so their responses differ only in the nonce: the head (version,
 * resources, type) is encoded once and each stream's response is that head plus its nonce
 * (proto/wire.ts sotwResponseWithNonce, byte for byte what a whole encode gives) — a copy instead
 * of a protobuf encode of ~1 MB per stream.
 * Bounded by what is served, not by streams: a head is kept only for an array seen a second time
 * (a class with one stream never pays for it), held weakly by that array, and the heads kept at
 * once are capped by a byte budget (oldest dropped first); a dropped head only costs a re-encode.
 */
import type { EncodedResource } from '../../proto/encode.js';
import { sotwResponseBytes, sotwResponseHead, sotwResponseWithNonce } from '../../proto/wire.js';
import type { SotwResponse } from './state.js';

interface Head {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly bytes: Uint8Array;
}

type Resources = readonly EncodedResource[];

/** Response heads by a response's resources array. */
export class ResponseHeads {
  private readonly seen = new WeakSet<Resources>();
  private readonly heads = new WeakMap<Resources, Head>();
  /** Heads in the order kept, for the budget (an array gone already just counts until it is dropped). */
  private readonly order: { readonly of: WeakRef<Resources>; readonly bytes: number }[] = [];
  private bytes = 0;
  /** Responses encoded from a head kept from an earlier response (for tests and metrics). */
  hits = 0;

  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  /** The response's bytes, from its class's shared head when it has one. */
  encode(r: SotwResponse): Uint8Array {
    const head = this.head(r);
    if (head) return sotwResponseWithNonce(head, r.nonce);
    return sotwResponseBytes(
      r.versionInfo,
      r.typeUrl,
      r.nonce,
      r.resources.map((x) => x.any),
    );
  }

  private head(r: SotwResponse): Uint8Array | null {
    const had = this.heads.get(r.resources);
    if (had) {
      if (had.versionInfo !== r.versionInfo || had.typeUrl !== r.typeUrl) return null;
      this.hits++;
      return had.bytes;
    }
    if (!this.seen.has(r.resources)) {
      this.seen.add(r.resources);
      return null;
    }
    const bytes = sotwResponseHead(
      r.versionInfo,
      r.typeUrl,
      r.resources.map((x) => x.any),
    );
    if (bytes.length > this.maxBytes) return bytes;
    this.heads.set(r.resources, { versionInfo: r.versionInfo, typeUrl: r.typeUrl, bytes });
    this.order.push({ of: new WeakRef(r.resources), bytes: bytes.length });
    this.bytes += bytes.length;
    while (this.bytes > this.maxBytes) {
      const old = this.order.shift()!;
      this.bytes -= old.bytes;
      const a = old.of.deref();
      if (a) this.heads.delete(a);
    }
    return bytes;
  }
}
