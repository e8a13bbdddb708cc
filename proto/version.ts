/**
 * @module proto/version
 * A resource's version: a content hash of its encoded bytes (invariant 2: the same bytes give the
 * same version on every replica, whatever path encoded them). For a route configuration — the one
 * resource encoded from pieces (server/cache/pieces.ts), up to hundreds of KB — the hash is taken
 * over its virtual hosts' digests rather than over every byte: the bytes read as runs of other
 * fields and virtual hosts in order, each run hashed raw and each virtual host as a digest of its
 * own bytes. A piecewise encoding keeps each virtual host's digest beside its bytes, so a
 * VirtualService edit hashes the virtual host it rebuilt and a few KB of digests, not the whole
 * configuration again (issue 18: a change costs what it touches). Both ways of computing it give
 * the same version for the same bytes (proto/version.test.ts).
 */
import crypto, { createHash, type Hash } from 'node:crypto';

/** Bytes of each element digest. */
export const DIGEST_BYTES = 16;

/** Types versioned by their repeated field's elements: type name → that field's number. */
const BY_ELEMENTS: ReadonlyMap<string, number> = new Map([['envoy.config.route.v3.RouteConfiguration', 2]]);

/** The field number a `typeName` is versioned by the elements of (undefined: hashed whole). */
export function elementField(typeName: string): number | undefined {
  return BY_ELEMENTS.get(typeName);
}

const RAW = 0;
const ELEMENTS = 1;

function finish(h: Hash): string {
  return h.digest('base64url').slice(0, 16);
}

/** Hash of bytes used as a resource version: stable across processes and replicas. */
export function contentHash(...parts: (Uint8Array | string)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return finish(h);
}

/** One-shot SHA-256 where Node has it (crypto.hash: several times cheaper than a Hash object for a small input). */
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;

/** The digest of one element's bytes (its message, without tag and length). */
export function elementDigest(bytes: Uint8Array): Uint8Array {
  const d = oneShot ? oneShot('sha256', bytes, 'buffer') : createHash('sha256').update(bytes).digest();
  return d.subarray(0, DIGEST_BYTES);
}

/** Feeds one segment: a kind, a 4-byte length, the bytes (a raw run of fields, or consecutive elements' digests). */
function segment(h: Hash, kind: number, body: Uint8Array): void {
  if (!body.length) return;
  const head = new Uint8Array(5);
  head[0] = kind;
  new DataView(head.buffer).setUint32(1, body.length);
  h.update(head).update(body);
}

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length) throw new Error('truncated varint');
    const x = b[pos++]!;
    v += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) return [v, pos];
    shift += 7;
  }
}

/**
 * The version of a message of `typeName` encoded as `bytes`: for a type versioned by elements, a
 * hash of its segments — each run of other fields raw, each run of consecutive elements as their
 * digests — else of the bytes.
 */
export function resourceVersion(typeName: string, bytes: Uint8Array): string {
  const field = elementField(typeName);
  if (field === undefined) return contentHash(bytes);
  const h = createHash('sha256');
  let run = 0;
  let digests: Uint8Array[] = [];
  const flush = (): void => {
    if (!digests.length) return;
    const all = new Uint8Array(digests.length * DIGEST_BYTES);
    digests.forEach((d, i) => all.set(d, i * DIGEST_BYTES));
    segment(h, ELEMENTS, all);
    digests = [];
  };
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    const wire = tag & 7;
    pos = afterTag;
    if (wire === 0) pos = readVarint(bytes, pos)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, at] = readVarint(bytes, pos);
      pos = at + len;
      if (tag >>> 3 === field) {
        if (start > run) {
          flush();
          segment(h, RAW, bytes.subarray(run, start));
        }
        digests.push(elementDigest(bytes.subarray(at, pos)));
        run = pos;
      }
    } else throw new Error(`${typeName}: unsupported wire type ${wire}`);
    if (pos > bytes.length) throw new Error(`${typeName}: truncated field`);
  }
  flush();
  segment(h, RAW, bytes.subarray(run));
  return finish(h);
}

/**
 * The version `resourceVersion` gives a message laid out as `before` (no element), the elements
 * whose digests are `digests` (DIGEST_BYTES each, in order), then `after` (no element) — without
 * reading the elements' bytes.
 */
export function versionOfPieces(before: Uint8Array, digests: Uint8Array, after: Uint8Array): string {
  const h = createHash('sha256');
  if (!digests.length) {
    // No element: the bytes are one run of other fields.
    const all = new Uint8Array(before.length + after.length);
    all.set(before);
    all.set(after, before.length);
    segment(h, RAW, all);
    return finish(h);
  }
  segment(h, RAW, before);
  segment(h, ELEMENTS, digests);
  segment(h, RAW, after);
  return finish(h);
}
