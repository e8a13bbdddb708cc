/**
 * @module server/cache/part
 * One part of proxy output (translators/share.ts) for one MeshConfig, encoded once and shared by
 * every class whose output includes it. A resource that fails to encode is left out and reported
 * through `onError`, never taking the rest of the push down.
 *
 * Memory is proportional to encoded bytes (issue 18 item 3): a **closed** part (it lists every
 * name it answers) is encoded whole when made, and then keeps only names, cluster keys and the
 * interned bytes — not the message trees, nor the closures (EDS) that captured the translation's
 * scope. An open part (proxyless gRPC aliases, SDS, whole unshared outputs) encodes on first
 * demand and keeps its generated output. `message()` (config_dump's v1 view, explain) re-derives a
 * message by translating the part again — translators are pure, so it is the message the bytes
 * were encoded from — rather than decoding the bytes, whose Any-packed fields would come back as
 * bytes and not in the translators' shape that those views read.
 */
import { MESSAGE_OF, PUSH_ORDER, CDS, ECDS, EDS, LDS, NDS, RDS, SDS, type XdsType } from '../../proto/typeurls.js';
import { resourceOfBytes, type EncodedResource } from '../../proto/encode.js';
import type { ClusterKey, Generated, KeyedOutput, TypeOutput } from '../../translators/index.js';
import { isNoOutput } from '../../translators/generated.js';
import type { CarryOver } from './api.js';
import type { Deps } from '../../translators/deps.js';
import { piecesOf, type Pieces } from '../../translators/pieces.js';
import { encodePieces, withBytes, type PieceState } from './pieces.js';

/** What a resource or name list read when translated (translators/deps.ts DepOutput), if its output records it. */
const depsOf = (o: TypeOutput<object>, name: string): Deps | undefined => (o as { deps?: (n: string) => Deps | undefined }).deps?.(name);
const namesDepsOf = (o: TypeOutput<object>): Deps | undefined => (o as { namesDeps?: () => Deps | undefined }).namesDeps?.();
import type { Interner } from './classsnapshot.js';
import { makeTypeSet, type Composer, type TypeSet } from './composer.js';

export type EncodeFailure = (info: { proxyClass: string; typeUrl: string; name: string; error: Error }) => void;

/** No output of a type: it reads nothing, so its (empty) name list carries over any change. */
const NOTHING: TypeOutput<never> & { key(name: string): undefined; namesDeps(): Deps } = {
  names: () => [],
  get: () => undefined,
  key: () => undefined,
  namesDeps: () => new Set(),
};

export function outputOf(g: Generated, t: XdsType): TypeOutput<object> {
  switch (t) {
    case CDS:
      return g.clusters;
    case EDS:
      return g.endpoints;
    case LDS:
      return g.listeners;
    case RDS:
      return g.routes;
    case SDS:
      return g.secrets ?? NOTHING;
    case NDS:
      return g.nameTable ?? NOTHING;
    case ECDS:
      return g.extensionConfigs ?? NOTHING;
  }
  throw new Error(`unsupported type ${String(t)}`);
}

/** The output of a class that could not be translated. */
export const NO_OUTPUT: Generated = { clusters: NOTHING, endpoints: NOTHING, listeners: NOTHING, routes: NOTHING };

export interface PartSource {
  /** Reported with encode failures (the class that first needed the part). */
  readonly owner: string;
  readonly generated: Generated;
  /** Encode everything now and drop `generated` (see the module comment). */
  readonly closed: boolean;
  /** Translates the part again for `message()` once `generated` is dropped. */
  readonly regenerate: () => Generated;
}

