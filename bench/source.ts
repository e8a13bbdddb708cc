/**
 * @module bench/source
 * Where the bench's server reads the mesh from, and how a scenario's change reaches it:
 * - `file` (the default): `--config-dir` on the folder meshgen.ts wrote; a change is a file write
 *   (`vs.yaml` for the route change, `ep-0.yaml` for service 0's endpoints), as before.
 * - `kube`: `--kubeconfig` on the API-server stand-in in a child process (kubeapi.ts) holding the
 *   same objects; a change is an API write, as a controller makes it: the route change a JSON merge
 *   PATCH of service 0's VirtualService (or HTTPRoute) spec, as `kubectl apply` sends for a custom
 *   resource; the endpoint change a PUT of service 0's EndpointSlice carrying the resourceVersion the
 *   writer last saw, as the EndpointSlice controller updates it. The EndpointSlice is the same
 *   rolling update as the file's (one address gone, one new); the file also rewrites the Pods' podIP,
 *   which the Kubernetes source does not use for endpoints (slices name their Pods by targetRef), so
 *   the API write leaves the Pods as they are. Every write must change the object (a new
 *   resourceVersion), else it throws: an unchanged object makes no watch event.
 * A change is prepared outside the scenario's clock (`prepare()` returns the write itself).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { objectsOf } from '../e2e/kube-mode-kit.js';
import type { KubeObject } from '../e2e/kube/apiserver.js';
import { routingYaml, sliceYaml, type MeshSize } from './meshgen.js';
import { startChild, stopChild } from './launch.js';
import { usage } from './proc.js';

export type SourceKind = 'file' | 'kube';

/** A write, ready to be performed when a scenario's clock starts. */
export type Write = () => Promise<void>;

export interface MeshSource {
  readonly kind: SourceKind;
  /** The server's flags that select this source. */
  readonly serverArgs: readonly string[];
  /** Service 0's route split to `v1Weight`/100−`v1Weight`. */
  routeChange(v1Weight: number): Promise<Write>;
  /** Service 0's EndpointSlice at `variant` (meshgen's: every address shifted by one per variant). */
  endpointChange(variant: number): Promise<Write>;
  /** CPU seconds of the source's own process (the API server stand-in); undefined for the folder. */
  cpu(): number | undefined;
  /** The API server stand-in's URL (kube only). */
  readonly apiUrl?: string;
  /** Objects the stand-in was loaded with and how long that took (kube only). */
  readonly loaded?: { readonly objects: number; readonly loadMs: number };
  close(): Promise<void>;
}

/** The folder source: the server reads `meshDir`; a change rewrites one file. */
export function fileSource(meshDir: string, size: MeshSize): MeshSource {
  return {
    kind: 'file',
    serverArgs: ['--config-dir', meshDir],
    routeChange: (w) => Promise.resolve(() => writeFile(path.join(meshDir, 'vs.yaml'), routingYaml(size, w))),
    endpointChange: (v) => Promise.resolve(() => writeFile(path.join(meshDir, 'ep-0.yaml'), sliceYaml(0, size, v))),
    cpu: () => undefined,
    close: () => Promise.resolve(),
  };
}

/** The one object of `kind` named `name` in a meshgen YAML text. */
function pick(yamlText: string, kind: string, name: string): KubeObject {
  // Service 0's object comes first in meshgen's texts: parse only up to it (a routing file holds a
  // tenth of the services' objects, ~0.5 ms of YAML parsing each).
  for (const doc of yamlText.split(/^---\n/m)) {
    const o = objectsOf(doc)[0];
    if (o?.kind === kind && o.metadata?.name === name) return o;
  }
  throw new Error(`bench: no ${kind} ${name} in meshgen's output`);
}

