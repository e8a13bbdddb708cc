/**
 * @module translators/cluster-key.test
 * Every generator carries a ClusterKey beside each cluster and EDS assignment it serves, and the
 * key is what the name says: the server (endpoint-only pushes, explain) reads keys instead of
 * splitting names, so a key that disagreed with its name would push or explain the wrong host.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readMeshConfig } from '../watchers/validate/meshconfig.js';
import { TESTDATA, readCase } from './golden.test.js';
import { meshFrom, proxy } from './harness.test.js';
import { generate } from './index.js';
import { PROTO_PATCH_OPS } from '../proto/patch.js';
import { clusterKeyName } from './names.js';

const FIXED = new Set(['BlackHoleCluster', 'PassthroughCluster', 'InboundPassthroughCluster']);

describe('ClusterKey beside generated clusters and endpoints', () => {
  const cases = fs
    .readdirSync(TESTDATA)
    .filter((f) => f.endsWith('.in.yaml'))
    .sort();
  for (const c of cases) {
    it(`${c.replace(/\.in\.yaml$/, '')}: every non-fixed cluster and every EDS name has the key its name spells`, () => {
      const { text, tc } = readCase(path.join(TESTDATA, c));
      const { mesh } = meshFrom(text, readMeshConfig(tc.meshConfig ?? null).settings);
      let keyed = 0;
      for (const p of tc.proxies) {
        const g = generate(mesh, proxy(p.id, p.metadata ?? {}), PROTO_PATCH_OPS);
        for (const n of g.clusters.names()) {
          const k = g.clusters.key(n);
          // Fixed clusters, and clusters an EnvoyFilter ADDs under names of its own, stand for no service.
          if (FIXED.has(n) || !n.includes('|')) {
            assert.equal(k, undefined, `${p.id}: fixed or added cluster ${n} has no key`);
            continue;
          }
          assert.ok(k, `${p.id}: cluster ${n} has a key`);
          assert.equal(clusterKeyName(k), n);
          keyed++;
        }
        for (const n of g.endpoints.names()) {
          const k = g.endpoints.key(n);
          assert.ok(k && k.direction === 'outbound', `${p.id}: EDS ${n} has an outbound key`);
          assert.equal(clusterKeyName(k), n);
          assert.deepEqual(g.endpoints.key(n), g.clusters.key(n), 'the assignment and its cluster share the key');
        }
        assert.equal(g.clusters.key('outbound|1|x|not-served.example'), undefined, 'no key for a name the class does not serve');
      }
      assert.ok(keyed > 0);
    });
  }
});
