/**
 * @module server/explain/offline
 * The serving pipeline without a server: a folder (or texts) of YAML → parse and validate
 * (watchers/file/parse.ts) → store (`reduce`, last good wins) → `buildMesh` → per-proxy
 * generation and encoding (server/cache/snapshot.ts). `translate`, `explain` and `diff` use it,
 * so what they print is what `serve` would send. Also copies a live store state for dry runs, so a
 * "what if" never touches the state the server serves from.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { MeshConfig, Rejection } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { resolveProxy } from '../../model/resolve-proxy.js';
import { DEFAULT_MESH_OPTIONS, type MeshOptions } from '../../watchers/mesh.js';
import { meshFromState, storeFromTexts } from '../../watchers/store/snapshot.js';
import { loadMeshConfigFile } from '../../watchers/validate/meshconfig.js';
import { reduce, type StoreState } from '../../watchers/store/reduce.js';
import { parseConfigText, type ParseResult } from '../../watchers/file/parse.js';

const CONFIG_FILE = /\.(ya?ml|json)$/i;

export interface LoadedMesh {
  readonly mesh: MeshConfig;
  readonly state: StoreState;
  /** Files that did not parse, with the reason. */
  readonly fileErrors: ReadonlyMap<string, string>;
  /** The mesh-building options used (with --mesh-config settings), for dry runs on top. */
  readonly options?: MeshOptions;
}

export { storeFromTexts, meshFromState };

/** Reads a config folder like `serve --config-dir` does (not recursive; .yaml, .yml, .json). */
export async function loadConfigDir(dir: string, opts?: MeshOptions): Promise<LoadedMesh> {
  const abs = path.resolve(dir);
  let names: string[];
  try {
    names = (await readdir(abs)).filter((n) => CONFIG_FILE.test(n)).sort();
  } catch (e) {
    throw new Error(`cannot read config folder ${abs}: ${(e as Error).message}`);
  }
  const files: { source: string; text: string }[] = [];
  for (const n of names) {
    const file = path.join(abs, n);
    if (!(await stat(file)).isFile()) continue;
    files.push({ source: file, text: await readFile(file, 'utf8') });
  }
  const { state, fileErrors } = storeFromTexts(files);
  return { mesh: meshFromState(state, opts), state, fileErrors, ...(opts ? { options: opts } : {}) };
}

/** Mesh-building options for `--mesh-config FILE` and `--gateway-class-name` (istiod's defaults without them), as `serve` reads them. */
export function meshOptions(meshConfig?: string, gatewayClassName?: string): MeshOptions | undefined {
  if (!meshConfig && !gatewayClassName) return undefined;
  return {
    ...DEFAULT_MESH_OPTIONS,
    ...(meshConfig ? { settings: loadMeshConfigFile(meshConfig) } : {}),
    ...(gatewayClassName ? { gatewayClassName } : {}),
  };
}

/**
 * A deep-enough copy of a store state for a dry run: its maps and sets are new, the (immutable)
 * objects are shared. Applying events to the copy leaves the original untouched.
 */
export function copyState(st: StoreState): StoreState {
  return {
    ...st,
    objects: new Map(st.objects),
    byOrigin: new Map([...st.byOrigin].map(([k, v]) => [k, new Set(v)])),
    definitions: new Map([...st.definitions].map(([k, v]) => [k, new Map(v)])),
    rejected: new Map(st.rejected),
    sourceErrors: new Map(st.sourceErrors),
    ignored: new Map(st.ignored),
    changedKinds: new Set(st.changedKinds),
    changedKeys: new Set(st.changedKeys),
    settled: new Set(st.settled),
  };
}

/** The store after `kubectl apply -f CHANGE.yaml` (objects upserted by key), on a copy of `base`. */
export function applyChange(base: StoreState, text: string, source = 'dry-run'): AppliedChange {
  return applyParsed(base, parseConfigText(text, source), source);
}

export interface AppliedChange {
  state: StoreState;
  applied: string[];
  rejected: Rejection[];
  error?: string;
}

/** `applyChange` for a text already parsed (by parseConfigText, possibly on a worker thread). */
export function applyParsed(base: StoreState, res: ParseResult, source = 'dry-run'): AppliedChange {
  if (!res.ok) return { state: base, applied: [], rejected: [], error: `${source}: ${res.reason}` };
  if (!res.file.objects.length && !res.file.rejections.length)
    return {
      state: base,
      applied: [],
      rejected: [],
      error: `${source}: no objects tspilot reads (Service, EndpointSlice, Pod, VirtualService, DestinationRule…)`,
    };
  let st = copyState(base);
  for (const o of res.file.objects) st = reduce(st, { type: 'upsert', key: o.key, object: o.object, origin: { source } });
  for (const r of res.file.rejections) st = reduce(st, { type: 'reject', rejection: r });
  return { state: st, applied: res.file.objects.map((o) => o.key), rejected: [...res.file.rejections] };
}

/**
 * The proxy a node given on the command line (metadata as JSON or `K=V` pairs) is, resolved
 * against `mesh` as the server resolves a connected one (model/resolve-proxy.ts); throws the
 * parse error.
 */
export function resolveNode(mesh: MeshConfig, id: string, metadata: Readonly<Record<string, unknown>> = {}): Proxy {
  const p = resolveProxy({ id, metadata }, mesh);
  if (!p.ok) throw new Error(p.reason);
  return p.proxy;
}
