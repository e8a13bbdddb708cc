// Contract: drives the real xDS client processes (js_xds_client = grpc-js + grpc-js-xds,
// py_xds_client.py = gRPC C-core via Debian's python3-grpcio) from mocha tests. startXdsClient()
// writes the bootstrap to a temp file, spawns the client with GRPC_XDS_BOOTSTRAP pointing at it,
// waits for {"ready":true} and exposes the JSON-lines ops as typed async methods. Every command has
// a timeout whose error carries the client's stderr tail; close() always ends the process (SIGKILL
// if it does not exit by itself) and a process 'exit' hook kills any child a test forgot.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type XdsClientKind = 'grpc-js' | 'c-core';

export interface UntilOptions {
  consecutive?: number;
  metadata?: Record<string, string>;
  timeoutMs?: number;
  intervalMs?: number;
  /** Per-RPC deadline, default 5000 ms. No RPC starts after timeoutMs, so until() may overrun
   *  timeoutMs by at most one deadline. */
  deadlineMs?: number;
  /** Method path, default /tspilot.test.Echo/Who. */
  method?: string;
}

export type UntilResult = { ok: true; firstAtMs: number; rpcs: number } | { ok: false; error: string; last: string[] };

export interface RpcOptions {
  /** Per-RPC deadline, default 5000 ms. */
  deadlineMs?: number;
  /** Whole-command timeout in the driver; default n * deadlineMs + 15 s. */
  timeoutMs?: number;
  /** Method path, default /tspilot.test.Echo/Who. */
  method?: string;
}

export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

export interface XdsClient {
  readonly kind: XdsClientKind;
  readonly pid: number;
  readonly bootstrapPath: string;
  /** Resolves when the child has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** n sequential RPCs; each result is a backend name or "error:<CODE_NAME>:<details>". */
  rpc(target: string, n: number, metadata?: Record<string, string>, opts?: RpcOptions): Promise<string[]>;
  /** RPCs until `consecutive` in a row return `expect` (firstAtMs: start of that final run). */
  until(target: string, expect: string, opts?: UntilOptions): Promise<UntilResult>;
  /** Ends the process (asks politely, then SIGKILL); resolves once it has exited. Idempotent. */
  close(): Promise<void>;
  /** Last lines of the child's stderr (plus any stray stdout), for failure messages. */
  stderrTail(): string;
}

const here = dirname(fileURLToPath(import.meta.url)); // <root>/dist/e2e/clients
const repoRoot = resolve(here, '..', '..', '..');
const JS_CLIENT = join(here, 'js_xds_client.js');
const PY_CLIENT = join(repoRoot, 'e2e', 'clients', 'py_xds_client.py');
const PYTHON = '/usr/bin/python3';
const STDERR_LINES = 200;
const CLOSE_GRACE_MS = 3_000;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function bootstrapFor(serverUri: string, nodeId: string, metadata: Record<string, unknown>): object {
  return {
    xds_servers: [{ server_uri: serverUri, channel_creds: [{ type: 'insecure' }], server_features: [] }],
    // grpc-js-xds requires node.locality (an empty object will do).
    node: { id: nodeId, locality: {}, metadata },
  };
}

