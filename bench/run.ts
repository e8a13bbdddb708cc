/**
 * @module bench/run
 * `npm run bench`: generates a synthetic mesh (meshgen.ts), starts the real `tspilot serve` in a
 * child process on 127.0.0.1 (so its CPU and RSS are measured apart from the fleet), connects a
 * fleet of simulated sidecars (e2e/fleet) and runs the scenarios — cold start, VirtualService
 * change, endpoint change (EDS only), endpoint churn, reconnect storm — then replays the same
 * pre-encoded responses from a bare grpc-js server (ceiling.ts) to the same fleet for the
 * physical limit. Prints a table, writes a PNG of the latency CDFs and optionally JSON.
 * Sidecar scoping is not used (the Sidecar resource is not translated yet): every proxy sees every service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { FleetClient } from '../e2e/fleet/client.js';
import { EDS, RDS, SHORT, isXdsType } from '../proto/typeurls.js';
import type { WireNode } from '../proto/wire.js';
import { ProcStats } from './proc.js';
import { eachLine } from '../e2e/lines.js';
import { LOCAL_FREE_PORTS } from '../e2e/tspilot.js';
import { namespaceOf, routingYaml, sliceYaml, writeMesh, type MeshSize, type Routing } from './meshgen.js';
import { plotCdf } from './plot.js';
import { soakMain } from './soak.js';
import { parseDuration } from '../model/duration.js';
import { benchTls } from './tls.js';
import { fleetNode, type LabelShape } from './fleetnode.js';
import { flatMain, flatTable } from './flat.js';
import { launchCommand } from '../server/launch.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ScenarioResult {
  readonly name: string;
  readonly proxies: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly bytesSent: number;
  /** Responses of types other than the scenario's target (EDS-only check). */
  readonly otherTypes: Record<string, number>;
  readonly unconverged: number;
  /** Server-side pushes during the scenario: time spent computing them, and change → push done. */
  readonly pushes: number;
  readonly pushMs: number;
  readonly changeToPushMs: number;
  /** CPU seconds of the bench process (the simulated fleet) during the scenario. */
  readonly fleetCpuSeconds: number;
  /** The fleet used over ~90 % of a core: latencies measure the fleet as much as the server. */
  readonly fleetBound: boolean;
  readonly ms: number[];
}

export interface BenchResult {
  readonly size: MeshSize & { proxies: number; delta: boolean };
  readonly scoped: boolean;
  readonly configBytesPerProxy: number;
  readonly scenarios: ScenarioResult[];
  readonly ceiling: { coldStartMs: number; bytes: number; mbPerS: number };
  readonly tspilotColdMbPerS: number;
  readonly throughputRatio: number;
  /** Fleet streams that failed and were retried (as Envoy would). */
  readonly fleetRetries: number;
}

/** Max without spreading (a minute of churn gives hundreds of thousands of samples). */
const maxOf = (v: readonly number[]): number => v.reduce((a, b) => (b > a ? b : a), 0);

function pct(v: number[], p: number): number {
  if (!v.length) return 0;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function startChild(
  args: string[],
  ready: (line: string) => number | null,
  onLine: (line: string) => void = () => {},
  launch: { command: string; env: NodeJS.ProcessEnv } = { command: process.execPath, env: process.env },
): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(launch.command, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT, env: launch.env });
  return new Promise((resolve, reject) => {
    eachLine(proc.stdout!, (line) => {
      onLine(line);
      const port = ready(line);
      if (port !== null) resolve({ proc, port });
    });
    proc.on('exit', (code) => reject(new Error(`child exited (${code}) before it was ready: ${args.join(' ')}`)));
  });
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

const node = (i: number, size: MeshSize, labels: LabelShape = 'deployment'): WireNode => fleetNode(i, size.namespaces, labels);

/**
 * `tspilot serve` on the mesh folder with the bench's flags, on free ports, launched as deployed
 * (the environment and node flags of main.js's first line, server/launch.ts); resolves once it listens.
 */
