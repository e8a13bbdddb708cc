/**
 * @module translators/golden.test
 * Golden tests: every `testdata/<case>.in.yaml` (Kubernetes/Istio objects plus one `kind: TestCase`
 * document naming the proxies and an optional `meshConfig`) is translated for each proxy and
 * compared with `testdata/<case>.out.yaml`: rejected objects, then per proxy its clusters,
 * listeners, routes and endpoints as proto3 JSON (encoded exactly as the server sends them).
 * Every resource must pass Envoy's validate.rules and every snapshot must be consistent.
 * `UPDATE_GOLDENS=1 npm test` rewrites the outputs and deletes outputs whose input is gone.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { readMeshConfig } from '../watchers/validate/meshconfig.js';
import { meshFrom, proxy, snapshot, TYPES, type TypeKey } from './harness.test.js';

export const TESTDATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../translators/testdata');
const UPDATE = process.env['UPDATE_GOLDENS'] === '1';

interface TestCase {
  proxies: { id: string; metadata?: Record<string, unknown> }[];
  meshConfig?: unknown;
}

export function readCase(file: string): { text: string; tc: TestCase } {
  const text = fs.readFileSync(file, 'utf8');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown> | null);
  const tc = docs.find((d) => d?.['kind'] === 'TestCase') as unknown as TestCase | undefined;
  if (!tc?.proxies?.length) throw new Error(`${file}: needs a kind: TestCase document with proxies`);
  return { text, tc };
}

export function renderCase(file: string): { out: Record<string, unknown>; problems: string[] } {
  const { text, tc } = readCase(file);
  const mc = readMeshConfig(tc.meshConfig ?? null);
  assert.deepEqual(mc.problems, [], 'the case meshConfig is valid');
  const { mesh } = meshFrom(text, mc.settings);
  const problems: string[] = [];
  const proxies: Record<string, unknown> = {};
  for (const p of tc.proxies) {
    const { snap, problems: pr } = snapshot(mesh, proxy(p.id, p.metadata ?? {}));
    problems.push(...pr.map((x) => `${p.id}: ${x}`));
    const rendered: Record<string, unknown> = {};
    for (const t of Object.keys(TYPES) as TypeKey[])
      rendered[t] = Object.keys(snap[t])
        .sort()
        .map((n) => snap[t][n]);
    proxies[p.id] = rendered;
  }
  const out = {
    rejected: mesh.rejected.map((r) => `${r.kind} ${r.namespace}/${r.name}: ${r.field}: ${r.reason}`),
    conflicts: mesh.conflicts,
    // Gateway API cases: the status conditions the conversion computed (configz shows the same).
    ...(mesh.gatewayApiStatus ? { gatewayApiStatus: mesh.gatewayApiStatus } : {}),
    ...(mesh.notices?.length ? { notices: mesh.notices.map((n) => `${n.key}: ${n.field}: ${n.reason}`) } : {}),
    proxies,
  };
  return { out, problems };
}

const cases = fs
  .readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.in.yaml'))
  .sort();

describe('translators golden files (testdata/*.in.yaml → *.out.yaml)', () => {
  if (UPDATE) {
    after(() => {
      const inputs = new Set(cases.map((c) => c.replace(/\.in\.yaml$/, '')));
      for (const f of fs.readdirSync(TESTDATA))
        if (f.endsWith('.out.yaml') && !inputs.has(f.replace(/\.out\.yaml$/, ''))) fs.rmSync(path.join(TESTDATA, f));
    });
  }
  it('has cases', () => assert.ok(cases.length >= 5, cases.join(', ')));
  for (const c of cases) {
    it(c.replace(/\.in\.yaml$/, ''), () => {
      const { out, problems } = renderCase(path.join(TESTDATA, c));
      assert.deepEqual(problems, [], 'every resource passes validate.rules and the snapshot is consistent');
      const outFile = path.join(TESTDATA, c.replace(/\.in\.yaml$/, '.out.yaml'));
      const text = stringify(out, { lineWidth: 0, aliasDuplicateObjects: false });
      if (UPDATE) {
        fs.writeFileSync(outFile, text);
        return;
      }
      assert.ok(fs.existsSync(outFile), `${outFile} is missing: run UPDATE_GOLDENS=1 npm test`);
      assert.deepEqual(
        out,
        parseAllDocuments(fs.readFileSync(outFile, 'utf8'))[0]!.toJS(),
        `${c}: output differs from the golden (UPDATE_GOLDENS=1 npm test rewrites it)`,
      );
    });
  }
});
