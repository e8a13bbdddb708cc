/**
 * @module e2e/proxyless/servers
 * Drives the real xDS-enabled gRPC servers (js_xds_server: grpc-js-xds XdsServer; py_xds_server.py:
 * C-core via python3-grpcio) from tests: writes the bootstrap, spawns the server with
 * GRPC_XDS_BOOTSTRAP (and GRPC_XDS_EXPERIMENTAL_RBAC=true, without which grpc-js-xds rejects a
 * listener carrying RBAC), waits until it has started, records its stdout events and stderr, and
 * always stops it. `freePort()` picks a free loopback port for a server to bind (the listener's name
 * holds the port, so the mesh config must know it before the server starts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type ServerKind = 'grpc-js' | 'c-core';

const here = dirname(fileURLToPath(import.meta.url)); // <root>/dist/e2e/proxyless
const repoRoot = resolve(here, '..', '..', '..');
const JS_SERVER = join(here, 'js_xds_server.js');
const PY_SERVER = join(repoRoot, 'e2e', 'proxyless', 'py_xds_server.py');

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export interface XdsServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  /** JSON lines the server printed ({"serving":true}, {"status":...}). */
  readonly events: Record<string, unknown>[];
  /** Whether the process has ended. */
  readonly exited: boolean;
  stderrTail(): string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((res, rej) => {
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => res());
  });
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

export async function startXdsServer(kind: ServerKind, bootstrap: object, name: string, port: number): Promise<XdsServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tspilot-xds-server-'));
  const bootstrapPath = join(dir, 'bootstrap.json');
  writeFileSync(bootstrapPath, JSON.stringify(bootstrap, null, 2));
  const [cmd, args] =
    kind === 'grpc-js' ? [process.execPath, [JS_SERVER, name, String(port)]] : ['/usr/bin/python3', ['-u', PY_SERVER, name, String(port)]];
  const child = spawn(cmd, args, {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP: bootstrapPath, GRPC_XDS_EXPERIMENTAL_RBAC: 'true' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const tail: string[] = [];
  const events: Record<string, unknown>[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    tail.push(l);
    if (tail.length > 200) tail.shift();
  });
  const exited = new Promise<void>((res) =>
    child.once('exit', () => {
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
      res();
    }),
  );
  const started = new Promise<void>((res, rej) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const msg = JSON.parse(l) as Record<string, unknown>;
        events.push(msg);
        if (msg['started'] === true) res();
      } catch {
        tail.push(`stdout: ${l}`);
      }
    });
    void exited.then(() => rej(new Error(`${kind} server ${name} exited before starting:\n${tail.join('\n')}`)));
    setTimeout(() => rej(new Error(`${kind} server ${name} did not start in 20 s:\n${tail.join('\n')}`)), 20_000).unref();
  });
  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  };
  try {
    await started;
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
  return {
    kind,
    port,
    events,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    stderrTail: () => tail.join('\n'),
    close,
  };
}
