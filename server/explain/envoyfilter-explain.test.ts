/**
 * @module server/explain/envoyfilter-explain.test
 * `explain` names the EnvoyFilter that patched a cluster (its provenance), through the real cache
 * (which hands the EnvoyFilter stage its proto operations), and says nothing of EnvoyFilters for a
 * cluster no patch touched; and, given the proxy, the cluster before and after each patch, the last
 * step equal to what is served.
 */
import { strict as assert } from 'node:assert';
import { meshFrom, proxy } from '../../translators/harness.test.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { explain } from './explain.js';
import { resourceJson } from './translate.js';
import { CDS, ECDS } from '../../proto/typeurls.js';

const YAML = `apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {clusterIP: 10.96.0.1, selector: {app: a}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: default}
spec: {clusterIP: 10.96.0.2, selector: {app: b}, ports: [{name: http, port: 8080}]}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lb, namespace: default}
spec:
  configPatches:
  - applyTo: CLUSTER
    match: {cluster: {service: a.default.svc.cluster.local}}
    patch: {operation: MERGE, value: {lbPolicy: RANDOM}}
`;

describe('explain: EnvoyFilter provenance', () => {
  it('names the EnvoyFilter that patched a cluster, and none for an untouched one', () => {
    const { mesh } = meshFrom(YAML);
    const snap = new SnapshotCache(mesh).forProxy(
      proxy('sidecar~10.5.0.1~c-1.default~default.svc.cluster.local', { LABELS: { app: 'c' } }),
    );
    const [a] = explain(mesh, snap, 'outbound|8080||a.default.svc.cluster.local', 'cds');
    assert.ok(
      a!.lines.some((l) => l.startsWith('patched by EnvoyFilter default/lb')),
      a!.lines.join('\n'),
    );
    assert.ok(a!.configs.some((c) => c.kind === 'EnvoyFilter' && c.name === 'lb' && c.file === 'test.yaml'));
    const [b] = explain(mesh, snap, 'outbound|8080||b.default.svc.cluster.local', 'cds');
    assert.ok(!b!.lines.some((l) => l.includes('EnvoyFilter')));
    assert.ok(b!.lines.some((l) => l.startsWith('no DestinationRule for b.default.svc.cluster.local: defaults (lb_policy ')));
  });

  it('does not call an lb_policy an EnvoyFilter set a default', () => {
    const { mesh } = meshFrom(YAML);
    const px = proxy('sidecar~10.5.0.1~c-1.default~default.svc.cluster.local', { LABELS: { app: 'c' } });
    const snap = new SnapshotCache(mesh).forProxy(px);
    const A = 'outbound|8080||a.default.svc.cluster.local';
    const line = (lines: readonly string[]) => lines.find((l) => l.startsWith('no DestinationRule for a.default'));
    // With the proxy, the trace says which patch set which field (connect_timeout is still istiod's).
    const [a] = explain(mesh, snap, A, 'cds', px);
    assert.match(
      line(a!.lines) ?? '',
      /lb_policy RANDOM \(set by EnvoyFilter default\/lb patch 0\), connect_timeout \S+ \(default\)$/,
      a!.lines.join('\n'),
    );
    assert.ok(!a!.lines.some((l) => l.includes('defaults (')), a!.lines.join('\n'));
    // Without it, the provenance names the EnvoyFilter that may have set them.
    const [b] = explain(mesh, snap, A, 'cds');
    assert.match(
      line(b!.lines) ?? '',
      /lb_policy RANDOM, connect_timeout \S+ \(as served: EnvoyFilter default\/lb patched/,
      b!.lines.join('\n'),
    );
  });
});

const TRACE_YAML = `${YAML}---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: more, namespace: default, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  configPatches:
  - applyTo: CLUSTER
    match: {cluster: {service: a.default.svc.cluster.local}}
    patch: {operation: MERGE, value: {connectTimeout: 7s}}
  - applyTo: CLUSTER
    match: {cluster: {service: a.default.svc.cluster.local}}
    patch: {operation: MERGE, value: {connectTimeout: -1s}}
  - applyTo: CLUSTER
    match: {cluster: {service: b.default.svc.cluster.local}}
    patch: {operation: REMOVE}
  - applyTo: CLUSTER
    patch: {operation: ADD, value: {name: extra, type: STATIC, connectTimeout: 1s}}
`;

describe('explain: the resource before and after each EnvoyFilter patch', () => {
  const { mesh } = meshFrom(TRACE_YAML);
  const px = proxy('sidecar~10.5.0.1~c-1.default~default.svc.cluster.local', { LABELS: { app: 'c' } });
  const snap = new SnapshotCache(mesh).forProxy(px);
  const A = 'outbound|8080||a.default.svc.cluster.local';

  it('lists the translated cluster, then each patch with what it changed; the last step is the served cluster', () => {
    const [a] = explain(mesh, snap, A, 'cds', px);
    const p = a!.patches!;
    assert.ok(p, a!.lines.join('\n'));
    assert.equal((p.generated as { lbPolicy?: string }).lbPolicy, 'LEAST_REQUEST', "the translated cluster has istiod's LB policy");
    assert.deepEqual(
      p.steps.map((s) => `${s.filter}#${s.patchIndex} ${s.applyTo} ${s.operation}`),
      ['default/lb#0 CLUSTER MERGE', 'default/more#0 CLUSTER MERGE'],
    );
    assert.ok(p.steps[0]!.changes.includes('lbPolicy: "LEAST_REQUEST" → "RANDOM"'), p.steps[0]!.changes.join('\n'));
    assert.ok(
      p.steps[1]!.changes.some((c) => c.startsWith('connectTimeout: ') && c.endsWith('→ "7s"')),
      p.steps[1]!.changes.join('\n'),
    );
    // The patch that would make the cluster invalid is skipped, with Envoy's rule as the reason.
    assert.equal(p.skipped.length, 1);
    assert.equal(p.skipped[0]!.filter, 'default/more');
    assert.equal(p.skipped[0]!.patchIndex, 1);
    assert.match(p.skipped[0]!.reason, /connect_timeout/);
    assert.deepEqual(p.steps[p.steps.length - 1]!.resource, resourceJson(snap.get(CDS, A)!));
    assert.ok(
      a!.lines.some((l) => l.startsWith('after EnvoyFilter default/lb patch 0 (CLUSTER MERGE): lbPolicy: "LEAST_REQUEST" → "RANDOM"')),
      a!.lines.join('\n'),
    );
    assert.ok(a!.lines.some((l) => l.startsWith('skipped EnvoyFilter default/more patch 1: ')));
  });

  it('explains a cluster a patch removed, and one a patch added', () => {
    const B = 'outbound|8080||b.default.svc.cluster.local';
    assert.equal(snap.get(CDS, B), undefined);
    const [b] = explain(mesh, snap, B, 'cds', px);
    assert.ok(b!.lines.includes('after EnvoyFilter default/more patch 2 (CLUSTER REMOVE): removed'), b!.lines.join('\n'));
    const [x] = explain(mesh, snap, 'extra', 'cds', px);
    assert.equal(x!.patches!.generated, null);
    assert.deepEqual(x!.patches!.steps[0]!.resource, resourceJson(snap.get(CDS, 'extra')!));
    assert.ok(
      x!.lines.some((l) => l.startsWith('added by EnvoyFilter default/more patch 3 (CLUSTER ADD)')),
      x!.lines.join('\n'),
    );
  });

  it('without the proxy (or for an untouched resource) there is no patch trace', () => {
    assert.equal(explain(mesh, snap, A, 'cds')[0]!.patches, undefined);
    const { mesh: m2 } = meshFrom(YAML);
    const s2 = new SnapshotCache(m2).forProxy(px);
    assert.equal(explain(m2, s2, 'outbound|8080||b.default.svc.cluster.local', 'cds', px)[0]!.patches, undefined);
  });
});

describe('explain: an extension config served over ECDS', () => {
  const ECDS_YAML = `${YAML}---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua, namespace: default}
spec:
  configPatches:
  - applyTo: EXTENSION_CONFIG
    patch:
      operation: ADD
      value: {name: my-lua, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, default_source_code: {inline_string: x}}}
  - applyTo: HTTP_FILTER
    match: {context: SIDECAR_OUTBOUND, listener: {portNumber: 8080, filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}
    patch:
      operation: INSERT_BEFORE
      value: {name: my-lua, config_discovery: {config_source: {ads: {}}, type_urls: [type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua]}}
`;
  it('names the EnvoyFilter patch that defines it and the listeners that load it', () => {
    const { mesh } = meshFrom(ECDS_YAML);
    const px = proxy('sidecar~10.5.0.1~c-1.default~default.svc.cluster.local', { LABELS: { app: 'c' } });
    const snap = new SnapshotCache(mesh).forProxy(px);
    const [e] = explain(mesh, snap, 'my-lua', 'ecds', px);
    assert.equal(e!.type, 'ecds');
    assert.ok(
      e!.lines.includes(
        'extension config my-lua (served over ECDS) is defined by EnvoyFilter default/lua spec.configPatches[0] (EXTENSION_CONFIG ADD)',
      ),
      e!.lines.join('\n'),
    );
    assert.ok(e!.lines.includes('loaded through config_discovery by listener(s) 0.0.0.0_8080'), e!.lines.join('\n'));
    assert.deepEqual(e!.patches!.steps[0]!.resource, resourceJson(snap.get(ECDS, 'my-lua')!));
    assert.deepEqual(explain(mesh, snap, 'not-there', 'ecds', px), []);
  });
});
