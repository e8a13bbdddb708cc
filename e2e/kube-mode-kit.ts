/**
 * @module e2e/kube-mode-kit
 * Helpers for the Kubernetes-mode e2e tests: a kubeconfig file aimed at the API server stand-in,
 * the real `tspilot serve --kubeconfig` process (ready to be asked before it is ready: resolves
 * once its HTTP ports are up, and `xds()` waits for the xDS port), and YAML → stand-in objects.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { FakeApiServer, KubeObject } from './kube/apiserver.js';
import { getJsonFrom, launchTspilot, LOCAL_FREE_PORTS, type LogLine } from './tspilot.js';

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
  await writeFile(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'fake',
      clusters: [{ name: 'fake', cluster: { server: srv.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake-user', user: { token: 'not-checked' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-user' } }],
    }),
  );
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function startKubeTspilot(kubeconfig: string, extraArgs: string[] = []): Promise<KubeTspilot> {
  const args = [
    '--kubeconfig',
    kubeconfig,
    ...LOCAL_FREE_PORTS,
    '--webhook-port',
    '0',
    '--debounce-after',
    '50ms',
    '--log-level',
    'debug',
    ...extraArgs,
  ];
  // Resolve as soon as the HTTP ports are up: Kubernetes-mode tests ask /ready before sync.
  const { process: p, up } = await launchTspilot(args, (l) => l.msg.startsWith('http listening'));
  const httpPort = up['http'] as number;
  return {
    ...p,
    httpPort,
    monitoringPort: up['monitoring'] as number,
    webhookPort: up['webhook'] as number,
    xds: async (timeoutMs = 20_000) => (await p.waitForLog((l) => l.msg === 'listening', timeoutMs, 0))['xds'] as number,
    ready: async () => (await fetch(`http://127.0.0.1:${httpPort}/ready`)).status === 200,
    getJson: <T>(q: string) => getJsonFrom<T>(httpPort, q),
  };
}

/** Every document of a YAML text, as objects for the stand-in. */
export function objectsOf(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as KubeObject)
    .filter((o) => o && typeof o === 'object');
}

/** Creates or replaces every object of a YAML text in the stand-in. */
export function applyYaml(srv: FakeApiServer, yamlText: string): void {
  for (const o of objectsOf(yamlText)) srv.apply(o);
}
