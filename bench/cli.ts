/**
 * @module bench/cli
 * `npm run bench -- --cli` (or `node dist/bench/cli.js`): how fast the `tspilot` command line
 * starts, as a ratio to `node -e 0` on the same machine at the same moment (absolute times say
 * little on a shared machine; the ratio says what tspilot adds). Runs each command N times,
 * interleaved so load swings hit all of them alike, and reports median and max wall time:
 * `--help`, `proxy-status` and `proxy-config cluster` against a running server (Bookinfo, one
 * connected proxy), and an offline `diff` of examples/bookinfo-changes on Bookinfo. Also the CPU
 * time (user + system) of each, which contention does not inflate. Optional markdown output.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawAds } from '../e2e/adsclient.js';
import { startTspilot } from '../e2e/tspilot.js';
import { CDS } from '../proto/typeurls.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'dist', 'server', 'main.js');
const TIME = '/usr/bin/time';
const NODE_ID = 'sidecar~10.244.0.21~productpage-v1-7d9c8b6f5-x21.default~default.svc.cluster.local';

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly code: number | null;
}

/**
 * Runs a command, measuring wall time and its CPU time (user + system, through GNU time, which
 * reports the child's own rusage; NaN where /usr/bin/time is missing).
 */
function timed(args: readonly string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const viaTime = existsSync(TIME);
    const t0 = performance.now();
    const child = viaTime
      ? spawn(TIME, ['-f', 'cpu %U %S', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT })
      : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) {
        reject(new Error(`${args.join(' ')} exited ${code}: ${err.trim()}`));
        return;
      }
      const m = /^cpu ([\d.]+) ([\d.]+)$/m.exec(err);
      resolve({ wallMs, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, code });
    });
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

export interface CliBenchRow {
  readonly name: string;
  readonly medianMs: number;
  readonly maxMs: number;
  readonly cpuMs: number;
  readonly ratio: number;
  readonly cpuRatio: number;
}

export async function benchCli(runs: number): Promise<{ rows: CliBenchRow[]; load: number[] }> {
  const pilot = await startTspilot(path.join(ROOT, 'examples', 'bookinfo'));
  const ads = rawAds(`127.0.0.1:${pilot.xdsPort}`);
  try {
    ads.send({
      typeUrl: CDS,
      node: {
        id: NODE_ID,
        cluster: 'productpage',
        metadata: { ISTIO_VERSION: '1.24.2' },
        userAgentName: 'envoy',
        clientFeatures: [],
        locality: null,
      },
    });
    await ads.next(10_000);
    const server = `http://127.0.0.1:${pilot.monitoringPort}`;
    const commands: [string, string[]][] = [
      ['node -e 0', ['-e', '0']],
      ['tspilot --help', [MAIN, '--help']],
      ['tspilot proxy-status', [MAIN, 'proxy-status', '--server', server]],
      ['tspilot proxy-config cluster', [MAIN, 'proxy-config', 'cluster', 'productpage-v1-7d9c8b6f5-x21', '--server', server]],
      [
        'tspilot diff (Bookinfo, offline)',
        [MAIN, 'diff', '--config-dir', 'examples/bookinfo', '--apply', 'examples/bookinfo-changes/reviews-v3-canary.yaml'],
      ],
    ];
    const samples = new Map<string, Sample[]>(commands.map(([n]) => [n, []]));
    for (let i = 0; i < runs; i++) {
      for (const [name, args] of commands) samples.get(name)!.push(await timed(args));
    }
    const base = median(samples.get('node -e 0')!.map((s) => s.wallMs));
    const baseCpu = median(samples.get('node -e 0')!.map((s) => s.cpuMs));
    const rows = commands.map(([name]) => {
      const s = samples.get(name)!;
      const med = median(s.map((x) => x.wallMs));
      return {
        name,
        medianMs: med,
        maxMs: Math.max(...s.map((x) => x.wallMs)),
        cpuMs: median(s.map((x) => x.cpuMs)),
        ratio: med / base,
        cpuRatio: median(s.map((x) => x.cpuMs)) / baseCpu,
      };
    });
    return { rows, load: (await import('node:os')).loadavg() };
  } finally {
    ads.close();
    await pilot.close();
  }
}

export function cliTable(rows: readonly CliBenchRow[]): string {
  const f = (n: number): string => n.toFixed(0);
  return [
    '| command | wall median ms | wall max ms | wall × node -e 0 | CPU ms (median) | CPU × node -e 0 |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) => `| ${r.name} | ${f(r.medianMs)} | ${f(r.maxMs)} | ${r.ratio.toFixed(2)} | ${f(r.cpuMs)} | ${r.cpuRatio.toFixed(2)} |`,
    ),
  ].join('\n');
}

export async function cliMain(o: { runs: number; out?: string }): Promise<number> {
  const { rows, load } = await benchCli(o.runs);
  const text = cliTable(rows);
  process.stdout.write(text + '\n');
  if (o.out) {
    await writeFile(
      o.out,
      `# CLI startup (${new Date().toISOString().slice(0, 10)})\n\n\`npm run bench -- --cli --runs ${o.runs}\`; Node ${process.version}; load average at the end ${load.map((x) => x.toFixed(1)).join(' / ')} (shared machine).\n\n${text}\n`,
    );
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const runsArg = process.argv.indexOf('--runs');
  const outArg = process.argv.indexOf('--out');
  process.exitCode = await cliMain({
    runs: runsArg > 0 ? Number(process.argv[runsArg + 1]) : 10,
    ...(outArg > 0 ? { out: process.argv[outArg + 1]! } : {}),
  });
}
