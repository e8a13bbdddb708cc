/**
 * @module watchers/store/stage
 * The store stage: config events in, immutable `StoreOutput { mesh, change, status }` out.
 *
 *   events ─scan(fold)─▶ per-event change ─debounceMax─▶ batch ─scan(build)─▶ StoreOutput
 *
 * 1. `fold` (a `scan` that owns the reducer's state, and the only code that mutates it) applies
 *    each event with `reduce` and takes exactly the kinds and keys that event changed, with its
 *    urgency (urgency.ts) judged against the store before the event. Nothing leaves before every
 *    source has synced: changes before that are carried into the first batch, so no proxy ever
 *    receives a half-read mesh.
 * 2. `debounceMax` (debounce.ts: quiet period, maximum wait, shorter for endpoint changes) unions
 *    the changes of a burst.
 * 3. `build` (a `scan` over emitted values, seeded with the empty mesh) reads the state once,
 *    synchronously, builds the mesh against the previous one (cross-object last good), scopes the
 *    push against it (scope.ts) and copies the status (status.ts). It never writes to the state.
 * Each rejection is logged once while it lasts, each source error as it happens, and the store's
 * notices (duplicates, skipped kinds) through notices.ts.
 */
import { Observable, type SchedulerLike, asyncScheduler, defer, filter, map, scan, share, tap } from 'rxjs';
import type { ConfigEvent, ConfigKey, ConfigKind, MeshConfig, Rejection } from '../../model/config.js';
import { pushReasons, type PushRequest } from '../../model/push.js';
import { buildMesh, type MeshOptions, DEFAULT_MESH_OPTIONS } from '../mesh.js';
import { emptyState, reduce, takeChanges, type StoreState } from './reduce.js';
import { debounceMax } from './debounce.js';
import { changeUrgency, endpointsBefore, maxWaitFor, replaceUrgency, type Urgency } from './urgency.js';
import { pushScope } from './scope.js';
import { noticeLogger } from './notices.js';
import { configEvents, type ConfigEventKind } from './events.js';
import { statusOf, type StoreLog, type StoreOutput } from './status.js';

export interface StoreOptions {
  readonly debounceMs: number;
  readonly debounceMaxMs: number;
  /** Longest an endpoint-only change waits (default 1 s); a change removing endpoints does not wait at all. */
  readonly debounceEndpointsMaxMs?: number;
  readonly mesh?: MeshOptions;
  /** Clock for `firstChangeAt` (default Date.now) and scheduler for the debounce (tests: virtual time). */
  readonly now?: () => number;
  readonly scheduler?: SchedulerLike;
  /** Each object added, updated or deleted by a source (istiod's pilot_k8s_cfg_events / pilot_k8s_reg_events; events.ts). */
  readonly onConfigEvent?: (kind: string, event: ConfigEventKind) => void;
}

/** The changes of one event or of a burst. The sets belong to the batch alone until it is emitted. */
interface Batch {
  readonly state: StoreState;
  readonly kinds: Set<ConfigKind>;
  readonly keys: Set<ConfigKey>;
  readonly firstChangeAt: number;
  readonly urgency: Urgency;
}

/** The fold's accumulator: the reducer's state (owned by this scan alone), changes carried until the sources synced, and what to pass on. */
interface Fold {
  readonly state: StoreState;
  readonly carry: Batch | null;
  readonly out: Batch | null;
}

/** Unions `next` into `acc` (the batch's own sets) and keeps the latest urgency; the earliest time. */
function mergeBatch(acc: Batch, next: Batch): Batch {
  for (const k of next.kinds) acc.kinds.add(k);
  for (const k of next.keys) acc.keys.add(k);
  return { state: next.state, kinds: acc.kinds, keys: acc.keys, firstChangeAt: acc.firstChangeAt, urgency: next.urgency };
}

function rejectionText(r: Rejection): string {
  return `${r.kind} ${r.namespace}/${r.name || '(unnamed)'} in ${r.source}: ${r.field ? r.field + ': ' : ''}${r.reason}`;
}

/** What the stage "emitted" before the first snapshot: an empty mesh, nothing synced (for views read before it). */
export function emptyStoreOutput(mesh: MeshOptions = DEFAULT_MESH_OPTIONS): StoreOutput {
  const st = emptyState();
  const m = buildMesh(st, mesh).mesh;
  return {
    mesh: m,
    change: { mesh: m, kinds: new Set(), keys: new Set(), scope: { kind: 'full' }, reasons: [], firstChangeAt: 0, buildMs: 0 },
    status: statusOf(st),
  };
}

