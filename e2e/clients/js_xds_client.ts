// Contract: a real proxyless gRPC xDS client (@grpc/grpc-js + @grpc/grpc-js-xds), run as
// `node dist/e2e/clients/js_xds_client.js`, driven over a JSON-lines protocol: one command per
// stdin line, one answer per stdout line, logs on stderr. Same protocol as py_xds_client.py (see
// driver.ts). Ops: rpc, until, close; startup prints {"ready":true}. One client (channel) is cached
// per target and kept out of IDLE so the xDS resolver keeps receiving pushes between commands.
// RPC errors are "error:<CODE_NAME>:<details>", with the real bootstrap failure appended when
// grpc-js-xds hides it. With XDS_CREDS=1 channels use XdsChannelCredentials (TLS as the cluster's
// transport_socket says, from the bootstrap's certificate providers; insecure otherwise); a
// command's `method` overrides the default method path.
import * as readline from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { loadBootstrapInfo } from '@grpc/grpc-js-xds/build/src/xds-bootstrap.js';

const METHOD = '/tspilot.test.Echo/Who';
// A day: far above any test, and below setTimeout's 2^31-1 ms limit.
const IDLE_TIMEOUT_MS = 86_400_000;

grpcXds.register();

// grpc-js-xds reports any bootstrap failure (missing file, bad JSON, no node.locality) only as
// "Cannot read properties of null (reading 'clientDefaultListenerResourceNameTemplate')": it
// reports the real error, then overwrites it. Load the bootstrap ourselves to recover the reason.
let bootstrapError: string | undefined;
try {
  loadBootstrapInfo();
} catch (err) {
  bootstrapError = err instanceof Error ? err.message : String(err);
  log('xDS bootstrap unusable (xds:/// targets will fail):', bootstrapError);
}

function log(...args: unknown[]): void {
  process.stderr.write(`[js_xds_client] ${args.map(String).join(' ')}\n`);
}

function emit(obj: object): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const identity = (b: Buffer): Buffer => b;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Command {
  id?: unknown;
  op?: unknown;
  target?: unknown;
  n?: unknown;
  metadata?: Record<string, unknown>;
  deadlineMs?: unknown;
  expect?: unknown;
  consecutive?: unknown;
  timeoutMs?: unknown;
  intervalMs?: unknown;
  method?: unknown;
}

const XDS_CREDS = process.env['XDS_CREDS'] === '1';

class Target {
  readonly client: grpc.Client;
  private closed = false;

  constructor(readonly target: string) {
    const creds = XDS_CREDS ? new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure()) : grpc.credentials.createInsecure();
    this.client = new grpc.Client(target, creds, {
      'grpc.client_idle_timeout_ms': IDLE_TIMEOUT_MS,
    });
    this.keepActive();
  }

  /** Leave IDLE now, and again whenever the channel falls back to IDLE. */
  private keepActive(): void {
    if (this.closed) return;
    const channel = this.client.getChannel();
    const state = channel.getConnectivityState(true);
    channel.watchConnectivityState(state, Infinity, (err) => {
      if (err || this.closed) return;
      log('channel', this.target, 'state', grpc.connectivityState[channel.getConnectivityState(false)]);
      this.keepActive();
    });
  }

  call(metadata: grpc.Metadata, deadlineMs: number, method = METHOD): Promise<string> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(
        method,
        identity,
        identity,
        Buffer.alloc(0),
        metadata,
        { deadline: Date.now() + Math.max(deadlineMs, 1) },
        (err, reply) => {
          if (err) {
            const name = grpc.status[err.code] ?? `CODE_${err.code}`;
            let details = err.details ?? err.message;
            if (bootstrapError && details.includes('clientDefaultListenerResourceNameTemplate')) {
              details += ` [bootstrap: ${bootstrapError}]`;
            }
            resolve(`error:${name}:${details}`);
            return;
          }
          const text = (reply ?? Buffer.alloc(0)).toString('utf8');
          let backend: unknown;
          try {
            backend = (JSON.parse(text) as { backend?: unknown }).backend;
          } catch {
            backend = undefined;
          }
          resolve(typeof backend === 'string' ? backend : `bad-response:${text}`);
        },
      );
    });
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}

const targets = new Map<string, Target>();

function getTarget(target: unknown): Target {
  if (typeof target !== 'string' || target === '') throw new Error('target must be a non-empty string');
  let t = targets.get(target);
  if (!t) {
    t = new Target(target);
    targets.set(target, t);
  }
  return t;
}

function toMetadata(md: Record<string, unknown> | undefined): grpc.Metadata {
  const m = new grpc.Metadata();
  for (const [k, v] of Object.entries(md ?? {})) m.add(k.toLowerCase(), String(v));
  return m;
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);

async function opRpc(cmd: Command): Promise<object> {
  const t = getTarget(cmd.target);
  const md = toMetadata(cmd.metadata);
  const n = num(cmd.n, 1);
  const deadlineMs = num(cmd.deadlineMs, 5000);
  const results: string[] = [];
  const method = typeof cmd.method === 'string' ? cmd.method : METHOD;
  for (let i = 0; i < n; i++) results.push(await t.call(md, deadlineMs, method));
  return { id: cmd.id, results };
}

async function opUntil(cmd: Command): Promise<object> {
  const t = getTarget(cmd.target);
  const md = toMetadata(cmd.metadata);
  const consecutive = num(cmd.consecutive, 1);
  const intervalMs = num(cmd.intervalMs, 5);
  const deadlineMs = num(cmd.deadlineMs, 5000);
  const end = Date.now() + num(cmd.timeoutMs, 30000);
  let run = 0;
  let runStart = 0;
  let rpcs = 0;
  let last: string[] = [];
  for (;;) {
    const started = Date.now();
    if (started >= end) return { id: cmd.id, ok: false, error: 'timeout', last };
    // Full deadline (not clamped to `end`): a clamped RPC would report a bogus DEADLINE_EXCEEDED.
    const result = await t.call(md, deadlineMs, typeof cmd.method === 'string' ? cmd.method : METHOD);
    rpcs++;
    last = [...last, result].slice(-10);
    if (result === cmd.expect) {
      if (run === 0) runStart = started;
      if (++run >= consecutive) return { id: cmd.id, ok: true, firstAtMs: runStart, rpcs };
    } else {
      run = 0;
    }
    if (intervalMs > 0) await sleep(intervalMs);
  }
}

function closeAll(): void {
  for (const t of targets.values()) {
    try {
      t.close();
    } catch (err) {
      log('close failed', t.target, err);
    }
  }
  targets.clear();
}

async function main(): Promise<void> {
  emit({ ready: true });
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) continue;
    let id: unknown = null;
    try {
      const cmd = JSON.parse(line) as Command;
      id = cmd.id;
      if (cmd.op === 'rpc') emit(await opRpc(cmd));
      else if (cmd.op === 'until') emit(await opUntil(cmd));
      else if (cmd.op === 'close') {
        closeAll();
        emit({ id, ok: true });
        break;
      } else emit({ id, error: 'unknown op' });
    } catch (err) {
      log('command failed:', err instanceof Error ? err.stack : err);
      emit({ id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  }
  closeAll();
  // Exit once stdout has drained; xDS timers would otherwise keep the process alive.
  process.stdout.write('', () => process.exit(0));
}

main().catch((err: unknown) => {
  log('fatal:', err instanceof Error ? err.stack : err);
  process.exit(1);
});
