/**
 * @module server/cache/snapshot
 * The proxy-class cache: one ClassSnapshot (classsnapshot.ts) per proxy class for the current
 * MeshConfig, so the generator runs once per class (invariant 4) and every stream of the class
 * shares its encoded bytes. Streams hold a class through a lease (`acquire`): a class with a live
 * lease is never evicted. Pollers (REST, v1, debug views) use `forProxy`, which keeps the class
 * for `idleTtlMs` after its last use. Classes nobody leases are "idle" and bounded by count
 * (`idleClasses`) and encoded bytes (`idleBytes`), least recently used first — so whatever node
 * identities clients make up, the cache holds the classes of live streams plus a bounded tail.
 * A new mesh replaces every class; endpoint-only changes carry unaffected resources over.
 *
 * Below the class, output is cached in parts (translators/share.ts, part.ts): a class is composed
 * of parts looked up by key among those its mesh already has — so pods with distinct labels share
 * one outbound part per namespace scope and each add only their inbound part. A part lives while a
 * cached class uses it (reference counts); carry-over works per part, from the previous mesh's part
 * of the same key.
 *
 * Translator failures stay inside their class: when `generate` throws for a class, the class keeps
 * its snapshot from the previous mesh (its proxies keep the config they have, as istiod keeps
 * serving the last pushed config when a push fails), the failure is reported once per class and
 * mesh through `onTranslateError` (logged and counted as `pilot_xds_push_context_errors`), and the
 * next mesh tries again. A class with no previous snapshot is marked `unavailable`: its streams get
 * no response yet rather than an empty config (which Envoy would apply, deleting everything) or
 * an error (which would only make them reconnect into the same failure); they are served as soon
 * as a later mesh translates.
 */
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { outputParts, proxyClass, type Generated, type OutputPart } from '../../translators/index.js';
import { PROTO_PATCH_OPS } from '../../proto/patch.js';
import { ClassSnapshot, Interner, NO_OUTPUT, type EncodeFailure } from './classsnapshot.js';
import { PartSnapshot } from './part.js';
import { Composer } from './composer.js';
import { keptAsIs, lazyOutput, touches } from './keep.js';
import { classKeysKept } from '../../translators/deps.js';
import type { CarryOver, ClassLease, EndpointChange, MeshCache } from './api.js';

export { ClassSnapshot, Interner, entryHash, foldVersion, typeVersion, unfoldVersion, type EncodeFailure } from './classsnapshot.js';
export type { CarryOver, ClassLease, ConfigWatcher, MeshCache, ResourceSnapshot } from './api.js';

/** A class whose translation threw; `lastGood`: its previous snapshot stays in force. */
export type TranslateFailure = (info: { proxyClass: string; error: Error; lastGood: boolean }) => void;

/** An EnvoyFilter patch not applied to one resource of a class because the result was invalid, or to the class at all (translators/envoyfilter). */
export type PatchSkipped = (info: {
  proxyClass: string;
  filter: string;
  patchIndex: number;
  typeUrl: string;
  resource: string;
  reason: string;
  /** Not applied because it cannot apply to this kind of proxy (a proxyless client's listener patch). */
  notApplicable?: true;
}) => void;

export interface SnapshotCacheOptions {
  readonly onError?: EncodeFailure;
  readonly onPatchSkipped?: PatchSkipped;
  readonly onTranslateError?: TranslateFailure;
  /** A proxy's class key (default: translators/index.ts `proxyClass`; tests wrap it to count how often proxies are keyed). */
  readonly classOf?: (proxy: Proxy, mesh: MeshConfig) => string;
  /** A whole-output translator (tests inject failing ones): each class is then one unshared part. */
  readonly generate?: (mesh: MeshConfig, proxy: Proxy) => Generated;
  /**
   * How a proxy's output splits into shareable parts (default: translators/index.ts `outputParts`
   * with the EnvoyFilter stage; tests wrap it to count translations). Ignored when `generate` is given.
   */
  readonly parts?: (mesh: MeshConfig, proxy: Proxy) => { classKey: string; parts: readonly OutputPart[] };
  /** Most classes kept that no stream leases (default 256). */
  readonly idleClasses?: number;
  /** Most encoded bytes kept in classes no stream leases (default 32 MiB). */
  readonly idleBytes?: number;
  /** An unleased class is dropped this long after its last use (default 60 s: several poll intervals). */
  readonly idleTtlMs?: number;
  /** Byte budget of one interner generation (default 128 MiB). */
  readonly internerBytes?: number;
  readonly now?: () => number;
}

