/**
 * @module bench/keyed-policy-inproc
 * `node dist/bench/keyed-policy-inproc.js 1000 20` — what keying a security policy edit by
 * dependencies saves (issue 18 item 1; translators/policy-deps.ts), as keyed-inproc.ts does for a
 * Service edit: the flat bench's scoped mesh (meshgen.ts: root Sidecar `./*`) served to 5
 * namespaces × N proxies (second argument, default 20) with per-pod labels — each its own class,
 * sharing its namespace's outbound parts — from a SnapshotCache through a PushRunner, in process.
 * Three edits, each made 16 times, timed with every class's wildcard sets read (translation and
 * encoding of what changed): first as the keyed push the store stage makes, then as the same
 * request forced full (`exactKeys: false`, as before keying); the first 4 of each (and a first
 * throwaway run) are not measured:
 * - an AuthorizationPolicy selecting one workload (label `pod: w-0-0`): its paths change;
 * - a PeerAuthentication selecting that workload: STRICT ↔ PERMISSIVE;
 * - namespace ns-0's PeerAuthentication: STRICT ↔ DISABLE (auto mTLS of ns-0's services too).
 * Prints the medians.
 */
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import type { MeshConfig } from '../model/config.js';
import { parseNodeId } from '../model/proxy.js';
import { CDS, EDS, LDS, RDS } from '../proto/typeurls.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../watchers/mesh.js';
import { emptyState, reduce, takeChanges } from '../watchers/store/reduce.js';
import { SnapshotCache } from '../server/cache/snapshot.js';
import { PushRunner } from '../server/push/runner.js';
import { namespaceOf, writeMesh, type MeshSize } from './meshgen.js';
import { median } from './flat.js';
import { fileEvent, foldFolder, timeKeyedAndFull } from './inproc-edits.js';

const NAMESPACES = 5;
const WARMUP = 4;

/** The edited objects, variant v (all in ns-0). */
export const EDITS: Readonly<Record<string, (v: number) => string>> = {
  'AuthorizationPolicy, one workload (paths)': (v) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: one, namespace: ns-0}
spec:
  selector: {matchLabels: {pod: w-0-0}}
  action: ALLOW
  rules: [{to: [{operation: {paths: ["/v${v}"]}}]}]
`,
  'PeerAuthentication, one workload (STRICT/PERMISSIVE)': (v) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: one, namespace: ns-0}
spec:
  selector: {matchLabels: {pod: w-0-0}}
  mtls: {mode: ${v % 2 ? 'PERMISSIVE' : 'STRICT'}}
`,
  'PeerAuthentication, namespace ns-0 (STRICT/DISABLE)': (v) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: ns-0}
spec:
  mtls: {mode: ${v % 2 ? 'DISABLE' : 'STRICT'}}
`,
};

export async function keyedPolicyEdit(
  services: number,
  perNamespace: number,
  edit: (v: number) => string,
  edits = 16,
): Promise<{ keyed: number[]; full: number[]; classes: number }> {
  const size: MeshSize = { services, endpointsPerService: 3, namespaces: NAMESPACES, routedShare: 0.1, scoped: true };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-keyed-policy-'));
  try {
    await writeMesh(dir, size);
    const st = emptyState();
    await foldFolder(st, dir);
    const source = path.join(dir, 'policy.yaml');
    reduce(st, fileEvent(source, edit(0)));
    reduce(st, { type: 'synced' });
    takeChanges(st);
    const mesh: MeshConfig = buildMesh(st, DEFAULT_MESH_OPTIONS).mesh;
    const cache = new SnapshotCache(mesh);
    const runner = new PushRunner(cache, { subscribers: () => [] });
    const leases = Array.from({ length: NAMESPACES * perNamespace }, (_, n) => {
      const i = n % NAMESPACES;
      const k = Math.floor(n / NAMESPACES);
      const ns = namespaceOf(i, size);
      // Labelled as a workload of svc-i (its inbound port), with a per-pod label: one class each.
      const id = `sidecar~10.201.${i}.${k + 1}~w-${i}-${k}.${ns}~${ns}.svc.cluster.local`;
      const r = parseNodeId(id, { NAMESPACE: ns, LABELS: { app: `svc-${i}`, pod: `w-${i}-${k}` } });
      if (!r.ok) throw new Error(r.reason);
      return cache.acquire(r.proxy);
    });
    const read = (): void => {
      for (const l of leases) for (const t of [CDS, EDS, LDS, RDS]) l.snapshot().wildcardSet(t);
    };
    read();
    const classes = new Set(leases.map((l) => l.snapshot().classKey)).size;
    // Variant 0 is in the store already: the edits start from variant 1.
    const out = { ...timeKeyedAndFull({ st, mesh, runner, read, source, variant: (e) => edit(e + 1), warmup: WARMUP, edits }), classes };
    for (const l of leases) l.release();
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const services = Number(process.argv[2] ?? 1000);
  const perNamespace = Number(process.argv[3] ?? 20);
  const lines = [
    `one policy edit, ${services} services, ${NAMESPACES * perNamespace} proxies with per-pod labels: push + every class read, in process`,
    '',
    '| edit | classes | keyed ms | full ms |',
    '|---|---|---|---|',
  ];
  // One unmeasured run first: the first scenario of a cold process otherwise pays for the JIT.
  await keyedPolicyEdit(services, perNamespace, Object.values(EDITS)[0]!, 4);
  for (const [name, edit] of Object.entries(EDITS)) {
    const r = await keyedPolicyEdit(services, perNamespace, edit);
    lines.push(`| ${name} | ${r.classes} | ${median(r.keyed).toFixed(1)} | ${median(r.full).toFixed(1)} |`);
    process.stderr.write(lines.at(-1)! + '\n');
  }
  process.stdout.write(lines.join('\n') + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
