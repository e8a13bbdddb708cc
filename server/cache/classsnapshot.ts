/**
 * @module server/cache/classsnapshot
 * One proxy class's encoded output for one MeshConfig: each resource is encoded once, on first
 * demand, then shared by every stream of that class. A resource that fails to encode (a
 * translator bug or an object Envoy cannot express) is left out and reported through `onError`,
 * never taking the rest of the push down. Bytes are interned by content hash across classes, so
 * equal resources share one buffer; the interner is bounded (it starts a new generation when its
 * current one exceeds a byte budget), so made-up classes cannot grow it without limit.
 */
import { createHash } from 'node:crypto';
import { encodeMessage, encodeResource, encodeSpliced, resourceOfBytes, type EncodedResource } from '../../proto/encode.js';
import type { XdsType } from '../../proto/typeurls.js';
import type { ClusterKey, Generated } from '../../translators/index.js';
import { PartSnapshot, type EncodeFailure } from './part.js';
import type { CarryOver, ResourceSnapshot, WildcardSet } from './api.js';
import { Composer } from './composer.js';

/**
 * Encoded resources by (type, name, content hash) for the live generation, falling back to the
 * previous one, so unchanged resources keep their buffers across pushes and memory stays bounded
 * by two generations of config.
 */
export class Interner {
  private current = new Map<string, EncodedResource>();
  private previous = new Map<string, EncodedResource>();
  /** Bytes (encoded buffers and memo keys) first entered into the current generation. */
  private currentBytes = 0;

  /**
   * `maxBytes` bounds one generation: past it a new one starts early (the old one stays as
   * `previous`), so at most about twice this is held however many distinct classes clients make
   * up. Going over only costs sharing and re-encodes, never correctness.
   */
  constructor(private readonly maxBytes = 128 * 1024 * 1024) {}

  intern(e: EncodedResource): EncodedResource {
    const k = `${e.typeUrl}\u0000${e.name}\u0000${e.version}`;
    const mine = this.current.get(k);
    if (mine) return mine;
    const hit = this.previous.get(k) ?? e;
    this.current.set(k, hit);
    this.grow(hit.any.length + k.length);
    return hit;
  }

  private grow(n: number): void {
    this.currentBytes += n;
    if (this.currentBytes > this.maxBytes) this.rotate();
  }

  private memo = new Map<string, EncodedResource>();
  private memoPrev = new Map<string, EncodedResource>();

  /**
   * Encodes `msg` unless a message with the same JSON text was encoded in this or the previous
   * generation: JSON.stringify is native and an order of magnitude cheaper than the reflective
   * canonical encode, so an unchanged resource costs a string, not an encode, on every push.
   * (Same JSON ⇒ same message ⇒ same bytes; a miss only costs the encode.) The memo is keyed by
   * a SHA-256 digest of the text, not the text itself, so it holds ~60 bytes per resource instead
   * of a second copy of every message as JSON (issue 18: memory proportional to encoded bytes).
   */
  encode(typeUrl: string, messageName: string, name: string, msg: object): EncodedResource {
    let text: string;
    try {
      text = JSON.stringify(msg);
    } catch {
      return this.intern(encodeResource(messageName, name, msg));
    } // e.g. a BigInt: just encode
    const k = `${typeUrl}\u0000${name}\u0000${createHash('sha256').update(text).digest('base64')}`;
    const mine = this.memo.get(k);
    if (mine) return mine;
    let hit = this.memoPrev.get(k);
    if (!hit) hit = this.intern(this.encodeNew(messageName, name, msg));
    else this.intern(hit);
    this.memo.set(k, hit);
    this.grow(k.length * 2);
    return hit;
  }

  /** Encoded virtual hosts by a digest of their JSON text, this generation and the previous one. */
  private parts = new Map<string, Uint8Array>();
  private partsPrev = new Map<string, Uint8Array>();

  /**
   * A RouteConfiguration with many virtual hosts (one per service on its port) is encoded from its
   * virtual hosts' bytes, each kept by content across pushes (proto/encode.ts encodeSpliced): a
   * VirtualService edit re-encodes the virtual hosts it changed, not all of them. Same bytes.
   */
  private encodeNew(messageName: string, name: string, msg: object): EncodedResource {
    const vhosts = (msg as { virtual_hosts?: unknown }).virtual_hosts;
    if (messageName !== ROUTE_CONFIGURATION || !Array.isArray(vhosts) || vhosts.length < 16) return encodeResource(messageName, name, msg);
    const bytes = encodeSpliced(messageName, msg as Record<string, unknown>, 'virtual_hosts', (vh, i) =>
      this.encodePiece(VIRTUAL_HOST, vh, `RouteConfiguration.virtual_hosts[${i}]`),
    );
    return resourceOfBytes(messageName, name, bytes);
  }