/**
 * Defaults sized for the 256 MB heap docs/operating.md recommends: an unshared class (gateway,
 * proxyless gRPC, EnvoyFilter-patched) also holds its translated messages, several times its encoded
 * bytes (Bookinfo: ~35 KB of heap per class), so 256 idle classes / 32 MiB of encoded output stay
 * well inside it. A class's bytes count its shared parts too, so the budget errs on the safe side.
 */
export const DEFAULT_IDLE_CLASSES = 256;
export const DEFAULT_IDLE_BYTES = 32 * 1024 * 1024;

interface Entry {
  readonly key: string;
  readonly snap: ClassSnapshot;
  lastUsed: number;
  /** The part keys this class holds a reference on (for the current mesh). */
  readonly partKeys: readonly string[];
}

/** A part for the current mesh and how many cached classes use it. */
interface PartEntry {
  readonly snap: PartSnapshot;
  refs: number;
}

interface LeaseState {
  readonly proxy: Proxy;
  key: string;
  released: boolean;
}

export interface CacheStats {
  /** Classes held for the current mesh. */
  readonly classes: number;
  /** Distinct parts they are composed of (translators/share.ts), and those parts' encoded bytes (each counted once). */
  readonly parts: number;
  readonly partBytes: number;
  /** Of them, leased by live streams. */
  readonly pinned: number;
  readonly bytes: number;
  readonly idleBytes: number;
}

/** All class snapshots for the current mesh; replaced wholesale when the mesh changes. */
export class SnapshotCache implements MeshCache {
  private classes = new Map<string, Entry>();
  /** Entries no lease pins, least recently used first. */
  private idle = new Map<string, Entry>();
  private idleBytes = 0;
  private bytes = 0;
  /** Live leases per class key (for the current mesh). */
  private refs = new Map<string, number>();
  private readonly leases = new Set<LeaseState>();
  private readonly interner: Interner;
  /** Type sets, name lists and their merges shared by the classes (composer.ts). */
  private readonly composer = new Composer();
  private current: MeshConfig;
  private readonly onError: EncodeFailure;
  private readonly onTranslateError: TranslateFailure;
  private readonly split: (mesh: MeshConfig, proxy: Proxy) => { classKey: string; parts: readonly OutputPart[] };
  /** Parts of the current mesh by key, shared by the classes composed of them. */
  private parts = new Map<string, PartEntry>();
  /** The previous mesh's parts, for carry-over; each is dropped once its successor exists. */
  private previousParts = new Map<string, PartEntry>();
  private readonly maxIdle: number;
  private readonly maxIdleBytes: number;
  private readonly ttl: number;
  private readonly now: () => number;
  /** The previous mesh's classes, for carry-over and as last good; each is dropped once its successor exists. */
  private previous = new Map<string, Entry>();
  private readonly onPatchSkipped: PatchSkipped;
  private keep: CarryOver | null = null;
  private readonly classOf: (proxy: Proxy, mesh: MeshConfig) => string;

  constructor(mesh: MeshConfig, opts: EncodeFailure | SnapshotCacheOptions = {}) {
    const o: SnapshotCacheOptions = typeof opts === 'function' ? { onError: opts } : opts;
    this.current = mesh;
    this.onError = o.onError ?? (() => {});
    this.onTranslateError = o.onTranslateError ?? (() => {});
    this.onPatchSkipped = o.onPatchSkipped ?? (() => {});
    this.classOf = o.classOf ?? proxyClass;
    const gen = o.generate;
    this.split = gen
      ? (m, p) => {
          const classKey = proxyClass(p, m);
          return { classKey, parts: [{ kind: 'class', key: `class:${classKey}`, closed: false, make: () => gen(m, p) }] };
        }
      : (o.parts ?? ((m, p) => outputParts(m, p, PROTO_PATCH_OPS)));
    this.maxIdle = o.idleClasses ?? DEFAULT_IDLE_CLASSES;
    this.maxIdleBytes = o.idleBytes ?? DEFAULT_IDLE_BYTES;
    this.ttl = o.idleTtlMs ?? 60_000;
    this.now = o.now ?? Date.now;
    this.interner = new Interner(o.internerBytes);
  }

