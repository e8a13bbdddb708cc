/**
 * @module server/cache/pieces
 * Encoding a resource its output offers as pieces (translators/pieces.ts: a route config as its
 * virtual hosts), reusing what the previous encoding of the same resource already holds. Each
 * element whose key is unchanged and whose recorded dependencies the push left untouched is
 * spliced from the previous bytes without being translated, stringified or hashed again; only the
 * others are built and encoded. A VirtualService edit in a route config of 800 virtual hosts then
 * builds one virtual host and copies the rest as a few byte ranges (issue 18: a change's cost
 * follows what it touches, not the mesh).
 *
 * The bytes are the same as encoding the assembled resource whole (protobuf writes a repeated
 * message field as its elements one after another, in field-number order: proto/encode.ts
 * `encodeShell`). What is kept per resource (`PieceState`) is offsets into the resource's own
 * encoded bytes, the keys (the translators' shared list) and each element's dependencies: no
 * message trees and no second copy of the bytes.
 */
import type { Deps } from '../../translators/deps.js';
import type { Pieces } from '../../translators/pieces.js';
import { anyFrame, elementType, encodeShell } from '../../proto/encode.js';
import { DepIndex } from './depindex.js';
import { DIGEST_BYTES, elementDigest, elementField, resourceVersion, versionOfPieces } from '../../proto/version.js';

/** What the encoding of one piecewise resource leaves for the next one. */
export interface PieceState {
  /** The element keys, in order (the translators' list: the same array while the shape is the same). */
  readonly keys: readonly string[];
  /** The encoded resource the offsets point into. */
  readonly bytes: Uint8Array;
  /** Per element i: [2i] where it starts (its tag), [2i+1] where it ends. */
  readonly at: Uint32Array;
  /** Per element, what it read when built. */
  readonly deps: readonly Deps[];
  /** Per element, the digest of its bytes (DIGEST_BYTES each: proto/version.ts), so a new version hashes digests, not bytes. */
  readonly digests: Uint8Array;
  /**
   * Which elements (by index, valid for `keys`) read each dependency key (depindex.ts), once an
   * encoding keyed by dependencies needed it: the next such encoding looks the changed keys up
   * instead of asking each element, and forks it for its own state.
   */
  readonly index?: DepIndex;
}

export interface PiecesEncoded {
  /** The resource's bytes: a view into `any`. */
  readonly bytes: Uint8Array;
  /** The resource wrapped in google.protobuf.Any, written in place (no second copy for the wrapper). */
  readonly any: Uint8Array;
  /** Its version (proto/version.ts resourceVersion), from its elements' digests. */
  readonly version: string;
  /** The state for the next encoding (its `bytes` are these bytes; rebase with `withBytes` onto an equal buffer). */
  readonly state: PieceState;
  /** Everything the resource read: the shell's and every element's dependencies (gathered on first use). */
  readonly deps: Deps;
  /** How many elements were built (the rest were spliced from `prev`). */
  readonly built: number;
  /** What the shell and the elements built (not spliced) read: all that `deps` can have gained over `prev`'s. */
  readonly fresh: readonly Deps[];
}

/**
 * The union of several dependency sets, gathered on first use: a rebuilt route config's
 * dependencies are its virtual hosts' (hundreds), which a push whose carry-over is decided by an
 * index (part.ts) never reads whole.
 */
export class LazyUnion implements ReadonlySet<string> {
  private all: Set<string> | undefined;
  constructor(private readonly sets: readonly Deps[]) {}
  private get set(): Set<string> {
    if (!this.all) {
      this.all = new Set<string>();
      for (const d of this.sets) for (const x of d) this.all.add(x);
    }
    return this.all;
  }
  get size(): number {
    return this.set.size;
  }
  has(k: string): boolean {
    return this.set.has(k);
  }
  forEach(cb: (v: string, k: string, s: ReadonlySet<string>) => void, self?: unknown): void {
    for (const x of this.set) cb.call(self, x, x, this);
  }
  entries(): SetIterator<[string, string]> {
    return this.set.entries();
  }
  keys(): SetIterator<string> {
    return this.set.keys();
  }
  values(): SetIterator<string> {
    return this.set.values();
  }
  [Symbol.iterator](): SetIterator<string> {
    return this.set.values();
  }
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n >>>= 7;
    len++;
  }
  return len;
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[pos++] = n;
  return pos;
}

/** `state`'s element index (built now if it has none: once per shape, then forked). */
function elementIndex(state: PieceState): DepIndex {
  if (state.index) return state.index;
  return DepIndex.build(state.deps.map((d, i) => [String(i), [d]] as const));
}

/**
 * Encodes `pieces` as `typeName`. `prev`: the previous encoding of the same resource (from the part
 * it is carried over from); an element of `prev` with the same key is reused when `reusable(deps)`
 * says nothing it read changed. `encode` encodes a built element (the interner's cache by content).
 * `changed` (a carry-over keyed by dependencies, api.ts CarryOver.changed: `reusable` is exactly
 * "read none of these"): with the same keys as `prev`, the elements to build are looked up in its
 * element index rather than asked one by one.
 */
