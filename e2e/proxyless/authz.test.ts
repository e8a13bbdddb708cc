/**
 * @module e2e/proxyless/authz.test
 * AuthorizationPolicy on proxyless gRPC servers (gRFC A41 RBAC), real gRPC on both ends: a STRICT
 * `cart` server (grpc-js-xds XdsServer or C-core `xds=True`) and grpc-js and C-core clients with
 * SPIFFE certificates of two service accounts. An ALLOW policy admitting only
 * `cluster.local/ns/shop/sa/frontend` to `/cart.Cart/*` serves frontend's Get and answers
 * PERMISSION_DENIED to the other identity and to frontend on another service's method; a DENY
 * policy on `/cart.Cart/Put` beats the ALLOW; and changing the policies in the config folder takes
 * effect on the running server and clients (same processes, no restart).
 */
import { strict as assert } from 'node:assert';
import type { XdsClient, XdsClientKind } from '../clients/driver.js';
import { proxylessRig, type ProxylessRig } from './rig.js';
import type { ServerKind } from './servers.js';
import { istioMutualDr, targetOf } from './shop-mesh.js';

const STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: cart, namespace: shop}
spec: {selector: {matchLabels: {app: cart}}, mtls: {mode: STRICT}}
`;
const allow = (principals: readonly string[]): string => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: cart-allow, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  action: ALLOW
  rules:
  - from: [{source: {principals: [${principals.join(', ')}]}}]
    to: [{operation: {paths: ['/cart.Cart/*']}}]
`;
const DENY_PUT = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: cart-deny-put, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  action: DENY
  rules:
  - from: [{source: {principals: [cluster.local/ns/shop/sa/frontend]}}]
    to: [{operation: {paths: [/cart.Cart/Put]}}]
`;
const FRONTEND = 'cluster.local/ns/shop/sa/frontend';
const INTRUDER = 'cluster.local/ns/shop/sa/intruder';
const CART = targetOf('cart');
const GET = '/cart.Cart/Get';
const PUT = '/cart.Cart/Put';
const LIST = '/inventory.Inventory/List';

const denied = (r: readonly string[]): boolean => r.every((x) => x.startsWith('error:PERMISSION_DENIED'));

for (const serverKind of ['grpc-js', 'c-core'] as ServerKind[]) {
  describe(`e2e proxyless AuthorizationPolicy with a real ${serverKind} xDS server`, function () {
    this.timeout(240_000);
    let rig: ProxylessRig;
    before(async () => {
      rig = await proxylessRig(serverKind, [{ name: 'cart' }], {
        'pa.yaml': STRICT,
        'dr.yaml': istioMutualDr('cart'),
        'allow.yaml': allow([FRONTEND]),
        'deny.yaml': DENY_PUT,
      });
    });
    after(() => rig?.close());

    const ready = async (c: XdsClient, method: string, expect = 'cart'): Promise<void> => {
      const r = await c.until(CART, expect, { method, timeoutMs: 30_000 });
      assert.ok(
        r.ok,
        `${c.kind} ${method}: ${JSON.stringify(r)}\n${c.stderrTail()}\n--- server ---\n${rig.servers.get('cart')!.stderrTail()}`,
      );
    };

    for (const clientKind of ['grpc-js', 'c-core'] as XdsClientKind[]) {
      it(`only ns/shop/sa/frontend may call /cart.Cart/* (${clientKind} clients); DENY on Put beats the ALLOW`, async () => {
        const frontend = await rig.client(clientKind, 'frontend');
        const intruder = await rig.client(clientKind, 'intruder');
        await ready(frontend, GET);
        const r = await intruder.rpc(CART, 3, {}, { method: GET });
        assert.ok(denied(r), `another identity: ${r.join(', ')}`);
        const list = await frontend.rpc(CART, 2, {}, { method: LIST });
        assert.ok(denied(list), `a path the policy does not allow: ${list.join(', ')}`);
        const put = await frontend.rpc(CART, 2, {}, { method: PUT });
        assert.ok(denied(put), `DENY beats ALLOW: ${put.join(', ')}`);
      });
    }

    it('a policy change reaches the running server: the other identity is let in, then the DENY is lifted — no process restarted', async () => {
      const clients = await Promise.all(
        (['grpc-js', 'c-core'] as XdsClientKind[]).map(async (k) => ({
          frontend: await rig.client(k, 'frontend'),
          intruder: await rig.client(k, 'intruder'),
        })),
      );
      const before = clients.map((c) => [c.frontend.pid, c.intruder.pid]);
      await rig.folder.write('allow.yaml', allow([FRONTEND, INTRUDER]));
      for (const c of clients) await ready(c.intruder, GET);
      for (const c of clients) assert.ok(denied(await c.frontend.rpc(CART, 1, {}, { method: PUT })), 'the DENY still applies');
      await rig.folder.remove('deny.yaml');
      for (const c of clients) await ready(c.frontend, PUT);
      assert.deepEqual(
        clients.map((c) => [c.frontend.pid, c.intruder.pid]),
        before,
        'same client processes',
      );
      for (const s of rig.servers.values()) assert.equal(s.exited, false, `${s.kind} server still running`);
    });
  });
}