  get mesh(): MeshConfig {
    return this.current;
  }

  stats(): CacheStats {
    let pinned = 0;
    for (const k of this.classes.keys()) if (this.refs.get(k)) pinned++;
    let partBytes = 0;
    for (const p of this.parts.values()) partBytes += p.snap.bytes;
    return { classes: this.classes.size, parts: this.parts.size, partBytes, pinned, bytes: this.bytes, idleBytes: this.idleBytes };
  }

  /**
   * A new mesh. `unchanged` (endpoint-only changes) names resources known to be unaffected (given
   * the previous class's key for cluster and EDS names): they are carried over from the previous snapshot of the same class instead of being translated
   * and encoded again.
   */
  setMesh(mesh: MeshConfig, unchanged?: CarryOver): void {
    this.current = mesh;
    const leftovers = this.previous;
    this.previous = this.classes;
    this.keep = unchanged ?? null;
    this.classes = new Map();
    this.previousParts = this.parts;
    this.parts = new Map();
    this.idle = new Map();
    this.idleBytes = 0;
    this.bytes = 0;
    this.refs = new Map();
    // An endpoint-only change moves no proxy to another class but those whose own Pod changed; a
    // VirtualService or DestinationRule edit moves none (deps.ts classKeysKept).
    const ep = unchanged?.endpoints;
    const kept = !ep && unchanged?.changed !== undefined && classKeysKept(unchanged.changed);
    // A policy edit moves only proxies of its namespace (CarryOver.reclassify).
    const moves = unchanged?.changed !== undefined ? unchanged.reclassify : undefined;
    for (const l of this.leases) {
      if (ep ? ep.reclassify?.(l.proxy) : !kept && (moves?.(l.proxy) ?? true)) l.key = this.classOf(l.proxy, mesh);
      this.refs.set(l.key, (this.refs.get(l.key) ?? 0) + 1);
    }
    // A live stream's class not recomputed for the mesh being replaced (a push superseded before
    // reaching it, or one that did not concern it) keeps its older snapshot as last good — but it
    // is two meshes old, so nothing is carried over from it (`stale`).
    for (const [k, e] of leftovers)
      if (!this.previous.has(k) && this.refs.get(k)) {
        e.snap.stale = true;
        this.previous.set(k, e);
      }
    this.interner.rotate();
    this.composer.rotate();
  }

  /** A stream's lease on its proxy's class (see ClassLease). */
  acquire(proxy: Proxy): ClassLease & { snapshot(): ClassSnapshot } {
    const l: LeaseState = { proxy, key: this.classOf(proxy, this.current), released: false };
    this.leases.add(l);
    this.ref(l.key, 1);
    return {
      proxy,
      snapshot: () => this.entry(l.key, proxy).snap,
      release: () => {
        if (l.released) return;
        l.released = true;
        this.leases.delete(l);
        this.ref(l.key, -1);
        this.sweep();
      },
    };
  }

  /** The class snapshot for a proxy that holds no lease (pollers, debug views): kept for `idleTtlMs` after this use. */
  forProxy(proxy: Proxy): ClassSnapshot {
    const e = this.entry(this.classOf(proxy, this.current), proxy);
    this.sweep();
    return e.snap;
  }

  private ref(key: string, d: 1 | -1): void {
    const n = (this.refs.get(key) ?? 0) + d;
    if (n > 0) this.refs.set(key, n);
    else this.refs.delete(key);
    const e = this.classes.get(key);
    if (!e) return;
    if (d === 1 && n === 1) this.unidle(e);
    else if (n === 0) {
      e.lastUsed = this.now();
      this.idle.set(key, e);
      this.idleBytes += e.snap.bytes;
    }
  }

