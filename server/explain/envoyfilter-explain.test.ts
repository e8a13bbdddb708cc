/**
 * @module server/explain/envoyfilter-explain.test
 * `explain` names the EnvoyFilter that patched a cluster (its provenance), through the real cache
 * (which hands the EnvoyFilter stage its proto operations), and says nothing of EnvoyFilters for a
 * cluster no patch touched.
 */
import { strict as assert } from 'node:assert';
import { meshFrom, proxy } from '../../translators/harness.test.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { explain } from './explain.js';

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
  });
});