export function encodePieces(
  typeName: string,
  pieces: Pieces,
  prev: PieceState | undefined,
  reusable: (deps: Deps) => boolean,
  encode: (elementType: string, element: unknown, path: string) => Uint8Array,
  changed?: Deps,
): PiecesEncoded {
  const { keys, field } = pieces;
  const n = keys.length;
  const { head, split, tag } = encodeShell(typeName, pieces.shell as Record<string, unknown>, field);
  const tagLen = varintLength(tag);
  // For each element: the index of the previous element to reuse (-1: build it), or its fresh bytes.
  const from = new Int32Array(n).fill(-1);
  const built_: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(n);
  const deps: Deps[] = new Array<Deps>(n);
  let prevIndex: ((i: number) => number) | undefined;
  let index: DepIndex | undefined;
  let touched: ReadonlySet<number> | undefined;
  if (prev && prev.keys === keys && changed) {
    index = elementIndex(prev);
    const ids = index.touched(changed);
    if (ids) touched = new Set([...ids].map(Number));
  }
  if (prev && prev.keys === keys) prevIndex = (i) => i;
  else if (prev) {
    const byKey = new Map<string, number>();
    prev.keys.forEach((k, j) => byKey.set(k, j));
    prevIndex = (i) => byKey.get(keys[i]!) ?? -1;
  }
  let type: string | undefined;
  let size = head.length;
  let built = 0;
  for (let i = 0; i < n; i++) {
    const j = prevIndex ? prevIndex(i) : -1;
    if (j >= 0 && (touched ? !touched.has(j) : reusable(prev!.deps[j]!))) {
      from[i] = j;
      deps[i] = prev!.deps[j]!;
      size += prev!.at[2 * j + 1]! - prev!.at[2 * j]!;
      continue;
    }
    const r = pieces.build(i);
    type ??= elementType(typeName, field);
    const b = encode(type, r.value, `${typeName.slice(typeName.lastIndexOf('.') + 1)}.${field}[${i}]`);
    built_[i] = b;
    deps[i] = r.deps;
    size += tagLen + varintLength(b.length) + b.length;
    built++;
  }
  const fresh: Deps[] = [pieces.deps];
  const builtAt: number[] = [];
  const { any, offset } = anyFrame(typeName, size);
  const out = any.subarray(offset);
  const at = new Uint32Array(2 * n);
  const digests = new Uint8Array(n * DIGEST_BYTES);
  out.set(head.subarray(0, split), 0);
  let pos = split;
  for (let i = 0; i < n;) {
    const j = from[i]!;
    if (j >= 0) {
      // A run of elements reused in the same order is one contiguous range of the previous bytes.
      let k = i + 1;
      while (k < n && from[k] === j + (k - i)) k++;
      const start = prev!.at[2 * j]!;
      const end = prev!.at[2 * (j + k - i - 1) + 1]!;
      out.set(prev!.bytes.subarray(start, end), pos);
      digests.set(prev!.digests.subarray(j * DIGEST_BYTES, (j + k - i) * DIGEST_BYTES), i * DIGEST_BYTES);
      for (let q = 0; q < 2 * (k - i); q++) at[2 * i + q] = prev!.at[2 * j + q]! - start + pos;
      pos += end - start;
      i = k;
      continue;
    }
    const b = built_[i]!;
    fresh.push(deps[i]!);
    builtAt.push(i);
    at[2 * i] = pos;
    pos = writeVarint(out, pos, tag);
    pos = writeVarint(out, pos, b.length);
    out.set(b, pos);
    digests.set(elementDigest(b), i * DIGEST_BYTES);
    pos += b.length;
    at[2 * i + 1] = pos;
    i++;
  }
  out.set(head.subarray(split), pos);
  let nextIndex: DepIndex | undefined;
  if (index) {
    nextIndex = DepIndex.fork(index);
    for (const i of builtAt) nextIndex.note(String(i), [deps[i]!]);
  }
  const state: PieceState = { keys, bytes: out, at, deps, digests, ...(nextIndex ? { index: nextIndex } : {}) };
  // Versioned by its elements' digests when its type is (route configs), else by its bytes.
  const version =
    elementField(typeName) === tag >>> 3
      ? versionOfPieces(head.subarray(0, split), digests, head.subarray(split))
      : resourceVersion(typeName, out);
  return { bytes: out, any, version, state, deps: new LazyUnion([pieces.deps, ...deps]), built, fresh };
}

/** `state` over `bytes`, an equal buffer (the interner's copy of the same resource). */
export function withBytes(state: PieceState, bytes: Uint8Array): PieceState {
  return bytes === state.bytes ? state : { ...state, bytes };
}
