/**
 * @module bench/kubeapi
 * The bench's cluster (`--source kube`), run as its own process so its CPU and memory are not the
 * server's and its event loop is not the fleet's: the e2e Kubernetes API-server stand-in
 * (e2e/kube/apiserver.ts: list/watch with resourceVersion, chunked watches, BOOKMARK, 410 Gone) on
 * 127.0.0.1, serving every resource tspilot reads (Istio's and the Gateway API's CRDs installed),
 * holding a Namespace per namespace used plus `istio-system`, and every object of the bench's mesh
 * folder (the files meshgen.ts wrote, parsed as they are: the same objects the folder source reads).
 * Created before tspilot starts, as in a running cluster. Changes come over HTTP from the bench
 * (kube-source.ts), as a controller's writes.
 *
 * `node dist/bench/kubeapi.js <meshDir>`: prints one JSON line `{"msg":"listening","port","objects",
 * "loadMs"}` once it serves, and closes on SIGTERM/SIGINT.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RESOURCES, startFakeApiServer, type FakeApiServer, type KubeObject, type ResourceDef } from '../e2e/kube/apiserver.js';
import { objectsOf } from '../e2e/kube-mode-kit.js';
import { WATCHED_RESOURCES } from '../watchers/kube/resources.js';

/** DEFAULT_RESOURCES plus every other resource tspilot watches (as installed CRDs), so none is "not served". */
export function clusterResources(): ResourceDef[] {
  const have = new Set(DEFAULT_RESOURCES.map((d) => `${d.group}/${d.resource}`));
  const more = WATCHED_RESOURCES.filter((r) => !have.has(`${r.group}/${r.resource}`)).map((r): ResourceDef => ({
    group: r.group,
    versions: [...r.versions],
    resource: r.resource,
    kind: r.kind,
    namespaced: r.namespaced,
    crd: true,
  }));
  return [...DEFAULT_RESOURCES, ...more];
}

/** Every object of the mesh folder's YAML files (sorted by file name, as written). */
export async function meshObjects(meshDir: string): Promise<KubeObject[]> {
  const files = (await readdir(meshDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const out: KubeObject[] = [];
  for (const f of files) out.push(...objectsOf(await readFile(path.join(meshDir, f), 'utf8')));
  return out;
}

/** The stand-in holding the mesh: its Namespaces first, then every object, each created once. */
export async function startCluster(meshDir: string): Promise<{ srv: FakeApiServer; objects: number; loadMs: number }> {
  const t0 = performance.now();
  const objects = await meshObjects(meshDir);
  // A real server's bookmarks come about once a minute; the stand-in's 1 s default is for tests.
  const srv = await startFakeApiServer({ resources: clusterResources(), bookmarkIntervalMs: 60_000 });
  const namespaces = new Set(['istio-system', ...objects.map((o) => o.metadata?.namespace).filter((n): n is string => !!n)]);
  for (const name of [...namespaces].sort()) srv.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (const o of objects) {
    try {
      srv.create(o);
    } catch (e) {
      await srv.close();
      throw new Error(`${o.kind ?? '?'} ${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? '?'}: ${(e as Error).message}`);
    }
  }
  return { srv, objects: objects.length + namespaces.size, loadMs: performance.now() - t0 };
}

async function main(): Promise<void> {
  const meshDir = process.argv[2];
  if (!meshDir) throw new Error('usage: kubeapi.js <meshDir>');
  const { srv, objects, loadMs } = await startCluster(meshDir);
  const stop = (): void => {
    void srv.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(JSON.stringify({ msg: 'listening', port: srv.port, objects, loadMs: Math.round(loadMs) }) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
