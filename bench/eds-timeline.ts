/**
 * @module bench/eds-timeline
 * Where an endpoint change's time goes, from the file write to the last affected proxy: the bench's
 * mesh and fleet (meshgen.ts, e2e/fleet) against the real server launched as deployed (launch.ts),
 * then `--changes N` rolling updates of `ep-0.yaml` (one address gone, one new: pushed at once), each
 * timed on one clock shared by both processes (epoch milliseconds from performance.timeOrigin):
 *
 *   write → noticed (fs event) → parsed (worker) → emitted → store (fold) → push start (after the
 *   mesh build) → push end (every response queued and, within the byte budget, written) →
 *   first / p50 / p99 / last arrival at the affected proxies
 *
 * The server's steps come from its own logs (`--log-output-level model:debug`: the folder source's
 * steps; `config pushed`: firstChangeAt, buildMs, startedAt, endedAt). The load average is printed
 * with every change: the machine is shared.
 *
 *   node dist/bench/eds-timeline.js --heavy --services 1000 --endpoints-per-service 10 --namespaces 10 \
 *     --proxies 2000 --labels deployment [--changes 8] [--gap-ms 1500] [--tuned] [--cpu-prof dir]
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { FleetClient } from '../e2e/fleet/client.js';
import { EDS } from '../proto/typeurls.js';
import { fleetNode, type LabelShape } from './fleetnode.js';
import { startServer, stopChild, TUNED_SERVER_FLAGS } from './launch.js';
import { namespaceOf, sliceYaml, writeMesh } from './meshgen.js';
import { ProcStats } from './proc.js';
import { fleetGc, meshSizeOf } from './scenarios.js';
import { sleep, waitFor } from './wait.js';

const epoch = (perfNow: number): number => performance.timeOrigin + perfNow;

/** One change's marks, in ms after the write began (NaN: not seen). */
export interface ChangeTimes {
  readonly written: number;
  readonly noticed: number;
  readonly parsed: number;
  readonly emitted: number;
  readonly store: number;
  readonly pushStart: number;
  readonly pushEnd: number;
  readonly first: number;
  readonly p50: number;
  readonly p99: number;
  readonly last: number;
}

const COLUMNS: readonly (keyof ChangeTimes)[] = [
  'written',
  'noticed',
  'parsed',
  'emitted',
  'store',
  'pushStart',
  'pushEnd',
  'first',
  'p50',
  'p99',
  'last',
];

/** The p-th percentile (nearest rank) of `xs`; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

interface LogLine {
  readonly msg?: string;
  readonly step?: string;
  readonly at?: number;
  readonly firstChangeAt?: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly buildMs?: number;
  readonly pushMs?: number;
  readonly responses?: number;
  readonly slices?: number;
  readonly kinds?: readonly string[];
}

/**
 * A change's marks relative to `t0` (epoch ms), from the server's log lines logged since it began
 * and the fleet's arrival times (epoch ms) at the affected proxies.
 */
export function changeTimes(t0: number, written: number, lines: readonly LogLine[], arrivals: readonly number[]): ChangeTimes {
  const step = (s: string): number => lines.find((l) => l.step === s && l.at !== undefined)?.at ?? NaN;
  const pushed = lines.find((l) => l.msg === 'config pushed');
  const rel = (x: number | undefined): number => (x === undefined ? NaN : x - t0);
  return {
    written: written - t0,
    noticed: rel(step('noticed')),
    parsed: rel(step('parsed')),
    emitted: rel(step('emitted')),
    store: rel(pushed?.firstChangeAt),
    pushStart: rel(pushed?.startedAt),
    pushEnd: rel(pushed?.endedAt),
    first: rel(percentile(arrivals, 0)),
    p50: rel(percentile(arrivals, 50)),
    p99: rel(percentile(arrivals, 99)),
    last: rel(percentile(arrivals, 100)),
  };
}

const cell = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '—').padStart(10);

