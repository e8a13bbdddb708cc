/**
 * @module e2e/grpc-features.test
 * Issue #4's traffic-management features with real proxyless gRPC clients: fault injection
 * (abort with a gRPC status, on a header match) with grpc-js and C-core, and consistent hashing
 * (ring hash + route hash_policy on a header) with grpc-js (C-core 1.51 crashes on ring hash), and
 * retries: a route with `retries: {attempts: 3, retryOn: unavailable}` turns backends that fail each
 * RPC's first two attempts with UNAVAILABLE into successes (three attempts reach the backends), while
 * the same RPC on a route without retries fails after one attempt — with both clients. Locality
 * load balancing: for a client in us-east/a (node LABELS topology labels), a DestinationRule's
 * `distribute` 10/90 sends most RPCs to the zone-b backend, and failover priorities (outlier
 * detection, no distribute) keep every RPC in zone a until that backend goes away.
 */
import { strict as assert } from 'node:assert';
import { RPC_ID_KEY, startBackend, type Backend } from './clients/backend.js';
import { bootstrapFor, startXdsClient, type XdsClient, type XdsClientKind } from './clients/driver.js';
import { configFolder, startTspilot, type Tspilot } from './tspilot.js';
import { ECHO_TARGET, registryYaml } from './fixtures/echo-mesh.js';

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo]
  http:
  - name: denied
    match: [{headers: {x-fault: {exact: deny}}}]
    fault: {abort: {grpcStatus: PERMISSION_DENIED, percentage: {value: 100}}}
    route: [{destination: {host: echo}}]
  - name: all
    route: [{destination: {host: echo}}]
`;
const RING_HASH_DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: default}
spec:
  host: echo
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 64}}}}
`;

for (const kind of ['grpc-js', 'c-core'] as XdsClientKind[]) {
  describe(`e2e gRPC features with the real ${kind} client`, function () {
    this.timeout(120_000);
    let v1: Backend, v2: Backend, folder: Awaited<ReturnType<typeof configFolder>>, pilot: Tspilot, client: XdsClient;
    before(async () => {
      v1 = await startBackend('v1');
      v2 = await startBackend('v2');
      folder = await configFolder();
      await folder.write('registry.yaml', registryYaml(v1.port, v2.port));
      await folder.write('vs.yaml', VS);
      if (kind === 'grpc-js') await folder.write('dr.yaml', RING_HASH_DR);
      pilot = await startTspilot(folder.dir);
      client = await startXdsClient(kind, bootstrapFor(`127.0.0.1:${pilot.xdsPort}`, `sidecar~127.0.0.1~features-${kind}.default~default.svc.cluster.local`, { GENERATOR: 'grpc', NAMESPACE: 'default' }));
    });
    after(async () => {
      await client?.close();
      await pilot?.close();
      await Promise.all([v1?.close(), v2?.close()]);
      await folder?.cleanup();
    });

    it('aborts RPCs matching the header with the configured gRPC status, serves the others', async () => {
      const denied = await client.rpc(ECHO_TARGET, 5, { 'x-fault': 'deny' });
      assert.ok(denied.every((r) => r.startsWith('error:PERMISSION_DENIED')), `${denied.join(', ')}\n${client.stderrTail()}`);
      const ok = await client.rpc(ECHO_TARGET, 5);
      assert.ok(ok.every((r) => r === 'v1' || r === 'v2'), ok.join(', '));
    });

    if (kind === 'grpc-js') {
      it('ring hash: one x-user always reaches the same backend, and different users reach both', async () => {
        const seen = new Set<string>();
        for (let u = 0; u < 16; u++) {
          const r = await client.rpc(ECHO_TARGET, 8, { 'x-user': `user-${u}` });
          assert.equal(new Set(r).size, 1, `user-${u} was spread: ${r.join(', ')}`);
          seen.add(r[0]!);
        }
        assert.deepEqual([...seen].sort(), ['v1', 'v2']);
      });
    }
  });
}

