/**
 * @module bench/run
 * `npm run bench`: the command line. By default runs the scenarios (scenarios.ts: the real
 * `tspilot serve` in a child process on the mesh folder, or with `--source kube` on the Kubernetes
 * API server stand-in in another child (source.ts), a simulated fleet, then the bare grpc-js ceiling), prints
 * the table (report.ts), writes a PNG of the latency CDFs and optionally JSON. `--soak`, `--cli`
 * and `--flat` run the other benches instead (soak.ts, cli.ts, flat.ts).
 */
import { writeFile } from 'node:fs/promises';
import { meshSizeOptions } from './mesh-options.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { plotCdf } from './plot.js';
import { plotMemory } from './memsample.js';
import { soakMain } from './soak.js';
import { parseDuration } from '../model/duration.js';
import { flatMain, flatTable } from './flat.js';
import { startServer, stopChild, TUNED_SERVER_FLAGS } from './launch.js';
import { table } from './report.js';
import { meshSizeOf, runBench, type BenchOptions } from './scenarios.js';

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
  const p = meshSizeOptions(new Command('bench'), { services: 50, endpointsPerService: 3, namespaces: 5, proxies: 20 })
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
    .addOption(
      new Option(
        '--source <kind>',
        'where the server reads the mesh: file (the folder; changes are file writes) or kube (the Kubernetes API server stand-in in its own process; changes are API writes the server sees as watch events)',
      )
        .choices(['file', 'kube'])
        .default('file'),
    )
    .option('--churn-seconds <n>', 'churn scenario length', Number, 3)
    .option('--churn-rate <n>', 'endpoint changes per second during churn', Number, 2)
    .option('--json <file>', 'write machine-readable results')
    .option('--png <file>', 'latency CDF plot', 'bench-latency.png')
    .option('--cpu-prof <dir>', 'run the server with node --cpu-prof into this folder')
    .option('--tuned', "the server with the bench's tuned flags (20 ms debounce, 200 ms folder poll) instead of its defaults", false)
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
  const o = p.opts<BenchOptions & SoakFlags & { cli: boolean; runs: number; flat?: string; edits: number }>();
  if (o.source === 'kube' && (o.flat || o.cli || o.soak))
    throw new InvalidArgumentError('--source kube runs the scenarios only (--flat, --soak and --cli read the mesh folder)');
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
      start: (meshDir, onLine) =>
        startServer(
          o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : [],
          meshDir,
          onLine,
          undefined,
          o.tuned ? TUNED_SERVER_FLAGS : [],
        ),
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
    const size = meshSizeOf(o);
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
    `tspilot: ${r.size.services} svc × ${r.size.endpointsPerService} ep, ${r.size.proxies} ${r.size.delta ? 'delta' : 'SotW'} proxies, source ${r.source.kind}`,
    r.scenarios.map((s) => ({ name: s.name, ms: s.ms })),
  );
  process.stderr.write(`plot: ${o.png}\n`);
  if (r.memory?.samples.length) {
    const memPng = o.png.replace(/(\.png)?$/, '-memory.png');
    await plotMemory(
      memPng,
      `tspilot server memory: ${r.size.services} svc, ${r.size.proxies} ${r.size.delta ? 'delta' : 'SotW'} proxies`,
      r.memory.samples,
      r.memory.marks,
    );
    process.stderr.write(`plot: ${memPng}\n`);
  }
  if (o.json) await writeFile(o.json, JSON.stringify({ ...r, scenarios: r.scenarios.map(({ ms: _ms, ...s }) => s) }, null, 2));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
