/**
 * @module bench/v1/poll
 * Polling load on the v1 REST API, as a fleet of nginmesh agents would put on it, compared with
 * the same proxies on ADS. Starts `tspilot serve` as a child process (127.0.0.1, free ports),
 * then either polls it like the agent — every `--interval`, per poller: listeners → routes of
 * each HTTP listener with bind_to_port false → clusters → registration of each service_name —
 * (`--mode v1`), or holds one ADS stream per proxy with CDS/EDS/LDS/RDS subscribed and ACKed
 * (`--mode ads`). Reports the server's CPU seconds and RSS (from /proc) over the measured window,
 * and requests/s. Pollers start spread over one interval, as real agents would be; their pods are
 * in the mesh as replicas of one Deployment (one proxy class, as a real fleet). With
 * `--churn 5s` the reviews VirtualService's weights flip every 5 s during the window, so ADS pays
 * for pushes and v1 for re-rendering — the comparison that matters, since idle ADS costs nothing.
 *
 *   node dist/bench/v1/poll.js --pollers 2000 --interval 5s --duration 30s [--mode v1|ads|both] [--churn 5s]
 */
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../../model/duration.js';
import { startAdsFleet } from './ads.js';
import { usage } from '../proc.js';
import { reviewsVs } from '../../e2e/fixtures/bookinfo-vs.js';
import { launchTspilot, LOCAL_FREE_PORTS } from '../../e2e/tspilot.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Server {
  readonly proc: ChildProcess;
  readonly httpPort: number;
  readonly xdsPort: number;
  stop(): Promise<void>;
}

async function startServer(configDir: string): Promise<Server> {
  const { process: p, up } = await launchTspilot(
    ['--config-dir', configDir, ...LOCAL_FREE_PORTS, '--log-level', 'info'],
    (l) => l.msg === 'listening',
  );
  return { proc: p.proc, httpPort: up['http'] as number, xdsPort: up['xds'] as number, stop: () => p.close() };
}

interface Counters {
  requests: number;
  errors: number;
  cycles: number;
  bytes: number;
  lastError: string;
}

function getter(port: number, c: Counters): (p: string) => Promise<string | null> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  return (p) =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          c.requests++;
          const body = Buffer.concat(chunks);
          c.bytes += body.length;
          if (res.statusCode !== 200) {
            c.errors++;
            c.lastError = `${res.statusCode} ${p}`;
            resolve(null);
          } else resolve(body.toString('utf8'));
        });
      });
      req.on('error', (e) => {
        c.requests++;
        c.errors++;
        c.lastError = e.message;
        resolve(null);
      });
    });
}

/** One agent poll cycle; only what the next request needs is parsed (the agent's own deep compare is its cost, not the server's). */
async function cycle(get: (p: string) => Promise<string | null>, node: string): Promise<void> {
  const n = encodeURIComponent(node);
  const lds = await get(`/v1/listeners/productpage/${n}`);
  if (lds === null) return;
  const names = new Set<string>();
  for (const l of (
    JSON.parse(lds) as {
      listeners: { bind_to_port: boolean; filters: { name: string; config: { rds?: { route_config_name: string } } }[] }[];
    }
  ).listeners) {
    const rds = l.filters.find((f) => f.name === 'http_connection_manager')?.config.rds;
    if (rds && l.bind_to_port === false) names.add(rds.route_config_name);
  }
  for (const rc of names) await get(`/v1/routes/${encodeURIComponent(rc)}/productpage/${n}`);
  const cds = await get(`/v1/clusters/productpage/${n}`);
  if (cds === null) return;
  for (const c of (JSON.parse(cds) as { clusters: { service_name?: string }[] }).clusters) {
    if (c.service_name) await get(`/v1/registration/${encodeURIComponent(c.service_name)}`);
  }
}

const ipOf = (i: number): string => `10.${100 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}`;
const nodeOf = (i: number): string => `sidecar~${ipOf(i)}~bench-client-${i}.default~default.svc.cluster.local`;

/**
 * The simulated proxies' pods: one Deployment's worth (same labels, no Service selects them), so
 * they share one proxy class as a real fleet of replicas does and the mesh's services are unchanged.
 */