function startServer(
  nodeArgs: string[],
  meshDir: string,
  onLine: (line: string) => void,
  tls?: { readonly serverArgs: readonly string[] },
): Promise<{ proc: ChildProcess; port: number }> {
  const launch = launchCommand(path.join(ROOT, 'dist/server/main.js'), ['serve'], nodeArgs);
  return startChild(
    [
      ...launch.args,
      '--config-dir',
      meshDir,
      ...LOCAL_FREE_PORTS,
      '--debounce-after',
      '20ms',
      '--poll-interval',
      '200ms',
      '--log-level',
      'info',
      ...(tls?.serverArgs ?? []),
    ],
    (line) => {
      try {
        const l = JSON.parse(line) as { msg?: string; xds?: number; xdsTls?: number };
        return l.msg === 'listening' ? ((tls ? l.xdsTls : l.xds) ?? null) : null;
      } catch {
        return null;
      }
    },
    onLine,
    launch,
  );
}

function scopeText(size: MeshSize): string {
  return size.scoped ? 'scoped by a root Sidecar (egress ./*, istio-system/*)' : 'unscoped (every proxy sees every service)';
}

/** Waits until `done()` or timeout, printing progress every second. */
async function waitFor(label: string, done: () => number, total: number, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  let lastPrint = 0;
  for (;;) {
    const n = done();
    if (n >= total) break;
    if (Date.now() - t0 > timeoutMs) {
      process.stderr.write(`  ${label}: timed out with ${n}/${total}\n`);
      break;
    }
    if (Date.now() - lastPrint > 1000) {
      process.stderr.write(`  ${label}: ${n}/${total} converged…\n`);
      lastPrint = Date.now();
    }
    await sleep(20);
  }
}

interface Opts {
  serverNodeArgs?: string;
  services: number;
  endpointsPerService: number;
  namespaces: number;
  proxies: number;
  delta: boolean;
  json?: string;
  png: string;
  churnSeconds: number;
  churnRate: number;
  cpuProf?: string;
  timeout: number;
  unscoped?: boolean;
  tls?: boolean;
  labels?: LabelShape;
  heavy?: boolean;
  /** The routed services' split as VirtualServices over subsets (default), over version Services, or Gateway API HTTPRoutes. */
  routes?: Routing;
}

