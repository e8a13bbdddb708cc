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
 *
 * Carry-over keyed by dependencies (a VirtualService or DestinationRule edit, CarryOver.changed)
 * costs what the edit touches (issue 18): a closed part indexes which resources read each
 * dependency key, so the part made for the next mesh forks the previous one's maps (layered.ts),
 * rebuilds only the resources the index names and patches its type sets (composer.ts) — instead of
 * asking each of an outbound part's thousands of resources whether it changed.
 */
import { MESSAGE_OF, PUSH_ORDER, CDS, EDS, type XdsType } from '../../proto/typeurls.js';
import { resourceOfAny, type EncodedResource } from '../../proto/encode.js';
import type { ClusterKey, Generated, KeyedOutput, TypeOutput } from '../../translators/index.js';
import { isNoOutput } from '../../translators/generated.js';
import type { CarryOver } from './api.js';
import type { Deps } from '../../translators/deps.js';
import { piecesOf, type Pieces } from '../../translators/pieces.js';
import { encodePieces, withBytes, type PieceState } from './pieces.js';
import { LayeredMap } from './layered.js';
import { DepIndex, parseResourceId, resourceId } from './depindex.js';

import type { Interner } from './classsnapshot.js';
import { makeTypeSet, patchTypeSet, type Composer, type TypeSet } from './composer.js';
import { depsOf, namesDepsOf, NOTHING, outputOf, NO_OUTPUT, type EncodeFailure, type PartSource } from './output.js';

export { outputOf, NO_OUTPUT, type EncodeFailure, type PartSource };

/**
 * A part's name-list positions by cluster host (namesOfHosts), per keys map: a keys map is carried
 * only together with its name list, so parts that carry it share the index.
 */
const hostIndexes = new WeakMap<ReadonlyMap<string, ClusterKey>, Map<string, number[]>>();