function benchPods(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(`apiVersion: v1
kind: Pod
metadata: {name: bench-client-${i}, namespace: default, labels: {app: bench-client, version: v1}}
spec: {serviceAccountName: bench-client, containers: [{name: app, image: bench}]}
status: {phase: Running, podIP: ${ipOf(i)}}`);
  }
  return docs.join('\n---\n') + '\n';
}

interface Result {
  mode: string;
  pollers: number;
  windowS: number;
  cpuS: number;
  cpuPct: number;
  rssStartMiB: number;
  rssMaxMiB: number;
  rssEndMiB: number;
  reqPerS: number;
  cyclesPerS: number;
  errors: number;
  mbPerS: number;
  setupCpuS: number;
}

async function runV1(port: number, pid: number, pollers: number, intervalMs: number, durationMs: number): Promise<Result> {
  const c: Counters = { requests: 0, errors: 0, cycles: 0, bytes: 0, lastError: '' };
  const get = getter(port, c);
  let stop = false;
  const loops: Promise<void>[] = [];
  for (let i = 0; i < pollers; i++) {
    loops.push(
      (async () => {
        await new Promise((r) => setTimeout(r, (i / pollers) * intervalMs));
        while (!stop) {
          const t0 = Date.now();
          await cycle(get, nodeOf(i));
          c.cycles++;
          const wait = intervalMs - (Date.now() - t0);
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      })(),
    );
  }
  return measure(
    'v1',
    pid,
    pollers,
    durationMs,
    intervalMs,
    () => ({ requests: c.requests, cycles: c.cycles, errors: c.errors, bytes: c.bytes, note: c.lastError }),
    async () => {
      stop = true;
      await Promise.all(loops);
    },
    0,
  );
}

async function runAds(xdsPort: number, pid: number, pollers: number, durationMs: number, intervalMs: number): Promise<Result> {
  const before = usage(pid);
  const fleet = await startAdsFleet(
    `127.0.0.1:${xdsPort}`,
    Array.from({ length: pollers }, (_, i) => nodeOf(i)),
    (done) => progress(`ads: ${done}/${pollers} proxies have every type ACKed`),
  );
  const setupCpuS = usage(pid).cpuS - before.cpuS;
  return measure(
    'ads',
    pid,
    pollers,
    durationMs,
    intervalMs,
    () => ({ requests: fleet.responses(), cycles: 0, errors: fleet.errors(), bytes: fleet.bytes(), note: fleet.lastError() }),
    () => fleet.close(),
    setupCpuS,
  );
}

function progress(s: string): void {
  process.stderr.write(`\r${s.padEnd(100)}`);
}

/** Flips the reviews split between 50/50 and 60/40 (a real config change: new routes for every proxy). */
let churn: { dir: string; everyMs: number } | undefined;

async function measure(
  mode: string,
  pid: number,
  pollers: number,
  durationMs: number,
  warmupMs: number,
  counts: () => { requests: number; cycles: number; errors: number; bytes: number; note: string },
  stop: () => Promise<void>,
  setupCpuS: number,
): Promise<Result> {
  // One interval of warm-up so every poller (or stream) is in its steady rhythm before measuring.
  const warmEnd = Date.now() + warmupMs;
  while (Date.now() < warmEnd) {
    progress(`${mode}: warming up ${Math.ceil((warmEnd - Date.now()) / 1000)} s…`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const u0 = usage(pid);
  const c0 = counts();
  const t0 = Date.now();
  let rssMax = u0.rssMiB;
  let flips = 0;
  const churnTimer =
    churn &&
    setInterval(() => writeFileSync(path.join(churn!.dir, 'virtual-services.yaml'), reviewsVs(++flips % 2 ? 60 : 50)), churn.everyMs);
  while (Date.now() - t0 < durationMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const u = usage(pid);
    rssMax = Math.max(rssMax, u.rssMiB);
    const c = counts();
    const s = (Date.now() - t0) / 1000;
    progress(
      `${mode}: ${s.toFixed(0)}/${durationMs / 1000} s  ${((c.requests - c0.requests) / s).toFixed(0)} req/s  server CPU ${(((u.cpuS - u0.cpuS) / s) * 100).toFixed(0)}%  RSS ${u.rssMiB.toFixed(0)} MiB  errors ${c.errors - c0.errors}${c.note ? ` (${c.note})` : ''}`,
    );
  }
  if (churnTimer) clearInterval(churnTimer);
  const u1 = usage(pid);
  const c1 = counts();
  const windowS = (Date.now() - t0) / 1000;
  await stop();
  process.stderr.write('\n');
  return {
    mode,
    pollers,
    windowS,
    cpuS: u1.cpuS - u0.cpuS,
    cpuPct: ((u1.cpuS - u0.cpuS) / windowS) * 100,
    rssStartMiB: u0.rssMiB,
    rssMaxMiB: Math.max(rssMax, u1.rssMiB),
    rssEndMiB: u1.rssMiB,
    reqPerS: (c1.requests - c0.requests) / windowS,
    cyclesPerS: (c1.cycles - c0.cycles) / windowS,
    errors: c1.errors - c0.errors,
    mbPerS: (c1.bytes - c0.bytes) / windowS / 1e6,
    setupCpuS,
  };
}

function duration(v: string): number {
  const ms = parseDuration(v);
  if (ms === null || ms <= 0) throw new InvalidArgumentError(`"${v}" is not a duration (e.g. 5s)`);
  return ms;
}

const program = new Command('poll')
  .description('v1 REST polling load (nginmesh agents) against tspilot, compared with the same proxies on ADS')
  .option('--pollers <n>', 'simulated proxies', (v) => Number(v), 2000)
  .option('--interval <duration>', 'poll interval per agent', duration, 5000)
  .option('--duration <duration>', 'measured window (after one interval of warm-up)', duration, 30_000)
  .option('--mode <mode>', 'v1, ads or both', 'both')
  .option('--churn <duration>', 'flip the reviews weights this often during the window (default: no config changes)', duration)
  .action(async (o: { pollers: number; interval: number; duration: number; mode: string; churn?: number }) => {
    const results: Result[] = [];
    for (const mode of o.mode === 'both' ? ['v1', 'ads'] : [o.mode]) {
      // A private copy of Bookinfo (with a weighted reviews route), so --churn can edit it.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tspilot-v1-bench-'));
      cpSync(path.join(ROOT, 'examples', 'bookinfo'), dir, { recursive: true });
      writeFileSync(path.join(dir, 'virtual-services.yaml'), reviewsVs(50));
      writeFileSync(path.join(dir, 'bench-pods.yaml'), benchPods(o.pollers));
      churn = o.churn ? { dir, everyMs: o.churn } : undefined;
      const server = await startServer(dir);
      const pid = server.proc.pid!;
      try {
        const idle = usage(pid);
        progress(
          `${mode}: server up (RSS ${idle.rssMiB.toFixed(0)} MiB); starting ${o.pollers} ${mode === 'v1' ? 'pollers' : 'ADS streams'}`,
        );
        results.push(
          mode === 'v1'
            ? await runV1(server.httpPort, pid, o.pollers, o.interval, o.duration)
            : await runAds(server.xdsPort, pid, o.pollers, o.duration, o.interval),
        );
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    console.log(
      `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    );
    console.log(
      `pollers ${o.pollers}, interval ${o.interval / 1000} s, window ${o.duration / 1000} s (after ${o.interval / 1000} s warm-up), Bookinfo with a weighted reviews route, ${o.churn ? `config change every ${o.churn / 1000} s` : 'no config changes'}\n`,
    );
    console.log(
      '| mode | server CPU s (window) | CPU % of one core | setup CPU s | RSS start / max / end MiB | requests/s | poll cycles/s | MB/s | errors |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      console.log(
        `| ${r.mode} | ${r.cpuS.toFixed(2)} | ${r.cpuPct.toFixed(1)} | ${r.setupCpuS.toFixed(2)} | ${r.rssStartMiB.toFixed(0)} / ${r.rssMaxMiB.toFixed(0)} / ${r.rssEndMiB.toFixed(0)} | ${r.reqPerS.toFixed(0)} | ${r.cyclesPerS.toFixed(0)} | ${r.mbPerS.toFixed(2)} | ${r.errors} |`,
      );
    }
    process.exit(0);
  });

await program.parseAsync(process.argv);