export async function startXdsClient(
  kind: XdsClientKind,
  bootstrap: object,
  opts: { env?: Record<string, string>; startTimeoutMs?: number } = {},
): Promise<XdsClient> {
  const dir = mkdtempSync(join(tmpdir(), 'tspilot-xds-client-'));
  const bootstrapPath = join(dir, 'bootstrap.json');
  writeFileSync(bootstrapPath, JSON.stringify(bootstrap, null, 2));
  const [cmd, args] = kind === 'grpc-js' ? [process.execPath, [JS_CLIENT]] : [PYTHON, ['-u', PY_CLIENT]];
  const child = spawn(cmd, args, {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP: bootstrapPath, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);

  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > STDERR_LINES) tail.shift();
  };
  const stderrTail = () => tail.join('\n');
  createInterface({ input: child.stderr! }).on('line', remember);

  // Pending answers by id (the startup line uses the key 'ready') and their failure callbacks.
  const answers = new Map<unknown, (msg: Record<string, unknown>) => void>();
  const failures = new Map<unknown, (err: Error) => void>();
  let exitInfo: ExitInfo | undefined;
  let onExit: (info: ExitInfo) => void = () => undefined;
  const exited = new Promise<ExitInfo>((res) => {
    onExit = (info) => {
      if (exitInfo) return;
      exitInfo = info;
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
      for (const fail of [...failures.values()]) fail(new Error(`client exited (code ${info.code}, signal ${info.signal})`));
      res(info);
    };
  });
  child.once('exit', (code, signal) => onExit({ code, signal }));
  child.once('error', (err) => {
    remember(`spawn error: ${err.message}`);
    if (child.pid === undefined) onExit({ code: null, signal: null }); // never started
  });
  child.stdin!.on('error', (err) => remember(`stdin error: ${err.message}`));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      remember(`stdout (not JSON): ${line}`);
      return;
    }
    const answer = answers.get(msg.ready === true ? 'ready' : msg.id);
    if (answer) answer(msg);
    else remember(`stdout (unexpected): ${line}`);
  });

  const withStderr = (what: string) => new Error(`${kind} xDS client (pid ${child.pid}): ${what}\n--- stderr tail ---\n${stderrTail()}`);

  /** Wait for the answer with `key`, failing on timeout or child exit. */
  const awaitAnswer = (key: unknown, what: string, timeoutMs: number) =>
    new Promise<Record<string, unknown>>((res, rej) => {
      const done = () => {
        clearTimeout(timer);
        answers.delete(key);
        failures.delete(key);
      };
      const timer = setTimeout(() => {
        done();
        rej(withStderr(`${what} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (err: Error) => {
        done();
        rej(withStderr(`${what} failed: ${err.message}`));
      };
      answers.set(key, (msg) => {
        done();
        res(msg);
      });
      failures.set(key, fail);
      if (exitInfo) fail(new Error(`client already exited (code ${exitInfo.code}, signal ${exitInfo.signal})`));
    });

  /** Give the child graceMs to exit by itself, then SIGKILL it; resolves once it is gone. */
  const kill = async (graceMs: number) => {
    if (exitInfo) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  try {
    await awaitAnswer('ready', 'startup', opts.startTimeoutMs ?? 30_000);
  } catch (err) {
    await kill(0);
    throw err;
  }

  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;
  /** Commands are sent one at a time (the clients process them sequentially anyway). */
  const command = (op: string, body: Record<string, unknown>, timeoutMs: number) => {
    const run = async () => {
      if (exitInfo || (closing && op !== 'close')) throw withStderr(`${op}: client is closed`);
      const id = nextId++;
      const answer = awaitAnswer(id, `${op} #${id}`, timeoutMs);
      child.stdin!.write(JSON.stringify({ id, op, ...body }) + '\n');
      const msg = await answer;
      if (typeof msg.error === 'string' && op !== 'until') throw withStderr(`${op} #${id} error: ${msg.error}`);
      return msg;
    };
    const p = queue.then(run, run);
    queue = p.catch(() => undefined);
    return p;
  };

  return {
    kind,
    pid: child.pid!,
    bootstrapPath,
    exited,
    stderrTail,
    async rpc(target, n, metadata = {}, ropts = {}) {
      const deadlineMs = ropts.deadlineMs ?? 5000;
      const msg = await command(
        'rpc',
        { target, n, metadata, deadlineMs, ...(ropts.method ? { method: ropts.method } : {}) },
        ropts.timeoutMs ?? n * deadlineMs + 15_000,
      );
      if (!Array.isArray(msg.results)) throw withStderr(`rpc: malformed answer ${JSON.stringify(msg)}`);
      return msg.results as string[];
    },
    async until(target, expect, u = {}) {
      const timeoutMs = u.timeoutMs ?? 30_000;
      const deadlineMs = u.deadlineMs ?? 5000;
      const msg = await command(
        'until',
        {
          target,
          expect,
          consecutive: u.consecutive ?? 1,
          metadata: u.metadata ?? {},
          timeoutMs,
          intervalMs: u.intervalMs ?? 5,
          deadlineMs,
          ...(u.method ? { method: u.method } : {}),
        },
        timeoutMs + deadlineMs + 15_000,
      );
      if (msg.ok === true) return { ok: true, firstAtMs: msg.firstAtMs as number, rpcs: msg.rpcs as number };
      if (msg.error === 'timeout') return { ok: false, error: 'timeout', last: (msg.last as string[] | undefined) ?? [] };
      throw withStderr(`until error: ${String(msg.error)}`);
    },
    close() {
      closing ??= (async () => {
        let answered = false;
        if (!exitInfo) {
          // Ask politely (queued behind any running command); if it does not answer, kill it.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            command('close', {}, CLOSE_GRACE_MS).then(
              () => (answered = true),
              () => undefined,
            ),
            new Promise((r) => (timer = setTimeout(r, CLOSE_GRACE_MS))),
          ]);
          clearTimeout(timer);
        }
        await kill(answered ? 2_000 : 0);
      })();
      return closing;
    },
  };
}
