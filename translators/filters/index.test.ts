/**
 * @module translators/filters/index.test
 * The HTTP filter registry: which filters each listener class gets, in which order, and which
 * per-route configs a VirtualService route produces — the contract hcm.ts and route.ts rely on.
 */
import assert from 'node:assert/strict';
import type { HTTPRoute, VirtualService } from '../../model/istio.js';
import { meshFrom, proxy } from '../harness.test.js';
import { HTTP_FILTERS, httpFilters, perFilterConfig, type HttpFilterFeature, type ListenerClass } from './index.js';
import type { HttpListenerContext } from './types.js';
import { NO_POLICIES } from '../authz/select.js';

const { mesh } = meshFrom('');
const p = proxy('sidecar~10.1.0.1~a-1.default~default.svc.cluster.local');
const ctx = (listenerClass: ListenerClass): HttpListenerContext => ({
  mesh,
  proxy: p,
  labels: { app: 'a' },
  listenerClass,
  port: { number: 8080 },
  policies: () => NO_POLICIES,
});
const names = (c: ListenerClass): (string | undefined)[] => httpFilters(ctx(c)).map((f) => f.name);
const vs = { kind: 'VirtualService', meta: { namespace: 'default', name: 'r' }, spec: { hosts: ['r'] } } as unknown as VirtualService;

describe('translators/filters (HTTP filter registry)', () => {
  it("gives Envoy listeners istiod's default filters (telemetry included) and proxyless gRPC only fault, router", () => {
    const mx = 'istio.metadata_exchange';
    const tail = ['envoy.filters.http.fault', 'envoy.filters.http.cors', 'istio.stats', 'envoy.filters.http.router'];
    assert.deepEqual(names('sidecar-inbound'), [mx, 'envoy.filters.http.grpc_stats', ...tail]);
    for (const c of ['sidecar-outbound', 'gateway'] as const)
      assert.deepEqual(names(c), [mx, 'envoy.filters.http.grpc_stats', 'istio.alpn', ...tail], c);
    for (const c of ['grpc-outbound', 'grpc-inbound'] as const)
      assert.deepEqual(names(c), ['envoy.filters.http.fault', 'envoy.filters.http.router'], c);
  });

  it('keeps the router last and every feature name canonical and unique', () => {
    assert.equal(HTTP_FILTERS.at(-1)?.name, 'envoy.filters.http.router');
    // Envoy's filters are envoy.filters.http.*; istio-proxy's keep the names istiod gives them.
    for (const f of HTTP_FILTERS) assert.match(f.name, /^(envoy\.filters\.http\.[a-z_.]+|istio\.(metadata_exchange|alpn|stats))$/);
    assert.equal(new Set(HTTP_FILTERS.map((f) => f.name)).size, HTTP_FILTERS.length);
  });

  it('builds per-route config from the route: fault everywhere, CORS only for Envoy', () => {
    const route = {
      fault: { abort: { httpStatus: 418, percentage: { value: 50 } } },
      corsPolicy: { allowOrigins: [{ exact: 'https://x' }] },
    } as HTTPRoute;
    const envoy = perFilterConfig({ listenerClass: 'sidecar-outbound', route, virtualService: vs });
    assert.deepEqual(Object.keys(envoy ?? {}), ['envoy.filters.http.fault', 'envoy.filters.http.cors']);
    assert.deepEqual(envoy?.['envoy.filters.http.fault'], {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      abort: { http_status: 418, percentage: { numerator: 500000, denominator: 'MILLION' } },
    });
    const grpc = perFilterConfig({ listenerClass: 'grpc-outbound', route, virtualService: vs });
    assert.deepEqual(Object.keys(grpc ?? {}), ['envoy.filters.http.fault']);
    assert.equal(perFilterConfig({ listenerClass: 'gateway', route: {} as HTTPRoute, virtualService: vs }), undefined);
  });

  it('places a feature where the list puts it and lets it see the workload and port', () => {
    const seen: HttpListenerContext[] = [];
    const probe: HttpFilterFeature = {
      name: 'envoy.filters.http.rbac',
      filters: (c) => {
        seen.push(c);
        return c.listenerClass === 'sidecar-inbound' && c.labels['app'] === 'a' ? [{ name: 'envoy.filters.http.rbac' }] : [];
      },
    };
    const list = [probe, ...HTTP_FILTERS];
    assert.deepEqual(httpFilters(ctx('sidecar-inbound'), list).map((f) => f.name)[0], 'envoy.filters.http.rbac');
    assert.deepEqual(httpFilters(ctx('sidecar-outbound'), list).map((f) => f.name)[0], 'istio.metadata_exchange');
    assert.equal(seen[0]?.port.number, 8080);
    assert.equal(seen[0]?.proxy.namespace, 'default');
  });
});
