/**
 * Per-route policies as istiod translates them. Faults: `percentage` wins, the deprecated integer
 * `percent` is honoured for delays, and a fault with neither injects into no request (Istio's API
 * says an unspecified percentage delays or aborts nothing). Retries (istiod's ConvertPolicy): the
 * default policy with the VirtualService's attempts/retryOn/perTryTimeout on top, status codes in
 * retryOn moved to retriable_status_codes, attempts 0 (or unset) meaning no retries; for proxyless
 * gRPC only the gRPC status conditions (gRFC A44) and num_retries.
 */
import assert from 'node:assert/strict';
import type { HTTPFault, RetryPolicy, Route, RouteConfiguration } from '../proto/types.js';
import { generate } from './index.js';
import { buildFrom, meshFiles, proxy } from './testdata/build.js';
import { NODE_DEFAULT } from './testdata/mesh.js';

const vs = (policy: string): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - ${policy}
    route: [{destination: {host: ratings, subset: v1}}]
`;

/** The first route of ratings' vhost for a sidecar (or a proxyless gRPC client), with `policy` (YAML `key: value`) on the VirtualService route. */
function ratingsRoute(policy: string, grpc = false): Route {
  const files = meshFiles().map((f) => (f.source.endsWith('virtual-services.yaml') ? { ...f, text: vs(policy) } : f));
  const gen = generate(buildFrom(files), proxy(NODE_DEFAULT, grpc ? { GENERATOR: 'grpc', NAMESPACE: 'default' } : {}));
  const rc = gen.routes.get(grpc ? 'outbound|9080||ratings.default.svc.cluster.local' : '9080') as RouteConfiguration;
  return rc.virtual_hosts!.find((v) => v.name === 'ratings.default.svc.cluster.local:9080')!.routes![0] as Route;
}

function faultOf(faultYaml: string): HTTPFault {
  const route = ratingsRoute(`fault: ${faultYaml}`);
  const any = route.typed_per_filter_config!['envoy.filters.http.fault'] as unknown as HTTPFault & { '@type': string };
  assert.equal(any['@type'], 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault');
  return any;
}

describe('translators/route fault percentages', () => {
  it('uses percentage when given (in millionths)', () => {
    const f = faultOf('{delay: {fixedDelay: 2s, percentage: {value: 12.5}}, abort: {httpStatus: 503, percentage: {value: 100}}}');
    assert.deepEqual(f.delay?.percentage, { numerator: 125000, denominator: 'MILLION' });
    assert.deepEqual(f.abort?.percentage, { numerator: 1000000, denominator: 'MILLION' });
  });

  it('honours the deprecated integer percent of a delay', () => {
    assert.deepEqual(faultOf('{delay: {fixedDelay: 1s, percent: 30}}').delay?.percentage, { numerator: 300000, denominator: 'MILLION' });
  });

  it('injects into no request when no percentage is given', () => {
    const f = faultOf('{delay: {fixedDelay: 1s}, abort: {httpStatus: 500}}');
    assert.deepEqual(f.delay?.percentage, { numerator: 0, denominator: 'MILLION' });
    assert.deepEqual(f.abort?.percentage, { numerator: 0, denominator: 'MILLION' });
  });
});

describe('translators/route retry policies', () => {
  const retry = (yaml: string): RetryPolicy | undefined => ratingsRoute(yaml).route?.retry_policy as RetryPolicy | undefined;

  it("keeps istiod's default (previous hosts, 5 host selections) under the given attempts and per-try timeout", () => {
    const r = retry('retries: {attempts: 4, perTryTimeout: 2s}')!;
    assert.equal(r.num_retries?.value, 4);
    assert.deepEqual(r.per_try_timeout, { seconds: 2 });
    assert.equal(r.retry_host_predicate?.[0]?.name, 'envoy.retry_host_predicates.previous_hosts');
    assert.equal(r.host_selection_retry_max_attempts, '5');
    assert.deepEqual(r.retriable_status_codes, [503]);
  });

  it('moves status codes in retryOn to retriable_status_codes', () => {
    const r = retry('retries: {attempts: 3, retryOn: "502,503,connect-failure"}')!;
    assert.equal(r.retry_on, 'connect-failure,retriable-status-codes');
    assert.deepEqual(r.retriable_status_codes, [502, 503]);
  });

  it('drops the default status code when retryOn names none', () => {
    const r = retry('retries: {attempts: 3, retryOn: "gateway-error"}')!;
    assert.equal(r.retry_on, 'gateway-error');
    assert.equal(r.retriable_status_codes, undefined);
  });

  it('means no retries when attempts is 0 or unset', () => {
    assert.equal(retry('retries: {attempts: 0}'), undefined);
    assert.equal(retry('retries: {perTryTimeout: 1s}'), undefined);
  });

  describe('for proxyless gRPC', () => {
    const grpcRetry = (yaml: string): RetryPolicy | undefined => ratingsRoute(yaml, true).route?.retry_policy as RetryPolicy | undefined;

    it('gives gRPC only retry_on and num_retries (≥ 1), no Envoy host predicates', () => {
      assert.deepEqual(grpcRetry('retries: {attempts: 3, retryOn: unavailable}'), { retry_on: 'unavailable', num_retries: { value: 3 } });
    });

    it('keeps only the status names gRPC retries on, trimmed (grpc-js does not trim)', () => {
      assert.equal(
        grpcRetry('retries: {attempts: 2, retryOn: "unavailable, 503,connect-failure , cancelled,unavailable"}')?.retry_on,
        'unavailable,cancelled',
      );
    });

    it('defaults to every gRPC condition, and sets no policy when retryOn names none gRPC knows', () => {
      assert.equal(grpcRetry('retries: {attempts: 2}')?.retry_on, 'cancelled,deadline-exceeded,internal,resource-exhausted,unavailable');
      assert.equal(grpcRetry('retries: {attempts: 2, retryOn: "5xx,gateway-error"}'), undefined);
      assert.equal(grpcRetry('retries: {attempts: 0, retryOn: unavailable}'), undefined);
    });
  });
});
