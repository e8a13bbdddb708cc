/**
 * @module watchers/store/snapshot
 * The store-to-snapshot step every consumer shares: fold (source, text) pairs into a store the
 * way the file source would (`storeFromTexts`), and build the MeshConfig from a store
 * (`meshFromState`, given the previous snapshot for the cross-object last-good fallback). The
 * serving stage (stage.ts), the offline CLI, dry runs and tests all use it. Nothing here changes
 * a state after it was folded.
 */
import type { ConfigEvent, MeshConfig } from '../../model/config.js';
import { parseConfigText } from '../file/parse.js';
import { buildMesh, type MeshOptions } from '../mesh.js';
import { emptyState, reduce, type StoreState } from './reduce.js';

/** Folds `replace` events for each (source, text) into a store (a fresh one by default), then `synced`. */
export function storeFromTexts(
  files: readonly { source: string; text: string }[],
  base: StoreState = emptyState(),
): { state: StoreState; fileErrors: Map<string, string> } {
  const fileErrors = new Map<string, string>();
  let st = base;
  for (const f of files) {
    const res = parseConfigText(f.text, f.source);
    const ev: ConfigEvent = res.ok
      ? {
          type: 'replace',
          origin: { source: f.source },
          objects: res.file.objects,
          rejections: res.file.rejections,
          ignored: res.file.ignored,
        }
      : { type: 'sourceError', origin: { source: f.source }, reason: res.reason };
    if (!res.ok) fileErrors.set(f.source, res.reason);
    st = reduce(st, ev);
  }
  return { state: reduce(st, { type: 'synced' }), fileErrors };
}

/** Builds the snapshot; `previous` (the snapshot served so far) supplies last-good VirtualServices. */
export function meshFromState(state: StoreState, opts?: MeshOptions, previous?: MeshConfig): MeshConfig {
  return buildMesh(state, opts, previous).mesh;
}
