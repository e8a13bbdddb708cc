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
 *    subscribed to EDS (or to the name table when a host is headless);
 * 4. prepares each proxy class once — its snapshot and, for an endpoint-only push, the EDS names
 *    of the changed hosts — isolating failures per class: a class that cannot be prepared is
 *    reported once (`classError`) and its streams skipped, every other class is pushed;
 * 5. tells the engine "push these types (these names) to this stream" (`Subscriber.push`, which
 *    isolates a single stream's failure in turn).
 * A class whose translation throws keeps its last good snapshot in the cache (server/cache/snapshot.ts).
 */
import type { MeshConfig } from '../../model/config.js';
import type { PushRequest, PushScope } from '../../model/push.js';
import { EDS, NDS, PUSH_ORDER, SDS, SHORT, type XdsType } from '../../proto/typeurls.js';
import { nameTableFollowsEndpoints } from '../../model/headless.js';
import type { CarryOver, MeshCache, ResourceSnapshot } from '../cache/api.js';
import type { ClusterKey } from '../../model/cluster-key.js';
import type { Subscriber } from '../xds/engine-api.js';
import type { StreamState } from '../xds/state.js';

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
}

/** What a push did, for logs and metrics. */
export interface PushInfo {
  readonly types: readonly string[];
  /** Set for endpoint-only pushes: the hostnames whose endpoints changed. */
  readonly edsHosts: readonly string[] | null;
  readonly streams: number;
  readonly responses: number;
  readonly ms: number;
}

export interface RunnerEvents {
  pushStarted?(info: { readonly types: readonly string[]; readonly edsHosts: readonly string[] | null }): void;
  pushDone?(info: PushInfo): void;
  /** A proxy class could not be prepared for this push: its `streams` got nothing from it; the others were pushed. */
  classError?(info: { readonly proxyClass: string; readonly error: Error; readonly streams: number }): void;
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

/** Plans a push of `next` (replacing `prev`) for `scope`. Pure. */
export function planPush(scope: PushScope, prev: MeshConfig, next: MeshConfig): PushPlan {
  if (scope.kind === 'endpoints') {
    const hosts = scope.hosts;
    // Endpoints of a headless service are its DNS answers: the name table changes with them.
    const headless = [...hosts].some((h) => isHeadless(next, h) || isHeadless(prev, h));
    const affected = (key: ClusterKey | undefined): boolean => key !== undefined && hosts.has(key.host);
    // Only the EDS of affected hosts (and the name table, if headless) can differ; everything else is carried over.
    return {
      types: new Set<XdsType>(headless ? [EDS, NDS] : [EDS]), hosts, headless, affected,
      carryOver: (t, _n, key) => (t === NDS ? !headless : t !== EDS || !affected(key)),
    };
  }
  if (scope.kind === 'secrets') {
    // Only Secrets changed (a certificate rotated): SDS only; every other type is carried over.
    return { types: SECRETS_ONLY, hosts: null, headless: false, affected: undefined, carryOver: (t) => !SECRETS_ONLY.has(t) };
  }
  return { types: undefined, hosts: null, headless: false, affected: undefined, carryOver: undefined };
}

/** istiod's ProxyNeedsPush: whether this push can owe the stream anything. */
export function needsPush(plan: PushPlan, st: StreamState): boolean {
  if (!plan.hosts) return true;
  return st.types.has(EDS) || (plan.headless && st.types.has(NDS));
}

/** A class prepared for this push: its snapshot and (endpoint-only) the affected EDS names it has. */
type Prepared = { readonly snap: ResourceSnapshot; readonly only: ReadonlySet<string> | undefined };

export class PushRunner {
  constructor(private readonly cache: MeshCache, private readonly engine: PushTargets, private readonly events: RunnerEvents = {}) {}

  /** Pushes `req`: rotates the cache to its mesh and queues what each affected stream is owed; returns the responses queued. */
  push(req: PushRequest): number {
    const t0 = performance.now();
    const plan = planPush(req.scope, this.cache.mesh, req.mesh);
    const typeNames = [...(plan.types ?? PUSH_ORDER)].map((t) => SHORT[t]).sort();
    const edsHosts = plan.hosts ? [...plan.hosts].sort() : null;
    this.events.pushStarted?.({ types: typeNames, edsHosts });
    this.cache.setMesh(req.mesh, plan.carryOver);
    const prepared = new Map<ResourceSnapshot, Prepared | Error>();
    const failed = new Map<string, { error: Error; streams: number }>();
    let responses = 0;
    let streams = 0;
    for (const sub of this.engine.subscribers()) {
      if (!needsPush(plan, sub.state)) continue;
      const p = this.prepare(sub, plan, prepared);
      if ('error' in p) {
        const f = failed.get(p.proxyClass);
        if (f) f.streams++; else failed.set(p.proxyClass, { error: p.error, streams: 1 });
        continue;
      }
      const n = sub.push(p.snap, plan.types, p.only);
      if (n) streams++;
      responses += n;
    }
    for (const [proxyClass, f] of failed) this.events.classError?.({ proxyClass, ...f });
    this.events.pushDone?.({ types: typeNames, edsHosts, streams, responses, ms: performance.now() - t0 });
    return responses;
  }

  /** The stream's class, prepared once per push (memoized by snapshot); a failure is the class's, not the push's. */
  private prepare(sub: Subscriber, plan: PushPlan, memo: Map<ResourceSnapshot, Prepared | Error>): Prepared | { proxyClass: string; error: Error } {
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
        p = { snap, only: affected ? new Set(snap.names(EDS).filter((n) => affected(snap.clusterKey(EDS, n)))) : undefined };
      } catch (e) {
        p = asError(e);
      }
      memo.set(snap, p);
    }
    return p instanceof Error ? { proxyClass: snap.classKey, error: p } : p;
  }
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