  private unidle(e: Entry): void {
    if (this.idle.delete(e.key)) this.idleBytes -= e.snap.bytes;
  }

  private entry(key: string, proxy: Proxy): Entry {
    let e = this.classes.get(key);
    if (!e) {
      const prev = this.previous.get(key);
      if (prev) this.previous.delete(key);
      const { snap, partKeys } = (prev && this.keepParts(key, proxy, prev)) ?? this.translate(key, proxy, prev?.snap);
      const made: Entry = { key, snap, lastUsed: this.now(), partKeys };
      e = made;
      snap.onGrow = (d) => {
        this.bytes += d;
        if (this.idle.has(key) && this.classes.get(key) === made) this.idleBytes += d;
      };
      this.classes.set(key, e);
      this.bytes += snap.bytes;
      if (!this.refs.get(key)) {
        this.idle.set(key, e);
        this.idleBytes += snap.bytes;
      }
    } else if (this.idle.has(key)) {
      // Recently used: to the young end.
      this.idle.delete(key);
      this.idle.set(key, e);
    }
    e.lastUsed = this.now();
    return e;
  }

  /**
   * A new snapshot of the class composed of its parts — each taken from the current mesh's parts
   * when another class made it already, else translated (and, closed, encoded) now, carrying
   * unchanged resources over from the previous mesh's part of the same key — or its last good one
   * (or an unavailable one) when a translation throws.
   */
  private translate(key: string, proxy: Proxy, prev: ClassSnapshot | undefined): { snap: ClassSnapshot; partKeys: string[] } {
    const made: string[] = [];
    try {
      const { parts } = this.split(this.current, proxy);
      const snaps = parts.map((p) => {
        const e = this.part(key, p);
        e.refs++;
        made.push(p.key);
        return e.snap;
      });
      return { snap: new ClassSnapshot(key, snaps, this.interner, this.onError, undefined, this.composer), partKeys: made };
    } catch (e) {
      for (const k of made) this.unref(k);
      const error = e instanceof Error ? e : new Error(String(e));
      const lastGood = prev !== undefined && !prev.unavailable;
      this.onTranslateError({ proxyClass: key, error, lastGood });
      if (lastGood) {
        prev.stale = true;
        return { snap: prev, partKeys: [] };
      }
      const none = new ClassSnapshot(key, NO_OUTPUT, this.interner, this.onError);
      none.unavailable = error;
      return { snap: none, partKeys: [] };
    }
  }

  /** The current mesh's part for `p`, made now if no class made it yet. */
  private part(classKey: string, p: OutputPart): PartEntry {
    const have = this.parts.get(p.key);
    if (have) return have;
    const prev = this.previousParts.get(p.key);
    this.previousParts.delete(p.key);
    const carry = prev && this.keep ? { from: prev.snap, keep: this.keep } : undefined;
    // Nothing of it changed (a pod's inbound part on a VirtualService edit): the part itself is kept.
    // Known at once when the change is keyed by dependencies and the part read none of those it
    // invalidates (CarryOver.whole), else by asking every resource.
    const kept = (c: { from: PartSnapshot; keep: CarryOver }): boolean => {
      const byIndex = c.from.keptWhole(c.keep);
      if (byIndex !== undefined) return byIndex;
      const all = c.from.allDeps;
      if (c.keep.endpoints) return !touches(c.from, c.keep.endpoints);
      return all && c.keep.whole ? c.keep.whole(all) : c.from.carriedWhole(c.keep);
    };
    if (carry && p.closed && p.kind !== 'class' && kept(carry)) {
      const e: PartEntry = { snap: carry.from.rebind({ owner: classKey, regenerate: () => p.make() }), refs: 0 };
      this.parts.set(p.key, e);
      return e;
    }
    // A closed sidecar part with carry-over is translated only if something is not carried (a
    // VirtualService edit carries a pod's whole inbound part): it is encoded whole in PartSnapshot's
    // constructor, so a translation failure still shows here. Whole-class parts are translated now:
    // their EnvoyFilter skips are reported per mesh.
    const g = carry && p.closed && p.kind !== 'class' ? lazyOutput(p.make) : p.make();
    // Names are computed lazily by some generators: the part lists them when made (all but those
    // carried over), so a failure shows here and not in a push.
    for (const s of g.envoyFilters?.skips() ?? []) this.onPatchSkipped({ proxyClass: classKey, ...s });
    const snap = new PartSnapshot(
      { owner: classKey, generated: g, closed: p.closed, regenerate: () => p.make() },
      this.interner,
      this.onError,
      carry,
    );
    const e: PartEntry = { snap, refs: 0 };
    this.parts.set(p.key, e);
    return e;
  }

