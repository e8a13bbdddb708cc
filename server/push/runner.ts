/**
 * @module server/push/runner
 * The push stage's side effects, between the store (which hands over a PushRequest) and the xDS
 * engine (which only speaks the protocol). For each push the runner
 * 1. plans it from the request's scope (`planPush`, pure): which types to compose, and for an
 *    endpoint-only push which hosts changed, whether one is headless (its endpoints are DNS
 *    answers, so the name table changes too) and which resources of the previous snapshots carry
 *    over unchanged;
 * 2. rotates the cache to the new mesh with that carry-over;
 * 3. scopes it (`needsPush`, istiod's ProxyNeedsPush): an endpoint-only push reaches only streams
 *    subscribed to EDS (or to the name table when a host is headless), except the streams of proxies
 *    whose own Pod changed (the scope's `proxies`), which get a full push (istiod's ProxyUpdate);
 * 4. prepares each proxy class once — its snapshot and, for an endpoint-only push, the EDS names
 *    of the changed hosts — isolating failures per class: a class that cannot be prepared is
 *    reported once (`classError`) and its streams skipped, every other class is pushed;
 * 5. tells the engine "push these types (these names) to this stream" (`Subscriber.push`, which
 *    isolates a single stream's failure in turn).
 * A class whose translation throws keeps its last good snapshot in the cache (server/cache/snapshot.ts).
 */
import type { MeshConfig } from '../../model/config.js';
import { mergePushRequests, type PushRequest, type PushScope } from '../../model/push.js';
import { EDS, NDS, PUSH_ORDER, SDS, SHORT, type XdsType } from '../../proto/typeurls.js';
import { nameTableFollowsEndpoints } from '../../model/headless.js';
import type { CarryOver, MeshCache, ResourceSnapshot } from '../cache/api.js';
import type { ClusterKey } from '../../model/cluster-key.js';
import type { Subscriber } from '../xds/engine-api.js';
import type { StreamState } from '../xds/state.js';
import { touchedBy } from '../../translators/deps.js';
import { changedDeps } from '../../translators/changed-deps.js';
import { policyReclassify } from '../../translators/policy-deps.js';
import type { ConfigKey } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';

/** What one push does, decided from its scope before anything is recomputed. */
export interface PushPlan {
  /** Types to compose (undefined: every type). */
  readonly types: ReadonlySet<XdsType> | undefined;
  /** Endpoint-only pushes: the hostnames whose endpoints changed; null otherwise. */
  readonly hosts: ReadonlySet<string> | null;
  /** One of `hosts` is headless (in the new or the previous mesh): the name table (NDS) changes with it. */
  readonly headless: boolean;
  /** Resources of the previous snapshots known to be unchanged (carried over, not recomputed). */
  readonly carryOver: CarryOver | undefined;
  /** Endpoint-only pushes: whether an EDS resource (named by its cluster) belongs to a changed host. */
  /** Endpoint-only pushes: whether an EDS resource, by the ClusterKey the translators put beside it, serves a changed host. */
  readonly affected: ((key: ClusterKey | undefined) => boolean) | undefined;
  /** Endpoint-only pushes with Pod changes: proxies whose own Pod changed get a full push (istiod's ProxyUpdate). */
  readonly fullFor?: (proxy: Pick<Proxy, 'namespace' | 'workloadName'>) => boolean;
}

/** What a push did, for logs and metrics. */
export interface PushInfo {
  readonly types: readonly string[];
  /** Set for endpoint-only pushes: the hostnames whose endpoints changed. */
  readonly edsHosts: readonly string[] | null;
  readonly streams: number;
  readonly responses: number;
  /** Wall time from the start of the push to its end (slices and the turns between them included). */
  readonly ms: number;
  /** A newer request arrived before every stream was reached: the rest of this push is folded into the next one. */
  readonly superseded: boolean;
  /** Event-loop turns the push took (1: it ran in one go). */
  readonly slices: number;
}

