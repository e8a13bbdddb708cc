/**
 * @module bench/launch
 * How the bench starts and stops its child processes: the real `tspilot serve` (dist/server/main.js)
 * on the bench's mesh folder (or another source's flags) with the bench's flags, on free ports on 127.0.0.1, ready once it logs
 * `listening`; any other child (the ceiling server) ready at a line it recognises; SIGTERM, then
 * SIGKILL after 10 s. Run as children so the server's CPU and RSS are measured apart from the fleet.
 * The server is launched as deployed: the environment and node flags of main.js's first line
 * (server/launch.ts) under this node binary, then the bench's own node flags.
 * `BENCH_SERVER_LOG=<file>` appends every stdout line of the server (its JSON log, and what node
 * flags such as `--trace-gc` print, which the bench otherwise drops) to that file, each prefixed
 * with the wall-clock time it was read (ISO), so GC traces can be lined up with the scenarios.
 * V8's own trace lines (`--trace-gc`) are lost when that pipe is full (gclog.ts says why): for the
 * server's GCs use `BENCH_GC_LOG=<file>`, which preloads gclog.ts into the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachLine } from '../e2e/lines.js';
import { LOCAL_FREE_PORTS } from '../e2e/tspilot.js';
import { launchCommand } from '../server/launch.js';

/** The repository root (dist/bench/ is two levels below). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `node <args>` from the repository root; resolves with the port `ready` reads from a stdout line. */
export function startChild(
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

export async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/**
 * The bench's tuned server flags (`--tuned`): a 20 ms debounce instead of istiod's 100 ms, and a
 * faster folder poll. The headline tables use the server's defaults (no flags), as deployed.
 */
export const TUNED_SERVER_FLAGS: readonly string[] = ['--debounce-after', '20ms', '--poll-interval', '200ms'];

/**
 * `tspilot serve` on the mesh folder with the server's default flags plus `serverFlags`, on free ports, launched as deployed
 * (the environment and node flags of main.js's first line, server/launch.ts); resolves once it listens.
 */
export function startServer(
  nodeArgs: string[],
  meshDir: string,
  onLine: (line: string) => void,
  tls?: { readonly serverArgs: readonly string[] },
  serverFlags: readonly string[] = [],
): Promise<{ proc: ChildProcess; port: number }> {
  return startServerOn(nodeArgs, ['--config-dir', meshDir], onLine, tls, serverFlags);
}

/**
 * As startServer, with the source given by its flags (`--config-dir <dir>`, or `--kubeconfig <file>`
 * and its options: bench/source.ts). In Kubernetes mode `listening` comes once every informer has listed.
 */
export function startServerOn(
  nodeArgs: string[],
  sourceArgs: readonly string[],
  onLine: (line: string) => void,
  tls?: { readonly serverArgs: readonly string[] },
  serverFlags: readonly string[] = [],
): Promise<{ proc: ChildProcess; port: number }> {
  const gcLog = process.env['BENCH_GC_LOG'] ? ['--import', path.join(ROOT, 'dist/bench/gclog.js')] : [];
  const launch = launchCommand(path.join(ROOT, 'dist/server/main.js'), ['serve'], [...nodeArgs, ...gcLog]);
  const logFile = process.env['BENCH_SERVER_LOG'];
  const tee = logFile
    ? (line: string): void => {
        appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
        onLine(line);
      }
    : onLine;
  return startChild(
    [...launch.args, ...sourceArgs, ...LOCAL_FREE_PORTS, ...serverFlags, '--log-level', 'info', ...(tls?.serverArgs ?? [])],
    (line) => {
      try {
        const l = JSON.parse(line) as { msg?: string; xds?: number; xdsTls?: number };
        return l.msg === 'listening' ? ((tls ? l.xdsTls : l.xds) ?? null) : null;
      } catch {
        return null;
      }
    },
    tee,
    launch,
  );
}