  /**
   * An endpoint-only push (CarryOver.endpoints), for a class whose key did not change: its parts of
   * the previous mesh, without splitting its output again — each part no affected resource is in
   * kept as it is (keep.ts), and the snapshot itself when every part is; the output is split again
   * only for an affected part no other class made yet for this mesh (per-pod classes: once per
   * outbound scope, not once per class). Null (the caller translates) when the previous snapshot is
   * no base (stale, failed), a part is a whole class's output (its EnvoyFilter skips are reported
   * per mesh), or something throws.
   */
  private keepParts(key: string, proxy: Proxy, prev: Entry): { snap: ClassSnapshot; partKeys: string[] } | null {
    const ep = this.keep?.endpoints;
    if (!ep || !this.keep || prev.snap.stale || prev.snap.unavailable || !prev.partKeys.length) return null;
    const entries: PartEntry[] = [];
    /** The class's parts for this mesh, split only when an affected part is not made yet. */
    let split: readonly OutputPart[] | undefined;
    try {
      for (const k of prev.partKeys) {
        let e = this.parts.get(k) ?? this.keptPart(k, key, proxy, ep);
        if (!e) {
          if (k.startsWith('class:')) return null;
          split ??= this.split(this.current, proxy).parts;
          const p = split.find((x) => x.key === k);
          if (!p || split.length !== prev.partKeys.length) return null;
          e = this.part(key, p);
        }
        entries.push(e);
      }
    } catch {
      return null; // translated again the usual way, which reports the failure
    }
    for (const e of entries) e.refs++;
    const snaps = entries.map((e) => e.snap);
    // Every part kept as it is (the push does not touch the class): so is the snapshot, with what its streams' memos hold.
    const same = snaps.length === prev.snap.parts.length && snaps.every((p, i) => p === prev.snap.parts[i]);
    const snap = same ? prev.snap : new ClassSnapshot(key, snaps, this.interner, this.onError, undefined, this.composer);
    return { snap, partKeys: [...prev.partKeys] };
  }

  /** The previous mesh's part `k` carried into this one with no split (see keepParts), or undefined when it cannot be. */
  private keptPart(k: string, owner: string, proxy: Proxy, ep: EndpointChange): PartEntry | undefined {
    const old = this.previousParts.get(k);
    if (!old || k.startsWith('class:') || touches(old.snap, ep)) return undefined;
    const mesh = this.current;
    // Translated again only on demand (config_dump's messages, or an open part's name not carried), from this mesh.
    const remake = (): Generated => {
      const p = this.split(mesh, proxy).parts.find((x) => x.key === k);
      if (!p) throw new Error(`class ${owner} no longer has part ${k}`);
      return p.make();
    };
    const snap = keptAsIs(old.snap, { owner, regenerate: remake });
    this.previousParts.delete(k);
    const e: PartEntry = { snap, refs: 0 };
    this.parts.set(k, e);
    return e;
  }

  private unref(partKey: string): void {
    const e = this.parts.get(partKey);
    if (e && --e.refs <= 0) this.parts.delete(partKey);
  }

  /** Drops idle classes past the TTL, then the least recently used while over the count or byte budget. */
  private sweep(): void {
    const cutoff = this.now() - this.ttl;
    for (const e of this.idle.values()) {
      const over = this.idle.size > this.maxIdle || this.idleBytes > this.maxIdleBytes;
      if (!over && e.lastUsed >= cutoff) break;
      this.idle.delete(e.key);
      this.idleBytes -= e.snap.bytes;
      this.classes.delete(e.key);
      this.bytes -= e.snap.bytes;
      e.snap.onGrow = null;
      for (const k of e.partKeys) this.unref(k);
    }
  }
}
