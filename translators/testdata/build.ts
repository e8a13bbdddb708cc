/**
 * @module translators/testdata/build
 * Test support shared by the translator tests: the test mesh's files (examples/bookinfo/*.yaml
 * plus the fixtures in mesh.ts), built the way the server builds it (watchers/store/snapshot.ts), and
 * proxies parsed from node IDs. Test-only code: it reads files, so lint's purity rule skips testdata/.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import type { MeshConfig } from '../../model/config.js';
import { parseNodeId, type Proxy } from '../../model/proxy.js';
import { meshFromState, storeFromTexts } from '../../watchers/store/snapshot.js';
import { ECHO_YAML, SHOP_YAML } from './mesh.js';

export interface SourceFile { readonly source: string; readonly text: string }

const BOOKINFO = new URL('../../../examples/bookinfo/', import.meta.url);

export function meshFiles(): SourceFile[] {
  const bookinfo = readdirSync(BOOKINFO).filter((n) => n.endsWith('.yaml')).sort()
    .map((n) => ({ source: `examples/bookinfo/${n}`, text: readFileSync(new URL(n, BOOKINFO), 'utf8') }));
  return [...bookinfo, { source: 'testdata/echo.yaml', text: ECHO_YAML }, { source: 'testdata/shop.yaml', text: SHOP_YAML }];
}

/** The MeshConfig of these files; fails the test if any file or object is rejected. */
export function buildFrom(files: readonly SourceFile[]): MeshConfig {
  const { state, fileErrors } = storeFromTexts(files);
  assert.deepEqual([...fileErrors], [], 'the test files parse');
  const mesh = meshFromState(state);
  assert.deepEqual(mesh.rejected, [], 'the test mesh is valid');
  return mesh;
}

export function proxy(id: string, metadata: Record<string, unknown> = {}): Proxy {
  const r = parseNodeId(id, metadata);
  if (!r.ok) assert.fail(r.reason);
  return r.proxy;
}
