/**
 * @module translators/mtls.test
 * Workload mTLS as a user sees it in a sidecar's config: PERMISSIVE serves TLS and plaintext
 * chains side by side on a port, STRICT only TLS, DISABLE only plaintext; auto mTLS sends istio
 * mTLS only to endpoints labelled as having a sidecar; a PeerAuthentication that selects one of
 * two otherwise alike workloads changes that workload's inbound chains, and its proxy class, only.
 */
import assert from 'node:assert/strict';
import { meshFrom, proxy, snapshot } from './harness.test.js';
import { proxyClass } from './index.js';
import type { JsonValue } from '../proto/json.js';

type J = Record<string, JsonValue>;

const BASE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.96.0.1, selector: {app: web}, ports: [{name: http, port: 8080}, {name: tcp-raw, port: 7000}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-a, namespace: shop, labels: {app: web, track: a, security.istio.io/tlsMode: istio}}
spec: {serviceAccountName: web, containers: [{name: c}]}
status: {podIP: 10.1.0.1, phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: web-b, namespace: shop, labels: {app: web, track: b}}
spec: {serviceAccountName: web, containers: [{name: c}]}
status: {podIP: 10.1.0.2, phase: Running}
`;
const pa = (name: string, spec: string, ns = 'shop'): string =>
  `---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n`;
const PA_ID = (pod: string): string => `sidecar~10.1.0.9~${pod}.shop~shop.svc.cluster.local`;

function inbound(yaml: string, pod = 'web-a'): { chains: J[]; problems: string[]; snap: ReturnType<typeof snapshot>['snap'] } {
  const { mesh, rejected } = meshFrom(yaml);
  assert.deepEqual(rejected, []);
  const { snap, problems } = snapshot(mesh, proxy(PA_ID(pod)));
  return { chains: (snap.listeners['virtualInbound'] as J)['filterChains'] as J[], problems, snap };
}

/** For each chain of a port: its transport protocol and whether it terminates TLS. */
function portChains(chains: J[], port: number): string[] {
  return chains
    .filter((c) => c['name'] === `0.0.0.0_${port}`)
    .map((c) => {
      const m = c['filterChainMatch'] as J;
      const alpn = m['applicationProtocols'] ? '+alpn' : '';
      return `${m['transportProtocol'] as string}${alpn}${c['transportSocket'] ? ' terminates' : ''}`;
    });
}

describe('translators: workload mTLS (PeerAuthentication, auto mTLS)', () => {
  it('PERMISSIVE (no policy): each port serves istio mTLS and plaintext side by side; every resource is valid', () => {
    const { chains, problems } = inbound(BASE);
    assert.deepEqual(problems, []);
    assert.deepEqual(portChains(chains, 8080), ['tls+alpn terminates', 'raw_buffer']);
    assert.deepEqual(
      portChains(chains, 7000),
      ['tls+alpn terminates', 'tls', 'raw_buffer'],
      "a TCP port also passes the app's own TLS through",
    );
    const tls = (chains.find((c) => c['name'] === '0.0.0.0_8080' && c['transportSocket'])!['transportSocket'] as J)['typedConfig'] as J;
    assert.deepEqual(tls['requireClientCertificate'], true);
    const common = tls['commonTlsContext'] as J;
    assert.deepEqual(
      (common['tlsCertificateSdsSecretConfigs'] as J[]).map((s) => s['name']),
      ['default'],
    );
    assert.equal(((common['combinedValidationContext'] as J)['validationContextSdsSecretConfig'] as J)['name'], 'ROOTCA');
  });
  it('STRICT (mesh-wide) leaves only TLS chains; DISABLE (namespace) only plaintext; a port-level setting wins for its port', () => {
    const strict = inbound(BASE + pa('default', '{mtls: {mode: STRICT}}', 'istio-system'));
    assert.deepEqual(strict.problems, []);
    assert.deepEqual([portChains(strict.chains, 8080), portChains(strict.chains, 7000)], [['tls terminates'], ['tls terminates']]);
    const off = inbound(BASE + pa('default', '{mtls: {mode: STRICT}}', 'istio-system') + pa('ns', '{mtls: {mode: DISABLE}}'));
    assert.deepEqual([portChains(off.chains, 8080), portChains(off.chains, 7000)], [['raw_buffer'], ['raw_buffer']]);
    const listener = off.snap.listeners['virtualInbound'] as J;
    assert.ok(
      !(listener['listenerFilters'] as J[]).some((f) => f['name'] === 'envoy.filters.listener.tls_inspector'),
      'nothing to inspect: no TLS inspector',
    );
    const port = inbound(
      BASE + pa('web', '{selector: {matchLabels: {app: web}}, mtls: {mode: STRICT}, portLevelMtls: {7000: {mode: PERMISSIVE}}}'),
    );
    assert.deepEqual(
      [portChains(port.chains, 8080), portChains(port.chains, 7000)],
      [['tls terminates'], ['tls+alpn terminates', 'tls', 'raw_buffer']],
    );
  });
  it('auto mTLS: the cluster picks istio mTLS only for endpoints labelled with a sidecar', () => {
    const { snap, problems } = inbound(BASE);
    assert.deepEqual(problems, []);
    const cl = snap.clusters['outbound|8080||web.shop.svc.cluster.local'] as J;
    const matches = cl['transportSocketMatches'] as J[];
    assert.deepEqual(
      matches.map((m) => [m['name'], m['match']]),
      [
        ['tlsMode-istio', { tlsMode: 'istio' }],
        ['tlsMode-disabled', {}],
      ],
    );
    const ctx = (matches[0]!['transportSocket'] as J)['typedConfig'] as J;
    assert.equal(ctx['sni'], 'outbound_.8080_._.web.shop.svc.cluster.local');
    assert.deepEqual(((ctx['commonTlsContext'] as J)['combinedValidationContext'] as J)['defaultValidationContext'], {
      matchSubjectAltNames: [{ exact: 'spiffe://cluster.local/ns/shop/sa/web' }],
    });
    const eps = ((snap.endpoints['outbound|8080||web.shop.svc.cluster.local'] as J)['endpoints'] as J[]).flatMap(
      (l) => l['lbEndpoints'] as J[],
    );
    const tagged = eps.map((e) => [
      (((e['endpoint'] as J)['address'] as J)['socketAddress'] as J)['address'],
      (e['metadata'] as J | undefined)?.['filterMetadata'] ?? null,
    ]);
    assert.deepEqual(tagged, [
      ['10.1.0.1', { 'envoy.transport_socket_match': { tlsMode: 'istio' } }],
      ['10.1.0.2', null],
    ]);
  });
  it('a DestinationRule DISABLE turns auto mTLS off for its host; ISTIO_MUTUAL sends mTLS to every endpoint', () => {
    const dr = (mode: string): string =>
      `---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: web, namespace: shop}\nspec: {host: web, trafficPolicy: {tls: {mode: ${mode}}}}\n`;
    const off = inbound(BASE + dr('DISABLE')).snap.clusters['outbound|8080||web.shop.svc.cluster.local'] as J;
    assert.equal(off['transportSocketMatches'], undefined);
    assert.equal(off['transportSocket'], undefined);
    const on = inbound(BASE + dr('ISTIO_MUTUAL')).snap.clusters['outbound|8080||web.shop.svc.cluster.local'] as J;
    assert.equal(on['transportSocketMatches'], undefined);
    assert.equal(((on['transportSocket'] as J)['typedConfig'] as J)['sni'], 'outbound_.8080_._.web.shop.svc.cluster.local');
  });
  it('two workloads differing only in the label a PeerAuthentication selects get different inbound chains and proxy classes', () => {
    const twins = (b: string): string =>
      BASE.replace('labels: {app: web, track: b}', `labels: {app: web, track: ${b}, security.istio.io/tlsMode: istio}`);
    const yaml = twins('b') + pa('track-b', '{selector: {matchLabels: {track: b}}, mtls: {mode: STRICT}}');
    const a = inbound(yaml, 'web-a');
    const b = inbound(yaml, 'web-b');
    assert.deepEqual(portChains(a.chains, 8080), ['tls+alpn terminates', 'raw_buffer']);
    assert.deepEqual(portChains(b.chains, 8080), ['tls terminates']);
    const { mesh } = meshFrom(yaml);
    assert.notEqual(
      proxyClass(proxy(PA_ID('web-a')), mesh),
      proxyClass(proxy(PA_ID('web-b')), mesh),
      'the class key holds the labels a PeerAuthentication selects on, so the two never share inbound output',
    );
    const same = meshFrom(twins('a') + pa('track-b', '{selector: {matchLabels: {track: b}}, mtls: {mode: STRICT}}')).mesh;
    assert.equal(proxyClass(proxy(PA_ID('web-a')), same), proxyClass(proxy(PA_ID('web-b')), same), 'alike workloads still share a class');
    assert.match(proxyClass(proxy(PA_ID('web-b')), mesh), /\/mtls:STRICT$/, 'the effective policy is named in the key');
    assert.doesNotMatch(proxyClass(proxy(PA_ID('web-b')), meshFrom(BASE).mesh), /mtls:/, 'no policy, no change to existing keys');
  });
  it('mesh enableAutoMtls: false leaves clusters without TLS', () => {
    const { mesh } = meshFrom(BASE, {
      trustDomain: 'cluster.local',
      rootNamespace: 'istio-system',
      outboundTrafficPolicy: 'ALLOW_ANY',
      connectTimeout: '10s',
      enableAutoMtls: false,
    });
    const { snap } = snapshot(mesh, proxy(PA_ID('web-a')));
    assert.equal((snap.clusters['outbound|8080||web.shop.svc.cluster.local'] as J)['transportSocketMatches'], undefined);
  });
});
