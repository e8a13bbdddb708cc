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
import { RPC_ID_KEY } from './clients/backend.js';
import type { XdsClient, XdsClientKind } from './clients/driver.js';
import { ECHO_TARGET, registryYaml } from './fixtures/echo-mesh.js';
import { echoRig, type EchoRig } from './fixtures/echo-rig.js';

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
    let rig: EchoRig;
    const client = (): XdsClient => rig.client;
    before(async () => {
      rig = await echoRig(kind, {
        workload: `features-${kind}`,
        files: { 'vs.yaml': VS, ...(kind === 'grpc-js' ? { 'dr.yaml': RING_HASH_DR } : {}) },
      });
    });
    after(() => rig?.close());

    it('aborts RPCs matching the header with the configured gRPC status, serves the others', async () => {
      const denied = await client().rpc(ECHO_TARGET, 5, { 'x-fault': 'deny' });
      assert.ok(
        denied.every((r) => r.startsWith('error:PERMISSION_DENIED')),
        `${denied.join(', ')}\n${client().stderrTail()}`,
      );
      const ok = await client().rpc(ECHO_TARGET, 5);
      assert.ok(
        ok.every((r) => r === 'v1' || r === 'v2'),
        ok.join(', '),
      );
    });

    if (kind === 'grpc-js') {
      it('ring hash: one x-user always reaches the same backend, and different users reach both', async () => {
        const seen = new Set<string>();
        for (let u = 0; u < 16; u++) {
          const r = await client().rpc(ECHO_TARGET, 8, { 'x-user': `user-${u}` });
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
    let rig: EchoRig;
    const client = (): XdsClient => rig.client;
    before(async () => {
      rig = await echoRig(kind, { workload: `retries-${kind}`, backends: { failFirst: 2, attempts }, files: { 'vs.yaml': RETRY_VS } });
    });
    after(() => rig?.close());

    it('an RPC whose first two attempts fail UNAVAILABLE succeeds on the route with retries (3 attempts)', async () => {
      for (let i = 0; i < 4; i++) {
        const id = `${kind}-retried-${i}`;
        const [r] = await client().rpc(ECHO_TARGET, 1, { 'x-retry': 'yes', [RPC_ID_KEY]: id });
        assert.ok(r === 'v1' || r === 'v2', `${id}: ${r}\n${client().stderrTail()}`);
        assert.equal(attempts.get(id), 3, `${id}: attempts seen by the backends`);
      }
    });

    it('the same RPC on the route without retries fails UNAVAILABLE after one attempt', async () => {
      for (let i = 0; i < 4; i++) {
        const id = `${kind}-once-${i}`;
        const [r] = await client().rpc(ECHO_TARGET, 1, { [RPC_ID_KEY]: id });
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

const DISTRIBUTE_DR = localityDr("{distribute: [{from: 'us-east/a/*', to: {'us-east/a': 10, 'us-east/b': 90}}]}");

for (const kind of ['grpc-js', 'c-core'] as XdsClientKind[]) {
  describe(`e2e locality load balancing with the real ${kind} client`, function () {
    this.timeout(120_000);
    let rig: EchoRig;
    const client = (): XdsClient => rig.client;
    before(async () => {
      assert.ok(zonedRegistry(1, 2).includes('zone: a') && zonedRegistry(1, 2).includes('zone: b'), 'the fixture carries the zones');
      const labels = { app: 'client', 'topology.kubernetes.io/region': 'us-east', 'topology.kubernetes.io/zone': 'a' };
      rig = await echoRig(kind, {
        workload: `locality-${kind}`,
        registry: zonedRegistry,
        metadata: { LABELS: labels },
        files: { 'dr.yaml': DISTRIBUTE_DR },
      });
    });
    after(() => rig?.close());

    it('distribute: a client in us-east/a sends about 90% of RPCs to zone b', async () => {
      const r = await client().rpc(ECHO_TARGET, 200);
      const v2n = r.filter((x) => x === 'v2').length;
      const v1n = r.filter((x) => x === 'v1').length;
      assert.equal(
        v1n + v2n,
        200,
        r
          .filter((x) => x !== 'v1' && x !== 'v2')
          .slice(0, 3)
          .join(', '),
      );
      assert.ok(v2n >= 160 && v1n >= 4, `v1 ${v1n}, v2 ${v2n} (expected about 20 / 180)`);
    });

    it("failover: with outlier detection every RPC stays in the client's zone, and moves to the next priority when it is gone", async () => {
      await rig.folder.write('dr.yaml', localityDr('{}'));
      const switched = await client().until(ECHO_TARGET, 'v1', { consecutive: 40, timeoutMs: 30_000 });
      assert.ok(switched.ok, JSON.stringify(switched));
      const r = await client().rpc(ECHO_TARGET, 60);
      assert.deepEqual([...new Set(r)], ['v1'], 'priority 0 (same zone) only');
      await rig.v1.close();
      const failed = await client().until(ECHO_TARGET, 'v2', { consecutive: 10, timeoutMs: 30_000 });
      assert.ok(failed.ok, `no failover to zone b: ${JSON.stringify(failed)}`);
    });
  });

  describe(`e2e locality from the xDS node (no topology labels) with the real ${kind} client`, function () {
    this.timeout(120_000);
    let rig: EchoRig;
    const client = (): XdsClient => rig.client;
    before(async () => {
      // The locality only in node.locality, as Envoy and gRPC bootstraps carry it (istiod reads it there).
      rig = await echoRig(kind, {
        workload: `node-locality-${kind}`,
        registry: zonedRegistry,
        files: { 'dr.yaml': DISTRIBUTE_DR },
        bootstrap: (b) => {
          b.node['locality'] = { region: 'us-east', zone: 'a' };
        },
      });
    });
    after(() => rig?.close());

    it('distribute applies to a client whose locality comes from its bootstrap node', async () => {
      const r = await client().rpc(ECHO_TARGET, 200);
      const v2n = r.filter((x) => x === 'v2').length;
      assert.ok(v2n >= 160, `v2 ${v2n} of 200 (expected about 180): the node's locality was not used`);
    });
  });
}
