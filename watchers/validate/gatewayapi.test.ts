/**
 * Tests for the Gateway API kinds through validateObject: each served version is read, a Gateway
 * of gateway.networking.k8s.io becomes kind KubernetesGateway (Istio's Gateway is untouched), the
 * spec's defaults are filled in, and each mistake is rejected naming kind, namespace/name, field
 * and reason.
 */
import assert from 'node:assert/strict';
import type { BackendTLSPolicy, GwHTTPRoute, KubernetesGateway } from '../../model/gatewayapi.js';
import { validateObject } from './index.js';

type Obj = Record<string, unknown>;
const GW = 'gateway.networking.k8s.io';

const gateway = (listeners: unknown[] = [{ name: 'http', port: 80, protocol: 'HTTP' }]): Obj => ({
  apiVersion: `${GW}/v1`,
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'infra' },
  spec: { gatewayClassName: 'istio', listeners },
});
const httpRoute = (rules: unknown[], version = 'v1'): Obj => ({
  apiVersion: `${GW}/${version}`,
  kind: 'HTTPRoute',
  metadata: { name: 'r', namespace: 'app', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { parentRefs: [{ name: 'gw', namespace: 'infra' }], rules },
});

function rejection(o: Obj): string {
  const v = validateObject(o, 'default', 'test.yaml');
  assert.equal(v.status, 'rejected', JSON.stringify(v));
  if (v.status !== 'rejected') return '';
  return `${v.rejection.kind} ${v.rejection.namespace}/${v.rejection.name}: ${v.rejection.field}: ${v.rejection.reason}`;
}

function ok<T>(o: Obj): T {
  const v = validateObject(o, 'default', 'test.yaml');
  assert.equal(v.status, 'ok', JSON.stringify(v));
  return (v.status === 'ok' ? v.object : undefined) as T;
}

describe('watchers/validate: Gateway API kinds', () => {
  it("a gateway.networking.k8s.io Gateway is kind KubernetesGateway with the spec defaults; an Istio Gateway stays Istio's", () => {
    const v = validateObject(gateway(), 'default', 'test.yaml');
    assert.equal(v.status === 'ok' && v.key, 'KubernetesGateway/infra/gw');
    const g = ok<KubernetesGateway>(gateway());
    assert.deepEqual(g.listeners[0]!.allowedRoutes, { from: 'Same', kinds: [] });
    const istio = validateObject(
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Gateway',
        metadata: { name: 'gw', namespace: 'infra' },
        spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
      },
      'default',
      'x',
    );
    assert.equal(istio.status === 'ok' && istio.key, 'Gateway/infra/gw');
  });

  it('every served version of the route kinds is read', () => {
    for (const [kind, versions] of [
      ['HTTPRoute', ['v1', 'v1beta1']],
      ['GRPCRoute', ['v1', 'v1alpha2']],
      ['TCPRoute', ['v1alpha2']],
      ['TLSRoute', ['v1alpha2', 'v1alpha3']],
    ] as const) {
      for (const ver of versions) {
        const v = validateObject(
          {
            apiVersion: `${GW}/${ver}`,
            kind,
            metadata: { name: 'r', namespace: 'app' },
            spec: { rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
          },
          'default',
          'x',
        );
        assert.equal(v.status, 'ok', `${kind} ${ver}: ${JSON.stringify(v)}`);
      }
    }
  });

  it('HTTPRoute defaults: a rule without matches matches PathPrefix /, weight 1, creationTimestamp kept for precedence', () => {
    const r = ok<GwHTTPRoute>(httpRoute([{ backendRefs: [{ name: 'web', port: 80 }] }]));
    assert.deepEqual(r.rules[0]!.matches, [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }]);
    assert.deepEqual(r.rules[0]!.backendRefs, [{ group: '', kind: 'Service', name: 'web', namespace: 'app', port: 80, weight: 1 }]);
    assert.equal(r.created, '2026-01-01T00:00:00Z');
    assert.deepEqual(r.parentRefs, [{ group: GW, kind: 'Gateway', namespace: 'infra', name: 'gw' }]);
  });

  it('mistakes are rejected naming the field', () => {
    assert.equal(
      rejection(httpRoute([{ matches: [{ path: { type: 'PathPrefix', value: 'api' } }] }])),
      'HTTPRoute app/r: spec.rules[0].matches[0].path.value: must start with "/", got "api"',
    );
    assert.match(
      rejection(httpRoute([{ matches: [{ path: { type: 'RegularExpression', value: '/(a' } }] }])),
      /^HTTPRoute app\/r: spec.rules\[0\].matches\[0\].path.value: "\/\(a" is not a valid RE2/,
    );
    assert.equal(
      rejection(httpRoute([{ backendRefs: [{ name: 'web' }] }])),
      'HTTPRoute app/r: spec.rules[0].backendRefs[0].port: is required when referring to a Service',
    );
    assert.equal(
      rejection(
        httpRoute([
          {
            matches: [{ path: { type: 'Exact', value: '/a' } }],
            filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } } }],
          },
        ]),
      ),
      'HTTPRoute app/r: spec.rules[0].filters: URLRewrite with ReplacePrefixMatch needs every match of the rule to be a PathPrefix match',
    );
    assert.equal(
      rejection(
        httpRoute([
          {
            filters: [
              { type: 'RequestRedirect', requestRedirect: { scheme: 'https' } },
              { type: 'URLRewrite', urlRewrite: { hostname: 'x' } },
            ],
          },
        ]),
      ),
      'HTTPRoute app/r: spec.rules[0].filters: a rule may not have both RequestRedirect and URLRewrite',
    );
    assert.equal(
      rejection(httpRoute([{ filters: [{ type: 'RequestHeaderModifier', responseHeaderModifier: {} }] }])),
      'HTTPRoute app/r: spec.rules[0].filters[0].responseHeaderModifier: must not be set for a filter of type RequestHeaderModifier (and 1 more: spec.rules[0].filters[0].requestHeaderModifier: is required)',
    );
    assert.equal(
      rejection(httpRoute([{ matches: [{ method: 'FETCH' }] }])),
      'HTTPRoute app/r: spec.rules[0].matches[0].method: must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH, got "FETCH"',
    );
    assert.equal(
      rejection(
        gateway([
          { name: 'a', port: 80, protocol: 'HTTP' },
          { name: 'a', port: 81, protocol: 'HTTP' },
        ]),
      ),
      'KubernetesGateway infra/gw: spec.listeners[1].name: "a" is used by another listener',
    );
    assert.equal(
      rejection(gateway([{ name: 'a', port: 443, protocol: 'HTTPS' }])),
      'KubernetesGateway infra/gw: spec.listeners[0].tls: an HTTPS listener needs tls',
    );
    assert.equal(
      rejection(gateway([{ name: 'a', port: 80, protocol: 'HTTP', hostname: 'Bad_Host' }])),
      'KubernetesGateway infra/gw: spec.listeners[0].hostname: "Bad_Host" is not a valid hostname (lower-case RFC 1123, optionally with one leading "*.", no IP addresses)',
    );
    assert.equal(
      rejection({ apiVersion: `${GW}/v1alpha1`, kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'app' }, spec: {} }),
      'HTTPRoute app/r: apiVersion: "gateway.networking.k8s.io/v1alpha1" is not a served version of HTTPRoute (expected gateway.networking.k8s.io/v1, gateway.networking.k8s.io/v1beta1)',
    );
  });

  it('GRPCRoute method matches: needs a service or method; no slashes in exact names', () => {
    const grpc = (method: unknown): Obj => ({
      apiVersion: `${GW}/v1`,
      kind: 'GRPCRoute',
      metadata: { name: 'g', namespace: 'app' },
      spec: { rules: [{ matches: [{ method }] }] },
    });
    assert.equal(rejection(grpc({ type: 'Exact' })), 'GRPCRoute app/g: spec.rules[0].matches[0].method: needs service, method or both');
    assert.equal(
      rejection(grpc({ service: 'a/b' })),
      'GRPCRoute app/g: spec.rules[0].matches[0].method.service: "a/b" must not contain "/" or spaces',
    );
  });

  it('HTTPRoute retry and timeouts: read with their defaults; a backendRequest longer than the request, or a code outside 400–599, is refused', () => {
    const r = ok<GwHTTPRoute>(
      httpRoute([{ retry: { codes: [503], backoff: '100ms' }, timeouts: { request: '10s', backendRequest: '2s' } }]),
    );
    assert.deepEqual(r.rules[0]!.retry, { codes: [503], backoff: '100ms' });
    assert.deepEqual(r.rules[0]!.timeouts, { request: '10s', backendRequest: '2s' });
    assert.equal(
      rejection(httpRoute([{ timeouts: { request: '1s', backendRequest: '2s' } }])),
      'HTTPRoute app/r: spec.rules[0].timeouts.backendRequest: 2s is longer than timeouts.request (1s)',
    );
    assert.equal(
      rejection(httpRoute([{ retry: { codes: [200] } }])),
      'HTTPRoute app/r: spec.rules[0].retry.codes[0]: must be ≥ 400, got 200',
    );
  });

  it('BackendTLSPolicy: v1alpha3 and v1 are read; hostname is required, and exactly one of caCertificateRefs and wellKnownCACertificates', () => {
    const policy = (validation: unknown, version = 'v1alpha3'): Obj => ({
      apiVersion: `${GW}/${version}`,
      kind: 'BackendTLSPolicy',
      metadata: { name: 'p', namespace: 'apps' },
      spec: { targetRefs: [{ group: '', kind: 'Service', name: 'secure', sectionName: 'https' }], validation },
    });
    const p = ok<BackendTLSPolicy>(
      policy({ hostname: 'secure.example.com', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }] }),
    );
    assert.deepEqual(p.targetRefs, [{ group: '', kind: 'Service', name: 'secure', sectionName: 'https' }]);
    assert.equal(
      ok<BackendTLSPolicy>(policy({ hostname: 'a.example.com', wellKnownCACertificates: 'System' }, 'v1')).wellKnownCACertificates,
      'System',
    );
    assert.equal(
      rejection(policy({ wellKnownCACertificates: 'System' })),
      'BackendTLSPolicy apps/p: spec.validation.hostname: is required',
    );
    assert.equal(
      rejection(
        policy({ hostname: 'a.example.com', wellKnownCACertificates: 'System', caCertificateRefs: [{ kind: 'ConfigMap', name: 'ca' }] }),
      ),
      'BackendTLSPolicy apps/p: spec.validation: set exactly one of caCertificateRefs and wellKnownCACertificates',
    );
  });
});
