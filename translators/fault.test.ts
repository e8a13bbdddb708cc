/**
 * Fault injection percentages as istiod translates them: `percentage` wins, the deprecated integer
 * `percent` is honoured for delays, and a fault with neither injects into no request (Istio's API
 * says an unspecified percentage delays or aborts nothing) — never into every request.
 */
import assert from 'node:assert/strict';
import type { HTTPFault, Route, RouteConfiguration } from '../proto/types.js';
import { generate } from './index.js';
import { buildFrom, meshFiles, proxy } from './testdata/build.js';
import { NODE_DEFAULT } from './testdata/mesh.js';

const vs = (fault: string): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - fault: ${fault}
    route: [{destination: {host: ratings, subset: v1}}]
`;

function faultOf(faultYaml: string): HTTPFault {
  const files = meshFiles().map((f) => (f.source.endsWith('virtual-services.yaml') ? { ...f, text: vs(faultYaml) } : f));
  const rc = generate(buildFrom(files), proxy(NODE_DEFAULT)).routes.get('9080') as RouteConfiguration;
  const route = rc.virtual_hosts!.find((v) => v.name === 'ratings.default.svc.cluster.local:9080')!.routes![0] as Route;
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
