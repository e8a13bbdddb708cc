/**
 * @module translators/selectors.test
 * How each kind of selector treats an empty or absent selector (model/labels), seen through what a
 * proxy receives: config that applies to workloads (Gateway selector, Sidecar workloadSelector)
 * with none selects every workload; a Service selector that is empty selects none.
 */
import assert from 'node:assert/strict';
import { meshFrom, proxy, snapshot } from './harness.test.js';

const GW = 'router~10.1.0.9~gw-1.istio-system~istio-system.svc.cluster.local';
const gateway = (selector: string): string => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec:
  ${selector}
  servers: [{ port: { number: 8080, name: http, protocol: HTTP }, hosts: ['*'] }]`;

describe('selectors with no labels (istiod SubsetOf vs Match)', () => {
  it('a Gateway without a selector is served to every gateway proxy, as istiod', () => {
    const { mesh } = meshFrom(gateway(''));
    const { snap } = snapshot(mesh, proxy(GW, { LABELS: { istio: 'anything' } }));
    assert.ok(snap.listeners['0.0.0.0_8080'], Object.keys(snap.listeners).join(', '));
    const { snap: other } = snapshot(
      meshFrom(gateway('selector: { istio: ingressgateway }')).mesh,
      proxy(GW, { LABELS: { istio: 'anything' } }),
    );
    assert.equal(other.listeners['0.0.0.0_8080'], undefined, 'a selector still narrows');
  });

  it('a Sidecar with empty workloadSelector labels applies to every workload of its namespace, before the namespace default', () => {
    const { mesh, rejected } = meshFrom(`apiVersion: v1
kind: Service
metadata: { name: a, namespace: shop }
spec: { clusterIP: 10.0.0.1, selector: { app: a }, ports: [{ name: http, port: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: b, namespace: other }
spec: { clusterIP: 10.0.0.2, selector: { app: b }, ports: [{ name: http, port: 81 }] }
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: everyone, namespace: shop }
spec: { workloadSelector: { labels: {} }, egress: [{ hosts: ['./*'] }] }
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: default, namespace: shop }
spec: { egress: [{ hosts: ['*/*'] }] }`);
    assert.deepEqual(rejected, []);
    const { snap } = snapshot(mesh, proxy('sidecar~10.1.0.1~x-1.shop~shop.svc.cluster.local', { LABELS: { app: 'x' } }));
    assert.ok(snap.clusters['outbound|80||a.shop.svc.cluster.local']);
    assert.equal(
      snap.clusters['outbound|81||b.other.svc.cluster.local'],
      undefined,
      'the selecting Sidecar (./* only) won over the default (*/*)',
    );
  });

  it('rejects a Sidecar workloadSelector without labels, naming the field (istiod does too)', () => {
    const { rejected } = meshFrom(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: s, namespace: shop }
spec: { workloadSelector: {}, egress: [{ hosts: ['./*'] }] }`);
    assert.deepEqual(
      rejected.map((r) => `${r.kind} ${r.namespace}/${r.name} ${r.field}`),
      ['Sidecar shop/s spec.workloadSelector.labels'],
    );
  });

  it('a Service with an empty selector selects no workload (no inbound port for it)', () => {
    const { mesh } = meshFrom(`apiVersion: v1
kind: Service
metadata: { name: a, namespace: shop }
spec: { clusterIP: 10.0.0.1, selector: {}, ports: [{ name: http, port: 80 }] }`);
    const { snap } = snapshot(mesh, proxy('sidecar~10.1.0.1~x-1.shop~shop.svc.cluster.local', { LABELS: { app: 'x' } }));
    assert.equal(snap.clusters['inbound|80||'], undefined);
  });
});
