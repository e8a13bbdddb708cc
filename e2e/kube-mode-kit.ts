/**
 * @module e2e/kube-mode-kit
 * Helpers for the Kubernetes-mode e2e tests: a kubeconfig file aimed at the API server stand-in,
 * the real `tspilot serve --kubeconfig` process (ready to be asked before it is ready: resolves
 * once its HTTP ports are up, and `xds()` waits for the xDS port), and YAML → stand-in objects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { FakeApiServer, KubeObject } from './kube/apiserver.js';
import { REPO_ROOT, type LogLine } from './tspilot.js';

const MAIN = path.join(REPO_ROOT, 'dist', 'server', 'main.js');

export interface KubeTspilot {
  readonly httpPort: number;
  readonly monitoringPort: number;
  readonly webhookPort: number;
  readonly logs: LogLine[];
  readonly proc: ChildProcess;
  /** Resolves with the xDS port once tspilot has synced and opened it. */
  xds(timeoutMs?: number): Promise<number>;
  ready(): Promise<boolean>;
  getJson<T = unknown>(p: string): Promise<{ status: number; body: T }>;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number, since?: number): Promise<LogLine>;
  close(): Promise<void>;
}

/** A kubeconfig file (as kubectl writes them) pointing at the stand-in; removed by the returned cleanup. */
export async function kubeconfigFile(srv: FakeApiServer): Promise<{ file: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-kube-'));
  const file = path.join(dir, 'kubeconfig');
  await writeFile(file, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'fake',
    clusters: [{ name: 'fake', cluster: { server: srv.url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake-user', user: { token: 'not-checked' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-user' } }],
  }));
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const p of live) p.kill('SIGKILL'); });

export async function startKubeTspilot(kubeconfig: string, extraArgs: string[] = []): Promise<KubeTspilot> {
  const args = [MAIN, 'serve', '--kubeconfig', kubeconfig, '--bind', '127.0.0.1', '--xds-port', '0', '--monitoring-port', '0', '--http-port', '0',
    '--webhook-port', '0', '--debounce-after', '50ms', '--log-level', 'debug', ...extraArgs];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  const logs: LogLine[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let stderr = '';
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let l: LogLine;
      try { l = JSON.parse(line) as LogLine; } catch { continue; }
      logs.push(l);
      for (const w of [...waiters]) if (w.pred(l)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(l); }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => { live.delete(proc); resolve(code); }));
  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 15_000, since?: number): Promise<LogLine> => {
    if (since !== undefined) {
      const hit = logs.slice(since).find(pred);
      if (hit) return Promise.resolve(hit);
    }
    return new Promise<LogLine>((resolve, reject) => {
      const w = { pred, resolve: (l: LogLine) => { clearTimeout(t); resolve(l); } };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for a log line; last lines:\n${logs.slice(-10).map((x) => JSON.stringify(x)).join('\n')}\nstderr: ${stderr}`));
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
  let up: LogLine;
  try {
    up = await Promise.race([
      waitForLog((l) => l.msg.startsWith('http listening'), 20_000, 0),
      exited.then((code) => { throw new Error(`tspilot exited (${code}): ${stderr}\n${logs.map((x) => x.msg).join('\n')}`); }),
    ]);
  } catch (e) {
    await close();
    throw e;
  }
  const httpPort = up['http'] as number;
  const getJson = async <T>(p: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${p}`);
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* plain text */ }
    return { status: res.status, body: body as T };
  };
  return {
    httpPort, monitoringPort: up['monitoring'] as number, webhookPort: up['webhook'] as number, logs, proc,
    xds: async (timeoutMs = 20_000) => (await waitForLog((l) => l.msg === 'listening', timeoutMs, 0))['xds'] as number,
    ready: async () => (await fetch(`http://127.0.0.1:${httpPort}/ready`)).status === 200,
    getJson, waitForLog, close,
  };
}

/** Every document of a YAML text, as objects for the stand-in. */
export function objectsOf(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText).map((d) => d.toJS() as KubeObject).filter((o) => o && typeof o === 'object');
}

/** Creates or replaces every object of a YAML text in the stand-in. */
export function applyYaml(srv: FakeApiServer, yamlText: string): void {
  for (const o of objectsOf(yamlText)) srv.apply(o);
}