export interface RunnerEvents {
  pushStarted?(info: {
    readonly types: readonly string[];
    readonly edsHosts: readonly string[] | null;
    readonly request: PushRequest;
  }): void;
  pushDone?(info: PushInfo & { readonly request: PushRequest }): void;
  /** A proxy class could not be prepared for this push: its `streams` got nothing from it; the others were pushed. */
  classError?(info: { readonly proxyClass: string; readonly error: Error; readonly streams: number }): void;
  /** A sliced push threw outside any class or stream (a bug): it is abandoned; the next request pushes again. */
  pushFailed?(info: { readonly request: PushRequest; readonly error: Error }): void;
}

/** The engine as the runner sees it: the streams a push may reach. */
export interface PushTargets {
  subscribers(): Iterable<Subscriber>;
}

/** A service the DNS name table answers with its endpoints' IPs (the translator's own rule). */
function isHeadless(mesh: MeshConfig, host: string): boolean {
  const s = mesh.serviceByHost.get(host);
  return s !== undefined && nameTableFollowsEndpoints(s);
}

const SECRETS_ONLY: ReadonlySet<XdsType> = new Set([SDS]);

/**
 * Plans a push of `next` (replacing `prev`) for `scope`. Pure. `keys` (the config keys changed):
 * for a full push made only of changes whose dependencies the translators record
 * (translators/deps.ts: VirtualService and DestinationRule edits), a resource — or a type's name list — is carried over
 * when nothing it read changed; everything else is translated again.
 */
export function planPush(scope: PushScope, prev: MeshConfig, next: MeshConfig, keys?: ReadonlySet<ConfigKey>): PushPlan {
  if (scope.kind === 'endpoints') {
    const hosts = scope.hosts;
    // Endpoints of a headless service are its DNS answers: the name table changes with them.
    const headless = [...hosts].some((h) => isHeadless(next, h) || isHeadless(prev, h));
    const affected = (key: ClusterKey | undefined): boolean => key !== undefined && hosts.has(key.host);
    const proxies = scope.proxies;
    // A proxy whose own Pod changed may be of another class now: everything, for its streams alone.
    const fullFor = proxies?.size
      ? (p: Pick<Proxy, 'namespace' | 'workloadName'>) => proxies.has(`${p.namespace}/${p.workloadName}`)
      : undefined;
    // Only the EDS of affected hosts (and the name table, if headless) can differ; everything else is carried over.
    return {
      types: new Set<XdsType>(headless ? [EDS, NDS] : [EDS]),
      hosts,
      headless,
      affected,
      // Endpoints change no resource's name (clusters are carried whole, above): every name list is
      // carried too, so a part translates only the affected EDS assignments — never the cluster list.
      carryOver: Object.assign(
        (t: XdsType, _n: string, key: ClusterKey | undefined) => (t === NDS ? !headless : t !== EDS || !affected(key)),
        {
          names: (t: XdsType) => t !== NDS || !headless,
          endpoints: { affected, headless, hosts, ...(fullFor ? { reclassify: fullFor } : {}) },
        },
      ),
      ...(fullFor ? { fullFor } : {}),
    };
  }
  if (scope.kind === 'secrets') {
    // Only Secrets changed (a certificate rotated): SDS only; every other type is carried over.
    return { types: SECRETS_ONLY, hosts: null, headless: false, affected: undefined, carryOver: (t) => !SECRETS_ONLY.has(t) };
  }
  const changed = keys ? changedDeps(prev, next, keys) : null;
  if (!changed) return { types: undefined, hosts: null, headless: false, affected: undefined, carryOver: undefined };
  const hit = touchedBy(changed);
  const keep = (deps: ReadonlySet<string> | undefined): boolean => deps !== undefined && !hit(deps);
  const carryOver: CarryOver = Object.assign(
    (_t: XdsType, _n: string, _k: ClusterKey | undefined, deps?: ReadonlySet<string>) => keep(deps),
    {
      names: (_t: XdsType, deps: ReadonlySet<string> | undefined) => keep(deps),
      whole: keep,
      changed,
      ...reclassifyOf(keys, next),
    },
  );
  return { types: undefined, hosts: null, headless: false, affected: undefined, carryOver };
}

