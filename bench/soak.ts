/**
 * @module bench/soak
 * `npm run bench -- --soak [--duration 30m]`: runs the real `tspilot serve` in a child process
 * (127.0.0.1, free ports) on a synthetic mesh under mixed churn (bench/soakload.ts) for the whole
 * duration, and samples the server's V8 heap (`nodejs_heap_size_used_bytes` from its /metrics)
 * and RSS (/proc) every `--sample-every`. Sampled heap includes garbage not yet collected (a
 * sawtooth of tens of MB under churn), so the server also runs with `--trace-gc` and the live
 * heap after each full (mark-compact) collection is read from its output: that series decides.
 * After the warm-up it fits a line through the live heap and RSS (bench/slope.ts) and fails —
 * exit code 1 — if either grows beyond the allowance and the noise, or if the server dies. Prints progress while running, a verdict at the end, draws heap and RSS
 * over time (PNG) and, with `--out`, writes the run as markdown (machine, commit, settings,
 * activity, fits, samples) for bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eachLine } from '../e2e/lines.js';
import { launchTspilot, LOCAL_FREE_PORTS, REPO_ROOT } from '../e2e/tspilot.js';
import { usage } from './proc.js';
import { writeMesh, type MeshSize } from './meshgen.js';
import { plotSeries } from './plot.js';
import { trend, type Trend } from './slope.js';
import { startLoad, type LoadCounts, type LoadRates } from './soakload.js';

export interface SoakOpts {
  readonly durationS: number;
  readonly warmupS: number;
  readonly sampleS: number;
  readonly size: MeshSize;
  readonly rates: LoadRates;
  /** Allowed growth over the measured window (MB) for the heap; RSS gets twice as much. */
  readonly floorMb: number;
  readonly serverNodeArgs?: string;
  readonly png: string;
  readonly out?: string;
  /** The command line, for the record. */
  readonly command: string;
}

export interface SoakSample {
  readonly t: number;
  readonly heapMb: number;
  readonly rssMb: number;
  readonly live: number;
  readonly connects: number;
  readonly polls: number;
}

export interface SoakResult {
  readonly samples: SoakSample[];
  /** Live heap after each full garbage collection (from --trace-gc). */
  readonly gc: { t: number; mb: number }[];
  /** The heap verdict: over `gc` when it has enough points after the warm-up, else over the sampled heap. */
  readonly heap: Trend;
  readonly heapSource: string;
  readonly rss: Trend;
  readonly counts: LoadCounts;
  /** Long-lived clients connected and holding every type at the end. */
  readonly stable: { readonly total: number; complete: number };
  readonly logs: { warn: number; error: number; lastError: string };
  /** Set when the server exited during the run. */
  readonly died: string | null;
  readonly pass: boolean;
  readonly seconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mm = (s: number): string => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/** The server's own view of its heap, from the metrics prom-client exposes on the monitoring port. */
async function heapUsedMb(port: number): Promise<number | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
    return m ? Number(m[1]) / 2 ** 20 : null;
  } catch {
    return null;
  }
}

