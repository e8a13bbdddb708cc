/**
 * @module e2e/envoyfilter.test
 * EnvoyFilter reaching real proxyless gRPC clients (grpc-js and C-core) through the real tspilot
 * process: an HTTP_ROUTE MERGE that adds a fault abort to the echo route's typed_per_filter_config
 * makes the client's RPCs fail with that gRPC status; with C-core, writing the EnvoyFilter and then
 * deleting its file (no restart) turns the fault on and off again; an HTTP_FILTER patch that would
 * abort in the proxyless listener's fault filter is not applied (istiod's grpc generator applies no
 * listener patch) — tspilot reports it and the RPCs keep succeeding.
 */
import { strict as assert } from 'node:assert';
import { ECHO_HOST, ECHO_TARGET } from './fixtures/echo-mesh.js';
import { echoRig, type EchoRig } from './fixtures/echo-rig.js';

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo]
  http:
  - name: all
    route: [{destination: {host: echo}}]
`;
const FAULT_EF = `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: deny-echo, namespace: default}
spec:
  configPatches:
  - applyTo: HTTP_ROUTE
    match:
      context: SIDECAR_OUTBOUND
      routeConfiguration: {portNumber: 9080, vhost: {name: "${ECHO_HOST}:9080", route: {name: all}}}
    patch:
      operation: MERGE
      value:
        typedPerFilterConfig:
          envoy.filters.http.fault:
            "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
            abort: {grpcStatus: 7, percentage: {numerator: 100, denominator: HUNDRED}}
`;

// An HTTP_FILTER MERGE giving the proxyless HCM's own fault filter an abort: istiod's grpc
// generator applies no listener patch, so tspilot reports it as not applied and the client's RPCs
// keep succeeding. (Before, tspilot also left it unapplied — an api_listener has no filter chain
// for the match — but silently; the report is what a user relies on to see why.)
const LISTENER_FAULT_EF = `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: listener-fault, namespace: default}
spec:
  configPatches:
  - applyTo: HTTP_FILTER
    match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.fault}}}}}
    patch:
      operation: MERGE
      value:
        name: envoy.filters.http.fault
        typedConfig:
          "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
          abort: {grpcStatus: 7, percentage: {numerator: 100, denominator: HUNDRED}}
`;

/** RPCs one at a time until `ok(result)` holds `n` times in a row, or the timeout. */
async function waitFor(rig: EchoRig, ok: (r: string) => boolean, what: string, n = 3, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let run = 0;
  let last = '';
  while (Date.now() < end) {
    [last = ''] = await rig.client.rpc(ECHO_TARGET, 1, {}, { deadlineMs: 3000 });
    run = ok(last) ? run + 1 : 0;
    if (run >= n) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(
    `${what}: last RPC ${last}\n${rig.client.stderrTail()}\n${rig.pilot.logs
      .filter((l) => l.level !== 'info' && l.level !== 'debug')
      .slice(-10)
      .map((l) => JSON.stringify(l))
      .join('\n')}`,
  );
}

describe('e2e EnvoyFilter with the real c-core client', function () {
  this.timeout(120_000);
  let rig: EchoRig;
  before(async () => {
    rig = await echoRig('c-core', { workload: 'envoyfilter-c-core', files: { 'vs.yaml': VS } });
  });
  after(() => rig?.close());

  it('an HTTP_ROUTE MERGE adding a fault abort denies the RPCs; deleting the EnvoyFilter restores them, without restart', async () => {
    await waitFor(rig, (r) => r === 'v1' || r === 'v2', 'before the EnvoyFilter, RPCs succeed');
    await rig.folder.write('ef.yaml', FAULT_EF);
    await waitFor(rig, (r) => r.startsWith('error:PERMISSION_DENIED'), 'the patched route aborts with PERMISSION_DENIED (7)');
    await rig.folder.remove('ef.yaml');
    await waitFor(rig, (r) => r === 'v1' || r === 'v2', 'after deleting the EnvoyFilter, RPCs succeed again');
  });

  it('an HTTP_FILTER patch does not reach the proxyless listener (as in istiod): reported as not applied, RPCs unaffected', async () => {
    // Connected first: a class is translated (and its skips reported) once a client of it connects.
    await waitFor(rig, (r) => r === 'v1' || r === 'v2', 'before the EnvoyFilter, RPCs succeed');
    await rig.folder.write('ef-listener.yaml', LISTENER_FAULT_EF);
    const reported = (): boolean =>
      rig.pilot.logs.some((l) => JSON.stringify(l).includes('default/listener-fault') && JSON.stringify(l).includes('not applied'));
    const end = Date.now() + 30_000;
    while (!reported() && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    assert.ok(reported(), 'tspilot reports the listener patch as not applied to the proxyless client');
    // The client has had the push that would carry the patch; its RPCs still succeed.
    await waitFor(rig, (r) => r === 'v1' || r === 'v2', 'RPCs succeed: the listener patch is not applied', 5);
    await rig.folder.remove('ef-listener.yaml');
  });
});

// grpc-js-xds 1.x keeps a channel's fault configuration from its first route configuration: a
// fault added later (by a VirtualService as much as by an EnvoyFilter) is ACKed but not enforced
// on that channel. So grpc-js is checked with the EnvoyFilter in place before it connects.
describe('e2e EnvoyFilter with the real grpc-js client', function () {
  this.timeout(120_000);
  let rig: EchoRig;
  before(async () => {
    rig = await echoRig('grpc-js', { workload: 'envoyfilter-grpc-js', files: { 'vs.yaml': VS, 'ef.yaml': FAULT_EF } });
  });
  after(() => rig?.close());

  it('the fault an HTTP_ROUTE MERGE adds denies every RPC', async () => {
    await waitFor(rig, (r) => r.startsWith('error:PERMISSION_DENIED'), 'the patched route aborts with PERMISSION_DENIED (7)');
  });
});