/** Collection URL path of an object on the stand-in (group/version from its apiVersion). */
function objectPath(o: KubeObject, plural: string): string {
  const av = o.apiVersion ?? 'v1';
  const prefix = av.includes('/') ? `/apis/${av}` : `/api/${av}`;
  return `${prefix}/namespaces/${o.metadata?.namespace ?? 'default'}/${plural}/${o.metadata?.name ?? ''}`;
}

async function call(url: string, init: RequestInit): Promise<KubeObject> {
  const res = await fetch(url, init);
  const body = (await res.json()) as KubeObject & { message?: string };
  if (!res.ok) throw new Error(`bench: ${init.method ?? 'GET'} ${url}: ${res.status} ${body.message ?? ''}`);
  return body;
}

const PLURAL: Record<string, string> = { VirtualService: 'virtualservices', HTTPRoute: 'httproutes', EndpointSlice: 'endpointslices' };

/**
 * The Kubernetes source: starts the stand-in (kubeapi.ts) on the mesh folder in a child process,
 * writes a kubeconfig for it into `workDir`; resolves once it serves.
 */
export async function kubeSource(meshDir: string, workDir: string, size: MeshSize): Promise<MeshSource> {
  let loaded = { objects: 0, loadMs: 0 };
  const child = await startChild(['dist/bench/kubeapi.js', meshDir], (line) => {
    try {
      const l = JSON.parse(line) as { msg?: string; port?: number; objects?: number; loadMs?: number };
      if (l.msg !== 'listening' || l.port === undefined) return null;
      loaded = { objects: l.objects ?? 0, loadMs: l.loadMs ?? 0 };
      return l.port;
    } catch {
      return null;
    }
  });
  const proc: ChildProcess = child.proc;
  const base = `http://127.0.0.1:${child.port}`;
  const kubeconfig = path.join(workDir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'bench',
      // Plain http (the stand-in has no TLS): client-node refuses http unless TLS verification is off.
      clusters: [{ name: 'bench', cluster: { server: base, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'bench', user: { token: 'bench' } }],
      contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench' } }],
    }),
  );
  // The bench's HTTP client is loaded and connected now, not inside the first scenario.
  await call(`${base}/version`, { method: 'GET' });
  const routeKind = size.routing === 'httproute' ? 'HTTPRoute' : 'VirtualService';
  /** Last resourceVersion seen per object path (the writer's informer cache). */
  const seen = new Map<string, string>();
  /** The current resourceVersion of an object: from the last write, else read once (before any clock). */
  const rvOf = async (p: string): Promise<string> => {
    const known = seen.get(p);
    if (known) return known;
    const rv = (await call(base + p, { method: 'GET' })).metadata?.resourceVersion ?? '';
    seen.set(p, rv);
    return rv;
  };
  /** Performs a write and records the new resourceVersion; throws when the object did not change. */
  const write = async (p: string, init: RequestInit): Promise<void> => {
    const before = await rvOf(p);
    const rv = (await call(base + p, init)).metadata?.resourceVersion ?? '';
    if (rv === before) throw new Error(`bench: ${init.method} ${p} changed nothing (resourceVersion ${rv}): no watch event follows`);
    seen.set(p, rv);
  };
  return {
    kind: 'kube',
    apiUrl: base,
    serverArgs: ['--kubeconfig', kubeconfig, '--webhook-port', '0'],
    loaded,
    routeChange: async (w) => {
      const o = pick(routingYaml(size, w), routeKind, 'svc-0');
      const p = objectPath(o, PLURAL[routeKind]!);
      await rvOf(p);
      const body = JSON.stringify({ spec: o['spec'] });
      return () => write(p, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body });
    },
    endpointChange: async (v) => {
      const o = pick(sliceYaml(0, size, v), 'EndpointSlice', 'svc-0-1');
      const p = objectPath(o, PLURAL['EndpointSlice']!);
      await rvOf(p);
      return async () => {
        const body = JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: seen.get(p) } });
        await write(p, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
      };
    },
    cpu: () => usage(proc.pid!).cpuS,
    close: () => stopChild(proc),
  };
}
