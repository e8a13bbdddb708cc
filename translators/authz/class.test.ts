/**
 * @module translators/authz/class.test
 * Proxy classes and AuthorizationPolicies: two workloads differing only in which policy selects
 * them get different class keys and different inbound listeners; two pods of one workload share a
 * class (one translation); a new policy selecting a workload changes its class key.
 */
import assert from 'node:assert/strict';
import { meshFrom, proxy } from '../harness.test.js';
import { generate, proxyClass } from '../index.js';

const BASE = `apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {clusterIP: 10.96.1.1, selector: {app: cart}, ports: [{name: http, port: 8080}, {name: tcp, port: 9000}]}
`;
const POLICY = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: v1-only, namespace: shop}
spec: {selector: {matchLabels: {version: v1}}, action: DENY, rules: [{from: [{source: {namespaces: [dev]}}]}]}
`;
const v1a = proxy('sidecar~10.0.1.1~cart-v1-a.shop~shop.svc.cluster.local', { LABELS: { app: 'cart', version: 'v1' } });
const v1b = proxy('sidecar~10.0.1.2~cart-v1-b.shop~shop.svc.cluster.local', { LABELS: { app: 'cart', version: 'v1' } });
const v2 = proxy('sidecar~10.0.1.3~cart-v2-a.shop~shop.svc.cluster.local', { LABELS: { app: 'cart', version: 'v2' } });
const inbound = (m: ReturnType<typeof meshFrom>['mesh'], p: typeof v1a): string =>
  JSON.stringify(generate(m, p).listeners.get('virtualInbound'));

describe('proxy classes follow the AuthorizationPolicies that select a workload', () => {
  it('different policies → different class and inbound output; same workload → shared class', () => {
    const { mesh } = meshFrom(BASE + POLICY);
    assert.match(proxyClass(v1a, mesh), /\/policies:A:shop\/v1-only$/);
    assert.equal(proxyClass(v1a, mesh), proxyClass(v1b, mesh), 'pods of one workload share a translation');
    assert.notEqual(proxyClass(v1a, mesh), proxyClass(v2, mesh));
    assert.notEqual(inbound(mesh, v1a), inbound(mesh, v2), 'only v1 carries the DENY');
    assert.match(inbound(mesh, v1a), /ns\[shop\]-policy\[v1-only\]-rule\[0\]/);
    assert.doesNotMatch(inbound(mesh, v2), /v1-only/);
    const { mesh: without } = meshFrom(BASE);
    assert.notEqual(proxyClass(v1a, without), proxyClass(v1a, mesh), 'adding a policy changes the class key of the workloads it selects');
    assert.equal(proxyClass(v2, without), proxyClass(v2, mesh), 'and not of the others');
  });
});
