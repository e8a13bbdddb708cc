/**
 * @module bench/flat
 * `npm run bench -- --flat 250,1000,4000` (issue 18: "a change's server-side cost grows with what
 * it touches, not with the mesh"). For each service count: writes the standard bench mesh
 * (meshgen.ts; `--heavy` for the heavy shape), starts the real server in a child process, connects
 * a modest fleet (per-Deployment labels), then edits one VirtualService (svc-0's weights) several
 * times, waiting each time until every affected proxy has its new routes. Per edit it records the
 * server's own push timing from its `config pushed` log line (`pushMs`: the push stage, `buildMs`:
 * the store stage's snapshot build; `writeMs` and `bytesWritten`: the push's share spent encoding
 * and handing responses to grpc-js, and their bytes) and the server's CPU seconds. Push ms is split
 * into compute (push − write: translation, carry-over, versions, compose) and write, because the
 * changed route config itself grows with the mesh (SotW sends it whole, as istiod does). The table reports the median
 * per size (the machine is shared: medians, not means) and a PNG draws ms against services.
 */
import path from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { FleetClient } from '../e2e/fleet/client.js';
import { RDS } from '../proto/typeurls.js';
import { ProcStats } from './proc.js';
import { flatEditWeight, namespaceOf, vsYaml, writeMesh, type MeshSize } from './meshgen.js';
import { fleetNode } from './fleetnode.js';
import { plotLines } from './plot.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How the bench starts and stops the server (bench/launch.ts's helpers, passed in to keep one copy). */
export interface ServerControl {
  start(meshDir: string, onLine: (line: string) => void): Promise<{ proc: ChildProcess; port: number }>;
  stop(proc: ChildProcess): Promise<void>;
}

export interface FlatOptions {
  readonly sizes: readonly number[];
  readonly proxies: number;
  readonly edits: number;
  readonly endpointsPerService: number;
  readonly namespaces: number;
  readonly heavy: boolean;
  readonly timeoutMs: number;
  readonly png: string;
}

export interface FlatRow {
  readonly services: number;
  readonly edits: number;
  /** Medians over the edits. */
  readonly pushMs: number;
  /** The least push ms of the edits: on a shared machine the one least disturbed by other work. */
  readonly minPushMs: number;
  readonly buildMs: number;
  /** Push ms spent encoding and writing responses, the rest (compute), and the response bytes written. */
  readonly writeMs: number;
  readonly computeMs: number;
  readonly bytes: number;
  readonly cpuMs: number;
  readonly convergeMs: number;
  /** Every edit's push ms, for the record. */
  readonly allPushMs: readonly number[];
}