/** A keyed push's CarryOver.reclassify: which proxies its policy edits can move to another class (none set: any). */
function reclassifyOf(keys: ReadonlySet<ConfigKey> | undefined, next: MeshConfig): Pick<CarryOver, 'reclassify'> {
  const r = keys && policyReclassify(keys, next.settings.rootNamespace);
  return r ? { reclassify: r } : {};
}

/** istiod's ProxyNeedsPush: whether this push can owe the stream anything. */
export function needsPush(plan: PushPlan, st: StreamState): boolean {
  if (!plan.hosts || plan.fullFor?.(st.proxy)) return true;
  return st.types.has(EDS) || (plan.headless && st.types.has(NDS));
}

/** A class prepared for this push: its snapshot and (endpoint-only) the affected EDS names it has. */
type Prepared = { readonly snap: ResourceSnapshot; readonly only: ReadonlySet<string> | undefined };

export interface RunnerOptions {
  /**
   * Work done in one event-loop turn before a sliced push (`submit`) yields (default 20 ms): between
   * slices the engine reads ACKs and new requests, `/ready` answers, written responses drain.
   */
  readonly sliceMs?: number;
  /**
   * The first slice's budget (default 5 ms). Responses leave for the socket only when the turn
   * ends (node's HTTP/2 session sends what was written from an immediate), so a short first slice
   * puts the first proxies' responses on the wire while the rest is composed: with 2,000 proxies,
   * an endpoint change's first arrival came ~12 ms earlier. Later slices stay long: short ones
   * interleave more ACK reading with the push and delayed its last proxies (a VirtualService
   * change's p99).
   */
  readonly firstSliceMs?: number;
  /** How a sliced push gives the turn back (default: setImmediate, after pending I/O). */
  readonly yieldTurn?: () => Promise<void>;
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class PushRunner {
  private readonly sliceMs: number;
  private readonly firstSliceMs: number;
  private readonly yieldTurn: () => Promise<void>;
  /** Requests waiting for the running push to yield (merged: only the latest mesh is pushed). */
  private queued: PushRequest | null = null;
  /** The sliced pushes' loop, while it runs. */
  private loop: Promise<void> | null = null;
  private stopped = false;
  /**
   * The last stream a superseded push reached: the next push starts after it (and wraps around),
   * so pushes superseded faster than one can reach every stream still make progress round the
   * ring instead of re-serving the first streams forever.
   */
  private resumeAfter: Subscriber | null = null;
  /** Per stream, the snapshot (its serial) and the types (undefined: all) of the last push that reached it. */
  private readonly reached = new WeakMap<Subscriber, { readonly snap: number; readonly types: ReadonlySet<XdsType> | undefined }>();
  private readonly serials = new WeakMap<ResourceSnapshot, number>();
  private lastSerial = 0;
  /** This push's sets of names looked at (onlySet), by their list. */
  private readonly onlySets = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly cache: MeshCache,
    private readonly engine: PushTargets,
    private readonly events: RunnerEvents = {},
    opts: RunnerOptions = {},
  ) {
    this.sliceMs = opts.sliceMs ?? 20;
    this.firstSliceMs = opts.firstSliceMs ?? Math.min(5, this.sliceMs);
    this.yieldTurn = opts.yieldTurn ?? immediate;
  }

  /**
   * Pushes `req` in one go (tools, tests, and the runner's own slices): rotates the cache to its
   * mesh and queues what each affected stream is owed; returns the responses queued.
   */
  push(req: PushRequest): number {
    const it = this.steps(req, () => false);
    for (;;) {
      const r = it.next();
      if (r.done) return r.value.responses;
    }
  }