const RETRY_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo]
  http:
  - name: retried
    match: [{headers: {x-retry: {exact: 'yes'}}}]
    retries: {attempts: 3, retryOn: unavailable}
    route: [{destination: {host: echo}}]
  - name: once
    route: [{destination: {host: echo}}]
`;

for (const kind of ['grpc-js', 'c-core'] as XdsClientKind[]) {
  describe(`e2e gRPC retries with the real ${kind} client`, function () {
    this.timeout(120_000);
    // Both backends count attempts in one map, so an RPC retried on the other backend still counts.
    const attempts = new Map<string, number>();
    let v1: Backend, v2: Backend, folder: Awaited<ReturnType<typeof configFolder>>, pilot: Tspilot, client: XdsClient;
    before(async () => {
      v1 = await startBackend('v1', { failFirst: 2, attempts });
      v2 = await startBackend('v2', { failFirst: 2, attempts });
      folder = await configFolder();
      await folder.write('registry.yaml', registryYaml(v1.port, v2.port));
      await folder.write('vs.yaml', RETRY_VS);
      pilot = await startTspilot(folder.dir);
      client = await startXdsClient(kind, bootstrapFor(`127.0.0.1:${pilot.xdsPort}`, `sidecar~127.0.0.1~retries-${kind}.default~default.svc.cluster.local`, { GENERATOR: 'grpc', NAMESPACE: 'default' }));
    });
    after(async () => {
      await client?.close();
      await pilot?.close();
      await Promise.all([v1?.close(), v2?.close()]);
      await folder?.cleanup();
    });

    it('an RPC whose first two attempts fail UNAVAILABLE succeeds on the route with retries (3 attempts)', async () => {
      for (let i = 0; i < 4; i++) {
        const id = `${kind}-retried-${i}`;
        const [r] = await client.rpc(ECHO_TARGET, 1, { 'x-retry': 'yes', [RPC_ID_KEY]: id });
        assert.ok(r === 'v1' || r === 'v2', `${id}: ${r}\n${client.stderrTail()}`);
        assert.equal(attempts.get(id), 3, `${id}: attempts seen by the backends`);
      }
    });

    it('the same RPC on the route without retries fails UNAVAILABLE after one attempt', async () => {
      for (let i = 0; i < 4; i++) {
        const id = `${kind}-once-${i}`;
        const [r] = await client.rpc(ECHO_TARGET, 1, { [RPC_ID_KEY]: id });
        assert.ok(r?.startsWith('error:UNAVAILABLE'), `${id}: ${r}`);
        assert.equal(attempts.get(id), 1, `${id}: attempts seen by the backends`);
      }
    });
  });
}

/** The echo registry with v1 in zone a and v2 in zone b (EndpointSlice zones, regionless). */
function zonedRegistry(v1Port: number, v2Port: number): string {
  return registryYaml(v1Port, v2Port)
    .replace('  targetRef: {kind: Pod, name: echo-v1', '  zone: a\n  targetRef: {kind: Pod, name: echo-v1')
    .replace('  targetRef: {kind: Pod, name: echo-v2', '  zone: b\n  targetRef: {kind: Pod, name: echo-v2');
}
const localityDr = (lb: string): string => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: default}
spec:
  host: echo
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 5, interval: 1s, baseEjectionTime: 30s}
    loadBalancer: {localityLbSetting: ${lb}}
`;

