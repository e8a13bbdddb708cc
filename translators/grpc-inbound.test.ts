/**
 * @module translators/grpc-inbound.test
 * The proxyless gRPC server listener and client TLS, encoded as the server sends them and checked
 * against Envoy's validate.rules: the mode per PeerAuthentication and tlsMode label (istiod's gRPC
 * generator: PERMISSIVE is STRICT with the label, plaintext without), the certificate-provider
 * TLS contexts, names that get no listener, and ISTIO_MUTUAL client clusters with the servers'
 * SPIFFE identities.
 */
import assert from 'node:assert/strict';
import { encodeResource } from '../proto/encode.js';
import { toProto3Json } from '../proto/json.js';
import { validateMessage } from '../proto/validate.js';
import { meshFrom, proxy, TYPES } from './harness.test.js';
import { generate, proxyClass } from './index.js';
import { parseInboundName } from './grpc-inbound.js';

const BASE = `apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  clusterIP: 10.96.0.9
  selector: {app: cart}
  ports: [{name: grpc, port: 7070, targetPort: 17070}]
---
apiVersion: v1
kind: Pod
metadata: {name: cart-0, namespace: shop, labels: {app: cart}}
spec: {serviceAccountName: cart}
status: {phase: Running, podIP: 10.1.0.9}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: cart, namespace: shop, labels: {kubernetes.io/service-name: cart}}
addressType: IPv4
ports: [{name: grpc, port: 17070, protocol: TCP}]
endpoints:
- addresses: [10.1.0.9]
  targetRef: {kind: Pod, name: cart-0, namespace: shop}
`;
const pa = (name: string, spec: string): string => `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: shop}
spec: ${spec}
`;
const NAME = 'xds.istio.io/grpc/lds/inbound/10.1.0.9:17070';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads of decoded proto3 JSON

function listener(yaml: string, labels: Record<string, string>, name = NAME, pod = 'cart-0'): Json | undefined {
  const { mesh, rejected } = meshFrom(yaml);
  assert.deepEqual(rejected, []);
  const px = proxy(`sidecar~10.1.0.9~${pod}.shop~shop.svc.cluster.local`, { GENERATOR: 'grpc', NAMESPACE: 'shop', LABELS: labels });
  const l = generate(mesh, px).listeners.get(name);
  if (!l) return undefined;
  const bytes = encodeResource(TYPES.listeners, name, l).bytes;
  assert.deepEqual(validateMessage(TYPES.listeners, bytes), [], 'passes validate.rules');
  return toProto3Json(TYPES.listeners, bytes) as Json;
}
const chainOf = (l: Json | undefined): Json => (l!['filterChains'] as Json[])[0]!;