export class PartSnapshot {
  /** type → name → encoded resource (null: failed to encode); shared copy-on-write with the part carried from (layered.ts). */
  private readonly encoded = new Map<XdsType, LayeredMap<string, EncodedResource | null>>(PUSH_ORDER.map((t) => [t, LayeredMap.empty()]));
  private readonly nameLists = new Map<XdsType, readonly string[]>();
  /** Cluster keys of CDS and EDS names (a map carried over with its name list is shared, never changed after construction). */
  private readonly keys = new Map<XdsType, Map<string, ClusterKey>>();
  /** Per type, what each encoded (or carried) resource read when translated; undefined: not recorded. */
  private readonly deps = new Map<XdsType, LayeredMap<string, Deps | undefined>>(PUSH_ORDER.map((t) => [t, LayeredMap.empty()]));
  /** Per type, what its name list read. */
  private readonly namesDeps = new Map<XdsType, Deps | undefined>();
  /** Per type, the piecewise encoding (server/cache/pieces.ts) of each resource encoded (or carried) as pieces. */
  private readonly pieceStates = new Map<XdsType, LayeredMap<string, PieceState>>();
  /** A closed part: which of its resources read each dependency key (depindex.ts), made with it; null for an open part (and one carried by an endpoint-only push from an unindexed one). */
  private index: DepIndex | null = null;
  /** While a part is made: per rebuilt piecewise resource, what its shell and built elements read (all it can have gained). */
  private freshDeps: Map<string, readonly Deps[]> | null = null;
  /**
   * Made by `carryIndexed`: the type sets of the part it was carried from (their map, not the part:
   * no chain of old parts is kept alive) and the names it rebuilt per type, so a type set is that
   * part's patched (composer.ts patchTypeSet) rather than made again from every resource.
   */
  private patchedFrom: {
    readonly typeSets: Map<XdsType, TypeSet>;
    readonly rebuilt: ReadonlyMap<XdsType, readonly string[]>;
  } | null = null;
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
    const cands = carry && src.closed && relisted.size === 0 ? carry.from.candidates(carry.keep) : null;
    if (carry && cands) {
      this.carryIndexed(carry.from, carry.keep, cands);
      return;
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
      // Indexed now, while the part is made (a pass over what unionDeps just read): left to the first
      // VirtualService or DestinationRule edit, indexing every part of the mesh was most of what that
      // edit's push cost beyond the next one's (~25 ms of ~55 at 2,000 proxies; issue 18).
      this.buildIndex();
    }
  }

  /**
   * What a push carrying over by `keep` must rebuild of this closed, indexed part, as `type\0name`
   * ids — those that read one of its changed keys (or `<kind>:*` of one) and those that recorded
   * nothing; for an endpoint-only push (not headless), the EDS of its affected hosts — or null
   * when the index cannot tell (not indexed, a carry-over not keyed by dependencies, or a changed
   * `<kind>:*` key, which touches every key of its kind).
   */
  candidates(keep: CarryOver): ReadonlySet<string> | null {
    // An endpoint-only push promises that only the EDS of its affected hosts differ (CarryOver.endpoints).
    const ep = keep.endpoints;
    if (ep && !this.generated && !ep.headless)
      return new Set((ep.hosts ? this.namesOfHosts(EDS, ep.hosts) : this.namesWhere(EDS, ep.affected)).map((n) => resourceId(EDS, n)));
    if (this.generated || !keep.changed) return null;
    // Made with a closed part (or here, for one carried from a part that had none), then carried.
    if (!this.index) this.buildIndex();
    return this.index!.touched(keep.changed);
  }

  /**
   * Whether a push keyed by dependencies keeps this part whole (no resource to rebuild, every name
   * list carried), or undefined when the index cannot tell.
   */
  keptWhole(keep: CarryOver): boolean | undefined {
    const cands = this.candidates(keep);
    if (!cands || !keep.names) return undefined;
    return cands.size === 0 && PUSH_ORDER.every((t) => keep.names!(t, this.namesDeps.get(t)));
  }

  /**
   * Made from `from` (closed; indexed, or carried by an endpoint-only push) when every name list is
   * carried: its maps forked (layered.ts) and only the `cands` it lists rebuilt — O(what the push
   * touched), not O(resources).
   */
  private carryIndexed(from: PartSnapshot, keep: CarryOver, cands: ReadonlySet<string>): void {
    for (const t of PUSH_ORDER) {
      this.encoded.set(t, LayeredMap.fork(from.encoded.get(t)!));
      this.deps.set(t, LayeredMap.fork(from.deps.get(t)!));
    }
    for (const [t, m] of from.pieceStates) this.pieceStates.set(t, LayeredMap.fork(m));
    this.bytes = from.bytes;
    // An endpoint-only carry may come before any keyed push indexed the part: indexed on first need, then.
    this.index = from.index ? DepIndex.fork(from.index) : null;
    const rebuilt = new Map<XdsType, string[]>();
    for (const id of cands) {
      const [tn, n] = parseResourceId(id);
      const t = tn as XdsType;
      const enc = this.encoded.get(t)!;
      if (!enc.has(n)) continue; // no longer listed (the index is a superset)
      const v = enc.get(n);
      if (v) this.bytes -= v.any.length;
      enc.delete(n);
      this.deps.get(t)!.delete(n);
      this.pieceStates.get(t)?.delete(n);
      let l = rebuilt.get(t);
      if (!l) rebuilt.set(t, (l = []));
      l.push(n);
    }
    if (from.pieceStates.size) this.prevPieces = { states: from.pieceStates, keep };
    this.freshDeps = new Map();
    for (const [t, names] of rebuilt) {
      for (const n of names) {
        this.get(t, n);
        if (this.index) this.indexResource(t, n);
      }
    }
    this.freshDeps = null;
    this.generated = null;
    this.prevPieces = null;
    if (from.typeSets?.size) this.patchedFrom = { typeSets: new Map(from.typeSets), rebuilt };
  }

  /** Indexes every resource (a part made or rebuilt in full). */
  private buildIndex(): void {
    this.index = DepIndex.build(this.indexEntries());
  }

  private *indexEntries(): Generator<readonly [string, readonly Deps[] | undefined]> {
    for (const [t, m] of this.encoded) {
      const deps = this.deps.get(t)!;
      for (const n of m.keys()) {
        const id = resourceId(t, n);
        const d = deps.get(n);
        yield [id, d && (this.freshDeps?.get(id) ?? [d])];
      }
    }
  }

  /** Notes what resource `t`/`n` read in the index (only what it can have gained, for a piecewise one rebuilt now). */
  private indexResource(t: XdsType, n: string): void {
    const id = resourceId(t, n);
    const d = this.deps.get(t)!.get(n);
    this.index!.note(id, d && (this.freshDeps?.get(id) ?? [d]));
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

  private pieceState(t: XdsType): LayeredMap<string, PieceState> {
    let m = this.pieceStates.get(t);
    if (!m) this.pieceStates.set(t, (m = LayeredMap.empty()));
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
      prev?.keep.changed,
    );
    const res = this.interner.intern(resourceOfAny(MESSAGE_OF[t], name, r.any, r.bytes, r.version));
    this.pieceState(t).set(name, withBytes(r.state, res.bytes));
    this.deps.get(t)!.set(name, r.deps);
    this.freshDeps?.set(resourceId(t, name), r.fresh);
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

  /**
   * The names of type `t` whose cluster key's host is one of `hosts`, in list order, through an
   * index of the name list by host (made on first use; shared with every part that carries the
   * same name list and keys, as endpoint-only pushes do) — an endpoint push asks every part.
   */
  namesOfHosts(t: XdsType, hosts: ReadonlySet<string>): readonly string[] {
    const keys = this.keys.get(t);
    if (!keys) return [];
    const names = this.names(t);
    let idx = hostIndexes.get(keys);
    if (!idx) {
      idx = new Map();
      for (let i = 0; i < names.length; i++) {
        const k = keys.get(names[i]!);
        if (!k) continue;
        const at = idx.get(k.host);
        if (at) at.push(i);
        else idx.set(k.host, [i]);
      }
      hostIndexes.set(keys, idx);
    }
    const at: number[] = [];
    for (const h of hosts) for (const i of idx.get(h) ?? []) at.push(i);
    if (hosts.size > 1) at.sort((a, b) => a - b);
    return at.map((i) => names[i]!);
  }

  private typeSets: Map<XdsType, TypeSet> | null = null;

  /**
   * The part's resources of type `t` as one type set (composer.ts), interned by `c` (again on each
   * call, so a part kept across meshes stays shared with equal ones made since); made once (an open
   * part encodes every listed name for it).
   */
  typeSet(t: XdsType, c: Composer): TypeSet {
    this.typeSets ??= new Map();
    const p = c.typeSet(t, this.typeSets.get(t) ?? this.patchedTypeSet(t) ?? makeTypeSet(this.names(t), (n) => this.get(t, n)));
    this.typeSets.set(t, p);
    return p;
  }

  /** The type set of `t` as the previous part's with the rebuilt resources replaced (undefined: made in full). */
  private patchedTypeSet(t: XdsType): TypeSet | undefined {
    const pf = this.patchedFrom;
    const prev = pf?.typeSets.get(t);
    if (!pf || !prev) return undefined;
    // Used once per type (the result is kept): the previous set (and the replaced resources it holds) is let go.
    pf.typeSets.delete(t);
    if (!pf.typeSets.size) this.patchedFrom = null;
    if (prev.names !== this.names(t)) return undefined;
    return patchTypeSet(
      prev,
      (pf.rebuilt.get(t) ?? []).map((n) => [n, this.get(t, n)] as const),
    );
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