export async function runSoak(o: SoakOpts, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<SoakResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-soak-'));
  const meshDir = path.join(dir, 'mesh');
  await writeMesh(meshDir, o.size);
  const { process: server, up } = await launchTspilot(
    ['--config-dir', meshDir, ...LOCAL_FREE_PORTS, '--poll-interval', '200ms', '--log-level', 'info'],
    (l) => l.msg === 'listening',
    { nodeArgs: ['--trace-gc', ...(o.serverNodeArgs ? o.serverNodeArgs.split(' ').filter(Boolean) : [])] },
  );
  const pid = server.proc.pid!;
  const gc: { t: number; mb: number }[] = [];
  // e.g. "[7:0x5e8e6b0]   91585 ms: Mark-Compact 139.5 (150.0) -> 60.0 (146.0) MB, …": used after the collection.
  eachLine(server.proc.stdout!, (line) => {
    const m = /: Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(line);
    if (m) gc.push({ t: (performance.now() - t0) / 1000, mb: Number(m[1]) });
  });
  let died: string | null = null;
  let closing = false;
  let stderr = '';
  server.proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  server.proc.once('exit', (code, signal) => {
    if (!closing)
      died = `server exited (code ${code}, signal ${signal}) after ${mm((performance.now() - t0) / 1000)}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
  });
  const logs = { warn: 0, error: 0, lastError: '' };
  const drainLogs = (): void => {
    for (const l of server.logs.splice(0)) {
      if (l.level === 'error' || l.level === 'fatal') {
        logs.error++;
        logs.lastError = l.msg;
      } else if (l.level === 'warn') logs.warn++;
    }
  };
  log(
    `soak: ${o.size.services} services × ${o.size.endpointsPerService} endpoints in ${o.size.namespaces} namespaces; ${o.rates.connectsPerS} fresh xDS clients/s, ${o.rates.pollsPerS} REST + ${o.rates.pollsPerS} v1 polls/s, edit every ${o.rates.editEveryS}s, flap every ${o.rates.flapEveryS}s, ${o.rates.stable} stable clients; ${o.durationS}s (warm-up ${o.warmupS}s), sample every ${o.sampleS}s`,
  );
  const t0 = performance.now();
  const load = startLoad({
    xds: `127.0.0.1:${up['xds'] as number}`,
    http: up['http'] as number,
    meshDir,
    size: o.size,
    rates: o.rates,
    log,
  });
  const samples: SoakSample[] = [];
  const stable = { total: o.rates.stable, complete: 0 };
  const monitoring = up['monitoring'] as number;
  try {
    for (let k = 1; ; k++) {
      const wait = t0 + k * o.sampleS * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      drainLogs();
      if (died) break;
      const t = (performance.now() - t0) / 1000;
      const heap = await heapUsedMb(monitoring);
      const rss = usage(pid).rssMiB;
      const c = load.counts;
      if (heap !== null) samples.push({ t, heapMb: heap, rssMb: rss, live: load.live(), connects: c.connects, polls: c.rest + c.v1 });
      log(
        `[${mm(t)}] heap ${heap === null ? '?' : heap.toFixed(1)} MB  RSS ${rss.toFixed(0)} MB | xDS live ${load.live()} (connects ${c.connects}, NACKs ${c.nacks}) | REST ${c.rest} (err ${c.restErrors}) v1 ${c.v1} (err ${c.v1Errors}) | edits ${c.edits} flaps ${c.flaps} | log warn ${logs.warn} error ${logs.error}${t < o.warmupS ? ' | warm-up' : ''}`,
      );
      if (t >= o.durationS) break;
    }
  } finally {
    stable.complete = load.stableComplete();
    await load.stop();
    drainLogs();
  }
  const seconds = (performance.now() - t0) / 1000;
  closing = true;
  await server.close();
  await rm(dir, { recursive: true, force: true });
  const live = trend(gc, o.warmupS, o.floorMb);
  const useGc = live.n >= 3;
  const heap = useGc
    ? live
    : trend(
        samples.map((s) => ({ t: s.t, mb: s.heapMb })),
        o.warmupS,
        o.floorMb,
      );
  const heapSource = useGc
    ? `live heap after each full GC (${gc.length} collections, ${live.n} after the warm-up)`
    : `sampled heap used (only ${live.n} full GCs after the warm-up: run longer for the live-heap verdict)`;
  const rss = trend(
    samples.map((s) => ({ t: s.t, mb: s.rssMb })),
    o.warmupS,
    o.floorMb * 2,
  );
  return { samples, gc, heap, heapSource, rss, counts: load.counts, stable, logs, died, pass: !died && !heap.grows && !rss.grows, seconds };
}

/** Machine and commit, for the record. */
function provenance(): { machine: string; commit: string } {
  const sh = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : '';
  return {
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`,
    commit: `${sh('git', ['rev-parse', '--short', 'HEAD'])}${dirty} — ${sh('git', ['log', '-1', '--format=%s'])}`,
  };
}

export function verdictText(r: SoakResult): string {
  const line = (name: string, t: Trend): string =>
    `${name}: ${t.firstMb.toFixed(1)} → ${t.lastMb.toFixed(1)} MB after warm-up; slope ${t.slopeMbPerHour.toFixed(1)} MB/h, noise σ ${t.noiseMb.toFixed(1)} MB; ${t.grows ? 'GROWS' : 'flat'} — ${t.reason}`;
  return [
    r.died ? `FAIL: ${r.died}` : `${r.pass ? 'PASS' : 'FAIL'}: memory ${r.pass ? 'stays flat' : 'grows'} under churn`,
    `long-lived clients holding every type at the end: ${r.stable.complete}/${r.stable.total}`,
    line('heap', r.heap) + ` [${r.heapSource}]`,
    line('RSS', r.rss),
  ].join('\n');
}

export function markdown(o: SoakOpts, r: SoakResult, png: string): string {
  const p = provenance();
  const c = r.counts;
  const every = Math.max(1, Math.round(60 / o.sampleS));
  const rows = r.samples
    .filter((_, i) => i % every === every - 1 || i === r.samples.length - 1)
    .map((s) => `| ${mm(s.t)} | ${s.heapMb.toFixed(1)} | ${s.rssMb.toFixed(0)} | ${s.live} | ${s.connects} | ${s.polls} |`);
  const fit = (name: string, t: Trend): string =>
    `| ${name} | ${t.n} | ${t.firstMb.toFixed(1)} | ${t.lastMb.toFixed(1)} | ${t.slopeMbPerHour.toFixed(1)} | ${t.growthMb.toFixed(1)} ± ${t.growthSeMb.toFixed(1)} | ${t.noiseMb.toFixed(1)} | ${t.grows ? '**grows**' : 'flat'} |`;
  return [
    `# Soak: ${Math.round(r.seconds / 60)} min of mixed churn — ${r.pass ? 'PASS' : 'FAIL'}`,
    '',
    '```',
    o.command,
    '```',
    '',
    `- Machine: ${p.machine}. Server and load share the cores with other work; figures are noisy.`,
    `- Commit: ${p.commit}`,
    `- Mesh: ${o.size.services} services × ${o.size.endpointsPerService} endpoints in ${o.size.namespaces} namespaces, ${o.size.scoped ? 'scoped by a root Sidecar' : 'unscoped'}; server \`--log-level info\`${o.serverNodeArgs ? `, node ${o.serverNodeArgs}` : ''}.`,
    `- Load: ${o.rates.connectsPerS} fresh xDS clients/s (SotW/Delta alternately, every 5th NACKs everything, each stays 2–8 s), ${o.rates.pollsPerS} REST-JSON + ${o.rates.pollsPerS} v1 polls/s with fresh node ids, a config edit every ${o.rates.editEveryS} s (VirtualService, DestinationRule, rename away/back, atomic replace), an endpoint flap every ${o.rates.flapEveryS} s, ${o.rates.stable} long-lived clients.`,
    `- Measured: heap used (\`nodejs_heap_size_used_bytes\` from the server's /metrics) and RSS (/proc) every ${o.sampleS} s, and the live heap after each full GC (the server runs with \`--trace-gc\`); least-squares fit after a ${o.warmupS} s warm-up over the live heap (sampled heap if fewer than 3 full GCs) and RSS. Growth fails when above ${o.floorMb} MB (heap) / ${o.floorMb * 2} MB (RSS) over the window and outside 2σ of the noise and 2 standard errors.`,
    '',
    '## Verdict',
    '',
    '```',
    verdictText(r),
    '```',
    '',
    '| series | samples | first MB | last MB | slope MB/h | growth over window MB | noise σ MB | verdict |',
    '|---|---|---|---|---|---|---|---|',
    fit(r.heapSource.startsWith('live') ? 'live heap after full GC' : 'heap used (sampled)', r.heap),
    fit('RSS', r.rss),
    '',
    '## Activity',
    '',
    `xDS clients ${c.connects} (SotW ${c.sotw}, Delta ${c.delta}, NACKing ${c.nackClients}; NACKs sent ${c.nacks}, stream errors retried ${c.streamErrors}); REST-JSON polls ${c.rest} (non-200 ${c.restErrors}); v1 polls ${c.v1} (non-200 ${c.v1Errors})${c.lastHttpError ? ` — last: ${c.lastHttpError}` : ''}; config edits ${c.edits}; endpoint flaps ${c.flaps}; ticks skipped because the previous was still running ${c.skipped}. Server log: ${r.logs.warn} warnings, ${r.logs.error} errors${r.logs.lastError ? ` (last: ${r.logs.lastError})` : ''}.`,
    '',
    `Plot: \`${path.basename(png)}\` (heap and RSS over time, dashed fits).`,
    '',
    '## Samples (one a minute)',
    '',
    '| time | heap used MB | RSS MB | xDS clients live | xDS connects so far | polls so far |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** Runs the soak, prints the verdict, draws the plot, writes the markdown; returns the exit code. */
export async function soakMain(o: SoakOpts): Promise<number> {
  const r = await runSoak(o);
  const png = o.out ? o.out.replace(/\.md$/, '') + '.png' : o.png;
  const liveFit = r.heapSource.startsWith('live');
  const heapFit = { intercept: r.heap.intercept, slopeMbPerS: r.heap.slopeMbPerS, from: o.warmupS };
  await plotSeries(
    png,
    `tspilot soak: heap and RSS under churn (${(r.seconds / 60).toFixed(1)} min) — ${r.pass ? 'PASS' : 'FAIL'}`,
    [
      { name: 'heap used (MB)', points: r.samples.map((s) => ({ t: s.t, mb: s.heapMb })), ...(liveFit ? {} : { fit: heapFit }) },
      { name: 'live heap after GC', points: r.gc, ...(liveFit ? { fit: heapFit } : {}) },
      {
        name: 'RSS (MB)',
        points: r.samples.map((s) => ({ t: s.t, mb: s.rssMb })),
        fit: { intercept: r.rss.intercept, slopeMbPerS: r.rss.slopeMbPerS, from: o.warmupS },
      },
    ],
    o.warmupS,
  );
  process.stdout.write(verdictText(r) + '\n');
  process.stderr.write(`plot: ${png}\n`);
  if (o.out) {
    await writeFile(o.out, markdown(o, r, png));
    process.stderr.write(`record: ${o.out}\n`);
  }
  return r.pass ? 0 : 1;
}