/** Builds the next output from the previous one and a debounced batch. Reads `b.state`, never writes it. */
function nextOutput(prev: StoreOutput, b: Batch, opts: MeshOptions): StoreOutput {
  const t0 = performance.now();
  const mesh = buildMesh(b.state, opts, prev.mesh, b.kinds, b.keys).mesh;
  const buildMs = performance.now() - t0;
  const change = storeChange(prev.mesh, mesh, b.kinds, b.keys, b.firstChangeAt, buildMs);
  return { mesh, change, status: statusOf(b.state) };
}

/**
 * The push request for `mesh`, built from `prev` by a batch that changed exactly `kinds` and `keys`:
 * its scope against `prev` and its reasons. The stage's, and the in-process drivers' (benches,
 * equivalence tests) so they push what the stage would.
 */
export function storeChange(
  prev: MeshConfig,
  mesh: MeshConfig,
  kinds: ReadonlySet<ConfigKind>,
  keys: ReadonlySet<ConfigKey>,
  firstChangeAt = 0,
  buildMs = 0,
): PushRequest {
  return {
    mesh,
    kinds,
    keys,
    scope: pushScope(prev, { mesh, kinds, keys }),
    reasons: pushReasons(kinds),
    firstChangeAt,
    buildMs,
    exactKeys: true,
  };
}

/**
 * The store stage over `events$`. Shared: every subscriber sees the same outputs; the state is
 * created per subscription of the shared pipeline (a fresh store when it is resubscribed).
 */
export function storeStage(events$: Observable<ConfigEvent>, opts: StoreOptions, log: StoreLog): Observable<StoreOutput> {
  const meshOpts = opts.mesh ?? DEFAULT_MESH_OPTIONS;
  const now = opts.now ?? Date.now;
  const endpointsMaxMs = opts.debounceEndpointsMaxMs ?? 1000;
  return defer(() => {
    let logged = new Set<string>();
    const logNotices = noticeLogger(log);
    return events$.pipe(
      tap((ev) => {
        if (ev.type === 'sourceError')
          log.error(
            { file: ev.origin.source, reason: ev.reason },
            `cannot read ${ev.origin.source}: ${ev.reason}; its last good objects stay in force`,
          );
      }),
      scan(
        (acc: Fold, ev: ConfigEvent): Fold => {
          // Judged against the store before this event is applied (a whole file: by what it changed).
          const before = ev.type === 'replace' ? endpointsBefore(acc.state.objects, acc.state.byOrigin.get(ev.origin.source), ev) : null;
          let urgency = changeUrgency(acc.state.objects, ev);
          if (opts.onConfigEvent) configEvents(acc.state.objects, ev, opts.onConfigEvent);
          reduce(acc.state, ev);
          const { kinds, keys } = takeChanges(acc.state);
          if (before) urgency = replaceUrgency(before, acc.state.objects, keys);
          const one: Batch = { state: acc.state, kinds, keys, firstChangeAt: now(), urgency };
          const batch = acc.carry ? mergeBatch(acc.carry, one) : one;
          return acc.state.synced ? { state: acc.state, carry: null, out: batch } : { state: acc.state, carry: batch, out: null };
        },
        { state: emptyState(), carry: null, out: null },
      ),
      map((acc) => acc.out),
      filter((b): b is Batch => b !== null),
      debounceMax<Batch>(opts.debounceMs, opts.debounceMaxMs, mergeBatch, opts.scheduler ?? asyncScheduler, (b) =>
        maxWaitFor(b.urgency, opts.debounceMaxMs, endpointsMaxMs),
      ),
      scan((prev: StoreOutput, b: Batch) => nextOutput(prev, b, meshOpts), emptyStoreOutput(meshOpts)),
      tap((out) => {
        // Log each rejection once while it lasts (a rejected object keeps its last good version).
        const current = new Set<string>();
        for (const r of out.mesh.rejected) {
          const text = rejectionText(r);
          current.add(text);
          if (logged.has(text)) continue;
          const kept = out.mesh.objects.has(r.key) ? '; its last good version stays in force' : '';
          log.warn(
            { kind: r.kind, namespace: r.namespace, name: r.name, file: r.source, field: r.field, reason: r.reason },
            `rejected ${text}${kept}`,
          );
        }
        logged = current;
        logNotices(out.status);
      }),
    );
  }).pipe(share());
}

export type { StoreOutput, StoreStatus, StoreLog } from './status.js';