/** The table: one row per change, then the median of each column. */
export function timelineTable(rows: readonly (ChangeTimes & { readonly note: string })[]): string {
  const head = `${'change'.padEnd(8)}${COLUMNS.map((c) => c.padStart(10)).join('')}  notes`;
  const body = rows.map((r, i) => `${`#${i + 1}`.padEnd(8)}${COLUMNS.map((c) => cell(r[c])).join('')}  ${r.note}`);
  const med = `${'median'.padEnd(8)}${COLUMNS.map((c) => cell(percentile(rows.map((r) => r[c]).filter(Number.isFinite), 50))).join('')}`;
  return [head, ...body, med].join('\n');
}

async function main(): Promise<void> {
  const o = new Command('eds-timeline')
    .option('--services <n>', 'services', Number, 200)
    .option('--endpoints-per-service <n>', 'endpoints per service', Number, 10)
    .option('--namespaces <n>', 'namespaces', Number, 10)
    .option('--proxies <n>', 'simulated sidecars', Number, 500)
    .addOption(new Option('--labels <shape>', "proxies' LABELS").choices(['deployment', 'pod', 'none']).default('deployment'))
    .option('--heavy', 'the heavy shape', false)
    .option('--changes <n>', 'endpoint changes to time', Number, 8)
    .option('--gap-ms <n>', 'quiet time between changes', Number, 1500)
    .option('--tuned', "the bench's tuned server flags", false)
    .option('--cpu-prof <dir>', 'run the server with node --cpu-prof into this folder')
    .option('--timeout <ms>', 'longest wait for the fleet', Number, 600_000)
    .option('--server-log <file>', "write the server's log lines to this file")
    .parse()
    .opts<{
      services: number;
      endpointsPerService: number;
      namespaces: number;
      proxies: number;
      labels: LabelShape;
      heavy: boolean;
      changes: number;
      gapMs: number;
      tuned: boolean;
      cpuProf?: string;
      timeout: number;
      serverLog?: string;
    }>();
  const size = meshSizeOf(o);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-timeline-'));
  const meshDir = path.join(dir, 'mesh');
  await writeMesh(meshDir, size);
  const lines: LogLine[] = [];
  const serverLog = o.serverLog ? createWriteStream(o.serverLog) : undefined;
  const server = await startServer(
    o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : [],
    meshDir,
    (line) => {
      if (serverLog) serverLog.write(line + '\n');
      if (!line.includes('"folder source: ') && !line.includes('config pushed') && !line.includes('push superseded')) return;
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        /* not JSON */
      }
    },
    undefined,
    [...(o.tuned ? TUNED_SERVER_FLAGS : []), '--log-output-level', 'model:debug'],
  );
  const stats = new ProcStats(server.proc.pid!);
  const node = (i: number): ReturnType<typeof fleetNode> => fleetNode(i, size.namespaces, o.labels);
  const fleet = Array.from(
    { length: o.proxies },
    (_, i) => new FleetClient({ address: `127.0.0.1:${server.port}`, node: node(i), delta: false }),
  );
  const ns0 = namespaceOf(0, size);
  const affected = fleet.filter((_, i) => !size.scoped || node(i).metadata['NAMESPACE'] === ns0);
  const load = (): string =>
    os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  try {
    process.stderr.write(`timeline: ${o.proxies} proxies (${affected.length} affected), load ${load()}\n`);
    for (const c of fleet) c.connect();
    await waitFor('cold start', () => fleet.filter((c) => c.completeAt).length, fleet.length, o.timeout);
    await sleep(1000);
    const rows: (ChangeTimes & { note: string })[] = [];
    /** When each change began on the monotonic clock the server's --cpu-prof samples are timed by (µs). */
    const windows: number[] = [];
    let retries0 = fleet.reduce((n, c) => n + c.retries, 0);
    for (let k = 0; k < o.changes; k++) {
      fleetGc();
      await sleep(o.gapMs);
      const marks = affected.map((c) => c.arrivals.length);
      const from = lines.length;
      const cpu0 = stats.cpu();
      const fleetCpu0 = process.cpuUsage();
      const t0 = epoch(performance.now());
      windows.push(Number(process.hrtime.bigint() / 1000n));
      await writeFile(path.join(meshDir, 'ep-0.yaml'), sliceYaml(0, size, k + 1));
      const written = epoch(performance.now());
      const eds = (c: FleetClient, i: number): number | undefined => c.arrivals.slice(marks[i]).find((a) => a.typeUrl === EDS)?.at;
      await waitFor(`change ${k + 1}`, () => affected.filter((c, i) => eds(c, i) !== undefined).length, affected.length, 30_000);
      await sleep(300);
      const arrivals = affected
        .map(eds)
        .filter((x): x is number => x !== undefined)
        .map(epoch);
      const fc = process.cpuUsage(fleetCpu0);
      const pushes = lines.slice(from).filter((l) => l.msg === 'config pushed' || l.msg === 'push superseded by a newer change');
      const pushed = pushes.find((l) => l.msg === 'config pushed');
      const retries = fleet.reduce((n, c) => n + c.retries, 0);
      const note = `load ${load()}; server cpu ${((stats.cpu() - cpu0) * 1000).toFixed(0)} ms, fleet cpu ${((fc.user + fc.system) / 1000).toFixed(0)} ms; buildMs ${pushed?.buildMs ?? '?'}, pushMs ${pushed?.pushMs ?? '?'}, slices ${pushed?.slices ?? '?'}, responses ${pushed?.responses ?? '?'}, ${arrivals.length}/${affected.length} arrived; pushes ${pushes.length} (kinds ${[...new Set(pushes.flatMap((l) => l.kinds ?? []))].join(',')}), fleet retries ${retries - retries0}`;
      retries0 = retries;
      rows.push({ ...changeTimes(t0, written, lines.slice(from), arrivals), note });
    }
    process.stdout.write(`ms after the write began (epoch clock shared by server and fleet)\n${timelineTable(rows)}\n`);
    if (o.cpuProf) {
      await writeFile(path.join(o.cpuProf, 'changes.json'), JSON.stringify({ startsUs: windows }));
      process.stderr.write(`the changes' start times (monotonic µs, as the profile's samples): ${path.join(o.cpuProf, 'changes.json')}\n`);
    }
  } finally {
    for (const c of fleet) c.stop();
    stats.stop();
    await stopChild(server.proc);
    serverLog?.end();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
