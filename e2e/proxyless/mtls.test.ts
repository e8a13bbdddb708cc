/**
 * @module e2e/proxyless/mtls.test
 * Proxyless gRPC mTLS end to end, real gRPC on both ends (issue 11): xDS-enabled servers
 * (grpc-js-xds 1.14 XdsServer, C-core 1.51 `xds=True`) take their listener from tspilot and their
 * certificates (issued by tspilot's mesh CA) from pilot-agent's `certificate_providers.default`;
 * grpc-js and C-core clients with xDS credentials take client TLS from CDS. As istiod's gRPC generator serves them:
 * - STRICT (PeerAuthentication) serves an mTLS client — the server sees its SPIFFE identity — and
 *   refuses a plaintext one;
 * - PERMISSIVE on a pod labelled `security.istio.io/tlsMode=istio` is served as STRICT;
 * - PERMISSIVE without the label is plaintext: a client with xDS credentials but no
 *   DestinationRule talks plaintext (no auto-mTLS for proxyless clients);
 * - DISABLE is plaintext even with the label, and a client told ISTIO_MUTUAL by a
 *   DestinationRule cannot reach it.
 */
import { strict as assert } from 'node:assert';
import type { XdsClientKind } from '../clients/driver.js';
import { proxylessRig, type ProxylessRig } from './rig.js';
import type { ServerKind } from './servers.js';
import { istioMutualDr, targetOf } from './shop-mesh.js';

const TLS_LABEL = { 'security.istio.io/tlsMode': 'istio' };
const pa = (name: string, mode: string): string => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: shop}
spec: {selector: {matchLabels: {app: ${name}}}, mtls: {mode: ${mode}}}
`;
const GET = { method: '/cart.Cart/Get' };
const PEER = { 'x-echo-peer': '1' };
const FRONTEND = 'spiffe://cluster.local/ns/shop/sa/frontend';

for (const serverKind of ['grpc-js', 'c-core'] as ServerKind[]) {
  describe(`e2e proxyless mTLS with real ${serverKind} xDS servers`, function () {
    this.timeout(240_000);
    let rig: ProxylessRig;
    before(async () => {
      rig = await proxylessRig(
        serverKind,
        [{ name: 'strict' }, { name: 'labelled', labels: TLS_LABEL }, { name: 'plain' }, { name: 'disabled', labels: TLS_LABEL }],
        {
          'pa-strict.yaml': pa('strict', 'STRICT'),
          'pa-disabled.yaml': pa('disabled', 'DISABLE'),
          'dr-strict.yaml': istioMutualDr('strict'),
          'dr-labelled.yaml': istioMutualDr('labelled'),
          'dr-disabled.yaml': istioMutualDr('disabled'),
        },
      );
    });
    after(() => rig?.close());

    for (const clientKind of ['grpc-js', 'c-core'] as XdsClientKind[]) {
      for (const w of ['strict', 'labelled']) {
        it(`${w === 'strict' ? 'STRICT' : 'PERMISSIVE with the tlsMode label'}: a ${clientKind} mTLS client is served and identified, a plaintext one is refused`, async () => {
          const mtls = await rig.client(clientKind, 'frontend');
          const ok = await mtls.until(targetOf(w), `${w}|${FRONTEND}`, { ...GET, metadata: PEER, timeoutMs: 20_000 });
          assert.ok(ok.ok, `mTLS client: ${JSON.stringify(ok)}\n${mtls.stderrTail()}\n${rig.servers.get(w)!.stderrTail()}`);
          const plain = await rig.client(clientKind, null);
          const r = await plain.rpc(targetOf(w), 3, {}, GET);
          assert.ok(
            r.every((x) => x.startsWith('error:UNAVAILABLE')),
            `plaintext client: ${r.join(', ')}`,
          );
        });
      }

      it(`PERMISSIVE without the label is plaintext: ${clientKind} clients with and without xDS credentials are served, without TLS`, async () => {
        for (const sa of [null, 'frontend']) {
          const c = await rig.client(clientKind, sa);
          const ok = await c.until(targetOf('plain'), 'plain|plaintext', { ...GET, metadata: PEER, timeoutMs: 20_000 });
          assert.ok(ok.ok, `${sa ?? 'plaintext'} client: ${JSON.stringify(ok)}\n${c.stderrTail()}`);
        }
      });

      it(`DISABLE is plaintext even with the label: a plaintext ${clientKind} client is served, one told ISTIO_MUTUAL fails`, async () => {
        const plain = await rig.client(clientKind, null);
        const ok = await plain.until(targetOf('disabled'), 'disabled|plaintext', { ...GET, metadata: PEER, timeoutMs: 20_000 });
        assert.ok(ok.ok, `plaintext client: ${JSON.stringify(ok)}\n${plain.stderrTail()}`);
        const mtls = await rig.client(clientKind, 'frontend');
        const r = await mtls.rpc(targetOf('disabled'), 3, {}, GET);
        assert.ok(
          r.every((x) => x.startsWith('error:UNAVAILABLE')),
          `mTLS client: ${r.join(', ')}`,
        );
      });
    }
  });
}

// A mode change on a running server, both directions. grpc-js-xds 1.14.1 compares listeners by
// their filters' bytes before their transport_socket, and mishandles a change in transport_socket
// alone (ignores TLS → plaintext, throws and dies on plaintext → TLS); tspilot's chains differ in
// their HCM between modes, which this proves for both servers.
for (const serverKind of ['grpc-js', 'c-core'] as ServerKind[]) {
  describe(`e2e proxyless mTLS: a PeerAuthentication change reaches a running ${serverKind} xDS server`, function () {
    this.timeout(240_000);
    let rig: ProxylessRig;
    before(async () => {
      rig = await proxylessRig(serverKind, [{ name: 'cart' }]);
    });
    after(() => rig?.close());

    it('PERMISSIVE → STRICT → PERMISSIVE without restarting server or clients', async () => {
      const plain = await rig.client('grpc-js', null);
      const mtls = await rig.client('c-core', 'frontend');
      const until = async (c: typeof plain, expect: string): Promise<void> => {
        const r = await c.until(targetOf('cart'), expect, { ...GET, metadata: PEER, timeoutMs: 20_000 });
        assert.ok(r.ok, `${expect}: ${JSON.stringify(r)}\n${rig.servers.get('cart')!.stderrTail()}`);
      };
      await until(plain, 'cart|plaintext');
      await rig.folder.write('pa.yaml', pa('cart', 'STRICT'));
      await rig.folder.write('dr.yaml', istioMutualDr('cart'));
      await until(mtls, `cart|${FRONTEND}`);
      assert.ok(
        (await plain.rpc(targetOf('cart'), 2, {}, GET)).every((x) => x.startsWith('error:UNAVAILABLE')),
        'plaintext refused once STRICT',
      );
      await rig.folder.remove('pa.yaml');
      await rig.folder.remove('dr.yaml');
      await until(plain, 'cart|plaintext');
      assert.equal(rig.servers.get('cart')!.exited, false);
    });
  });
}
