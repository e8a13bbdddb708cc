/**
 * @module watchers/snapshot
 * The store-to-snapshot step every consumer shares: fold (source, text) pairs into a store the
 * way the file source would (`storeFromTexts`), and build the MeshConfig from a store while
 * remembering which objects passed the cross-object checks, so the next build can fall back to
 * them (`meshFromState`: the serving pipeline, the offline CLI, dry runs and tests all use it).
 */
import type { ConfigEvent, MeshConfig } from '../model/config.js';
import { parseConfigText } from './file/parse.js';
import { buildMesh, type MeshOptions } from './mesh.js';
import { emptyState, reduce, type StoreState } from './store.js';

/** Folds `replace` events for each (source, text) into a store (a fresh one by default), then `synced`. */
export function storeFromTexts(files: readonly { source: string; text: string }[], base: StoreState = emptyState()): { state: StoreState; fileErrors: Map<string, string> } {
  const fileErrors = new Map<string, string>();
  let st = base;
  for (const f of files) {
    const res = parseConfigText(f.text, f.source);
    const ev: ConfigEvent = res.ok
      ? { type: 'replace', origin: { source: f.source }, objects: res.file.objects, rejections: res.file.rejections, ignored: res.file.ignored }
      : { type: 'sourceError', origin: { source: f.source }, reason: res.reason };
    if (!res.ok) fileErrors.set(f.source, res.reason);
    st = reduce(st, ev);
  }
  return { state: reduce(st, { type: 'synced' }), fileErrors };
}

/** Builds the snapshot and records the semantically good objects in the state for the next build's last-good fallback. */
export function meshFromState(state: StoreState, opts?: MeshOptions): MeshConfig {
  const { mesh, accepted } = buildMesh(state, opts);
  state.lastSemanticGood.clear();
  for (const [k, v] of accepted) state.lastSemanticGood.set(k, v);
  return mesh;
}
