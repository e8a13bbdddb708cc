/**
 * Tests for the mTLS part of explain (server/explain/mtls.ts): for a proxy's virtualInbound, the
 * PeerAuthentication of each level and each port's resulting mode, with those policies listed as
 * configs; for an outbound cluster, where its TLS comes from.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { meshFrom, proxy } from '../../translators/harness.test.js';
import { fileURLToPath } from 'node:url';
import { SnapshotCache } from '../cache/snapshot.js';
import { explain } from './explain.js';

const TESTDATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../translators/testdata');

describe('server/explain: mTLS', () => {
  const { mesh } = meshFrom(fs.readFileSync(path.join(TESTDATA, 'mtls.in.yaml'), 'utf8'));
  const cart = proxy('sidecar~10.2.0.1~cart-1.shop~shop.svc.cluster.local');
  const snap = new SnapshotCache(mesh).forProxy(cart);

  it("virtualInbound: the policy of each level, the effective mode and each port's chains", () => {
    const [ex] = explain(mesh, snap, 'virtualInbound', 'lds', cart);
    assert.ok(ex);
    assert.deepEqual(ex.lines, [
      'PeerAuthentication istio-system/default (mesh (root namespace istio-system)): mtls.mode STRICT',
      'PeerAuthentication namespace shop: none',
      'PeerAuthentication shop/cart (workload): mtls.mode PERMISSIVE',
      'effective mTLS mode PERMISSIVE',
      'port 9090: portLevelMtls → DISABLE',
      'port 15090: portLevelMtls → STRICT (no service declares it: a passthrough chain)',
      'inbound port 7000: PERMISSIVE → mTLS and plaintext chains',
      'inbound port 8080: PERMISSIVE → mTLS and plaintext chains',
      'inbound port 9090: DISABLE → plaintext chain only',
    ]);
    assert.deepEqual(
      ex.configs.map((c) => `${c.kind} ${c.namespace}/${c.name} ${c.rules.join(',')}`),
      [
        'PeerAuthentication istio-system/default spec.mtls',
        'PeerAuthentication shop/cart spec.mtls,spec.portLevelMtls.9090,spec.portLevelMtls.15090',
      ],
    );
  });
  it('clusters: auto mTLS, a namespace DISABLE, a DestinationRule tls mode, an external service', () => {
    const line = (name: string): string => explain(mesh, snap, name, 'cds', cart)[0]!.lines.find((l) => /TLS|mTLS|tls\.mode/.test(l))!;
    assert.match(
      line('outbound|80||cart.shop.svc.cluster.local'),
      /^auto mTLS: istio mTLS to endpoints labelled security.istio.io\/tlsMode=istio/,
    );
    assert.match(line('outbound|80||old.legacy.svc.cluster.local'), /namespace legacy or the mesh is DISABLE/);
    assert.equal(line('outbound|5432||pay.shop.svc.cluster.local'), 'DestinationRule shop/pay tls.mode DISABLE: plaintext');
    assert.match(line('outbound|443||api.example.com'), /MESH_EXTERNAL/);
  });
});
