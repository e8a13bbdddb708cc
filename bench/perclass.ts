/**
 * @module bench/perclass
 * In-process measure of a push's per-class cost (issue 18: 2,000 proxies each its own class).
 * Builds the bench mesh (meshgen.ts, heavy shape) the way the store stage does, connects N SotW
 * streams to a real AdsEngine + PushRunner + SnapshotCache through an in-memory transport (each
 * stream ACKs and follows up EDS/RDS as the fleet client does, reading only the envelope), then
 * times one VirtualService push and one endpoint push: the runner's synchronous part, the wall
 * time until every response is written, the CPU spent, and the heap used after a GC.
 * No network, no child process: steadier than a fleet run on a shared machine.
 *
 *   node --expose-gc dist/bench/perclass.js --services 200 --proxies 500 [--labels pod] [--heap-snapshot f] [--profile dir]
 *     [--repeat N: N more EDS-only pushes, their medians and least] [--send-concurrency N: the engine's write throttle]
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { Session } from 'node:inspector/promises';
import type { ConfigEvent, MeshConfig } from '../model/config.js';
import type { PushRequest } from '../model/push.js';
import { CDS, LDS } from '../proto/typeurls.js';
import { encodeSotwRequest, type WireNode } from '../proto/wire.js';
import { parseConfigText } from '../watchers/file/parse.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../watchers/mesh.js';
import { emptyState, reduce, takeChanges } from '../watchers/store/reduce.js';
import { storeChange } from '../watchers/store/stage.js';
import { SnapshotCache } from '../server/cache/snapshot.js';
import { AdsEngine, type StreamHandle } from '../server/xds/ads.js';
import { PushRunner } from '../server/push/runner.js';
import { followUp, readSotw } from '../e2e/fleet/wire.js';
import { sliceYaml, vsYaml, writeMesh, type MeshSize } from './meshgen.js';
import { fleetNode, type LabelShape } from './fleetnode.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}

/** One simulated sidecar: subscribes CDS and LDS, ACKs everything, follows up EDS and RDS. */
class Sim {
  private readonly subs = new Map<string, Set<string>>();
  handle!: StreamHandle;
  bytes = 0;
  responses = 0;
  constructor(private readonly n: WireNode) {}

  start(): void {
    this.request(CDS, ['*'], true);
    this.request(LDS, ['*']);
  }

  private request(typeUrl: string, add: string[], withNode = false, last?: { version: string; nonce: string }): void {
    const cur = this.subs.get(typeUrl) ?? new Set<string>();
    for (const n of add) cur.add(n);
    this.subs.set(typeUrl, cur);
    this.handle.onMessage(
      encodeSotwRequest({
        ...(withNode ? { node: this.n } : {}),
        typeUrl,
        resourceNames: [...cur].filter((n) => n !== '*').sort(),
        versionInfo: last?.version ?? '',
        responseNonce: last?.nonce ?? '',
      }),
    );
  }

  onResponse(b: Uint8Array): void {
    this.bytes += b.length;
    this.responses++;
    const e = readSotw(b);
    this.request(e.typeUrl, [], false, e);
    const next = followUp(e, (t) => this.subs.get(t));
    if (next) this.request(next.typeUrl, next.names);
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function main(): Promise<void> {
  const size: MeshSize = {
    services: Number(arg('services', '200')),
    endpointsPerService: Number(arg('endpoints-per-service', '10')),
    namespaces: Number(arg('namespaces', '10')),
    routedShare: 0.1,
    scoped: true,
    heavy: true,
  };
  const proxies = Number(arg('proxies', '500'));
  const labels = arg('labels', 'pod');
  const heapFile = arg('heap-snapshot', '');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'perclass-'));
  await writeMesh(dir, size);
  const st = emptyState();
  const objs = async (file: string, text: string): Promise<ConfigEvent> => {
    const r = parseConfigText(text, file);
    if (!r.ok) throw new Error(r.reason);
    return { type: 'replace', origin: { source: file }, objects: r.file.objects, rejections: [] };
  };
  for (const f of (await readdir(dir)).sort()) reduce(st, await objs(f, await readFile(path.join(dir, f), 'utf8')));
  await rm(dir, { recursive: true, force: true });
  reduce(st, { type: 'synced' });
  takeChanges(st);
  let mesh: MeshConfig = buildMesh(st, DEFAULT_MESH_OPTIONS).mesh;
  const step = async (file: string, text: string): Promise<PushRequest> => {
    reduce(st, await objs(file, text));
    const { kinds, keys } = takeChanges(st);
    // As the store stage builds it (watchers/store/stage.ts): keys too, so an endpoint-only or
    // VirtualService-only change updates the previous mesh instead of rebuilding it.
    const next = buildMesh(st, DEFAULT_MESH_OPTIONS, mesh, kinds, keys).mesh;
    const req = storeChange(mesh, next, kinds, keys);
    mesh = next;
    return req;
  };

