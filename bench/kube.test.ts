/**
 * The bench's Kubernetes source (`--source kube`): the API server stand-in in its own process holds
 * the mesh meshgen wrote, tspilot runs in Kubernetes mode against it, and every scenario's change is
 * an API write that must reach the proxies (a write that did not would leave them unconverged).
 * The source's writes themselves: the objects change on the stand-in, and a write that would change
 * nothing is refused (it makes no watch event). No timing assertions.
 */
import { strict as assert } from 'node:assert';
import { SMALL_RUN } from './small-run.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runBench } from './scenarios.js';
import { table } from './report.js';
import { writeMesh, type MeshSize } from './meshgen.js';
import { kubeSource } from './source.js';

describe('bench --source kube (small)', function () {
  this.timeout(180_000);

  it('runs every scenario against the API server stand-in with every proxy converged', async () => {
    const r = await runBench({
      ...SMALL_RUN,
      timeout: 30_000,
      heavy: true,
      source: 'kube',
    });
    assert.equal(r.source.kind, 'kube');
    // 20 Services, 20 slices, 40 Pods, 20 DestinationRules, 2 VirtualServices, the Sidecar, 3 Namespaces.
    assert.equal(r.source.objects, 106);
    assert.equal(r.scenarios.length, 6);
    for (const s of r.scenarios) {
      assert.equal(s.unconverged, 0, `${s.name}: every proxy converged`);
      assert.ok(s.ms.length > 0 && s.p50 <= s.p99, `${s.name}: samples`);
    }
    for (const s of r.scenarios.slice(0, 5)) assert.notEqual(s.apiServerCpuSeconds, undefined, `${s.name}: the stand-in's CPU`);
    const byName = (n: string) => r.scenarios.find((s) => s.name === n)!;
    for (const n of ['VirtualService change', 'endpoint change']) assert.ok(byName(n).pushes >= 1, `${n}: the server pushed`);
    assert.deepEqual(byName('endpoint change').otherTypes, {}, 'an endpoint change pushes EDS only');
    assert.match(table(r), /^source: kube \(API server stand-in, 106 objects/m);
    assert.match(table(r), /API server CPU s \|$/m);
  });

  it('writes reach the stand-in as a controller makes them; a write that changes nothing is refused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-kube-'));
    const size: MeshSize = { services: 4, endpointsPerService: 2, namespaces: 2, routedShare: 0.5, scoped: true, heavy: true };
    await writeMesh(path.join(dir, 'mesh'), size);
    const src = await kubeSource(path.join(dir, 'mesh'), dir, size);
    const get = async (p: string): Promise<Record<string, unknown>> =>
      (await fetch(src.apiUrl + p)).json() as Promise<Record<string, unknown>>;
    const addresses = async (): Promise<string[]> =>
      ((await get('/apis/discovery.k8s.io/v1/namespaces/ns-0/endpointslices/svc-0-1'))['endpoints'] as { addresses: string[] }[]).flatMap(
        (e) => e.addresses,
      );
    const weights = async (): Promise<number[]> =>
      (
        (await get('/apis/networking.istio.io/v1/namespaces/ns-0/virtualservices/svc-0'))['spec'] as {
          http: { route: { weight: number }[] }[];
        }
      ).http[0]!.route.map((d) => d.weight);
    try {
      assert.equal(src.kind, 'kube');
      assert.deepEqual(src.serverArgs.slice(0, 1), ['--kubeconfig']);
      await assert.rejects(async () => (await src.endpointChange(0))(), /changed nothing/);
      assert.deepEqual(await addresses(), ['10.0.0.0', '10.0.0.1']);
      await (
        await src.endpointChange(1)
      )();
      assert.deepEqual(await addresses(), ['10.0.0.1', '10.0.0.2'], 'the rolling update: one address gone, one new');
      await (
        await src.endpointChange(2)
      )(); // a second PUT carries the resourceVersion of the first (no 409)
      assert.deepEqual(await addresses(), ['10.0.0.2', '10.0.0.3']);
      assert.deepEqual(await weights(), [90, 10]);
      await (
        await src.routeChange(70)
      )();
      assert.deepEqual(await weights(), [70, 30]);
      await assert.rejects(async () => (await src.routeChange(70))(), /changed nothing/);
      assert.ok((src.cpu() ?? 0) > 0);
    } finally {
      await src.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
