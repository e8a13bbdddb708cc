/**
 * @module translators/harness.test
 * Test harness shared by the translator tests (a test file so it may do I/O and use the encoder):
 * YAML text → validated store → MeshConfig; a proxy from a node ID; a proxy's full snapshot
 * (every name of every type, encoded like the server does and rendered as proto3 JSON), with
 * its validate.rules violations and consistency problems.
 */
import assert from 'node:assert/strict';
import { parseConfigText } from '../watchers/file/parse.js';
import { emptyState, reduce } from '../watchers/store/reduce.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../watchers/mesh.js';
import type { MeshConfig, Rejection } from '../model/config.js';
import type { MeshSettings } from '../model/meshconfig.js';
import { parseNodeId, type Proxy } from '../model/proxy.js';
import { encodeResource } from '../proto/encode.js';
import { toProto3Json, type JsonValue } from '../proto/json.js';
import { validateMessage } from '../proto/validate.js';
import { PROTO_PATCH_OPS } from '../proto/patch.js';
import { generate } from './index.js';

export const TYPES = {
  clusters: 'envoy.config.cluster.v3.Cluster',
  endpoints: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  listeners: 'envoy.config.listener.v3.Listener',
  routes: 'envoy.config.route.v3.RouteConfiguration',
} as const;
export type TypeKey = keyof typeof TYPES;

export function meshFrom(yaml: string, settings?: MeshSettings): { mesh: MeshConfig; rejected: readonly Rejection[] } {
  const parsed = parseConfigText(yaml, 'test.yaml');
  if (!parsed.ok) throw new Error(parsed.reason);
  let st = reduce(emptyState(), {
    type: 'replace',
    origin: { source: 'test.yaml' },
    objects: parsed.file.objects,
    rejections: parsed.file.rejections,
  });
  st = reduce(st, { type: 'synced' });
  const { mesh } = buildMesh(st, { ...DEFAULT_MESH_OPTIONS, ...(settings ? { settings } : {}) });
  return { mesh, rejected: mesh.rejected };
}

export function proxy(id: string, metadata: Record<string, unknown> = {}): Proxy {
  const r = parseNodeId(id, metadata);
  if (!r.ok) throw new Error(r.reason);
  return r.proxy;
}

export type Snapshot = Record<TypeKey, Record<string, JsonValue>>;

/** Every resource a proxy receives (wildcard names for each type), as proto3 JSON, plus its problems. */
export function snapshot(mesh: MeshConfig, p: Proxy, opts: { strictClusters?: boolean } = {}): { snap: Snapshot; problems: string[] } {
  const g = generate(mesh, p, PROTO_PATCH_OPS);
  const snap: Snapshot = { clusters: {}, endpoints: {}, listeners: {}, routes: {} };
  const problems: string[] = [];
  for (const t of Object.keys(TYPES) as TypeKey[]) {
    for (const name of [...g[t].names()].sort()) {
      const obj = g[t].get(name);
      if (!obj) {
        problems.push(`${t} ${name}: listed but get() returns nothing`);
        continue;
      }
      let bytes: Uint8Array;
      try {
        bytes = encodeResource(TYPES[t], name, obj).bytes;
      } catch (e) {
        problems.push(`${t} ${name}: cannot encode: ${(e as Error).message}`);
        continue;
      }
      for (const v of validateMessage(TYPES[t], bytes)) problems.push(`${t} ${name}: ${v.path}: ${v.message}`);
      snap[t][name] = toProto3Json(TYPES[t], bytes);
    }
  }
  problems.push(...consistency(snap, opts.strictClusters ?? true));
  return { snap, problems };
}

function collect(v: unknown, key: string, out: Set<string>): void {
  if (Array.isArray(v)) {
    for (const x of v) collect(x, key, out);
    return;
  }
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === key && typeof x === 'string') out.add(x);
      else collect(x, key, out);
    }
  }
}

/**
 * go-control-plane's Consistent(): every EDS name comes from a cluster, every RDS name from a
 * listener. `strictClusters` also asks that every routed cluster exists — true for curated inputs;
 * a VirtualService may legitimately name a host the registry lacks (Envoy answers 503 at run time).
 */
export function consistency(s: Snapshot, strictClusters = true): string[] {
  const problems: string[] = [];
  const edsWanted = new Set<string>();
  for (const c of Object.values(s.clusters)) {
    const o = c as Record<string, unknown>;
    if (o['type'] === 'EDS')
      edsWanted.add(((o['edsClusterConfig'] as Record<string, unknown>)?.['serviceName'] as string) ?? (o['name'] as string));
  }
  for (const n of Object.keys(s.endpoints)) if (!edsWanted.has(n)) problems.push(`endpoints ${n}: no cluster references it`);
  for (const n of edsWanted) if (!s.endpoints[n]) problems.push(`cluster ${n}: its EDS name has no assignment`);
  const rds = new Set<string>();
  collect(s.listeners, 'routeConfigName', rds);
  for (const n of Object.keys(s.routes)) if (!rds.has(n)) problems.push(`routes ${n}: no listener references it`);
  for (const n of rds) if (!s.routes[n]) problems.push(`listener references route config ${n}, which is missing`);
  const used = new Set<string>();
  collect(s.routes, 'cluster', used);
  collect(s.listeners, 'cluster', used);
  if (strictClusters) for (const n of used) if (!s.clusters[n]) problems.push(`cluster ${n} is routed to but not defined`);
  return problems;
}

describe('translators/harness', () => {
  it('builds a mesh and a consistent, valid snapshot for a one-service mesh', () => {
    const { mesh } = meshFrom(`apiVersion: v1
kind: Service
metadata: { name: a, namespace: default }
spec: { clusterIP: 10.0.0.1, selector: { app: a }, ports: [{ name: http, port: 80 }] }`);
    const { snap, problems } = snapshot(mesh, proxy('sidecar~10.1.0.1~x.default~default.svc.cluster.local'));
    assert.deepEqual(problems, []);
    assert.ok(snap.clusters['outbound|80||a.default.svc.cluster.local']);
  });
});