  /** An element of a spliced resource (a virtual host) as `typeName`, kept by a digest of its JSON text this generation and the previous one. */
  encodePiece(typeName: string, element: unknown, path: string): Uint8Array {
    const k = createHash('sha256').update(typeName).update('\u0000').update(JSON.stringify(element)).digest('base64');
    let b = this.parts.get(k) ?? this.partsPrev.get(k);
    if (!b) b = encodeMessage(typeName, element, path);
    if (!this.parts.has(k)) {
      this.parts.set(k, b);
      this.grow(k.length + b.length);
    }
    return b;
  }

  /** Starts a new generation. */
  rotate(): void {
    this.partsPrev = this.parts;
    this.parts = new Map();
    this.currentBytes = 0;
    this.previous = this.current;
    this.current = new Map();
    this.memoPrev = this.memo;
    this.memo = new Map();
  }
}

const ROUTE_CONFIGURATION = 'envoy.config.route.v3.RouteConfiguration';
const VIRTUAL_HOST = 'envoy.config.route.v3.VirtualHost';

/** Per-resource (name, version) hash pair, computed once per encoded resource. */
const entryHashes = new WeakMap<EncodedResource, readonly [number, number]>();

function fnv(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

export function entryHash(r: EncodedResource): readonly [number, number] {
  let h = entryHashes.get(r);
  if (!h) {
    const s = `${r.name}\u0000${r.version}`;
    h = [fnv(s, 2166136261), fnv(s, 0x9747b28c)];
    entryHashes.set(r, h);
  }
  return h;
}

/** Folds entry hashes: order-independent, so it can be updated incrementally. */
export function foldVersion(h1: number, h2: number, count: number): string {
  return `${count.toString(36)}-${(h1 >>> 0).toString(36)}-${(h2 >>> 0).toString(36)}`;
}

/** The fold state behind a version from `foldVersion`/`typeVersion` (null if it is not one). */
export function unfoldVersion(v: string): [number, number, number] | null {
  const p = v.split('-');
  if (p.length !== 3) return null;
  const [n, a, b] = p.map((x) => parseInt(x, 36)) as [number, number, number];
  return Number.isFinite(n) && Number.isFinite(a) && Number.isFinite(b) ? [a, b, n] : null;
}

/**
 * A type's version: a hash of its set of (name, resource version) pairs (invariant 2) — the same
 * set gives the same version on every replica. Built by XOR of per-entry hashes, so a partial
 * update (endpoint-only push) can adjust it without rehashing everything.
 */
export function typeVersion(resources: Iterable<EncodedResource>): string {
  let h1 = 0,
    h2 = 0,
    n = 0;
  for (const r of resources) {
    const [a, b] = entryHash(r);
    h1 ^= a;
    h2 ^= b;
    n++;
  }
  return foldVersion(h1, h2, n);
}

/**
 * One class's output for one mesh generation: the composition of its parts (part.ts), each possibly
 * shared with other classes. Its name lists and wildcard sets are composed from the parts' own
 * (composer.ts) through the cache's Composer, so classes whose parts have equal output share them and
 * a class costs O(parts) to compose, not O(resources).
 */
export class ClassSnapshot implements ResourceSnapshot {
  private readonly wildcard = new Map<XdsType, WildcardSet>();
  /** Per type, the sorted union of the parts' names (only built when several parts list names of the type). */
  private readonly nameLists = new Map<XdsType, readonly string[]>();
  readonly parts: readonly PartSnapshot[];
  /** Encoded bytes of this class's parts (shared parts counted in every class that has them: what the cache's byte budget counts). */
  bytes = 0;
  /**
   * Set when the class's translation failed and there is no last good snapshot: the class has no
   * config to offer (not an empty one), so the protocol sends nothing and REST answers 503.
   */
  unavailable: Error | null = null;
  /** Kept as a class's last good output for a later mesh it failed to translate (never carried over from). */
  stale = false;
  /** Told how much `bytes` grew (set by the cache that holds this class). */
  onGrow: ((delta: number) => void) | null = null;
  private readonly composer: Composer;

  /**
   * The shared (immutable) name → resource map for this type and version, built by `make` on first
   * use. Shared by every class of the cache (a version names one set of (name, version) pairs):
   * a stream's record of what it was sent points here instead of holding its own copy.
   */
  sharedSet(t: XdsType, version: string, make: () => ReadonlyMap<string, EncodedResource>): ReadonlyMap<string, EncodedResource> {
    return this.composer.shared(t, version, make);
  }

  /**
   * `source`: the class's parts (the cache), or one whole generated output (tests, offline views:
   * a private, lazily encoded part). `carry` (with a whole output) carries unchanged resources over
   * from the previous snapshot's single part. `composer`: the cache's (composer.ts); a private one if absent.
   */
  constructor(
    readonly classKey: string,
    source: Generated | readonly PartSnapshot[],
    interner: Interner,
    onError: EncodeFailure,
    carry?: { from: ClassSnapshot; keep: CarryOver },
    composer?: Composer,
  ) {
    this.composer = composer ?? new Composer();
    if (Array.isArray(source)) this.parts = source as readonly PartSnapshot[];
    else {
      const g = source as Generated;
      const from = carry?.from.parts.length === 1 ? carry.from.parts[0] : undefined;
      this.parts = [
        new PartSnapshot(
          { owner: classKey, generated: g, closed: false, regenerate: () => g },
          interner,
          onError,
          from && carry ? { from, keep: carry.keep } : undefined,
        ),
      ];
    }
    for (const p of this.parts) this.bytes += p.bytes;
    // Only an open part grows after it is made, and open parts are never shared (their key names the class).
    for (const p of this.parts.filter((x) => x.open))
      p.onGrow = (d) => {
        this.bytes += d;
        this.onGrow?.(d);
      };
  }

  /**
   * Everything a wildcard subscription to `t` receives, sorted by name, with its version (see
   * `typeVersion`): the listing parts' type sets merged (composer.ts), shared with every class made of
   * parts with the same output, and by all streams of this class.
   */
  wildcardSet(t: XdsType): WildcardSet {
    let w = this.wildcard.get(t);
    if (!w) {
      w = this.composer.merge(
        t,
        this.listing(t).map((p) => p.typeSet(t, this.composer)),
      );
      this.wildcard.set(t, w);
    }
    return w;
  }

  /**
   * An object standing for what `get(t, ·)` answers: classes whose parts have equal output of type
   * `t` (per-pod classes of one namespace) give the same one — their composed set — so a stream's
   * memoized response can be shared by every such class; a class with parts that answer unlisted
   * names (aliases) gives itself.
   */
  contentKey(t: XdsType): object {
    return this.parts.every((p) => p.answersOnlyListed(t)) ? this.wildcardSet(t) : this;
  }

  /** The parts that list names of type `t`. */
  private listing(t: XdsType): PartSnapshot[] {
    return this.parts.filter((p) => p.names(t).length > 0);
  }

  /** The part answering `name`: the one listing it, else (aliases of open parts) the first that answers it. */
  private owner(t: XdsType, name: string): PartSnapshot | undefined {
    if (this.parts.length === 1) return this.parts[0];
    return this.parts.find((p) => p.lists(t, name)) ?? this.parts.find((p) => p.has(t, name));
  }

  /** What a cluster or EDS name of this class stands for (the translators' key); undefined for other types and fixed clusters. */
  clusterKey(t: XdsType, name: string): ClusterKey | undefined {
    return this.owner(t, name)?.clusterKey(t, name);
  }

  /**
   * The names of type `t` whose cluster key satisfies `pred` (an endpoint-only push's affected EDS
   * names), each part answering for its own names once per predicate: not a walk of every name per class.
   */
  namesWhere(t: XdsType, pred: (k: ClusterKey | undefined) => boolean): readonly string[] {
    const listing = this.listing(t);
    if (listing.length === 1) return listing[0]!.namesWhere(t, pred);
    const out: string[] = [];
    for (const p of listing) for (const n of p.namesWhere(t, pred)) if (this.owner(t, n) === p) out.push(n);
    return out;
  }

  /** `namesWhere` for the names whose cluster key's host is one of `hosts`, through each part's index (part.ts namesOfHosts). */
  namesOfHosts(t: XdsType, hosts: ReadonlySet<string>): readonly string[] {
    const listing = this.listing(t);
    if (listing.length === 1) return listing[0]!.namesOfHosts(t, hosts);
    const out: string[] = [];
    for (const p of listing) for (const n of p.namesOfHosts(t, hosts)) if (this.owner(t, n) === p) out.push(n);
    return out;
  }

  /** Names a wildcard subscription to `t` receives (sorted, as one generator listing everything by name). */
  names(t: XdsType): readonly string[] {
    let n = this.nameLists.get(t);
    if (!n) {
      const listing = this.listing(t);
      n =
        listing.length === 0
          ? []
          : listing.length === 1
            ? listing[0]!.names(t)
            : this.composer.mergeNames(
                t,
                listing.map((p) => this.composer.names(t, p.names(t))),
              );
      this.nameLists.set(t, n);
    }
    return n;
  }

  /** The encoded resource `name` of type `t`, or undefined when it does not exist (or failed to encode). */
  get(t: XdsType, name: string): EncodedResource | undefined {
    if (this.parts.length === 1) return this.parts[0]!.get(t, name);
    for (const p of this.parts) {
      const r = p.listed(t, name);
      if (r !== undefined) return r ?? undefined;
    }
    return this.parts.find((p) => p.has(t, name))?.get(t, name);
  }

  /** The plain message (for config_dump's v1 view and the translate CLI). */
  message(t: XdsType, name: string): object | undefined {
    return this.owner(t, name)?.message(t, name);
  }
}

export { NO_OUTPUT, type EncodeFailure } from './part.js';
