/**
 * @module bench/flat-inproc
 * `node dist/bench/flat-inproc.js 250,1000,4000 [edits]` — the flat bench (flat.ts) without a
 * fleet, a child process or I/O, for profiling (`node --cpu-prof`) and for steadier figures on a
 * shared machine. For each service count it folds the standard bench mesh (meshgen.ts, scoped)
 * into a store as the file source would, serves 5 proxy classes (one per namespace, per-Deployment
 * labels) from a SnapshotCache through a PushRunner, then edits svc-0's VirtualService `edits`
 * times, each edit the way the server handles it, timed per stage:
 * - parse: the file source re-reading `vs.yaml` (every VirtualService of the mesh: the bench's file
 *   mode; a Kubernetes watch event carries the one object) — in the server on its parse worker
 *   thread (watchers/file/parse-pool.ts), so in its CPU but not in the push;
 * - fold: the store folding the file's objects in (reduce.ts: only changed objects count as changes);
 * - build: the store stage's MeshConfig build (`buildMs` in the server's log, istiod's
 *   pilot_pushcontext_init);
 * - push: the runner's push (cache rotation with carry-over; the server's `pushMs` without streams);
 * - classes: what the streams then read — every class's wildcard set of CDS, EDS, LDS and RDS
 *   (translation and encoding of what changed, name lists and type versions);
 * - status: the store's status taken for the emission (status.ts `statusOf`), as the stage does
 *   after every build;
 * - streams: ten SotW streams per class (CDS and LDS wildcard, every EDS and RDS name subscribed, as
 *   Envoy does) composing what the push owes it (sotw.ts `onPush`: the diff of what it holds), with
 *   no encoding or write.
 * `FLAT_PROF=<path>` writes a CPU profile of the edits alone to `<path>.<services>.cpuprofile`.
 * Prints the medians per size as a markdown table.
 */
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { ConfigEvent, MeshConfig } from '../model/config.js';
import { parseNodeId, type Proxy } from '../model/proxy.js';
import type { PushRequest } from '../model/push.js';
import { CDS, EDS, LDS, RDS } from '../proto/typeurls.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../watchers/mesh.js';
import { emptyState, reduce, takeChanges, type StoreState } from '../watchers/store/reduce.js';
import { storeChange } from '../watchers/store/stage.js';
import { SnapshotCache } from '../server/cache/snapshot.js';
import { PushRunner } from '../server/push/runner.js';
import { onRequest, onPush } from '../server/xds/sotw.js';
import type { SotwPart, StreamState } from '../server/xds/state.js';
import type { ResourceSnapshot } from '../server/cache/api.js';
import { statusOf } from '../watchers/store/status.js';
import { flatEditWeight, vsYaml, writeMesh, type MeshSize } from './meshgen.js';
import { median } from './flat.js';
import { fileEvent } from './inproc-edits.js';

const NAMESPACES = 5;
/** SotW streams per class (50 in all, as the flat bench's fleet). */
const STREAMS_PER_CLASS = 10;
/** Edits made before the measured ones (see below). */
const WARMUP = 3;

function proxyOf(i: number): Proxy {
  const ns = `ns-${i % NAMESPACES}`;
  const r = parseNodeId(`sidecar~10.201.0.${i + 1}~proxy-${i}.${ns}~${ns}.svc.cluster.local`, {
    NAMESPACE: ns,
    LABELS: { app: 'fleet', version: 'v1' },
  });
  if (!r.ok) throw new Error(r.reason);
  return r.proxy;
}

/** A SotW stream of `proxy` holding everything `snap` offers: CDS and LDS by wildcard, every EDS and RDS name by name. */
function sotwStream(proxy: Proxy, snap: ResourceSnapshot): StreamState<SotwPart> {
  const st: StreamState<SotwPart> = {
    id: proxy.id,
    proxy,
    node: { id: proxy.id, cluster: '', metadata: {}, userAgentName: 'envoy', clientFeatures: [], locality: null },
    kind: 'sotw',
    connectedAt: 0,
    peer: '',
    types: new Map(),
    nonceSeq: 0,
  };
  for (const t of [CDS, EDS, LDS, RDS]) {
    const names = t === EDS || t === RDS ? snap.names(t) : [];
    onRequest(st, t, { versionInfo: '', node: null, resourceNames: names, typeUrl: t, responseNonce: '', errorDetail: null }, snap, 0);
  }
  return st;
}

/** The store stage's step (watchers/store/stage.ts nextOutput), with its build timed; `folded` after the events are folded in. */
function step(
  st: StoreState,
  prev: MeshConfig,
  events: readonly ConfigEvent[],
  folded: () => void = () => {},
): { req: PushRequest; buildMs: number } {
  for (const e of events) reduce(st, e);
  const { kinds, keys } = takeChanges(st);
  folded();
  const t0 = performance.now();
  const mesh = buildMesh(st, DEFAULT_MESH_OPTIONS, prev, kinds, keys).mesh;
  const buildMs = performance.now() - t0;
  const req = storeChange(prev, mesh, kinds, keys, 0, buildMs);
  return { req, buildMs };
}

export interface InProcRow {
  readonly services: number;
  readonly parseMs: number;
  readonly foldMs: number;
  readonly buildMs: number;
  readonly pushMs: number;
  readonly classesMs: number;
  readonly statusMs: number;
  readonly streamsMs: number;
  /** Process CPU over build, push and classes (steadier than wall time on a shared machine). */
  readonly cpuMs: number;
  readonly all: readonly number[];
}

