/**
 * REST-JSON xDS (rule 25) over a real HTTP server: DiscoveryRequest JSON in, DiscoveryResponse
 * JSON out; 304 when the client's version is current; a changed mesh gives a new version;
 * bad requests get a 400 naming the problem.
 */
import { strict as assert } from 'node:assert';
import { SnapshotCache } from '../cache/snapshot.js';
import { meshOf } from '../xds/conformance/harness.js';
import { A, B, fixtureYaml } from '../xds/conformance/fixture.js';
import { Router, startHttp, type HttpServer } from './router.js';
import { restRoutes, type RestCounters } from './rest.js';

const node = { id: 'sidecar~10.0.0.1~poller.default~default.svc.cluster.local', metadata: { NAMESPACE: 'default' } };

describe('server/http/rest REST-JSON xDS', () => {
  let server: HttpServer, cache: SnapshotCache, counters: RestCounters;
  before(async () => {
    cache = new SnapshotCache(meshOf(fixtureYaml()));
    const r = restRoutes(new Router(), { snapshot: (p) => cache.forProxy(p), mesh: () => cache.mesh });
    counters = r.counters;
    server = await startHttp(r.router, '127.0.0.1', 0, (e) => {
      throw e;
    });
  });
  after(async () => {
    await server?.close();
  });

  const post = async (kind: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> | null; text: string }> => {
    const res = await fetch(`http://127.0.0.1:${server.port}/v3/discovery:${kind}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Record<string, unknown> | null = null;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* empty (304) */
    }
    return { status: res.status, json, text };
  };

  it('answers a wildcard clusters poll with every cluster as proto3 JSON, then 304 while unchanged', async () => {
    const r = await post('clusters', { node });
    assert.equal(r.status, 200);
    const resources = r.json!['resources'] as { '@type': string; name: string }[];
    assert.ok(resources.some((x) => x.name === A) && resources.some((x) => x.name === B));
    for (const x of resources) assert.equal(x['@type'], 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
    assert.equal(r.json!['typeUrl'], 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
    const version = r.json!['versionInfo'] as string;
    assert.ok(version);
    const again = await post('clusters', { node, versionInfo: version });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    assert.equal(counters.notModified, 1);
    // A changed mesh: the same version is no longer current.
    cache.setMesh(meshOf(fixtureYaml({ aMaxConnections: 9 })));
    const changed = await post('clusters', { node, versionInfo: version });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.json!['versionInfo'], version);
  });

  it('serves endpoints by name (snake_case accepted too)', async () => {
    const r = await post('endpoints', { node, resource_names: [A] });
    assert.equal(r.status, 200);
    const res = r.json!['resources'] as { clusterName: string }[];
    assert.deepEqual(
      res.map((x) => x.clusterName),
      [A],
    );
  });

  it('refuses bad requests with a 400 naming the problem', async () => {
    assert.match((await post('clusters', '{not json')).json!['error'] as string, /not JSON/);
    assert.match((await post('clusters', {})).json!['error'] as string, /node\.id is required/);
    assert.match(
      (await post('clusters', { node, typeUrl: 'type.googleapis.com/envoy.config.listener.v3.Listener' })).json!['error'] as string,
      /does not match/,
    );
    assert.match((await post('clusters', { node: { id: 'nope' } })).json!['error'] as string, /node\.id: .*4 parts/);
    assert.match((await post('clusters', { node, bogusField: 1 })).json!['error'] as string, /DiscoveryRequest/);
    const unknown = await fetch(`http://127.0.0.1:${server.port}/v3/discovery:secrets`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
  });
});
