/**
 * @module server/explain/explain-gatewayapi.test
 * `explain` on routes converted from the Gateway API names the HTTPRoute / GRPCRoute and the rule
 * index behind each Envoy route (from the route's provenance and istiod's `<ns>.<name>.<rule>`
 * name), and lists the route object among the contributing configs with its file.
 */
import assert from 'node:assert/strict';
import { meshFrom, proxy } from '../../translators/harness.test.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { explain } from './explain.js';

const YAML = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: 10.96.9.1, selector: {app: web}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-v2, namespace: default}
spec: {clusterIP: 10.96.9.2, selector: {app: web2}, ports: [{name: http, port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split, namespace: default}
spec:
  parentRefs: [{group: "", kind: Service, name: web}]
  rules:
  - matches: [{path: {type: Exact, value: /v2}}]
    backendRefs: [{name: web-v2, port: 80}]
  - backendRefs: [{name: web, port: 80, weight: 3}, {name: web-v2, port: 80, weight: 1}]
`;

describe('server/explain: Gateway API provenance', () => {
  it('names the HTTPRoute and rule behind each route of a mesh virtual host', () => {
    const { mesh } = meshFrom(YAML);
    const p = proxy('sidecar~10.0.0.5~client-1.default~default.svc.cluster.local', { LABELS: { app: 'client' } });
    const [e] = explain(mesh, new SnapshotCache(mesh).forProxy(p), 'web.default.svc.cluster.local:80', 'vhost');
    assert.ok(e, 'the virtual host is explained');
    assert.ok(e.lines.includes('HTTPRoute default/split rules[0] → outbound|80||web-v2.default.svc.cluster.local'), e.lines.join('\n'));
    assert.ok(
      e.lines.includes('HTTPRoute default/split rules[1]: weight 75 → outbound|80||web.default.svc.cluster.local'),
      e.lines.join('\n'),
    );
    const c = e.configs.find((x) => x.kind === 'HTTPRoute');
    assert.deepEqual([c?.namespace, c?.name, c?.file, c?.rules], ['default', 'split', 'test.yaml', ['rules[0]', 'rules[1]']]);
  });
});