export async function runBench(o: Opts): Promise<BenchResult> {
  const size: MeshSize = {
    services: o.services,
    endpointsPerService: o.endpointsPerService,
    namespaces: o.namespaces,
    routedShare: 0.1,
    scoped: !o.unscoped,
    heavy: o.heavy === true,
    routing: o.routes ?? 'virtualservice',
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-bench-'));
  const meshDir = path.join(dir, 'mesh');
  const recDir = path.join(dir, 'recorded');
  await writeMesh(meshDir, size);
  await mkdir(recDir);
  const log = (s: string): void => {
    process.stderr.write(s + '\n');
  };
  log(
    `bench: ${o.services} services × ${o.endpointsPerService} endpoints in ${o.namespaces} namespaces, ${o.proxies} ${o.delta ? 'delta' : 'SotW'} proxies (labels: ${o.labels ?? 'deployment'}), ${scopeText(size)}${size.heavy ? ', heavy shape (2 ports, DestinationRule with 2 subsets on every service, Pods)' : ''}${size.routing && size.routing !== 'virtualservice' ? `, routing: ${size.routing}` : ''}`,
  );
  const pushLog: { pushMs: number; sinceChangeMs: number }[] = [];
  const tls = o.tls
    ? await benchTls(
        dir,
        Array.from({ length: o.namespaces }, (_, k) => `ns-${k}`),
      )
    : undefined;
  if (tls) log('bench: the fleet dials the TLS xDS port with a JWT per namespace (--jwt-keys)');
  const nodeArgs = [
    ...(o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : []),
    ...(o.serverNodeArgs ? o.serverNodeArgs.split(' ').filter(Boolean) : []),
  ];
  const server = await startServer(
    nodeArgs,
    meshDir,
    (line) => {
      if (!line.includes('config pushed')) return;
      try {
        const l = JSON.parse(line) as { pushMs: number; sinceChangeMs: number };
        pushLog.push({ pushMs: l.pushMs, sinceChangeMs: l.sinceChangeMs });
      } catch {
        /* not JSON */
      }
    },
    tls,
  );
  const stats = new ProcStats(server.proc.pid!);
  const address = `127.0.0.1:${server.port}`;
  const fleet = Array.from(
    { length: o.proxies },
    (_, i) =>
      new FleetClient({
        address,
        node: node(i, size, o.labels),
        delta: o.delta,
        keepFirst: i === 0,
        ...(tls ? { tls: tls.client(node(i, size, o.labels).metadata['NAMESPACE'] as string) } : {}),
      }),
  );
  const scenarios: ScenarioResult[] = [];
  const measure = async (
    name: string,
    run: () => Promise<void>,
    latencies: () => number[],
    extra: () => Partial<ScenarioResult> = () => ({}),
  ): Promise<void> => {
    log(`scenario: ${name}`);
    const cpu0 = stats.cpu();
    const fleetCpu0 = process.cpuUsage();
    const wall0 = performance.now();
    stats.resetPeak();
    const bytes0 = fleet.reduce((a, c) => a + c.bytes, 0);
    const push0 = pushLog.length;
    await run();
    const ms = latencies();
    const pushes = pushLog.slice(push0);
    const fc = process.cpuUsage(fleetCpu0);
    const fleetCpuSeconds = (fc.user + fc.system) / 1e6;
    const wallS = (performance.now() - wall0) / 1000;
    scenarios.push({
      fleetCpuSeconds,
      fleetBound: wallS > 0 && fleetCpuSeconds / wallS > 0.9,
      name,
      proxies: fleet.length,
      p50: pct(ms, 50),
      p99: pct(ms, 99),
      max: maxOf(ms),
      cpuSeconds: stats.cpu() - cpu0,
      peakRssMb: stats.peakMb(),
      bytesSent: fleet.reduce((a, c) => a + c.bytes, 0) - bytes0,
      otherTypes: {},
      unconverged: fleet.length - ms.length,
      ms,
      pushes: pushes.length,
      pushMs: pushes.reduce((a, p) => a + p.pushMs, 0),
      changeToPushMs: maxOf(pushes.map((p) => p.sinceChangeMs)),
      ...extra(),
    });
  };
  const coldStart = async (label: string): Promise<number[]> => {
    const t0 = performance.now();
    for (const c of fleet) c.connect();
    await waitFor(label, () => fleet.filter((c) => c.completeAt).length, fleet.length, o.timeout);
    return fleet.filter((c) => c.completeAt).map((c) => c.completeAt - t0);
  };
  // A change to service 0 (namespace ns-0) affects every proxy unscoped, only ns-0's proxies scoped.
  const svc0Ns = namespaceOf(0, size);
  const affected = fleet.map((_, k) => !size.scoped || node(k, size).metadata['NAMESPACE'] === svc0Ns);
  const nAffected = affected.filter(Boolean).length;
  /** Latency until each affected client receives `type` after t0; counts other types (on every client). */
  const change = async (
    label: string,
    type: string,
    write: () => Promise<void>,
  ): Promise<{ ms: number[]; other: Record<string, number> }> => {
    const marks = fleet.map((c) => c.arrivals.length);
    const t0 = performance.now();
    await write();
    const arrivedAt = (c: FleetClient, k: number): number | undefined => c.arrivals.slice(marks[k]).find((a) => a.typeUrl === type)?.at;
    await waitFor(label, () => fleet.filter((c, k) => affected[k] && arrivedAt(c, k) !== undefined).length, nAffected, o.timeout);
    await sleep(300); // let stragglers of other types show up
    const other: Record<string, number> = {};
    fleet.forEach((c, k) => {
      for (const a of c.arrivals.slice(marks[k]))
        if (a.typeUrl !== type)
          other[isXdsType(a.typeUrl) ? SHORT[a.typeUrl] : a.typeUrl] =
            (other[isXdsType(a.typeUrl) ? SHORT[a.typeUrl] : a.typeUrl] ?? 0) + 1;
    });
    return {
      ms: fleet
        .map((c, k) => (affected[k] ? arrivedAt(c, k) : undefined))
        .filter((x): x is number => x !== undefined)
        .map((x) => x - t0),
      other,
    };
  };

  let ms: number[] = [];
  let other: Record<string, number> = {};
  let churnMissed = 0;
  await measure(
    'cold start',
    async () => {
      ms = await coldStart('cold start');
    },
    () => ms,
  );
  const configBytesPerProxy = Math.round(fleet.reduce((a, c) => a + c.bytes, 0) / fleet.length);
  for (const [t, b] of fleet[0]!.first) await writeFile(path.join(recDir, `${o.delta ? 'delta' : 'sotw'}-${encodeURIComponent(t)}.bin`), b);
  await sleep(500);
  await measure(
    size.routing === 'httproute' ? 'HTTPRoute change' : 'VirtualService change',
    async () => {
      ({ ms, other } = await change('route change', RDS, () => writeFile(path.join(meshDir, 'vs.yaml'), routingYaml(size, 70))));
    },
    () => ms,
    () => ({ otherTypes: other, unconverged: nAffected - ms.length }),
  );
  await sleep(500);
  await measure(
    'endpoint change',
    async () => {
      ({ ms, other } = await change('endpoint change', EDS, () => writeFile(path.join(meshDir, 'ep-0.yaml'), sliceYaml(0, size, 1))));
    },
    () => ms,
    () => ({ otherTypes: other, unconverged: nAffected - ms.length }),
  );
  await sleep(500);
  await measure(
    `churn (${o.churnRate}/s for ${o.churnSeconds}s)`,
    async () => {
      const marks = fleet.map((c) => c.arrivals.length);
      const changes: number[] = [];
      const end = performance.now() + o.churnSeconds * 1000;
      let v = 2;
      while (performance.now() < end) {
        changes.push(performance.now());
        await writeFile(path.join(meshDir, 'ep-0.yaml'), sliceYaml(0, size, v++));
        process.stderr.write(`  churn: change ${v - 2}\n`);
        await sleep(1000 / o.churnRate);
      }
      await sleep(1500);
      ms = [];
      fleet.forEach((c, k) => {
        if (!affected[k]) return;
        const eds = c.arrivals
          .slice(marks[k])
          .filter((a) => a.typeUrl === EDS)
          .map((a) => a.at);
        for (const tc of changes) {
          const hit = eds.find((at) => at > tc);
          if (hit !== undefined) ms.push(hit - tc);
        }
      });
      churnMissed = fleet.filter((c, k) => affected[k] && !c.arrivals.slice(marks[k]).some((a) => a.typeUrl === EDS)).length;
    },
    () => ms,
    () => ({ unconverged: churnMissed }),
  );
  await sleep(500);
  await measure(
    'reconnect storm',
    async () => {
      for (const c of fleet) c.stop();
      ms = await coldStart('reconnect storm');
    },
    () => ms,
  );
  for (const c of fleet) c.stop();
  stats.stop();
  await stopChild(server.proc);

  // The ceiling: the same bytes from a bare grpc-js server to the same fleet.
  log(`ceiling: bare grpc-js server replaying the same responses${tls ? " over TLS (the fleet's own TLS cost, no authentication)" : ''}`);
  const ceiling = await startChild(
    [path.join(ROOT, 'dist/bench/ceiling.js'), recDir, ...(tls ? [tls.certFile, tls.keyFile] : [])],
    (line) => {
      try {
        return (JSON.parse(line) as { port: number }).port;
      } catch {
        return null;
      }
    },
  );
  const cfleet = Array.from(
    { length: o.proxies },
    (_, i) =>
      new FleetClient({
        address: `127.0.0.1:${ceiling.port}`,
        node: node(i, size, o.labels),
        delta: o.delta,
        ...(tls ? { tls: tls.client(node(i, size, o.labels).metadata['NAMESPACE'] as string) } : {}),
      }),
  );
  const ct0 = performance.now();
  for (const c of cfleet) c.connect();
  await waitFor('ceiling', () => cfleet.filter((c) => c.completeAt).length, cfleet.length, o.timeout);
  const cms = cfleet.filter((c) => c.completeAt).map((c) => c.completeAt - ct0);
  const cbytes = cfleet.reduce((a, c) => a + c.bytes, 0);
  for (const c of cfleet) c.stop();
  await stopChild(ceiling.proc);
  const cold = scenarios[0]!;
  const ceilingMs = maxOf(cms);
  const ceil = { coldStartMs: ceilingMs, bytes: cbytes, mbPerS: cbytes / 1e6 / (ceilingMs / 1000 || 1) };
  const tspilotColdMbPerS = cold.bytesSent / 1e6 / (cold.max / 1000 || 1);
  scenarios.push({
    name: tls ? 'ceiling cold start (bare grpc-js, TLS)' : 'ceiling cold start (bare grpc-js)',
    proxies: cfleet.length,
    p50: pct(cms, 50),
    p99: pct(cms, 99),
    max: ceilingMs,
    cpuSeconds: 0,
    peakRssMb: 0,
    bytesSent: cbytes,
    otherTypes: {},
    unconverged: cfleet.length - cms.length,
    ms: cms,
    pushes: 0,
    pushMs: 0,
    changeToPushMs: 0,
    fleetCpuSeconds: 0,
    fleetBound: false,
  });
  await rm(dir, { recursive: true, force: true });
  return {
    size: { ...size, proxies: o.proxies, delta: o.delta },
    scoped: size.scoped,
    configBytesPerProxy,
    scenarios,
    ceiling: ceil,
    tspilotColdMbPerS,
    throughputRatio: ceil.mbPerS ? tspilotColdMbPerS / ceil.mbPerS : 0,
    fleetRetries: fleet.reduce((a, c) => a + c.retries, 0),
  };
}

export function table(r: BenchResult): string {
  const f = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const rows = r.scenarios.map(
    (s) =>
      `| ${s.name} | ${s.ms.length} (${s.proxies}) | ${f(s.p50)} | ${f(s.p99)} | ${f(s.max)} | ${s.cpuSeconds.toFixed(2)} | ${s.peakRssMb ? s.peakRssMb.toFixed(0) : '—'} | ${(s.bytesSent / 1e6).toFixed(1)} | ${
        Object.entries(s.otherTypes)
          .map(([k, v]) => `${k}:${v}`)
          .join(' ') || '—'
      } | ${s.pushes ? `${s.pushes}: ${f(s.pushMs)} (${s.changeToPushMs})` : '—'} | ${s.fleetCpuSeconds.toFixed(2)}${s.fleetBound ? ' (fleet-bound)' : ''} |`,
  );
  return [
    `mesh: ${r.size.heavy ? 'heavy shape, ' : ''}${r.size.services} services × ${r.size.endpointsPerService} endpoints, ${r.size.namespaces} namespaces; ${r.size.proxies} ${r.size.delta ? 'delta' : 'SotW'} proxies; ${scopeText(r.size)}${r.size.routing === 'httproute' ? '; routing as Gateway API HTTPRoutes over version Services' : r.size.routing === 'virtualservice-services' ? '; routing as VirtualServices over version Services' : ''}`,
    `config per proxy: ${(r.configBytesPerProxy / 1024).toFixed(1)} KB`,
    '',
    '| scenario | samples (proxies) | p50 ms | p99 ms | max ms | server CPU s | server peak RSS MB | MB sent | other types pushed | pushes: compute ms (max change→pushed ms) | fleet CPU s |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `fleet streams that failed and were retried: ${r.fleetRetries}`,
    `cold start throughput: tspilot ${r.tspilotColdMbPerS.toFixed(1)} MB/s, ceiling ${r.ceiling.mbPerS.toFixed(1)} MB/s → ratio ${(r.throughputRatio * 100).toFixed(0)}%`,
  ].join('\n');
}

interface SoakFlags {
  soak: boolean;
  duration: number;
  warmup?: number;
  sampleEvery: number;
  connectsPerS: number;
  pollsPerS: number;
  editEvery: number;
  flapEvery: number;
  stable: number;
  maxGrowthMb: number;
  out?: string;
}

/** A duration flag ("30m", "90s") in seconds. */
function seconds(v: string): number {
  if (v.trim() === '0') return 0;
  const ms = parseDuration(v);
  if (ms === null || ms <= 0) throw new InvalidArgumentError(`"${v}" is not a duration (e.g. 30m, 90s)`);
  return ms / 1000;
}

async function main(): Promise<void> {
  const p = new Command('bench')
    .option('--services <n>', 'services', Number, 50)
    .option('--endpoints-per-service <n>', 'endpoints per service', Number, 3)
    .option('--namespaces <n>', 'namespaces', Number, 5)
    .option('--proxies <n>', 'simulated sidecars', Number, 20)
    .option('--delta', 'use delta xDS', false)
    .addOption(
      new Option(
        '--labels <shape>',
        "proxies' LABELS: deployment (shared per namespace), pod (per-pod label: every proxy its own class) or none",
      )
        .choices(['deployment', 'pod', 'none'])
        .default('deployment'),
    )
    .option('--tls', 'the fleet uses the TLS xDS port with JWTs, as pilot-agent does (the ceiling serves the same bytes over TLS)', false)
    .option('--heavy', 'the heavy shape: every service with two ports and a two-subset DestinationRule, every endpoint a Pod', false)
    .option('--unscoped', 'no root Sidecar: every proxy receives every service', false)
    .addOption(
      new Option(
        '--routes <form>',
        "the routed services' 90/10 split: VirtualServices over subsets, VirtualServices over version Services, or Gateway API HTTPRoutes (GAMMA) over the same version Services",
      )
        .choices(['virtualservice', 'virtualservice-services', 'httproute'])
        .default('virtualservice'),
    )
    .option('--churn-seconds <n>', 'churn scenario length', Number, 3)
    .option('--churn-rate <n>', 'endpoint changes per second during churn', Number, 2)
    .option('--json <file>', 'write machine-readable results')
    .option('--png <file>', 'latency CDF plot', 'bench-latency.png')
    .option('--cpu-prof <dir>', 'run the server with node --cpu-prof into this folder')
    .option('--server-node-args <args>', 'extra node options for the server process (e.g. "--max-old-space-size=400")')
    .option('--timeout <ms>', 'longest wait per scenario', Number, 600_000)
    .option(
      '--soak',
      "instead of the scenarios: a long run under mixed churn that fails if the server's memory grows (bench/soak.ts)",
      false,
    )
    .option('--duration <d>', 'soak: length of the run', seconds, 1800)
    .option('--warmup <d>', 'soak: left out of the growth fit (default: a sixth of the run, at most 5m)', seconds)
    .option('--sample-every <d>', 'soak: heap/RSS sampling interval', seconds, 10)
    .option('--connects-per-s <n>', 'soak: fresh xDS clients per second', Number, 5)
    .option('--polls-per-s <n>', 'soak: fresh REST-JSON polls per second (and as many v1 polls)', Number, 5)
    .option('--edit-every <d>', 'soak: a config edit this often (0: none)', seconds, 15)
    .option('--flap-every <d>', 'soak: an endpoint flap this often (0: none)', seconds, 5)
    .option('--stable <n>', 'soak: long-lived clients', Number, 4)
    .option('--max-growth-mb <n>', 'soak: allowed heap growth over the measured window (RSS: twice that)', Number, 16)
    .option('--out <file.md>', 'soak: write the run as markdown (and the plot next to it, .png); --cli: the table as markdown')
    .option('--cli', 'instead of the scenarios: CLI startup times as a ratio to node -e 0 (bench/cli.ts)', false)
    .option('--runs <n>', 'cli: runs per command', Number, 10)
    .option(
      '--flat <services>',
      'instead of the scenarios: server push ms of one VirtualService edit at each of these service counts (comma-separated, e.g. 250,1000,4000)',
    )
    .option('--edits <n>', 'flat: VirtualService edits per size (the median is reported)', Number, 7)
    .parse();
  const o = p.opts<Opts & SoakFlags & { cli: boolean; runs: number; flat?: string; edits: number }>();
  if (o.flat) {
    const sizes = o.flat.split(',').map((x) => Number(x.trim()));
    if (sizes.some((n) => !Number.isInteger(n) || n <= 0))
      throw new InvalidArgumentError(`--flat: "${o.flat}" is not a list of service counts`);
    const fo = {
      sizes,
      proxies: o.proxies,
      edits: o.edits,
      endpointsPerService: o.endpointsPerService,
      namespaces: o.namespaces,
      heavy: o.heavy === true,
      timeoutMs: o.timeout,
      png: o.png === 'bench-latency.png' ? 'bench-flat.png' : o.png,
    };
    const rows = await flatMain(fo, {
      start: (meshDir, onLine) => startServer(o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : [], meshDir, onLine),
      stop: stopChild,
    });
    const t = flatTable(rows, fo);
    process.stdout.write(t + '\n');
    if (o.out) await writeFile(o.out, t + '\n');
    process.stderr.write(`plot: ${fo.png}\n`);
    return;
  }
  if (o.cli) {
    const { cliMain } = await import('./cli.js');
    process.exitCode = await cliMain({ runs: o.runs, ...(o.out ? { out: o.out } : {}) });
    return;
  }
  if (o.soak) {
    const size: MeshSize = {
      services: o.services,
      endpointsPerService: o.endpointsPerService,
      namespaces: o.namespaces,
      routedShare: 0.1,
      scoped: !o.unscoped,
    };
    process.exitCode = await soakMain({
      durationS: o.duration,
      warmupS: o.warmup ?? Math.min(300, o.duration / 6),
      sampleS: o.sampleEvery,
      size,
      floorMb: o.maxGrowthMb,
      serverNodeArgs: o.serverNodeArgs,
      rates: { connectsPerS: o.connectsPerS, pollsPerS: o.pollsPerS, editEveryS: o.editEvery, flapEveryS: o.flapEvery, stable: o.stable },
      png: o.png === 'bench-latency.png' ? 'soak-memory.png' : o.png,
      out: o.out,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
    });
    return;
  }
  const r = await runBench(o);
  process.stdout.write(table(r) + '\n');
  await plotCdf(
    o.png,
    `tspilot: ${r.size.services} svc × ${r.size.endpointsPerService} ep, ${r.size.proxies} ${r.size.delta ? 'delta' : 'SotW'} proxies`,
    r.scenarios.map((s) => ({ name: s.name, ms: s.ms })),
  );
  process.stderr.write(`plot: ${o.png}\n`);
  if (o.json) await writeFile(o.json, JSON.stringify({ ...r, scenarios: r.scenarios.map(({ ms: _ms, ...s }) => s) }, null, 2));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
