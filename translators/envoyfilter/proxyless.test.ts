/**
 * @module translators/envoyfilter/proxyless.test
 * EnvoyFilters and proxyless gRPC clients (GENERATOR=grpc), as istiod's grpc generator treats
 * them: listener patches (here an HTTP_FILTER INSERT_BEFORE and a LISTENER MERGE) reach none of the
 * listeners a client can be served — the canonical `host:port`, an alias asked for by short name,
 * the inbound server listener — and each is reported as not applied, naming the EnvoyFilter and
 * patch; route configuration patches still apply to the same client.
 */
import assert from 'node:assert/strict';
import { meshFrom, proxy } from '../harness.test.js';
import { generate } from '../index.js';
import { PROTO_PATCH_OPS } from '../../proto/patch.js';
import { LDS } from '../../proto/typeurls.js';

type O = Record<string, unknown>;
const MESH = `
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {clusterIP: 10.96.0.9, selector: {app: echo}, ports: [{name: grpc, port: 9080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: echo-1, namespace: default, labels: {app: echo}}
spec: {containers: [{name: c}]}
status: {phase: Running, podIP: 10.1.0.9}
`;
const EF = `---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: listen, namespace: default}
spec:
  configPatches:
  - applyTo: HTTP_FILTER
    match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.filters.http.fault
        typedConfig:
          "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
          abort: {grpcStatus: 7, percentage: {numerator: 100}}
  - applyTo: LISTENER
    patch: {operation: MERGE, value: {statPrefix: patched}}
  - applyTo: ROUTE_CONFIGURATION
    match: {context: SIDECAR_OUTBOUND}
    patch: {operation: MERGE, value: {validateClusters: true}}
`;
const CLIENT = proxy('sidecar~10.5.0.1~client-1.default~default.svc.cluster.local', { GENERATOR: 'grpc', LABELS: { app: 'client' } });
const SERVER = proxy('sidecar~10.1.0.9~echo-1.default~default.svc.cluster.local', { GENERATOR: 'grpc', LABELS: { app: 'echo' } });
const INBOUND = 'xds.istio.io/grpc/lds/inbound/0.0.0.0:9080';

function meshOf(docs: string) {
  const { mesh, rejected } = meshFrom(docs);
  assert.deepEqual(rejected, []);
  return mesh;
}

describe('EnvoyFilter and proxyless gRPC clients (translators/envoyfilter/proxyless)', () => {
  it('listener patches reach no proxyless listener, canonical, alias or inbound, and each is reported as not applied', () => {
    const without = generate(meshOf(MESH), CLIENT, PROTO_PATCH_OPS);
    const withEf = generate(meshOf(MESH + EF), CLIENT, PROTO_PATCH_OPS);
    const serverWithout = generate(meshOf(MESH), SERVER, PROTO_PATCH_OPS);
    const serverWithEf = generate(meshOf(MESH + EF), SERVER, PROTO_PATCH_OPS);
    for (const name of ['echo.default.svc.cluster.local:9080', 'echo:9080', 'echo.default:9080']) {
      const l = withEf.listeners.get(name);
      assert.ok(l, `listener ${name} is served`);
      assert.deepEqual(l, without.listeners.get(name), `listener ${name} is served as generated`);
      // (proxyless HCMs carry the fault filter without config; the patch's abort must not appear)
      assert.doesNotMatch(JSON.stringify(l), /abort|patched/, name);
    }
    assert.ok(serverWithEf.listeners.get(INBOUND));
    assert.deepEqual(serverWithEf.listeners.get(INBOUND), serverWithout.listeners.get(INBOUND));
    assert.deepEqual(withEf.listeners.names(), without.listeners.names());

    const skips = withEf.envoyFilters!.skips().filter((s) => s.notApplicable);
    assert.deepEqual(
      skips.map((s) => [s.filter, s.patchIndex, s.typeUrl]),
      [
        ['default/listen', 0, LDS],
        ['default/listen', 1, LDS],
      ],
    );
    assert.match(skips[0]!.reason, /proxyless gRPC client \(GENERATOR=grpc\)/);
    // explain's trace of an alias names the patches not applied to it.
    const tr = withEf.envoyFilters!.trace(LDS, 'echo:9080');
    assert.deepEqual(
      tr?.skipped.map((s) => [s.patchIndex, s.resource]),
      [
        [0, 'echo:9080'],
        [1, 'echo:9080'],
      ],
    );
    assert.deepEqual(tr?.steps, []);
  });

  it('route configuration patches still apply to the same proxyless client', () => {
    const withEf = generate(meshOf(MESH + EF), CLIENT, PROTO_PATCH_OPS);
    const rc = withEf.routes.get('outbound|9080||echo.default.svc.cluster.local') as unknown as O;
    assert.deepEqual(rc['validate_clusters'], { value: true });
  });

  it('an Envoy sidecar selected by the same EnvoyFilter gets the listener patches', () => {
    const sidecar = proxy('sidecar~10.5.0.2~client-2.default~default.svc.cluster.local', { LABELS: { app: 'client' } });
    const g = generate(meshOf(MESH + EF), sidecar, PROTO_PATCH_OPS);
    assert.deepEqual(
      g.envoyFilters!.skips().filter((s) => s.notApplicable),
      [],
    );
    assert.match(JSON.stringify(g.listeners.get('0.0.0.0_9080')), /envoy\.filters\.http\.fault/);
  });
});