export async function flatInProcess(services: number, edits: number): Promise<InProcRow> {
  const size: MeshSize = { services, endpointsPerService: 3, namespaces: NAMESPACES, routedShare: 0.1, scoped: true };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-flat-inproc-'));
  try {
    await writeMesh(dir, size);
    const st = emptyState();
    const files = (await readdir(dir)).sort();
    const events: ConfigEvent[] = [];
    for (const f of files) events.push(fileEvent(path.join(dir, f), await readFile(path.join(dir, f), 'utf8')));
    events.push({ type: 'synced' });
    let { req } = step(st, buildMesh(emptyState(), DEFAULT_MESH_OPTIONS).mesh, events);
    const cache = new SnapshotCache(req.mesh);
    const runner = new PushRunner(cache, { subscribers: () => [] });
    const leases = Array.from({ length: NAMESPACES }, (_, i) => cache.acquire(proxyOf(i)));
    const read = (): void => {
      for (const l of leases) for (const t of [CDS, EDS, LDS, RDS]) l.snapshot().wildcardSet(t);
    };
    runner.push(req);
    read();
    const streams = leases.flatMap((l) => Array.from({ length: STREAMS_PER_CLASS }, () => ({ l, st: sotwStream(l.proxy, l.snapshot()) })));
    const serve = (): void => {
      for (const { l, st } of streams) onPush(st, l.snapshot());
    };
    const rows: {
      parseMs: number;
      foldMs: number;
      buildMs: number;
      pushMs: number;
      classesMs: number;
      statusMs: number;
      streamsMs: number;
      cpuMs: number;
    }[] = [];
    // Parsed before the edits (as the server's parse worker thread does), so the profile shows the main thread's work.
    const parsed: { ev: ConfigEvent; ms: number }[] = [];
    for (let e = 0; e < WARMUP + edits; e++) {
      const t = performance.now();
      const ev = fileEvent(path.join(dir, 'vs.yaml'), vsYaml(size, flatEditWeight(e)));
      parsed.push({ ev, ms: performance.now() - t });
    }
    // The first edits also warm the JIT and the per-list memos up (watchers/, translators/): not measured.
    for (const { ev } of parsed.splice(0, WARMUP)) {
      req = step(st, req.mesh, [ev]).req;
      statusOf(st);
      runner.push(req);
      read();
      serve();
    }
    // FLAT_PROF=<file.cpuprofile>: a CPU profile of the edits alone (not the mesh's first translation).
    const prof = process.env['FLAT_PROF'] ? new Session() : undefined;
    if (prof) {
      prof.connect();
      await prof.post('Profiler.enable');
      await prof.post('Profiler.start');
    }
    for (let e = 0; e < edits; e++) {
      const { ev, ms: parseMs } = parsed[e]!;
      let c0 = process.cpuUsage();
      const t1 = performance.now();
      const s = step(st, req.mesh, [ev], () => (c0 = process.cpuUsage()));
      req = s.req;
      const t2 = performance.now();
      statusOf(st);
      const t2b = performance.now();
      runner.push(req);
      const t3 = performance.now();
      read();
      const t4 = performance.now();
      serve();
      const t5 = performance.now();
      const c = process.cpuUsage(c0);
      const cpuMs = (c.user + c.system) / 1000;
      rows.push({
        parseMs,
        foldMs: t2 - t1 - s.buildMs,
        buildMs: s.buildMs,
        statusMs: t2b - t2,
        pushMs: t3 - t2b,
        classesMs: t4 - t3,
        streamsMs: t5 - t4,
        cpuMs,
      });
    }
    if (prof) {
      const { profile } = await prof.post('Profiler.stop');
      await writeFile(`${process.env['FLAT_PROF']}.${services}.cpuprofile`, JSON.stringify(profile));
      prof.disconnect();
    }
    for (const l of leases) l.release();
    return {
      services,
      parseMs: median(rows.map((r) => r.parseMs)),
      foldMs: median(rows.map((r) => r.foldMs)),
      buildMs: median(rows.map((r) => r.buildMs)),
      pushMs: median(rows.map((r) => r.pushMs)),
      classesMs: median(rows.map((r) => r.classesMs)),
      statusMs: median(rows.map((r) => r.statusMs)),
      streamsMs: median(rows.map((r) => r.streamsMs)),
      cpuMs: median(rows.map((r) => r.cpuMs)),
      all: rows.map((r) => r.statusMs + r.pushMs + r.classesMs + r.streamsMs),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '250,1000,4000').split(',').map(Number);
  const edits = Number(process.argv[3] ?? 9);
  const out = [
    `one VirtualService edit in process (no fleet), 5 classes read in full, medians of ${edits} edits after ${WARMUP} unmeasured ones`,
    '',
    '| services | parse ms (worker thread) | fold ms | store build ms | status ms | push ms | classes ms | streams ms | CPU ms (build to streams) | status + push + classes + streams ms of each edit |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of sizes) {
    const r = await flatInProcess(s, edits);
    out.push(
      `| ${s} | ${r.parseMs.toFixed(1)} | ${r.foldMs.toFixed(1)} | ${r.buildMs.toFixed(1)} | ${r.statusMs.toFixed(1)} | ${r.pushMs.toFixed(1)} | ${r.classesMs.toFixed(1)} | ${r.streamsMs.toFixed(1)} | ${r.cpuMs.toFixed(1)} | ${r.all.map((x) => x.toFixed(1)).join(', ')} |`,
    );
    process.stderr.write(out.at(-1)! + '\n');
  }
  process.stdout.write(out.join('\n') + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