export class PartSnapshot {
  /** type → name → encoded resource (null: failed to encode). */
  private readonly encoded = new Map<XdsType, Map<string, EncodedResource | null>>(PUSH_ORDER.map((t) => [t, new Map()]));
  private readonly nameLists = new Map<XdsType, readonly string[]>();
  /** Cluster keys of CDS and EDS names (a map carried over with its name list is shared, never changed after construction). */
  private readonly keys = new Map<XdsType, Map<string, ClusterKey>>();
  /** Per type, what each encoded (or carried) resource read when translated; undefined: not recorded. */
  private readonly deps = new Map<XdsType, Map<string, Deps | undefined>>(PUSH_ORDER.map((t) => [t, new Map()]));
  /** Per type, what its name list read. */
  private readonly namesDeps = new Map<XdsType, Deps | undefined>();
  /** Per type, the piecewise encoding (server/cache/pieces.ts) of each resource encoded (or carried) as pieces. */
  private readonly pieceStates = new Map<XdsType, Map<string, PieceState>>();
  /**
   * While resources not carried over are encoded: the previous part's piece states and what the
   * push leaves unchanged, so a rebuilt resource reuses the elements nothing touched.
   */
  private prevPieces: { states: ReadonlyMap<XdsType, ReadonlyMap<string, PieceState>>; keep: CarryOver } | null = null;
  private generated: Generated | null;
  private regenerate: () => Generated;
  private owner: string;
  /** The last re-derived output, while something still uses it (message() is called once per resource of a view). */
  private rederived: WeakRef<Generated> | null = null;
  /** Encoded bytes this part holds. */
  bytes = 0;
  /** Told how much `bytes` grew after construction (open parts encode on demand). */
  onGrow: ((delta: number) => void) | null = null;

  constructor(
    src: PartSource,
    private readonly interner: Interner,
    private readonly onError: EncodeFailure,
    carry?: { from: PartSnapshot; keep: CarryOver },
  ) {
    this.generated = src.generated;
    this.regenerate = src.regenerate;
    this.owner = src.owner;
    const g = src.generated;
    // A type's name list (and its cluster keys) is carried over when nothing it read changed
    // (a VirtualService edit): the output is then not even built for it (translators/deps.ts).
    const from = carry?.from;
    /** Types whose name list was listed again: a carried resource must still be among its names. */
    const relisted = new Map<XdsType, ReadonlySet<string>>();
    for (const t of PUSH_ORDER) {
      const list = from?.nameLists.get(t);
      const d = from?.namesDeps.get(t);
      if (from && list && carry.keep.names?.(t, d)) {
        this.nameLists.set(t, list);
        this.namesDeps.set(t, d);
        const km = from.keys.get(t);
        if (km) this.keys.set(t, km);
      } else {
        const o = outputOf(g, t);
        this.nameLists.set(t, o.names());
        this.namesDeps.set(t, namesDepsOf(o));
        if (from) relisted.set(t, new Set(this.nameLists.get(t)));
        if (t === CDS || t === EDS)
          for (const n of this.nameLists.get(t)!) this.carryKey(t, n, (t === CDS ? g.clusters : g.endpoints).key(n));
      }
    }
    if (carry) {
      for (const [t, m] of carry.from.encoded) {
        const mine = this.encoded.get(t)!;
        const theirDeps = carry.from.deps.get(t)!;
        const theirPieces = carry.from.pieceStates.get(t);
        const listed = relisted.get(t);
        for (const [n, v] of m) {
          // A name gone from a list listed again (a removed subset's cluster) is not carried, whatever it read.
          if (listed && !listed.has(n)) continue;
          const d = theirDeps.get(n);
          if (carry.keep(t, n, carry.from.clusterKey(t, n), d)) {
            mine.set(n, v);
            this.deps.get(t)!.set(n, d);
            if (v) this.bytes += v.any.length;
            const ps = theirPieces?.get(n);
            if (ps) this.pieceState(t).set(n, ps);
          }
        }
      }
      if (carry.from.pieceStates.size) this.prevPieces = { states: carry.from.pieceStates, keep: carry.keep };
    }
    if (src.closed) {
      for (const t of PUSH_ORDER) for (const n of this.nameLists.get(t)!) this.get(t, n);
      this.generated = null;
      this.prevPieces = null;
      this.allDeps = this.unionDeps();
    }
  }

  /**
   * A closed part: everything its resources and name lists read (undefined when one of them did
   * not record it), so a later push whose changes it did not read keeps this part whole (CarryOver.whole).
   */
  allDeps: Deps | undefined = undefined;

