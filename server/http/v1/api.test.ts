/**
 * Unit tests for the v1 HTTP handlers' refusals: not ready (503), malformed node (400), malformed
 * percent-encoding (400), unknown route config or service (404) — each with a message.
 */
import { strict as assert } from 'node:assert';
import { buildMesh } from '../../../watchers/mesh.js';
import { emptyState } from '../../../watchers/store/reduce.js';
import { SnapshotCache } from '../../cache/snapshot.js';
import { HttpError, Router } from '../router.js';
import { V1Api } from './api.js';

const NODE = encodeURIComponent('sidecar~10.0.0.1~app-1.default~default.svc.cluster.local');

async function call(api: V1Api, path: string): Promise<{ status: number; message?: string; text?: string }> {
  const router = api.register(new Router());
  const found = router.find('GET', path);
  if ('status' in found) return { status: found.status };
  try {
    const r = await found.handler({ url: new URL(`http://x${path}`), method: 'GET', body: '', headers: {} });
    return { status: r.status ?? 200, ...(r.text !== undefined ? { text: r.text } : {}) };
  } catch (e) {
    assert.ok(e instanceof HttpError, String(e));
    return { status: e.status, message: e.message };
  }
}

describe('v1 API handlers', () => {
  const cache = new SnapshotCache(buildMesh(emptyState()).mesh);

  it('answers 503 until the first configuration is pushed', async () => {
    const r = await call(new V1Api({ cache, ready: () => false }), `/v1/listeners/app/${NODE}`);
    assert.equal(r.status, 503);
    assert.match(r.message!, /not ready/);
  });

  const api = new V1Api({ cache, ready: () => true });

  it('answers 400 naming what is wrong with the node', async () => {
    const r = await call(api, '/v1/clusters/app/router~10.0.0.1');
    assert.equal(r.status, 400);
    assert.match(r.message!, /invalid node: node id "router~10.0.0.1" must have 4 parts/);
    const ip = await call(api, `/v1/clusters/app/${encodeURIComponent('sidecar~not-an-ip~a.default~default.svc.cluster.local')}`);
    assert.match(ip.message!, /"not-an-ip" is not an IP address/);
  });

  it('answers 400 for malformed percent-encoding, naming the segment', async () => {
    const r = await call(api, `/v1/routes/%E0%A4%A/app/${NODE}`);
    assert.equal(r.status, 400);
    assert.match(r.message!, /route config name: malformed percent-encoding/);
  });

  it('answers 404 for a route config or service the proxy does not have', async () => {
    assert.equal((await call(api, `/v1/routes/9080/app/${NODE}`)).status, 404);
    const svc = await call(api, `/v1/registration/${encodeURIComponent('outbound|80||x.default.svc.cluster.local')}`);
    assert.equal(svc.status, 404);
    assert.match(svc.message!, /no service "outbound\|80\|\|x.default.svc.cluster.local"/);
    assert.equal((await call(api, '/v1/registration/not-a-cluster-name')).status, 404);
  });

  it('answers an empty mesh with the fixed clusters and records the poller', async () => {
    const r = await call(api, `/v1/clusters/app/${NODE}`);
    assert.equal(r.status, 200);
    const names = (JSON.parse(r.text!) as { clusters: { name: string }[] }).clusters.map((c) => c.name);
    assert.ok(names.includes('BlackHoleCluster') && names.includes('PassthroughCluster'), names.join(', '));
    assert.deepEqual(
      api.pollers.list().map((p) => p.serviceCluster),
      ['app'],
    );
  });
});
