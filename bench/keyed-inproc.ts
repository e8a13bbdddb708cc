/**
 * @module bench/keyed-inproc
 * `node dist/bench/keyed-inproc.js 1000,4000` — what keying a Service edit by dependencies saves
 * (issue 18 item 1; translators/changed-deps.ts): the flat bench's scoped mesh (meshgen.ts: root
 * Sidecar `./*`, so each namespace sees its own services) served to 5 proxy classes (one per
 * namespace) from a SnapshotCache through a PushRunner, in process as flat-inproc.ts. svc-0 (in
 * ns-0) gains and loses a port, 16 times; each push is timed with every class's wildcard sets read
 * (translation and encoding of what changed): first as the keyed push the store stage makes, then
 * as the same request forced full (`exactKeys: false`, as before keying). The first 4 edits are
 * not measured. Prints the medians per size.
 */
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { parseNodeId } from '../model/proxy.js';
import { CDS, EDS, LDS, RDS } from '../proto/typeurls.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../watchers/mesh.js';
import { emptyState, reduce, takeChanges } from '../watchers/store/reduce.js';
import { SnapshotCache } from '../server/cache/snapshot.js';
import { PushRunner } from '../server/push/runner.js';
import { writeMesh, type MeshSize } from './meshgen.js';
import { median } from './flat.js';
import { foldFolder, timeKeyedAndFull } from './inproc-edits.js';

const NAMESPACES = 5;
const WARMUP = 4;

/** svc-0 as meshgen writes it, with a second port in odd variants. */
const svc0 = (variant: number): string => `apiVersion: v1
kind: Service
metadata: {name: svc-0, namespace: ns-0}
spec:
  clusterIP: 10.96.0.0
  ports:
  - {name: http, port: 8080, targetPort: 8080}
${variant % 2 ? '  - {name: http-admin, port: 8081}\n' : ''}`;

export async function keyedServiceEdit(services: number, edits = 16): Promise<{ keyed: number[]; full: number[] }> {
  const size: MeshSize = { services, endpointsPerService: 3, namespaces: NAMESPACES, routedShare: 0.1, scoped: true };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-keyed-inproc-'));
  try {
    await writeMesh(dir, size);
    const st = emptyState();
    await foldFolder(st, dir);
    reduce(st, { type: 'synced' });
    takeChanges(st);
    const mesh = buildMesh(st, DEFAULT_MESH_OPTIONS).mesh;
    const cache = new SnapshotCache(mesh);
    const runner = new PushRunner(cache, { subscribers: () => [] });
    const leases = Array.from({ length: NAMESPACES }, (_, i) => {
      const ns = `ns-${i}`;
      const r = parseNodeId(`sidecar~10.201.0.${i + 1}~p-${i}.${ns}~${ns}.svc.cluster.local`, { NAMESPACE: ns, LABELS: { app: 'fleet' } });
      if (!r.ok) throw new Error(r.reason);
      return cache.acquire(r.proxy);
    });
    const read = (): void => {
      for (const l of leases) for (const t of [CDS, EDS, LDS, RDS]) l.snapshot().wildcardSet(t);
    };
    read();
    const out = timeKeyedAndFull({ st, mesh, runner, read, source: path.join(dir, 'ns-0.yaml'), variant: svc0, warmup: WARMUP, edits });
    for (const l of leases) l.release();
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '1000,4000').split(',').map(Number);
  const lines = [
    'one Service edit (svc-0 gains or loses a port), push + 5 classes read, in process',
    '',
    '| services | keyed ms | full ms |',
    '|---|---|---|',
  ];
  for (const s of sizes) {
    const r = await keyedServiceEdit(s);
    lines.push(`| ${s} | ${median(r.keyed).toFixed(1)} | ${median(r.full).toFixed(1)} |`);
    process.stderr.write(lines.at(-1)! + '\n');
  }
  process.stdout.write(lines.join('\n') + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