  private unionDeps(): Deps | undefined {
    const all = new Set<string>();
    for (const t of PUSH_ORDER) {
      const nd = this.namesDeps.get(t);
      if (!nd) return undefined;
      for (const d of nd) all.add(d);
      const deps = this.deps.get(t)!;
      // Every resource, failed ones included (a failure that recorded nothing is not known to recur).
      for (const n of this.encoded.get(t)!.keys()) {
        const d = deps.get(n);
        if (!d) return undefined;
        for (const x of d) all.add(x);
      }
    }
    return all;
  }

  private pieceState(t: XdsType): Map<string, PieceState> {
    let m = this.pieceStates.get(t);
    if (!m) this.pieceStates.set(t, (m = new Map()));
    return m;
  }

  /**
   * `name` encoded from the output's pieces (a route config's virtual hosts), reusing the elements
   * of the previous part's encoding that nothing the push changed was read by.
   */
  private encodePiecewise(t: XdsType, name: string, pieces: Pieces): EncodedResource {
    const prev = this.prevPieces;
    const r = encodePieces(
      MESSAGE_OF[t],
      pieces,
      prev?.states.get(t)?.get(name),
      (d) => prev !== null && prev.keep(t, name, undefined, d),
      (type, element, path) => this.interner.encodePiece(type, element, path),
    );
    const res = this.interner.intern(resourceOfBytes(MESSAGE_OF[t], name, r.bytes));
    this.pieceState(t).set(name, withBytes(r.state, res.bytes));
    this.deps.get(t)!.set(name, r.deps);
    return res;
  }

  private carryKey(t: XdsType, n: string, k: ClusterKey | undefined): void {
    if (!k) return;
    let m = this.keys.get(t);
    if (!m) this.keys.set(t, (m = new Map()));
    m.set(n, k);
  }

  /** Still encoding on demand (and holding its generated output): not closed. */
  get open(): boolean {
    return this.generated !== null;
  }

  names(t: XdsType): readonly string[] {
    return this.nameLists.get(t) ?? [];
  }

  clusterKey(t: XdsType, name: string): ClusterKey | undefined {
    return this.keys.get(t)?.get(name);
  }

  private nameSets: Map<XdsType, ReadonlySet<string>> | null = null;

  /** Whether `name` is among `names(t)` (O(1): a closed part looks in its encoded map). */
  lists(t: XdsType, name: string): boolean {
    if (!this.generated) return this.encoded.get(t)!.has(name);
    this.nameSets ??= new Map();
    let s = this.nameSets.get(t);
    if (!s) {
      s = new Set(this.names(t));
      this.nameSets.set(t, s);
    }
    return s.has(name);
  }

  /** The encoded resource if the part lists `name` (null: listed but failed to encode), undefined if it does not list it. */
  listed(t: XdsType, name: string): EncodedResource | null | undefined {
    if (!this.generated) return this.encoded.get(t)!.get(name);
    return this.lists(t, name) ? (this.get(t, name) ?? null) : undefined;
  }

  /**
   * Whether a new mesh with carry-over `keep` leaves this closed part exactly as it is (every name
   * list and every resource carried): the cache then keeps the part itself (`rebind`) instead of
   * copying it into a new one.
   */
  carriedWhole(keep: CarryOver): boolean {
    if (this.generated || !keep.names) return false;
    for (const t of PUSH_ORDER) if (!keep.names(t, this.namesDeps.get(t))) return false;
    for (const [t, m] of this.encoded) {
      const deps = this.deps.get(t)!;
      for (const n of m.keys()) if (!keep(t, n, this.clusterKey(t, n), deps.get(n))) return false;
    }
    return true;
  }

  /**
   * This part, carried whole into a new mesh (`carriedWhole`, or untouched by an endpoint-only
   * push): re-derives its messages from that mesh. An open part (kept by an endpoint-only push,
   * keep.ts) also answers what it has not encoded yet from `generated`, that mesh's output made on
   * demand, so it never holds the mesh it was made from; which types it answers unlisted names of
   * is its shape, so that is kept.
   */
  rebind(src: Pick<PartSource, 'owner' | 'regenerate'>, generated?: Generated): this {
    this.owner = src.owner;
    this.regenerate = src.regenerate;
    this.rederived = null;
    if (this.generated && generated) {
      this.onlyListed = new Map(PUSH_ORDER.map((t) => [t, this.answersOnlyListed(t)]));
      this.generated = generated;
      this.prevPieces = null; // pieces carried from two meshes back are no base for the new one
    }
    return this;
  }

