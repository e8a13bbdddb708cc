/**
 * @module server/pipeline
 * Wires the stages: config events → store (`scan`) → debounce (quiet/max) → MeshConfig snapshot,
 * with a log line for every rejected object and unreadable file. Nothing is emitted before the
 * sources have synced, so no proxy ever receives a half-read mesh.
 */
import { Observable, filter, map, scan, share, tap } from 'rxjs';
import type { ConfigEvent, ConfigKey, ConfigKind, MeshConfig, Rejection } from '../model/config.js';
import { type MeshOptions, DEFAULT_MESH_OPTIONS } from '../watchers/mesh.js';
import { meshFromState } from '../watchers/snapshot.js';
import { emptyState, reduce, takeChanges, type StoreState } from '../watchers/store.js';
import { debounceMax } from './push/debounce.js';
import { changeUrgency, maxWaitFor, type Urgency } from './push/urgency.js';
import type { Logger } from './log.js';
import { noticeLogger } from './store-notices.js';

export interface MeshUpdate {
  readonly mesh: MeshConfig;
  /** Kinds changed since the previous snapshot (all kinds for the first one). */
  readonly kinds: ReadonlySet<ConfigKind>;
  /** Keys (`Kind/namespace/name`) changed since the previous snapshot, so pushes can be scoped (EDS-only). */
  readonly keys: ReadonlySet<ConfigKey>;
  /** When the first change folded into this snapshot arrived (for debounce/convergence timing). */
  readonly firstChangeAt: number;
  /** How long building the MeshConfig took (istiod's pilot_pushcontext_init_seconds). */
  readonly buildMs: number;
}

export interface PipelineOptions {
  readonly debounceMs: number;
  readonly debounceMaxMs: number;
  /** Longest an endpoint-only change waits (default 1 s); a change removing endpoints does not wait at all. */
  readonly debounceEndpointsMaxMs?: number;
  readonly mesh?: MeshOptions;
  /** Each object added, updated or deleted by a source (istiod's pilot_k8s_cfg_events / pilot_k8s_reg_events). */
  readonly onConfigEvent?: (kind: string, event: 'add' | 'update' | 'delete') => void;
}

/** The add/update/delete events in a source event, judged against the store before it applies. */
export function configEvents(objects: StoreState['objects'], ev: ConfigEvent, emit: (kind: string, event: 'add' | 'update' | 'delete') => void): void {
  const kindOf = (key: string): string => key.slice(0, key.indexOf('/'));
  if (ev.type === 'upsert') emit(kindOf(ev.key), objects.has(ev.key) ? 'update' : 'add');
  else if (ev.type === 'delete') { if (objects.has(ev.key)) emit(kindOf(ev.key), 'delete'); }
  else if (ev.type === 'replace') {
    const now = new Set<string>();
    for (const o of ev.objects) {
      now.add(o.key);
      const prev = objects.get(o.key);
      if (!prev) emit(kindOf(o.key), 'add');
      else if (prev.object !== o.object && JSON.stringify(prev.object) !== JSON.stringify(o.object)) emit(kindOf(o.key), 'update');
    }
    for (const [key, e] of objects) if (e.origin.source === ev.origin.source && !now.has(key)) emit(kindOf(key), 'delete');
  }
}

function rejectionText(r: Rejection): string {
  return `${r.kind} ${r.namespace}/${r.name || '(unnamed)'} in ${r.source}: ${r.field ? r.field + ': ' : ''}${r.reason}`;
}

export function meshUpdates(events$: Observable<ConfigEvent>, opts: PipelineOptions, log: Logger): { updates$: Observable<MeshUpdate>; state: StoreState } {
  const state = emptyState();
  let logged = new Set<string>();
  let firstChangeAt = 0;
  const logNotices = noticeLogger(log);
  let urgency: Urgency = 'config';
  const endpointsMaxMs = opts.debounceEndpointsMaxMs ?? 1000;
  const updates$ = events$.pipe(
    tap((ev) => {
      if (ev.type === 'sourceError') log.error({ file: ev.origin.source, reason: ev.reason }, `cannot read ${ev.origin.source}: ${ev.reason}; its last good objects stay in force`);
      if (!firstChangeAt) firstChangeAt = Date.now();
      urgency = changeUrgency(state.objects, ev); // against the store before this event is applied
      if (opts.onConfigEvent) configEvents(state.objects, ev, opts.onConfigEvent);
    }),
    scan(reduce, state),
    filter((st) => st.synced),
    map((st) => ({ st, urgency })),
    debounceMax(opts.debounceMs, opts.debounceMaxMs, undefined, undefined, (x) => maxWaitFor(x.urgency, opts.debounceMaxMs, endpointsMaxMs)),
    map(({ st }) => {
      const changes = takeChanges(st);
      const t0 = performance.now();
      const mesh = meshFromState(st, opts.mesh ?? DEFAULT_MESH_OPTIONS);
      const buildMs = performance.now() - t0;
      // Log each rejection once while it lasts (a rejected object keeps its last good version).
      const now = new Set<string>();
      for (const r of mesh.rejected) {
        const text = rejectionText(r);
        now.add(text);
        if (logged.has(text)) continue;
        const kept = mesh.objects.has(r.key) ? '; its last good version stays in force' : '';
        log.warn({ kind: r.kind, namespace: r.namespace, name: r.name, file: r.source, field: r.field, reason: r.reason }, `rejected ${text}${kept}`);
      }
      logged = now;
      logNotices(st);
      const at = firstChangeAt || Date.now();
      firstChangeAt = 0;
      return { mesh, kinds: changes.kinds, keys: changes.keys, firstChangeAt: at, buildMs };
    }),
    share(),
  );
  return { updates$, state };
}