for (const kind of ['grpc-js', 'c-core'] as XdsClientKind[]) {
  describe(`e2e locality load balancing with the real ${kind} client`, function () {
    this.timeout(120_000);
    let v1: Backend, v2: Backend, folder: Awaited<ReturnType<typeof configFolder>>, pilot: Tspilot, client: XdsClient;
    before(async () => {
      v1 = await startBackend('v1');
      v2 = await startBackend('v2');
      folder = await configFolder();
      const registry = zonedRegistry(v1.port, v2.port);
      assert.ok(registry.includes('zone: a') && registry.includes('zone: b'), 'the fixture carries the zones');
      await folder.write('registry.yaml', registry);
      await folder.write('dr.yaml', localityDr("{distribute: [{from: 'us-east/a/*', to: {'us-east/a': 10, 'us-east/b': 90}}]}"));
      pilot = await startTspilot(folder.dir);
      const labels = { app: 'client', 'topology.kubernetes.io/region': 'us-east', 'topology.kubernetes.io/zone': 'a' };
      client = await startXdsClient(kind, bootstrapFor(`127.0.0.1:${pilot.xdsPort}`, `sidecar~127.0.0.1~locality-${kind}.default~default.svc.cluster.local`, { GENERATOR: 'grpc', NAMESPACE: 'default', LABELS: labels }));
    });
    after(async () => {
      await client?.close();
      await pilot?.close();
      await Promise.all([v1?.close(), v2?.close()]);
      await folder?.cleanup();
    });

    it('distribute: a client in us-east/a sends about 90% of RPCs to zone b', async () => {
      const r = await client.rpc(ECHO_TARGET, 200);
      const v2n = r.filter((x) => x === 'v2').length;
      const v1n = r.filter((x) => x === 'v1').length;
      assert.equal(v1n + v2n, 200, r.filter((x) => x !== 'v1' && x !== 'v2').slice(0, 3).join(', '));
      assert.ok(v2n >= 160 && v1n >= 4, `v1 ${v1n}, v2 ${v2n} (expected about 20 / 180)`);
    });

    it('failover: with outlier detection every RPC stays in the client\'s zone, and moves to the next priority when it is gone', async () => {
      await folder.write('dr.yaml', localityDr('{}'));
      const switched = await client.until(ECHO_TARGET, 'v1', { consecutive: 40, timeoutMs: 30_000 });
      assert.ok(switched.ok, JSON.stringify(switched));
      const r = await client.rpc(ECHO_TARGET, 60);
      assert.deepEqual([...new Set(r)], ['v1'], 'priority 0 (same zone) only');
      await v1.close();
      const failed = await client.until(ECHO_TARGET, 'v2', { consecutive: 10, timeoutMs: 30_000 });
      assert.ok(failed.ok, `no failover to zone b: ${JSON.stringify(failed)}`);
    });
  });

  describe(`e2e locality from the xDS node (no topology labels) with the real ${kind} client`, function () {
    this.timeout(120_000);
    let v1: Backend, v2: Backend, folder: Awaited<ReturnType<typeof configFolder>>, pilot: Tspilot, client: XdsClient;
    before(async () => {
      v1 = await startBackend('v1');
      v2 = await startBackend('v2');
      folder = await configFolder();
      await folder.write('registry.yaml', zonedRegistry(v1.port, v2.port));
      await folder.write('dr.yaml', localityDr("{distribute: [{from: 'us-east/a/*', to: {'us-east/a': 10, 'us-east/b': 90}}]}"));
      pilot = await startTspilot(folder.dir);
      // The locality only in node.locality, as Envoy and gRPC bootstraps carry it (istiod reads it there).
      const bootstrap = bootstrapFor(`127.0.0.1:${pilot.xdsPort}`, `sidecar~127.0.0.1~node-locality-${kind}.default~default.svc.cluster.local`, { GENERATOR: 'grpc', NAMESPACE: 'default' }) as { node: { locality: object } };
      bootstrap.node.locality = { region: 'us-east', zone: 'a' };
      client = await startXdsClient(kind, bootstrap);
    });
    after(async () => {
      await client?.close();
      await pilot?.close();
      await Promise.all([v1?.close(), v2?.close()]);
      await folder?.cleanup();
    });

    it('distribute applies to a client whose locality comes from its bootstrap node', async () => {
      const r = await client.rpc(ECHO_TARGET, 200);
      const v2n = r.filter((x) => x === 'v2').length;
      assert.ok(v2n >= 160, `v2 ${v2n} of 200 (expected about 180): the node's locality was not used`);
    });
  });
}