  /** The last `namesWhere` answer (a push asks every class of the part with one predicate). */
  private selected: { t: XdsType; pred: (k: ClusterKey | undefined) => boolean; names: readonly string[] } | null = null;

  /** The names of type `t` whose cluster key satisfies `pred` (in list order); memoized for the last predicate asked. */
  namesWhere(t: XdsType, pred: (k: ClusterKey | undefined) => boolean): readonly string[] {
    const s = this.selected;
    if (s && s.t === t && s.pred === pred) return s.names;
    const keys = this.keys.get(t);
    const names = this.names(t).filter((n) => pred(keys?.get(n)));
    this.selected = { t, pred, names };
    return names;
  }

  private typeSets: Map<XdsType, TypeSet> | null = null;

  /**
   * The part's resources of type `t` as one type set (composer.ts), interned by `c` (again on each
   * call, so a part kept across meshes stays shared with equal ones made since); made once (an open
   * part encodes every listed name for it).
   */
  typeSet(t: XdsType, c: Composer): TypeSet {
    this.typeSets ??= new Map();
    const p = c.typeSet(t, this.typeSets.get(t) ?? makeTypeSet(this.names(t), (n) => this.get(t, n)));
    this.typeSets.set(t, p);
    return p;
  }

  /** Per type, `answersOnlyListed` of an open part (memoized: asking must not translate a lazily made output). */
  private onlyListed: Map<XdsType, boolean> | null = null;

  /** Whether the part answers only names it lists of type `t` (closed, or open with no output of the type: no aliases). */
  answersOnlyListed(t: XdsType): boolean {
    if (!this.generated) return true;
    this.onlyListed ??= new Map();
    let a = this.onlyListed.get(t);
    if (a === undefined) {
      const o = outputOf(this.generated, t);
      this.onlyListed.set(t, (a = o === NOTHING || isNoOutput(o)));
    }
    return a;
  }

  /** Whether the part lists `name` (or, for an open part, answers it). */
  has(t: XdsType, name: string): boolean {
    return this.encoded.get(t)!.has(name) || (this.generated !== null && outputOf(this.generated, t).get(name) !== undefined);
  }

  get(t: XdsType, name: string): EncodedResource | undefined {
    const byName = this.encoded.get(t)!;
    const hit = byName.get(name);
    if (hit !== undefined) return hit ?? undefined;
    if (!this.generated) return undefined; // closed: everything it has is encoded
    let res: EncodedResource | null = null;
    try {
      const o = outputOf(this.generated, t) as TypeOutput<object> & Partial<KeyedOutput<object>>;
      const pieces = piecesOf(o)?.(name);
      if (pieces) res = this.encodePiecewise(t, name, pieces);
      else {
        // A carried key (endpoint pushes carry name lists and keys) lets the output skip listing its clusters.
        const k = o.getWithKey ? this.keys.get(t)?.get(name) : undefined;
        const msg = k ? o.getWithKey!(name, k) : o.get(name);
        // A name the part does not have is not remembered: names are the client's choice.
        if (!msg) return undefined;
        this.deps.get(t)!.set(name, depsOf(outputOf(this.generated, t), name));
        res = this.interner.encode(t, MESSAGE_OF[t], name, msg);
      }
    } catch (error) {
      this.onError({ proxyClass: this.owner, typeUrl: t, name, error: error as Error });
    }
    byName.set(name, res);
    if (res) {
      this.bytes += res.any.length;
      this.onGrow?.(res.any.length);
    }
    return res ?? undefined;
  }

  /** The plain message (config_dump's v1 view, explain, the translate CLI); re-derived for a closed part. */
  message(t: XdsType, name: string): object | undefined {
    let g = this.generated ?? this.rederived?.deref();
    if (!g) {
      g = this.regenerate();
      this.rederived = new WeakRef(g);
    }
    return outputOf(g, t).get(name);
  }
}
