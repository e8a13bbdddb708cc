/**
 * One node, one proxy, whichever way it asks: ADS over real gRPC, REST-JSON xDS and the v1 API
 * over real HTTP, and the CLI all resolve a node through model/resolve-proxy.ts. A node with a
 * registry pod gets the pod's labels over its metadata LABELS everywhere; a node that sends an
 * xDS locality gets the same locality load balancing (EDS priorities) over gRPC and REST.
 */
import { strict as assert } from 'node:assert';
import type { Proxy } from '../model/proxy.js';
import { messageType } from '../proto/registry.js';
import { EDS } from '../proto/typeurls.js';
import type { WireNode } from '../proto/wire.js';
import { SnapshotCache } from './cache/snapshot.js';
import { resolveNode } from './explain/offline.js';
import { Router, startHttp, type HttpServer } from './http/router.js';
import { restRoutes } from './http/rest.js';
import { V1Api } from './http/v1/api.js';
import { meshOf, startHarness, type Harness } from './xds/conformance/harness.js';

const ID = 'sidecar~10.0.0.1~client-1.default~default.svc.cluster.local';
const A = 'outbound|80||a.default.svc.cluster.local';

// Service a with one endpoint in zone z1 and one in z2, outlier detection on (so priorities follow
// the caller's locality), and the calling pod with labels that differ from its metadata LABELS.
const MESH = `apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: a-1, namespace: default, labels: {kubernetes.io/service-name: a}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- {addresses: [10.1.0.1], conditions: {ready: true}, zone: z1}
- {addresses: [10.1.0.2], conditions: {ready: true}, zone: z2}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a, namespace: default}
spec:
  host: a
  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 5}}
---
apiVersion: v1
kind: Pod
metadata: {name: client-1, namespace: default, labels: {app: client, version: pod}}
spec: {}
status: {podIP: 10.0.0.1}
`;

/** A SnapshotCache that records every proxy a poller asks for. */
class SpyCache extends SnapshotCache {
  readonly seen: Proxy[] = [];
  override forProxy(p: Proxy): ReturnType<SnapshotCache['forProxy']> {
    this.seen.push(p);
    return super.forProxy(p);
  }
}

interface Cla {
  endpoints: { locality: { zone: string }; priority: number }[];
}

describe('one proxy per node across entry points (resolveProxy)', () => {
  const mesh = meshOf(MESH);
  let h: Harness, http: HttpServer, cache: SpyCache;
  before(async () => {
    h = await startHarness('grpc', mesh);
    cache = new SpyCache(mesh);
    const router = new V1Api({ cache, ready: () => true }).register(new Router());
    restRoutes(router, { snapshot: (p) => cache.forProxy(p), mesh: () => cache.mesh });
    http = await startHttp(router, '127.0.0.1', 0, (e) => {
      throw e;
    });
  });
  after(async () => {
    await h?.stop();
    await http?.close();
  });

  /** The proxy the gRPC server made of `node` (after its first EDS response), and the EDS priorities by zone. */
  async function overGrpc(node: WireNode): Promise<{ proxy: Proxy; priorities: Record<string, number> }> {
    const c = h.connect('sotw');
    c.sotw({ typeUrl: EDS, node, resourceNames: [A] });
    await c.next();
    const t = messageType('envoy.service.discovery.v3.DiscoveryResponse');
    const resp = t.toObject(t.decode(c.raw[0]!), { defaults: true, arrays: true }) as { resources: { value: Uint8Array }[] };
    const ct = messageType('envoy.config.endpoint.v3.ClusterLoadAssignment');
    const cla = ct.toObject(ct.decode(resp.resources[0]!.value), { defaults: true, arrays: true }) as Cla;
    const proxy = h.engine.streams().find((s) => s.proxy.id === node.id)!.proxy;
    c.close();
    return { proxy, priorities: Object.fromEntries(cla.endpoints.map((e) => [e.locality.zone, e.priority])) };
  }

  async function overRest(node: object): Promise<{ proxy: Proxy; priorities: Record<string, number> }> {
    const before = cache.seen.length;
    const res = await fetch(`http://127.0.0.1:${http.port}/v3/discovery:endpoints`, {
      method: 'POST',
      body: JSON.stringify({ node, resourceNames: [A] }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { resources: { endpoints: { locality: { zone: string }; priority?: number }[] }[] };
    assert.equal(cache.seen.length, before + 1);
    return {
      proxy: cache.seen[before]!,
      priorities: Object.fromEntries(body.resources[0]!.endpoints.map((e) => [e.locality.zone, e.priority ?? 0])),
    };
  }

  async function overV1(id: string): Promise<Proxy> {
    const before = cache.seen.length;
    const res = await fetch(`http://127.0.0.1:${http.port}/v1/clusters/client/${encodeURIComponent(id)}`);
    assert.equal(res.status, 200);
    return cache.seen[before]!;
  }

  it('a node with only its ID: the same proxy, with the pod’s labels, over gRPC, REST-JSON, v1 and the CLI', async () => {
    const grpc = await overGrpc({ id: ID, cluster: 'client', metadata: {}, userAgentName: 't', clientFeatures: [], locality: null });
    assert.deepEqual(grpc.proxy.labels, { app: 'client', version: 'pod' });
    assert.deepEqual((await overRest({ id: ID })).proxy, grpc.proxy);
    assert.deepEqual(await overV1(ID), grpc.proxy);
    assert.deepEqual(resolveNode(mesh, ID), grpc.proxy);
  });

  it('metadata LABELS and an xDS locality: pod labels win, the locality is used, and REST gets the EDS priorities gRPC gets', async () => {
    const metadata = { LABELS: { app: 'client', version: 'meta', extra: 'kept' } };
    const grpc = await overGrpc({
      id: ID,
      cluster: 'client',
      metadata,
      userAgentName: 't',
      clientFeatures: [],
      locality: { region: 'r1', zone: 'z1', sub_zone: '' },
    });
    assert.deepEqual(grpc.proxy.labels, {
      app: 'client',
      version: 'pod',
      extra: 'kept',
      'topology.kubernetes.io/region': 'r1',
      'topology.kubernetes.io/zone': 'z1',
    });
    assert.deepEqual(grpc.priorities, { z1: 0, z2: 1 }, 'the caller’s own zone first');
    const rest = await overRest({ id: ID, metadata, locality: { region: 'r1', zone: 'z1' } });
    assert.deepEqual(rest.proxy, grpc.proxy);
    assert.deepEqual(rest.priorities, grpc.priorities);
    const z2 = await overRest({ id: ID, metadata, locality: { region: 'r1', zone: 'z2' } });
    assert.deepEqual(z2.priorities, { z1: 1, z2: 0 }, 'another zone, other priorities: the locality is really read');
    assert.deepEqual(
      resolveNode(mesh, ID, metadata).labels,
      { app: 'client', version: 'pod', extra: 'kept' },
      'the CLI cannot send a locality; the labels are the same',
    );
  });
});