export const median = (v: readonly number[]): number => {
  if (!v.length) return 0;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function one(services: number, o: FlatOptions, ctl: ServerControl): Promise<FlatRow> {
  const size: MeshSize = {
    services,
    endpointsPerService: o.endpointsPerService,
    namespaces: o.namespaces,
    routedShare: 0.1,
    scoped: true,
    heavy: o.heavy,
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-flat-'));
  await writeMesh(dir, size);
  const pushes: { pushMs: number; buildMs: number; writeMs: number; bytes: number; kinds: string[] }[] = [];
  const server = await ctl.start(dir, (line) => {
    if (!line.includes('config pushed')) return;
    try {
      const l = JSON.parse(line) as { pushMs: number; buildMs?: number; writeMs?: number; bytesWritten?: number; kinds: string[] };
      pushes.push({ pushMs: l.pushMs, buildMs: l.buildMs ?? 0, writeMs: l.writeMs ?? 0, bytes: l.bytesWritten ?? 0, kinds: l.kinds });
    } catch {
      /* not JSON */
    }
  });
  const stats = new ProcStats(server.proc.pid!);
  const fleet = Array.from(
    { length: o.proxies },
    (_, i) => new FleetClient({ address: `127.0.0.1:${server.port}`, node: fleetNode(i, o.namespaces, 'deployment', 201), delta: false }),
  );
  try {
    for (const c of fleet) c.connect();
    const t0 = Date.now();
    while (fleet.some((c) => !c.completeAt) && Date.now() - t0 < o.timeoutMs) await sleep(50);
    if (fleet.some((c) => !c.completeAt)) throw new Error(`flat ${services}: the fleet did not converge in ${o.timeoutMs} ms`);
    await sleep(1000);
    const affected = fleet.filter((_, i) => `ns-${i % o.namespaces}` === namespaceOf(0, size));
    const rows: { pushMs: number; buildMs: number; writeMs: number; bytes: number; cpuMs: number; convergeMs: number }[] = [];
    for (let e = 0; e < o.edits; e++) {
      const marks = affected.map((c) => c.arrivals.length);
      const p0 = pushes.length;
      const cpu0 = stats.cpu();
      const w0 = performance.now();
      await writeFile(path.join(dir, 'vs.yaml'), vsYaml(size, flatEditWeight(e)));
      const got = (): boolean => affected.every((c, k) => c.arrivals.slice(marks[k]).some((a) => a.typeUrl === RDS));
      const tw = Date.now();
      while (!got() && Date.now() - tw < o.timeoutMs) await sleep(5);
      const convergeMs = performance.now() - w0;
      await sleep(400); // the push's log line and any straggling work
      const mine = pushes.slice(p0);
      rows.push({
        pushMs: mine.reduce((a, p) => a + p.pushMs, 0),
        buildMs: mine.reduce((a, p) => a + p.buildMs, 0),
        writeMs: mine.reduce((a, p) => a + p.writeMs, 0),
        bytes: mine.reduce((a, p) => a + p.bytes, 0),
        cpuMs: (stats.cpu() - cpu0) * 1000,
        convergeMs,
      });
      process.stderr.write(`  flat ${services}: edit ${e + 1}/${o.edits}: push ${rows.at(-1)!.pushMs.toFixed(1)} ms\n`);
    }
    return {
      services,
      edits: rows.length,
      pushMs: median(rows.map((r) => r.pushMs)),
      minPushMs: Math.min(...rows.map((r) => r.pushMs)),
      buildMs: median(rows.map((r) => r.buildMs)),
      writeMs: median(rows.map((r) => r.writeMs)),
      computeMs: median(rows.map((r) => r.pushMs - r.writeMs)),
      bytes: median(rows.map((r) => r.bytes)),
      cpuMs: median(rows.map((r) => r.cpuMs)),
      convergeMs: median(rows.map((r) => r.convergeMs)),
      allPushMs: rows.map((r) => r.pushMs),
    };
  } finally {
    for (const c of fleet) c.stop();
    stats.stop();
    await ctl.stop(server.proc);
    await rm(dir, { recursive: true, force: true });
  }
}

export function flatTable(rows: readonly FlatRow[], o: FlatOptions): string {
  return [
    `one VirtualService edit (svc-0's weights), ${o.proxies} SotW proxies (labels per Deployment), ${o.endpointsPerService} endpoints/service, ${o.namespaces} namespaces, root Sidecar scoping${o.heavy ? ', heavy shape' : ''}; medians of ${o.edits} edits`,
    '',
    '| services | push ms (server) | least push ms | of which compute ms | of which write ms | KB written per edit | store build ms | server CPU ms | edit → all affected proxies have RDS ms | push ms of each edit |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.services} | ${r.pushMs.toFixed(1)} | ${r.minPushMs.toFixed(1)} | ${r.computeMs.toFixed(1)} | ${r.writeMs.toFixed(1)} | ${(r.bytes / 1024).toFixed(0)} | ${r.buildMs.toFixed(1)} | ${r.cpuMs.toFixed(0)} | ${r.convergeMs.toFixed(0)} | ${r.allPushMs.map((x) => x.toFixed(1)).join(', ')} |`,
    ),
    '',
    'compute: push ms less write ms (translation, carry-over, versions, compose); write: encoding the responses and handing them to grpc-js (one gRPC frame per distinct response of a push, shared by the streams it goes to: server/xds/frames.ts). Medians of the edits, and the least (the edit least disturbed by other work on a shared machine). Server CPU includes the file source re-parsing vs.yaml (every VirtualService of the mesh) on its worker thread; it is left out of the plot.',
  ].join('\n');
}

export async function flatMain(o: FlatOptions, ctl: ServerControl): Promise<FlatRow[]> {
  const rows: FlatRow[] = [];
  for (const s of o.sizes) {
    process.stderr.write(`flat: ${s} services\n`);
    rows.push(await one(s, o, ctl));
  }
  await plotLines(
    o.png,
    `one VirtualService edit: server push ms vs services (${o.proxies} proxies${o.heavy ? ', heavy' : ''})`,
    'services',
    'ms',
    [
      { name: 'push ms', points: rows.map((r) => ({ x: r.services, y: r.pushMs })) },
      { name: 'least push ms', points: rows.map((r) => ({ x: r.services, y: r.minPushMs })) },
      { name: 'compute ms', points: rows.map((r) => ({ x: r.services, y: r.computeMs })) },
      { name: 'write ms', points: rows.map((r) => ({ x: r.services, y: r.writeMs })) },
      { name: 'MB written per edit', points: rows.map((r) => ({ x: r.services, y: r.bytes / 1e6 })) },
      { name: 'store build ms', points: rows.map((r) => ({ x: r.services, y: r.buildMs })) },
    ],
  );
  return rows;
}
