/**
 * @module bench/meshgen.test
 * The bench's routing forms describe the same mesh: VirtualServices over version Services and
 * Gateway API HTTPRoutes over the same Services give a sidecar the same clusters and the same
 * weighted split (so comparing their bench figures compares the conversion, not the mesh), and a
 * weight change in either form moves the same split.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfigDir, resolveNode } from '../server/explain/offline.js';
import { generate } from '../translators/index.js';
import { parseConfigText } from '../watchers/file/parse.js';
import { flatEditWeight, routingYaml, vsYaml, writeMesh, type MeshSize, type Routing } from './meshgen.js';

async function splitOf(routing: Routing, v1Weight?: number): Promise<{ clusters: string[]; split: string[]; vhosts: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'meshgen-test-'));
  try {
    const size: MeshSize = { services: 20, endpointsPerService: 2, namespaces: 2, routedShare: 0.1, scoped: true, routing };
    await writeMesh(dir, size);
    if (v1Weight !== undefined) await writeFile(path.join(dir, 'vs.yaml'), routingYaml(size, v1Weight));
    const { mesh } = await loadConfigDir(dir);
    assert.deepEqual(mesh.rejected, []);
    const proxy = resolveNode(mesh, 'sidecar~10.200.0.1~proxy-0.ns-0~ns-0.svc.cluster.local', {
      NAMESPACE: 'ns-0',
      LABELS: { app: 'fleet', version: 'v1' },
    });
    const g = generate(mesh, proxy);
    const rc = g.routes.get('8000')!;
    const vh = rc.virtual_hosts!.find((v) => v.name === 'svc-0.ns-0.svc.cluster.local:8000')!;
    const wc = vh.routes![0]!.route!.weighted_clusters!.clusters!;
    return {
      clusters: g.clusters.names().filter((n) => n.includes('svc-0')),
      split: wc.map((c) => `${c.name} ${JSON.stringify(c.weight)}`),
      vhosts: rc.virtual_hosts!.length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('bench/meshgen routing forms', function () {
  this.timeout(30_000);
  it('VirtualServices and HTTPRoutes over version Services: same clusters, same 90/10 split, same route size', async () => {
    const vs = await splitOf('virtualservice-services');
    const hr = await splitOf('httproute');
    assert.deepEqual(hr, vs);
    assert.deepEqual(vs.split, [
      'outbound|8000||svc-0-v1.ns-0.svc.cluster.local {"value":90}',
      'outbound|8000||svc-0-v2.ns-0.svc.cluster.local {"value":10}',
    ]);
  });

  it('the subset form has the same number of clusters per routed service; its change scenario moves the same weights', async () => {
    const subsets = await splitOf('virtualservice', 70);
    assert.equal(subsets.clusters.length, (await splitOf('httproute')).clusters.length);
    assert.deepEqual(
      subsets.split.map((s) => s.split(' ')[1]),
      (await splitOf('httproute', 70)).split.map((s) => s.split(' ')[1]),
    );
  });
});

describe('bench/meshgen flatEditWeight', function () {
  it('gives every flat-bench edit a VirtualService that is accepted and differs from the one before, however many edits', function () {
    const size: MeshSize = { services: 20, endpointsPerService: 3, namespaces: 5, routedShare: 0.1, scoped: true };
    let prev = '';
    for (let e = 0; e < 300; e++) {
      const text = vsYaml(size, flatEditWeight(e));
      const r = parseConfigText(text, 'vs.yaml');
      assert.ok(r.ok, `edit ${e}`);
      assert.deepEqual(r.file.rejections, [], `edit ${e} (weight ${flatEditWeight(e)}) is rejected`);
      assert.notEqual(text, prev, `edit ${e} repeats edit ${e - 1}: it would push nothing`);
      prev = text;
    }
  });
});
