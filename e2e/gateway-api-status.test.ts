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
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_RESOURCES, startFakeApiServer, type FakeApiServer, type ResourceDef } from './kube/apiserver.js';
import { applyYaml, kubeconfigFile, startKubeTspilot, type KubeTspilot } from './kube-mode-kit.js';

const GW = 'gateway.networking.k8s.io';
const crd = (resource: string, kind: string, versions: string[], namespaced = true): ResourceDef => ({
  group: GW,
  versions,
  resource,
  kind,
  namespaced,
  crd: true,
});
const GATEWAY_CRDS: ResourceDef[] = [
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

type Cond = { type: string; status: string; reason: string; observedGeneration?: number; lastTransitionTime?: string };
type Obj = {
  status?: {
    conditions?: Cond[];
    listeners?: { name: string; attachedRoutes: number; conditions: Cond[] }[];
    parents?: { controllerName: string; conditions: Cond[] }[];
  };
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('e2e Gateway API status written to Kubernetes', function () {
  this.timeout(120_000);
  let srv: FakeApiServer | undefined, kc: Awaited<ReturnType<typeof kubeconfigFile>> | undefined, pilot: KubeTspilot | undefined;
  let api: CustomObjectsApi;
  after(async () => {
    await pilot?.close();
    await srv?.close();
    await kc?.cleanup();
  });

  const get = async (plural: string, namespace: string, name: string): Promise<Obj> =>
    (await api.getNamespacedCustomObject({ group: GW, version: 'v1', namespace, plural, name })) as Obj;
  const cond = (cs: Cond[] | undefined, type: string): string => {
    const c = cs?.find((x) => x.type === type);
    return c ? `${c.status} ${c.reason}` : 'none';
  };
  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
      await sleep(100);
    }
  }
  const statusWrites = (): number => srv!.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/status')).length;

  before(async () => {
    srv = await startFakeApiServer({ resources: [...DEFAULT_RESOURCES, ...GATEWAY_CRDS] });
    applyYaml(srv, CONFIG);
    kc = await kubeconfigFile(srv);
    pilot = await startKubeTspilot(kc.file);
    await pilot.xds();
    const k = new KubeConfig();
    k.loadFromFile(kc.file);
    api = k.makeApiClient(CustomObjectsApi);
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
    srv!.patch(
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
