/**
 * @module e2e/tspilot
 * Starts the real `tspilot serve` process (the compiled binary, as a user would) on 127.0.0.1
 * with free ports, collects its JSON log lines, and stops it — always, even when a test fails.
 * Also writes config folders for tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachLine } from './lines.js';
import { launchCommand } from '../server/launch.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(REPO_ROOT, 'dist', 'server', 'main.js');

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [k: string]: unknown;
}

export interface Tspilot {
  readonly xdsPort: number;
  readonly httpPort: number;
  readonly monitoringPort: number;
  /** The TLS xDS port (CA included) when started with --xds-tls-port. */
  readonly xdsTlsPort?: number;
  readonly logs: LogLine[];
  readonly proc: ChildProcess;
  /** GET a JSON debug endpoint on the HTTP port. */
  getJson<T = unknown>(pathAndQuery: string): Promise<{ status: number; body: T }>;
  /** Resolves with the first log line (from now on, or already seen if `since` is given) matching. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number, since?: number): Promise<LogLine>;
  close(): Promise<void>;
}

/** serve() options for an in-process server in tests: the folder, loopback, free ports, a short debounce. */
export const inProcessServe = (configDir: string) =>
  ({ configDir, bind: '127.0.0.1', xdsPort: 0, monitoringPort: 0, httpPort: 0, debounceMs: 10, debounceMaxMs: 100, pollMs: 1000 }) as const;

/** `serve` flags binding every listener to 127.0.0.1 on a free port (the ports are in the `listening` log line). */
export const LOCAL_FREE_PORTS: readonly string[] = ['--bind', '127.0.0.1', '--xds-port', '0', '--monitoring-port', '0', '--http-port', '0'];

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** A running tspilot process: its JSON logs, a log waiter and a stop that always ends it. */
export interface TspilotProcess {
  readonly logs: LogLine[];
  readonly proc: ChildProcess;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number, since?: number): Promise<LogLine>;
  close(): Promise<void>;
}

/**
 * Spawns `dist/server/main.js serve <args>` as deployed (its launch line, server/launch.ts, under
 * this node binary) and resolves once a log line matches `up`
 * (with that line), or rejects — after stopping the process — if it exits or times out first.
 */
export async function launchTspilot(
  args: readonly string[],
  up: (l: LogLine) => boolean,
  opts: { nodeArgs?: readonly string[] } = {},
): Promise<{ process: TspilotProcess; up: LogLine }> {
  const launch = launchCommand(MAIN, ['serve', ...args], opts.nodeArgs);
  const proc = spawn(launch.command, launch.args, { stdio: ['ignore', 'pipe', 'pipe'], env: launch.env });
  live.add(proc);
  const logs: LogLine[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let stderr = '';
  eachLine(proc.stdout!, (line) => {
    let l: LogLine;
    try {
      l = JSON.parse(line) as LogLine;
    } catch {
      return;
    }
    logs.push(l);
    for (const w of [...waiters])
      if (w.pred(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
  });
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      live.delete(proc);
      resolve(code);
    }),
  );

  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 15_000, since?: number): Promise<LogLine> => {
    if (since !== undefined) {
      const hit = logs.slice(since).find(pred);
      if (hit) return Promise.resolve(hit);
    }
    return new Promise<LogLine>((resolve, reject) => {
      const w = {
        pred,
        resolve: (l: LogLine) => {
          clearTimeout(t);
          resolve(l);
        },
      };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(
          new Error(
            `timed out waiting for a log line; last lines:\n${logs
              .slice(-10)
              .map((x) => JSON.stringify(x))
              .join('\n')}\nstderr: ${stderr}`,
          ),
        );
      }, timeoutMs);
      waiters.push(w);
    });
  };

  const close = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };

  try {
    const line = await Promise.race([
      waitForLog(up, 20_000, 0),
      exited.then((code) => {
        throw new Error(`tspilot exited (${code}) before it was up: ${stderr}\n${logs.map((x) => x.msg).join('\n')}`);
      }),
    ]);
    return { process: { logs, proc, waitForLog, close }, up: line };
  } catch (e) {
    await close();
    throw e;
  }
}

/** GET a JSON (or text) endpoint on 127.0.0.1:port. */
export async function getJsonFrom<T>(port: number, p: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* plain text */
  }
  return { status: res.status, body: body as T };
}

export async function startTspilot(configDir: string, extraArgs: string[] = []): Promise<Tspilot> {
  const args = ['--config-dir', configDir, ...LOCAL_FREE_PORTS, '--poll-interval', '200ms', '--log-level', 'debug', ...extraArgs];
  const { process: p, up } = await launchTspilot(args, (l) => l.msg === 'listening');
  const httpPort = up['http'] as number;
  return {
    ...p,
    xdsPort: up['xds'] as number,
    httpPort,
    monitoringPort: up['monitoring'] as number,
    ...(typeof up['xdsTls'] === 'number' ? { xdsTlsPort: up['xdsTls'] } : {}),
    getJson: <T>(q: string) => getJsonFrom<T>(httpPort, q),
  };
}

/** A temporary config folder; `write(name, yaml)` replaces a file atomically enough for the watcher. */
export async function configFolder(): Promise<{
  dir: string;
  write(name: string, text: string): Promise<void>;
  remove(name: string): Promise<void>;
  cleanup(): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-e2e-'));
  return {
    dir,
    write: (name, text) => writeFile(path.join(dir, name), text),
    remove: (name) => rm(path.join(dir, name), { force: true }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