  const cache = new SnapshotCache(mesh);
  // --send-concurrency: the engine's write throttle (default: istiod's min(15 + 5·cores, 100)).
  const conc = arg('send-concurrency', '');
  const engine = new AdsEngine(cache, {}, Date.now, conc ? { sendConcurrency: Number(conc) } : {});
  const runner = new PushRunner(cache, engine);
  let writes = 0;
  let lastWriteAt = 0;
  const sims: Sim[] = [];
  for (let i = 0; i < proxies; i++) {
    const s = new Sim(fleetNode(i, size.namespaces, labels as LabelShape));
    s.handle = engine.open({
      peer: `sim-${i}`,
      write: (b, done) => {
        writes++;
        lastWriteAt = performance.now();
        const copy = new Uint8Array(b);
        setImmediate(() => {
          s.onResponse(copy);
          done?.();
        });
        return true;
      },
      onDrain: () => {},
      fail: (code, message) => {
        throw new Error(`stream ${i} failed: ${code} ${message}`);
      },
    });
    sims.push(s);
  }
  const quiet = async (): Promise<void> => {
    let last = -1;
    let still = 0;
    while (still < 3) {
      await turn();
      if (writes === last && engine.pendingCount() === 0) still++;
      else still = 0;
      last = writes;
    }
  };
  const gcHeap = (): number => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().heapUsed / 1048576;
  };
  const profDir = arg('profile', '');
  const session = profDir ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
  }
  /** Per label: runner wall, runner cpu, last write, cpu until written (ms). */
  const figures = new Map<string, number[]>();
  const measure = async (label: string, run: () => void): Promise<void> => {
    const profiled = session && label !== 'cold start';
    if (profiled) await session.post('Profiler.start');
    const w0 = writes;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run();
    const sync = performance.now() - t0;
    // CPU of the runner's synchronous part alone (steadier than its wall time on a busy machine).
    const syncCpu = process.cpuUsage(c0);
    await quiet();
    const wall = performance.now() - t0;
    const lastWrite = lastWriteAt - t0;
    const c = process.cpuUsage(c0);
    if (profiled) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(path.join(profDir, `${label.replace(/\W+/g, '-')}.cpuprofile`), JSON.stringify(profile));
    }
    figures.set(label, [sync, (syncCpu.user + syncCpu.system) / 1000, lastWrite, (c.user + c.system) / 1000]);
    console.log(
      `${label}: runner.push ${sync.toFixed(0)} ms (cpu ${((syncCpu.user + syncCpu.system) / 1000).toFixed(0)} ms), until written ${wall.toFixed(0)} ms (last write ${lastWrite.toFixed(0)} ms), cpu ${((c.user + c.system) / 1000).toFixed(0)} ms, responses ${writes - w0}, heap ${gcHeap().toFixed(0)} MB, classes ${cache.stats().classes}, parts ${cache.stats().parts}`,
    );
  };
  console.log(
    `mesh: heavy, ${size.services} services × ${size.endpointsPerService} in ${size.namespaces} ns; ${proxies} proxies, labels ${labels}; load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await measure('cold start', () => sims.forEach((s) => s.start()));
  const vs = await step('vs.yaml', vsYaml(size, 70));
  await measure(`VS push (${vs.scope.kind})`, () => runner.push(vs));
  const vs2 = await step('vs.yaml', vsYaml(size, 60));
  await measure(`VS push again (${vs2.scope.kind})`, () => runner.push(vs2));
  const ep = await step('ep-0.yaml', sliceYaml(0, size, 1));
  await measure(`endpoint push (${ep.scope.kind})`, () => runner.push(ep));
  const ep2 = await step('ep-0.yaml', sliceYaml(0, size, 2));
  await measure(`endpoint push again (${ep2.scope.kind})`, () => runner.push(ep2));
  // What an endpoint change costs once Pod churn is EDS-only (the slice's IPs move, nothing else).
  const ep3 = await step('ep-0.yaml', sliceYaml(0, size, 3));
  const eds: PushRequest = { ...ep3, scope: { kind: 'endpoints', hosts: new Set([`svc-0.ns-0.svc.${'cluster.local'}`]) } };
  await measure('endpoint push as EDS-only', () => runner.push(eds));
  const ep4 = await step('ep-0.yaml', sliceYaml(0, size, 4));
  await measure('endpoint push as EDS-only again', () => runner.push({ ...ep4, scope: eds.scope }));
  // --repeat N: N more EDS-only pushes, and their medians (one push's figures are noise on a busy machine).
  const repeat = Number(arg('repeat', '0'));
  for (let i = 0; i < repeat; i++) {
    const r = await step('ep-0.yaml', sliceYaml(0, size, 5 + i));
    await measure(`EDS-only #${i + 1}`, () => runner.push({ ...r, scope: eds.scope }));
  }
  if (repeat) {
    const runs = [...figures].filter(([k]) => k.startsWith('EDS-only #')).map(([, v]) => v);
    const median = (i: number): string => {
      const xs = runs.map((r) => r[i]!).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!.toFixed(1);
    };
    // The least of N: what the work costs when nothing else on the machine got in its way.
    const least = (i: number): string => Math.min(...runs.map((r) => r[i]!)).toFixed(1);
    console.log(
      `EDS-only median of ${repeat}: runner.push ${median(0)} ms (cpu ${median(1)} ms), last write ${median(2)} ms, cpu until written ${median(3)} ms; least: runner.push ${least(0)} ms (cpu ${least(1)} ms)`,
    );
  }
  if (heapFile) console.log(`heap snapshot: ${v8.writeHeapSnapshot(heapFile)}`);
  console.log(`rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
