/**
 * Unit tests for the v3 → v1 route rendering: what is carried, and what is left out and why.
 */
import { strict as assert } from 'node:assert';
import type { Route, RouteConfiguration } from '../../../proto/types.js';
import { headerMatch, renderRoute, renderRouteConfig } from './routes.js';
import type { Omission } from './types.js';

const R = (over: Partial<Route>): Route => ({
  name: 'r',
  match: { prefix: '/' },
  route: { cluster: 'outbound|9080||a.default.svc.cluster.local' },
  ...over,
});

function one(r: Route): { v1: ReturnType<typeof renderRoute>; omitted: Omission[] } {
  const omitted: Omission[] = [];
  return { v1: renderRoute(r, 'rc/vh/r', omitted), omitted };
}

describe('v1 routes: v3 route → v1 route', () => {
  it('carries prefix, path, exact/prefix/regex/present header matches and case sensitivity', () => {
    assert.deepEqual(one(R({ match: { path: '/x', case_sensitive: { value: false } } })).v1, {
      path: '/x',
      case_sensitive: false,
      cluster: 'outbound|9080||a.default.svc.cluster.local',
    });
    const { v1 } = one(
      R({
        match: {
          prefix: '/api',
          headers: [
            { name: 'end-user', string_match: { exact: 'jason' } },
            { name: 'x-p', string_match: { prefix: 'a.b' } },
            { name: 'cookie', string_match: { safe_regex: { regex: '^(.*?;)?(user=jason)(;.*)?$' } } },
            { name: 'x-any', present_match: true },
            { name: 'legacy', exact_match: 'v' },
          ],
        },
      }),
    );
    assert.deepEqual(v1?.headers, [
      { name: 'end-user', value: 'jason' },
      { name: 'x-p', value: '^a\\.b.*', regex: true },
      { name: 'cookie', value: '^(.*?;)?(user=jason)(;.*)?$', regex: true },
      { name: 'x-any' },
      { name: 'legacy', value: 'v' },
    ]);
    assert.equal(v1?.prefix, '/api');
  });

  it('carries weighted clusters that sum to 100, timeouts in ms, rewrites', () => {
    const { v1, omitted } = one(
      R({
        route: {
          weighted_clusters: {
            clusters: [
              { name: 'v1', weight: { value: 50 } },
              { name: 'v3', weight: { value: 50 } },
            ],
          },
          timeout: { seconds: 1, nanos: 500_000_000 },
          prefix_rewrite: '/new',
          host_rewrite_literal: 'b.example',
        },
      }),
    );
    assert.deepEqual(v1, {
      prefix: '/',
      weighted_clusters: {
        clusters: [
          { name: 'v1', weight: 50 },
          { name: 'v3', weight: 50 },
        ],
      },
      timeout_ms: 1500,
      prefix_rewrite: '/new',
      host_rewrite: 'b.example',
    });
    assert.deepEqual(omitted, []);
  });

  it('narrows retry conditions to those v1 knows and reports the rest as a field', () => {
    const { v1, omitted } = one(
      R({
        route: {
          cluster: 'c',
          retry_policy: {
            retry_on: 'connect-failure,refused-stream,unavailable,retriable-status-codes',
            num_retries: { value: 2 },
            retriable_status_codes: [503],
            per_try_timeout: { seconds: 2 },
          },
        },
      }),
    );
    assert.deepEqual(v1?.retry_policy, { retry_on: 'connect-failure,refused-stream', num_retries: 2, per_try_timeout_ms: 2000 });
    assert.equal(omitted.length, 1);
    assert.equal(omitted[0]!.level, 'field');
    assert.match(omitted[0]!.reason, /unavailable, retriable-status-codes, retriable_status_codes/);
  });

  it('drops a retry policy with no condition v1 knows, saying so', () => {
    const { v1, omitted } = one(R({ route: { cluster: 'c', retry_policy: { retry_on: 'reset', num_retries: { value: 3 } } } }));
    assert.equal(v1?.retry_policy, undefined);
    assert.match(omitted[0]!.reason, /no retries/);
  });

  const leftOut: [string, Partial<Route>, RegExp][] = [
    [
      'per-route fault injection',
      { typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': 'x' } as never } },
      /fault injection/,
    ],
    [
      'inverted header match',
      { match: { prefix: '/', headers: [{ name: 'h', string_match: { exact: 'x' }, invert_match: true }] } },
      /inverted/,
    ],
    [
      'case-insensitive header match',
      { match: { prefix: '/', headers: [{ name: 'h', string_match: { exact: 'x', ignore_case: true } }] } },
      /case-insensitive/,
    ],
    [
      'query parameter match',
      { match: { prefix: '/', query_parameters: [{ name: 'q', string_match: { exact: '1' } }] } },
      /query_parameters/,
    ],
    ['regex path', { match: { safe_regex: { regex: '/a.*' } } }, /regex path/],
    [
      'weights not summing to 100',
      {
        route: {
          weighted_clusters: {
            clusters: [
              { name: 'a', weight: { value: 30 } },
              { name: 'b', weight: { value: 30 } },
            ],
          },
        },
      },
      /sum to 60/,
    ],
    [
      'per-destination header operations',
      {
        route: {
          weighted_clusters: {
            clusters: [{ name: 'a', weight: { value: 100 }, request_headers_to_add: [{ header: { key: 'k', value: 'v' } }] }],
          },
        },
      },
      /request_headers_to_add/,
    ],
    ['header operations', { request_headers_to_add: [{ header: { key: 'k', value: 'v' } }] }, /header operations/],
    [
      'a stream time limit',
      { route: { cluster: 'c', max_stream_duration: { max_stream_duration: { seconds: 1 } } } },
      /max_stream_duration/,
    ],
    ['redirect with another code', { route: undefined, redirect: { path_redirect: '/x', response_code: 'FOUND' } }, /always 301/],
    ['direct response', { route: undefined, direct_response: { status: 200 } }, /direct_response/],
  ];
  for (const [what, over, why] of leftOut) {
    it(`leaves out a route with ${what}, naming the reason`, () => {
      const { v1, omitted } = one(R(over));
      assert.equal(v1, undefined);
      assert.equal(omitted.length, 1);
      assert.equal(omitted[0]!.level, 'route');
      assert.equal(omitted[0]!.where, 'rc/vh/r');
      assert.match(omitted[0]!.reason, why);
    });
  }

  it('drops a zero max_stream_duration (no limit) with a note about grpc-timeout, keeping the route', () => {
    const { v1, omitted } = one(
      R({
        route: {
          cluster: 'inbound|9080||',
          timeout: { seconds: 0 },
          max_stream_duration: { max_stream_duration: { seconds: 0 }, grpc_timeout_header_max: { seconds: 0 } },
        },
      }),
    );
    assert.deepEqual(v1, { prefix: '/', cluster: 'inbound|9080||', timeout_ms: 0 });
    assert.deepEqual(
      omitted.map((o) => `${o.level} ${o.where}`),
      ['field rc/vh/r.max_stream_duration'],
    );
  });

  it('renders a 301 redirect', () => {
    assert.deepEqual(
      one(R({ route: undefined, redirect: { host_redirect: 'h', path_redirect: '/p', response_code: 'MOVED_PERMANENTLY' } })).v1,
      { prefix: '/', host_redirect: 'h', path_redirect: '/p' },
    );
  });

  it('refuses header matchers it does not know rather than widening the match', () => {
    assert.throws(() => headerMatch({ name: 'h', string_match: { suffix: 'x' } } as never), /only exact, prefix and regex/);
  });
});

describe('v1 routes: route configuration', () => {
  const rc: RouteConfiguration = {
    name: '9080',
    validate_clusters: { value: false },
    ignore_port_in_host_matching: true,
    virtual_hosts: [
      {
        name: 'reviews.default.svc.cluster.local:9080',
        domains: ['reviews.default.svc.cluster.local', 'reviews'],
        include_request_attempt_count: true,
        routes: [
          R({
            name: 'jason',
            match: { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] },
            route: { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local' },
          }),
          R({ name: 'fault', typed_per_filter_config: { 'envoy.filters.http.fault': {} as never } }),
        ],
      },
      {
        name: 'allow_any',
        domains: ['*'],
        routes: [R({ name: 'allow_any', route: { cluster: 'PassthroughCluster', timeout: { seconds: 0 } } })],
      },
      { name: 'cors.default.svc.cluster.local:80', domains: ['cors'], cors: { allow_methods: 'GET' }, routes: [R({})] },
    ],
  };

  it('keeps vhost order, adds host:port domains as v1 matched the whole Host header, and keeps the routes it can', () => {
    const { config, omitted } = renderRouteConfig(rc);
    assert.equal(config.validate_clusters, false);
    assert.deepEqual(
      config.virtual_hosts.map((v) => v.name),
      ['reviews.default.svc.cluster.local:9080', 'allow_any'],
    );
    assert.deepEqual(config.virtual_hosts[0]!.domains, [
      'reviews.default.svc.cluster.local:9080',
      'reviews.default.svc.cluster.local',
      'reviews:9080',
      'reviews',
    ]);
    assert.deepEqual(config.virtual_hosts[1]!.domains, ['*']);
    assert.equal(config.virtual_hosts[0]!.routes.length, 1);
    assert.deepEqual(config.virtual_hosts[1]!.routes, [{ prefix: '/', cluster: 'PassthroughCluster', timeout_ms: 0 }]);
    assert.deepEqual(
      omitted.map((o) => `${o.level} ${o.where}`),
      ['route 9080/reviews.default.svc.cluster.local:9080/fault', 'virtual_host 9080/cors.default.svc.cluster.local:80'],
    );
    assert.match(omitted[1]!.reason, /cors/);
  });
});
