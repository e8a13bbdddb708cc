/**
 * @module e2e/gateway-api-status.test
 * Issue 14, status in Kubernetes mode: the real `tspilot serve` against the API server stand-in
 * (Gateway API CRDs installed) writes the conditions it computes to the objects' `/status`
 * subresource from the elected leader, and client-node reads them back: the Gateway Accepted with
 * its listeners and attached route counts, a route Accepted, a route from another namespace refused
 * by the listener's allowedRoutes with NotAllowedByListeners. Then nothing more is written while the
 * config does not change (the status writes do not loop), and an edit that fixes the refused route
 * is reflected.
 */
import { strict as assert } from 'node:assert';
import {
  condOf as cond,
  gatewayCrd as crd,
  GW,
  startGatewayApiKube,
  until,
  type GatewayApiKube,
  type StatusObj,
} from './gateway-api-kit.js';
import { sleep } from './kube/testkit.js';

const GATEWAY_CRDS = [
  crd('gatewayclasses', 'GatewayClass', ['v1', 'v1beta1'], false),
  crd('gateways', 'Gateway', ['v1', 'v1beta1']),
  crd('httproutes', 'HTTPRoute', ['v1', 'v1beta1']),
  crd('grpcroutes', 'GRPCRoute', ['v1']),
  crd('referencegrants', 'ReferenceGrant', ['v1beta1']),
];

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: 10.96.7.1, selector: {app: web}, ports: [{name: http, port: 80}]}
---
apiVersion: ${GW}/v1
kind: GatewayClass
metadata: {name: istio}
spec: {controllerName: istio.io/gateway-controller}
---
apiVersion: ${GW}/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP}
---
apiVersion: ${GW}/v1
kind: HTTPRoute
metadata: {name: good, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: ${GW}/v1
kind: HTTPRoute
metadata: {name: foreign, namespace: other}
spec:
  parentRefs: [{name: gw, namespace: default}]
  rules: [{backendRefs: [{name: web, namespace: default, port: 80}]}]
`;

describe('e2e Gateway API status written to Kubernetes', function () {
  this.timeout(120_000);
  let k: GatewayApiKube | undefined;
  after(async () => {
    await k?.close();
  });

  const get = (plural: string, namespace: string, name: string): Promise<StatusObj> => k!.get(plural, 'v1', namespace, name);
  const statusWrites = (): number => k!.srv.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/status')).length;

  before(async () => {
    k = await startGatewayApiKube(GATEWAY_CRDS, CONFIG);
  });

  it('the Gateway and its routes get Accepted/Programmed/ResolvedRefs; a route refused by allowedRoutes says NotAllowedByListeners', async () => {
    const gw = await until(
      () => get('gateways', 'default', 'gw'),
      (o) => cond(o.status?.conditions, 'Accepted') === 'True Accepted',
      'the Gateway status',
    );
    assert.equal(cond(gw.status?.conditions, 'Programmed'), 'False AddressNotAssigned', 'no Service backs the gateway');
    assert.equal(gw.status?.conditions?.[0]?.observedGeneration, 1);
    assert.ok(gw.status?.conditions?.[0]?.lastTransitionTime, 'conditions carry a transition time');
    const good = await until(
      () => get('httproutes', 'default', 'good'),
      (o) => !!o.status?.parents?.length,
      'the good route status',
    );
    assert.equal(good.status?.parents?.[0]?.controllerName, 'istio.io/gateway-controller');
    assert.equal(cond(good.status?.parents?.[0]?.conditions, 'Accepted'), 'True Accepted');
    assert.equal(cond(good.status?.parents?.[0]?.conditions, 'ResolvedRefs'), 'True ResolvedRefs');
    const foreign = await until(
      () => get('httproutes', 'other', 'foreign'),
      (o) => !!o.status?.parents?.length,
      'the foreign route status',
    );
    assert.equal(cond(foreign.status?.parents?.[0]?.conditions, 'Accepted'), 'False NotAllowedByListeners');
    const listeners = (
      await until(
        () => get('gateways', 'default', 'gw'),
        (o) => o.status?.listeners?.[0]?.attachedRoutes === 1,
        'one attached route',
      )
    ).status?.listeners;
    assert.deepEqual(
      listeners?.map((l) => [l.name, l.attachedRoutes, cond(l.conditions, 'Accepted')]),
      [['http', 1, 'True Accepted']],
    );
  });

  it('no write loop: with the config unchanged, nothing more is written', async () => {
    const before = statusWrites();
    await sleep(2_000);
    assert.equal(statusWrites(), before, `status writes kept coming: ${statusWrites() - before} in 2 s`);
  });

  it("an edit that admits the refused route is reflected in its status (the Gateway's Accepted keeps its transition time)", async () => {
    const gwBefore = await get('gateways', 'default', 'gw');
    // A merge patch of the spec, as kubectl does (a full replace in the stand-in would also drop the status).
    k!.srv.patch(
      { apiVersion: `${GW}/v1`, kind: 'Gateway', namespace: 'default', name: 'gw' },
      { spec: { listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] } },
    );
    const foreign = await until(
      () => get('httproutes', 'other', 'foreign'),
      (o) => cond(o.status?.parents?.[0]?.conditions, 'Accepted') === 'True Accepted',
      'the foreign route accepted',
    );
    assert.equal(
      cond(foreign.status?.parents?.[0]?.conditions, 'ResolvedRefs'),
      'False RefNotPermitted',
      'its backend in another namespace still needs a ReferenceGrant',
    );
    const gw = await until(
      () => get('gateways', 'default', 'gw'),
      (o) => o.status?.listeners?.[0]?.attachedRoutes === 2,
      'two attached routes',
    );
    assert.equal(gw.status?.conditions?.[0]?.observedGeneration, 2, 'the Gateway spec changed: generation 2');
    assert.equal(
      gw.status?.conditions?.find((c) => c.type === 'Accepted')?.lastTransitionTime,
      gwBefore.status?.conditions?.find((c) => c.type === 'Accepted')?.lastTransitionTime,
      'Accepted stayed True: its transition time is kept',
    );
  });
});
