/**
 * @module e2e/gateway-api.test
 * Issue 14 with real proxyless gRPC clients (grpc-js-xds and C-core): mesh routing written as a
 * Gateway API GRPCRoute whose parentRef is the Service `echo` (GAMMA). The rule matching the
 * client's method plus a header sends every RPC to echo-v2; a rule for another method of the same
 * service never matches; the service-wide rule splits RPCs between echo-v1 and echo-v2 by weight.
 * Then the route is edited in the folder and the clients follow, and a route that names a missing
 * backend is answered as the spec says (a 500: gRPC UNKNOWN) without disturbing the rest. And an
 * HTTPRoute on the same Service: a header match on a path prefix, and PathPrefix segment semantics
 * (`/tspilot.test.Ech` does not match `/tspilot.test.Echo/Who`), for proxyless clients.
 */
import { strict as assert } from 'node:assert';
import type { XdsClient, XdsClientKind } from './clients/driver.js';
import { ECHO_TARGET, registryYaml } from './fixtures/echo-mesh.js';
import { echoRig, type EchoRig } from './fixtures/echo-rig.js';

/** The echo registry plus one Service per version, each backed by that version's server. */
function versionedRegistry(v1Port: number, v2Port: number): string {
  const svc = (v: string, port: number, ip: string): string => `apiVersion: v1
kind: Service
metadata: {name: echo-${v}, namespace: default}
spec:
  clusterIP: ${ip}
  ports: [{name: grpc, port: 9080, targetPort: 9080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: echo-${v}-only
  namespace: default
  labels: {kubernetes.io/service-name: echo-${v}}
addressType: IPv4
ports: [{name: grpc, port: ${port}, protocol: TCP}]
endpoints:
- addresses: [127.0.0.1]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: echo-${v}, namespace: default}
`;
  return [registryYaml(v1Port, v2Port), svc('v1', v1Port, '10.96.0.51'), svc('v2', v2Port, '10.96.0.52')].join('---\n');
}

const grpcRoute = (canaryTo: string, extraRule = ''): string => `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: echo, namespace: default}
spec:
  parentRefs: [{group: "", kind: Service, name: echo, port: 9080}]
  rules:
  - matches: [{method: {service: tspilot.test.Echo, method: Other}}]
    backendRefs: [{name: echo-v1, port: 9080}]
  - matches: [{method: {service: tspilot.test.Echo, method: Who}, headers: [{name: x-canary, value: "yes"}]}]
    backendRefs: [{name: ${canaryTo}, port: 9080}]
  - matches: [{method: {service: tspilot.test.Echo}}]
    backendRefs:
    - {name: echo-v1, port: 9080, weight: 1}
    - {name: echo-v2, port: 9080, weight: 1}
${extraRule}`;

const MISSING_BACKEND_RULE = `  - matches: [{method: {service: tspilot.test.Echo, method: Who}, headers: [{name: x-broken, value: "yes"}]}]
    backendRefs: [{name: echo-v3, port: 9080}]
`;

for (const kind of ['grpc-js', 'c-core'] as XdsClientKind[]) {
  describe(`e2e Gateway API GRPCRoute (mesh) with the real ${kind} client`, function () {
    this.timeout(120_000);
    let rig: EchoRig;
    const client = (): XdsClient => rig.client;
    before(async () => {
      rig = await echoRig(kind, { workload: `gwapi-${kind}`, registry: versionedRegistry, files: { 'route.yaml': grpcRoute('echo-v2') } });
    });
    after(() => rig?.close());

    it('the method + header rule sends every RPC to echo-v2; the service-wide rule splits by weight', async () => {
      const canary = await client().until(ECHO_TARGET, 'v2', { metadata: { 'x-canary': 'yes' }, consecutive: 10 });
      assert.ok(canary.ok, `${JSON.stringify(canary)}\n${client().stderrTail()}`);
      const all = await client().rpc(ECHO_TARGET, 40);
      assert.ok(
        all.every((r) => r === 'v1' || r === 'v2'),
        all.join(', '),
      );
      assert.ok(all.includes('v1') && all.includes('v2'), `a 1:1 split reaches both backends in 40 RPCs: ${all.join(', ')}`);
    });

    it('an edited GRPCRoute re-routes the clients; a rule with a missing backend fails only its own RPCs', async () => {
      await rig.folder.write('route.yaml', grpcRoute('echo-v1', MISSING_BACKEND_RULE));
      const moved = await client().until(ECHO_TARGET, 'v1', { metadata: { 'x-canary': 'yes' }, consecutive: 10 });
      assert.ok(moved.ok, `${JSON.stringify(moved)}\n${client().stderrTail()}`);
      const broken = await client().rpc(ECHO_TARGET, 3, { 'x-broken': 'yes' });
      assert.ok(
        broken.every((r) => r.startsWith('error:UNKNOWN')),
        `the missing backend's rule answers 500 (gRPC UNKNOWN): ${broken.join(', ')}`,
      );
      const rest = await client().rpc(ECHO_TARGET, 10);
      assert.ok(
        rest.every((r) => r === 'v1' || r === 'v2'),
        rest.join(', '),
      );
    });
  });
}

/** An HTTPRoute (not a GRPCRoute) on the Service: gRPC paths are HTTP paths, with PathPrefix segment semantics. */
const HTTP_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: echo, namespace: default}
spec:
  parentRefs: [{group: "", kind: Service, name: echo}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /tspilot.test.Echo}, headers: [{name: x-user, value: jason}]}]
    backendRefs: [{name: echo-v2, port: 9080}]
  - matches: [{path: {type: PathPrefix, value: /tspilot.test.Ech}}]
    backendRefs: [{name: echo-v2, port: 9080}]
  - backendRefs: [{name: echo-v1, port: 9080}]
`;

for (const kind of ['grpc-js', 'c-core'] as XdsClientKind[]) {
  describe(`e2e Gateway API HTTPRoute (mesh) with the real ${kind} client`, function () {
    this.timeout(120_000);
    let rig: EchoRig;
    before(async () => {
      rig = await echoRig(kind, { workload: `gwapi-http-${kind}`, registry: versionedRegistry, files: { 'route.yaml': HTTP_ROUTE } });
    });
    after(() => rig?.close());

    it('a header match on a path prefix sends jason to echo-v2; the prefix /tspilot.test.Ech does not match /tspilot.test.Echo/… (segments); the rest goes to echo-v1', async () => {
      const jason = await rig.client.until(ECHO_TARGET, 'v2', { metadata: { 'x-user': 'jason' }, consecutive: 8 });
      assert.ok(jason.ok, `${JSON.stringify(jason)}\n${rig.client.stderrTail()}`);
      const others = await rig.client.rpc(ECHO_TARGET, 8);
      assert.deepEqual(others, Array(8).fill('v1'), 'a partial-segment prefix matches nothing: everything else takes the catch-all');
    });
  });
}
