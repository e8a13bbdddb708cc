/**
 * @module bench/eds-timeline
 * Where a change's time goes, from the file write to the last affected proxy: the bench's
 * mesh and fleet (meshgen.ts, e2e/fleet) against the real server launched as deployed (launch.ts),
 * then `--changes N` changes, each timed on one clock shared by both processes (epoch milliseconds
 * from performance.timeOrigin). `--change eds` (default): rolling updates of `ep-0.yaml` (one address
 * gone, one new: pushed at once), timed to the affected proxies' EDS; `--change vs`: svc-0's
 * VirtualService weight edited in `vs.yaml` (as the bench's VirtualService change), timed to their RDS:
 *
 *   write → noticed (fs event) → parsed (worker) → emitted → store (fold) → push start (after the
 *   mesh build) → push end (every response queued and, within the byte budget, written) →
 *   first / p50 / p99 / last arrival at the affected proxies
 *
 * The server's steps come from its own logs (`--log-output-level model:debug`: the folder source's
 * steps; `config pushed`: firstChangeAt, buildMs, startedAt, endedAt). The load average is printed
 * with every change: the machine is shared. With `--cpu-prof DIR` the server's profile is cut to the
 * change windows (write → 300 ms after the last arrival, so ACKs count) and summarized by area and
 * function (bench/cpuprof-cut.ts).
 *
 *   node dist/bench/eds-timeline.js --heavy --services 1000 --endpoints-per-service 10 --namespaces 10 \
 *     --proxies 2000 --labels deployment [--change eds|vs] [--changes 8] [--gap-ms 1500] [--tuned] [--cpu-prof dir]
 */
import { createWriteStream } from 'node:fs';
import { meshSizeOptions } from './mesh-options.js';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { FleetClient } from '../e2e/fleet/client.js';
import { EDS, RDS } from '../proto/typeurls.js';
import { cutProfile, profileText, type CpuProfile, type Window } from './cpuprof-cut.js';
import { fleetNode, type LabelShape } from './fleetnode.js';
import { startServer, stopChild, TUNED_SERVER_FLAGS } from './launch.js';
import { flatEditWeight, namespaceOf, routingYaml, sliceYaml, writeMesh } from './meshgen.js';
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
  const o = meshSizeOptions(new Command('eds-timeline'), { services: 200, endpointsPerService: 10, namespaces: 10, proxies: 500 })
    .addOption(new Option('--labels <shape>', "proxies' LABELS").choices(['deployment', 'pod', 'none']).default('deployment'))
    .option('--heavy', 'the heavy shape', false)
    .addOption(
      new Option('--change <kind>', 'what changes: an EndpointSlice (eds) or a VirtualService (vs)').choices(['eds', 'vs']).default('eds'),
    )
    .option('--changes <n>', 'changes to time', Number, 8)
    .option('--gap-ms <n>', 'quiet time between changes', Number, 1500)
    .option('--tuned', "the bench's tuned server flags", false)
    .option('--fleet-window <bytes>', "the fleet's HTTP/2 receive windows (grpc-js default: 64 KiB; Envoy's: 268435456)", Number)
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
      change: 'eds' | 'vs';
      changes: number;
      gapMs: number;
      tuned: boolean;
      fleetWindow?: number;
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
    (_, i) =>
      new FleetClient({
        address: `127.0.0.1:${server.port}`,
        node: node(i),
        delta: false,
        ...(o.fleetWindow ? { flowControlWindow: o.fleetWindow } : {}),
      }),
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
    /** Each change's window on the monotonic clock the server's --cpu-prof samples are timed by (µs). */
    const windows: [number, number][] = [];
    const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);
    const [file, typeUrl] = o.change === 'vs' ? ['vs.yaml', RDS] : ['ep-0.yaml', EDS];
    const content = (k: number): string => (o.change === 'vs' ? routingYaml(size, flatEditWeight(k + 1)) : sliceYaml(0, size, k + 1));
    let retries0 = fleet.reduce((n, c) => n + c.retries, 0);
    for (let k = 0; k < o.changes; k++) {
      fleetGc();
      await sleep(o.gapMs);
      const marks = affected.map((c) => c.arrivals.length);
      const from = lines.length;
      const cpu0 = stats.cpu();
      const fleetCpu0 = process.cpuUsage();
      const t0 = epoch(performance.now());
      const start = monoUs();
      await writeFile(path.join(meshDir, file), content(k));
      const written = epoch(performance.now());
      const eds = (c: FleetClient, i: number): number | undefined => c.arrivals.slice(marks[i]).find((a) => a.typeUrl === typeUrl)?.at;
      await waitFor(`change ${k + 1}`, () => affected.filter((c, i) => eds(c, i) !== undefined).length, affected.length, 30_000);
      await sleep(300);
      windows.push([start, monoUs()]);
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
    if (o.cpuProf) await writeFile(path.join(o.cpuProf, 'changes.json'), JSON.stringify({ windowsUs: windows }));
  } finally {
    for (const c of fleet) c.stop();
    stats.stop();
    await stopChild(server.proc);
    serverLog?.end();
    await rm(dir, { recursive: true, force: true });
  }
  if (o.cpuProf) await summarizeProfile(o.cpuProf);
}

/** The server's profiles in `dir` (its main thread's and its parse worker's), each cut to the windows of changes.json, printed. */
async function summarizeProfile(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile')).sort();
  if (!names.length) return void process.stderr.write(`no .cpuprofile in ${dir}\n`);
  const { windowsUs } = JSON.parse(await readFile(path.join(dir, 'changes.json'), 'utf8')) as { windowsUs: Window[] };
  for (const name of names) {
    const profile = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as CpuProfile;
    process.stdout.write(`\n${path.join(dir, name)}\n${profileText(cutProfile(profile, windowsUs), windowsUs.length)}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
