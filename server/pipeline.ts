/**
 * @module server/pipeline
 * Wires the stages: config events → store (`scan`) → debounce (quiet/max) → MeshConfig snapshot,
 * with a log line for every rejected object and unreadable file. Nothing is emitted before the
 * sources have synced, so no proxy ever receives a half-read mesh.
 */
import { Observable, filter, map, scan, share, tap } from 'rxjs';
import type { ConfigEvent, MeshConfig, Rejection } from '../model/config.js';
import { pushReasons, type PushRequest } from '../model/push.js';
import { buildMesh, type MeshOptions, DEFAULT_MESH_OPTIONS } from '../watchers/mesh.js';
import { meshFromState } from '../watchers/snapshot.js';
import { emptyState, reduce, takeChanges, type StoreState } from '../watchers/store.js';
import { debounceMax } from './push/debounce.js';
import { changeUrgency, maxWaitFor, type Urgency } from './push/urgency.js';
import { pushScope } from './push/scope.js';
import type { Logger } from './log.js';
import { noticeLogger } from './store-notices.js';

export interface PipelineOptions {
  readonly debounceMs: number;
  readonly debounceMaxMs: number;
  /** Longest an endpoint-only change waits (default 1 s); a change removing endpoints does not wait at all. */
  readonly debounceEndpointsMaxMs?: number;
  readonly mesh?: MeshOptions;
}

function rejectionText(r: Rejection): string {
  return `${r.kind} ${r.namespace}/${r.name || '(unnamed)'} in ${r.source}: ${r.field ? r.field + ': ' : ''}${r.reason}`;
}

export function meshUpdates(events$: Observable<ConfigEvent>, opts: PipelineOptions, log: Logger): { updates$: Observable<PushRequest>; state: StoreState } {
  const state = emptyState();
  // The previous snapshot, against which the next change is scoped (a deleted slice is found there).
  let prev: MeshConfig = buildMesh(emptyState(), opts.mesh ?? DEFAULT_MESH_OPTIONS).mesh;
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
      const change = { mesh, kinds: changes.kinds, keys: changes.keys };
      const req: PushRequest = { ...change, scope: pushScope(prev, change), reasons: pushReasons(changes.kinds), firstChangeAt: at, buildMs };
      prev = mesh;
      return req;
    }),
    share(),
  );
  return { updates$, state };
}