  /**
   * Pushes `req` sliced (the server's path): streams are reached in a stable order (the engine's
   * connection order; after a superseded push, starting where it stopped), `sliceMs` of work per
   * event-loop turn (`firstSliceMs` in the first). A request arriving while a push runs
   * supersedes the rest of it: at the next slice boundary the running push stops and one push of
   * the newest mesh follows, with a scope covering both (mergePushRequests) — streams already
   * reached get only what changed since, streams not yet reached go straight to the newest state,
   * and nothing of the older change is lost. Each stream's responses for one push are computed
   * together, so the CDS → EDS → LDS → RDS order holds within every push.
   * Resolves when no push is running or queued.
   */
  submit(req: PushRequest): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.queued = this.queued ? mergePushRequests(this.queued, req) : req;
    if (!this.loop)
      this.loop = this.drive().finally(() => {
        this.loop = null;
      });
    return this.loop;
  }

  /** Stops: a running sliced push ends at its next slice boundary and nothing queued is pushed. Resolves when it has. */
  stop(): Promise<void> {
    this.stopped = true;
    this.queued = null;
    return this.idle();
  }

  /** Resolves once no push is running or queued. */
  idle(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  private async drive(): Promise<void> {
    while (this.queued) {
      const req = this.queued;
      this.queued = null;
      let sliceStart = performance.now();
      let slices = 1;
      const it = this.steps(
        req,
        () => this.queued !== null || this.stopped,
        () => slices,
      );
      try {
        for (;;) {
          const r = it.next();
          if (r.done) break;
          if (performance.now() - sliceStart < (slices === 1 ? this.firstSliceMs : this.sliceMs)) continue;
          await this.yieldTurn();
          slices++;
          sliceStart = performance.now();
          if (this.stopped) {
            it.next();
            break;
          }
          if (this.queued) {
            // Superseded: what this push has not reached yet goes with the newer request.
            it.next();
            this.queued = mergePushRequests(req, this.queued);
            break;
          }
        }
      } catch (e) {
        this.events.pushFailed?.({ request: req, error: asError(e) });
      }
    }
  }

  /**
   * One push as a sequence of steps: a step is one stream reached (its class prepared on first
   * use). After a yield, `superseded()` true makes the next step end the push early (reported as
   * superseded) instead of reaching more streams.
   */
  private *steps(req: PushRequest, superseded: () => boolean, slices: () => number = () => 1): Generator<void, PushInfo> {
    const t0 = performance.now();
    const plan = planPush(req.scope, this.cache.mesh, req.mesh, req.exactKeys ? req.keys : undefined);
    const typeNames = [...(plan.types ?? PUSH_ORDER)].map((t) => SHORT[t]).sort();
    const edsHosts = plan.hosts ? [...plan.hosts].sort() : null;
    this.events.pushStarted?.({ types: typeNames, edsHosts, request: req });
    this.cache.setMesh(req.mesh, plan.carryOver);
    const prepared = new Map<ResourceSnapshot, Prepared | Error>();
    this.onlySets.clear();
    const failed = new Map<string, { error: Error; streams: number }>();
    let responses = 0;
    let streams = 0;
    let cut = false;
    const all = [...this.engine.subscribers()];
    const at = this.resumeAfter ? all.indexOf(this.resumeAfter) : -1;
    this.resumeAfter = null;
    for (const sub of at >= 0 ? [...all.slice(at + 1), ...all.slice(0, at + 1)] : all) {
      if (!needsPush(plan, sub.state)) continue;
      if (this.unchangedFor(sub, plan)) continue;
      const p = this.prepare(sub, plan, prepared);
      if ('error' in p) {
        const f = failed.get(p.proxyClass);
        if (f) f.streams++;
        else failed.set(p.proxyClass, { error: p.error, streams: 1 });
      } else {
        const whole = plan.fullFor?.(sub.state.proxy) === true;
        const n = whole ? sub.push(p.snap) : sub.push(p.snap, plan.types, p.only);
        if (n >= 0) {
          this.reached.set(sub, { snap: this.serial(p.snap), types: whole ? undefined : plan.types });
          if (n) streams++;
          responses += n;
        } else this.reached.delete(sub); // failed (reported by the engine): owed this push still
      }
      yield;
      if (superseded()) {
        cut = true;
        this.resumeAfter = sub;
        break;
      }
    }
    for (const [proxyClass, f] of failed) this.events.classError?.({ proxyClass, ...f });
    const info: PushInfo = {
      types: typeNames,
      edsHosts,
      streams,
      responses,
      ms: performance.now() - t0,
      superseded: cut,
      slices: slices(),
    };
    this.events.pushDone?.({ ...info, request: req });
    return info;
  }

  /**
   * An endpoint-only push owes nothing to a stream whose class snapshot is the very one an earlier
   * push (of these types or more) gave it: the cache keeps a class's snapshot object exactly when
   * nothing in it changed (server/cache/snapshot.ts keepParts), every request since was answered
   * from it, and a push leaves nothing of its types owed (warming and forced types are composed in
   * the same call). So the streams of untouched classes cost a lookup, not a compose (issue 18: an
   * endpoint push costs what it touches, not the fleet).
   */
  private unchangedFor(sub: Subscriber, plan: PushPlan): boolean {
    if (!plan.hosts || plan.fullFor?.(sub.state.proxy)) return false;
    const was = this.reached.get(sub);
    if (!was) return false;
    let snap: ResourceSnapshot;
    try {
      snap = sub.snapshot();
    } catch {
      return false; // reported by prepare
    }
    if (this.serial(snap) !== was.snap) return false;
    if (!was.types) return true;
    for (const t of plan.types ?? PUSH_ORDER) if (!was.types.has(t)) return false;
    return true;
  }

  /**
   * The names an endpoint push looks at for a class, one set object per distinct list in a push:
   * classes with the same affected names (per-pod classes of one namespace) share it, so the
   * streams of all of them compose one response (sotw.ts memo) and send one frame (frames.ts).
   */
  private onlySet(names: readonly string[]): ReadonlySet<string> {
    const key = names.join('\n');
    let s = this.onlySets.get(key);
    if (!s) this.onlySets.set(key, (s = new Set(names)));
    return s;
  }

  /** A number standing for a snapshot object (so what streams were last pushed does not keep old snapshots alive). */
  private serial(snap: ResourceSnapshot): number {
    let n = this.serials.get(snap);
    if (n === undefined) this.serials.set(snap, (n = ++this.lastSerial));
    return n;
  }

  /** The stream's class, prepared once per push (memoized by snapshot); a failure is the class's, not the push's. */
  private prepare(
    sub: Subscriber,
    plan: PushPlan,
    memo: Map<ResourceSnapshot, Prepared | Error>,
  ): Prepared | { proxyClass: string; error: Error } {
    let snap: ResourceSnapshot;
    try {
      snap = sub.snapshot();
    } catch (e) {
      return { proxyClass: `(class of ${sub.state.proxy.id})`, error: asError(e) };
    }
    let p = memo.get(snap);
    if (!p) {
      try {
        const affected = plan.affected;
        const hit =
          affected &&
          ((plan.hosts && snap.namesOfHosts?.(EDS, plan.hosts)) ??
            snap.namesWhere?.(EDS, affected) ??
            snap.names(EDS).filter((n) => affected(snap.clusterKey(EDS, n))));
        p = { snap, only: hit ? this.onlySet(hit) : undefined };
      } catch (e) {
        p = asError(e);
      }
      memo.set(snap, p);
    }
    return p instanceof Error ? { proxyClass: snap.classKey, error: p } : p;
  }
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