describe('proxyless gRPC server listeners (GENERATOR=grpc, inbound)', () => {
  it('serves the address it was asked for, one plaintext chain by default (PERMISSIVE, no tlsMode label)', () => {
    const l = listener(BASE, { app: 'cart' })!;
    assert.deepEqual(l['address'], { socketAddress: { address: '10.1.0.9', portValue: 17070 } });
    assert.equal(l['filterChains'].length, 1);
    const c = chainOf(l);
    assert.equal(c['name'], 'inbound-plaintext');
    assert.equal(c['transportSocket'], undefined);
    const hcm = c['filters'][0]['typedConfig'];
    assert.deepEqual(hcm['routeConfig']['virtualHosts'][0]['routes'], [{ match: { prefix: '/' }, nonForwardingAction: {} }]);
    assert.deepEqual(
      hcm['httpFilters'].map((f: Json) => f['name']),
      ['envoy.filters.http.router'],
    );
  });

  it('PERMISSIVE on a pod labelled tlsMode=istio is served as STRICT: TLS from the certificate provider, client certificates required', () => {
    const c = chainOf(listener(BASE, { app: 'cart', 'security.istio.io/tlsMode': 'istio' }));
    assert.equal(c['name'], 'inbound-mtls');
    assert.equal(c['transportSocket']['name'], 'envoy.transport_sockets.tls');
    const tls = c['transportSocket']['typedConfig'];
    assert.equal(tls['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext');
    assert.equal(tls['requireClientCertificate'], true);
    // grpc-js-xds compares HCM bytes before TLS and mishandles a TLS-only change: the HCM must differ by mode.
    assert.equal(c['filters'][0]['typedConfig']['statPrefix'], 'inbound_mtls_17070');
    assert.equal(chainOf(listener(BASE, { app: 'cart' }))['filters'][0]['typedConfig']['statPrefix'], 'inbound_plaintext_17070');
    const common = tls['commonTlsContext'];
    assert.deepEqual(common['tlsCertificateProviderInstance'], { instanceName: 'default', certificateName: 'default' });
    assert.deepEqual(common['validationContext']['caCertificateProviderInstance'], { instanceName: 'default', certificateName: 'ROOTCA' });
  });

  it('follows PeerAuthentication: STRICT without the label, DISABLE with it, portLevelMtls per port', () => {
    assert.equal(chainOf(listener(BASE + pa('ns', '{mtls: {mode: STRICT}}'), { app: 'cart' }))['name'], 'inbound-mtls');
    const disabled = listener(BASE + pa('cart', '{selector: {matchLabels: {app: cart}}, mtls: {mode: DISABLE}}'), {
      app: 'cart',
      'security.istio.io/tlsMode': 'istio',
    });
    assert.equal(chainOf(disabled)['name'], 'inbound-plaintext');
    assert.deepEqual(chainOf(disabled)['metadata']['filterMetadata']['istio']['policies'], [
      '/apis/security.istio.io/v1/namespaces/shop/peer-authentication/cart',
    ]);
    const port = listener(
      BASE +
        pa('ns', '{mtls: {mode: DISABLE}}') +
        pa('cart', '{selector: {matchLabels: {app: cart}}, portLevelMtls: {17070: {mode: STRICT}}}'),
      { app: 'cart' },
    );
    assert.equal(chainOf(port)['name'], 'inbound-mtls');
  });

  it("AuthorizationPolicy: DENY filter before ALLOW (istiod's names for gRPC), AUDIT and dry-run-only policies left out", () => {
    const ap = (name: string, action: string, extra = ''): string => `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${name}, namespace: shop${extra}}
spec:
  selector: {matchLabels: {app: cart}}
  action: ${action}
  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/frontend]}}], to: [{operation: {paths: ['/cart.Cart/*']}}]}]
`;
    const yaml =
      BASE +
      ap('allow', 'ALLOW') +
      ap('deny', 'DENY') +
      ap('audit', 'AUDIT') +
      ap('dry', 'ALLOW', ', annotations: {istio.io/dry-run: "true"}');
    const c = chainOf(listener(yaml, { app: 'cart' }));
    const filters = c['filters'][0]['typedConfig']['httpFilters'] as Json[];
    assert.deepEqual(
      filters.map((f) => f['name']),
      ['envoy.filters.http.rbac.DENY', 'envoy.filters.http.rbac', 'envoy.filters.http.router'],
    );
    assert.equal(filters[0]!['typedConfig']['rules']['action'], 'DENY');
    const allow = filters[1]!['typedConfig']['rules'];
    assert.deepEqual(Object.keys(allow['policies']), ['ns[shop]-policy[allow]-rule[0]'], 'the dry-run policy is not enforced');
    assert.match(JSON.stringify(allow), /spiffe:\/\/cluster\.local\/ns\/shop\/sa\/frontend/);
    assert.match(JSON.stringify(allow), /"prefix":"\/cart\.Cart\/"/);
    const only = chainOf(
      listener(BASE + ap('audit', 'AUDIT') + ap('dry', 'DENY', ', annotations: {istio.io/dry-run: "true"}'), { app: 'cart' }),
    );
    assert.deepEqual(
      only['filters'][0]['typedConfig']['httpFilters'].map((f: Json) => f['name']),
      ['envoy.filters.http.router'],
    );
  });

  it('gives no listener for a port the workload does not serve, another prefix, or a malformed address', () => {
    assert.equal(
      listener(BASE, { app: 'cart' }, 'xds.istio.io/grpc/lds/inbound/10.1.0.9:7070'),
      undefined,
      'the service port is not the workload port',
    );
    assert.equal(
      listener(BASE, { app: 'other' }, NAME, 'other-0'),
      undefined,
      'no service selects the workload (a pod the registry does not know)',
    );
    assert.equal(parseInboundName('xds.istio.io/grpc/lds/inbound/10.1.0.9'), undefined);
    assert.equal(parseInboundName('xds.istio.io/grpc/lds/inbound/10.1.0.9:0'), undefined);
    assert.deepEqual(parseInboundName('xds.istio.io/grpc/lds/inbound/[::1]:8080'), { host: '::1', port: 8080 });
  });

  it('classes: the tlsMode label and the namespace are part of the class key', () => {
    const { mesh } = meshFrom(BASE);
    const a = proxy('sidecar~10.1.0.9~cart-0.shop~shop.svc.cluster.local', { GENERATOR: 'grpc', LABELS: { app: 'cart' } });
    const b = proxy('sidecar~10.1.0.10~cart-1.shop~shop.svc.cluster.local', {
      GENERATOR: 'grpc',
      LABELS: { app: 'cart', 'security.istio.io/tlsMode': 'istio' },
    });
    assert.notEqual(proxyClass(a, mesh), proxyClass(b, mesh));
  });
});

describe('proxyless gRPC client TLS (GENERATOR=grpc, CDS)', () => {
  const cluster = (yaml: string): Json => {
    const { mesh } = meshFrom(yaml);
    const px = proxy('sidecar~10.1.0.20~frontend-0.shop~shop.svc.cluster.local', { GENERATOR: 'grpc' });
    const name = 'outbound|7070||cart.shop.svc.cluster.local';
    const bytes = encodeResource(TYPES.clusters, name, generate(mesh, px).clusters.get(name)!).bytes;
    assert.deepEqual(validateMessage(TYPES.clusters, bytes), []);
    return toProto3Json(TYPES.clusters, bytes) as Json;
  };
  it("adds mTLS only for DestinationRule ISTIO_MUTUAL, verifying the endpoints' SPIFFE identities", () => {
    assert.equal(cluster(BASE)['transportSocket'], undefined, 'no auto-mTLS for proxyless clients');
    const dr = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: cart, namespace: shop}
spec: {host: cart, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
`;
    const ts = cluster(BASE + dr)['transportSocket'];
    assert.equal(ts['typedConfig']['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    const common = ts['typedConfig']['commonTlsContext'];
    assert.deepEqual(common['tlsCertificateProviderInstance'], { instanceName: 'default', certificateName: 'default' });
    assert.deepEqual(common['validationContext']['matchSubjectAltNames'], [{ exact: 'spiffe://cluster.local/ns/shop/sa/cart' }]);
  });
});
