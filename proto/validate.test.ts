/**
 * Tests for proto/validate.ts: realistic resources pass; each kind of PGV rule Envoy's protos use
 * is caught with the right path and rule, including through an Any; a fast-check property checks
 * that generated Clusters report exactly the violations the generator planted. Also times 1,000
 * Clusters.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from '../e2e/fuzz.js';
import { encodeMessage } from './encode.js';
import { messageType } from './registry.js';
import { validateMessage, type Violation } from './validate.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTE = 'envoy.config.route.v3.RouteConfiguration';
const CLA = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const T = 'type.googleapis.com/';
const HCM = T + 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = T + 'envoy.extensions.filters.http.router.v3.Router';
const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const sa = (address: string, port_value: number): object => ({ address: { socket_address: { address, port_value } } });
const cluster = (over: object = {}): Record<string, unknown> => ({
  name: 'outbound|9080||reviews.default.svc.cluster.local',
  type: 3,
  connect_timeout: { seconds: 10 },
  lb_policy: 1,
  eds_cluster_config: {
    service_name: 'outbound|9080||reviews.default.svc.cluster.local',
    eds_config: { ads: {}, resource_api_version: 2 },
  },
  circuit_breakers: { thresholds: [{ max_connections: { value: 4294967295 } }] },
  outlier_detection: { max_ejection_percent: { value: 100 } },
  typed_extension_protocol_options: {
    [HPO]: { '@type': T + HPO, explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 100 } } } },
  },
  ...over,
});
const hcm = (over: object = {}): object => ({
  '@type': HCM,
  stat_prefix: 'inbound_0.0.0.0_9080',
  rds: { route_config_name: '9080', config_source: { ads: {}, resource_api_version: 2 } },
  http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
  ...over,
});
const listener = (hcmOver: object = {}, port = 15006): object => ({
  name: 'virtualInbound',
  ...sa('0.0.0.0', port),
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm(hcmOver) }] }],
});
const route = (over: object = {}): object => ({
  name: 'default',
  match: { prefix: '/' },
  route: { cluster: 'outbound|9080||reviews' },
  ...over,
});
const routes = (vhOver: object = {}, routeOver: object = {}): object => ({
  name: '9080',
  virtual_hosts: [
    {
      name: 'reviews:9080',
      domains: ['reviews', 'reviews.default.svc.cluster.local:9080'],
      routes: [route(routeOver)],
      request_headers_to_add: [{ header: { key: 'x-env', value: 'prod' } }],
      ...vhOver,
    },
  ],
});
const cla = (port = 9080, weight = 1): object => ({
  cluster_name: 'outbound|9080||reviews.default.svc.cluster.local',
  endpoints: [{ locality: { region: 'r1' }, lb_endpoints: [{ endpoint: sa('10.0.0.1', port), load_balancing_weight: { value: weight } }] }],
});

/** Validates both the object (encoded leniently) and encodeMessage-free wire bytes; both must agree. */
function check(typeName: string, obj: object): Violation[] {
  const t = messageType(typeName);
  const fromObject = validateMessage(typeName, obj);
  const fromBytes = validateMessage(typeName, t.encode(t.fromObject(obj)).finish());
  assert.deepEqual(fromBytes, fromObject);
  return fromObject;
}
const rules = (vs: readonly Violation[]): string[] => vs.map((v) => `${v.path} ${v.rule}`).sort();

describe('proto/validate', () => {
  it('passes valid Cluster, Listener, RouteConfiguration and ClusterLoadAssignment', () => {
    assert.deepEqual(check(CLUSTER, cluster()), []);
    assert.deepEqual(check(LISTENER, listener()), []);
    assert.deepEqual(check(ROUTE, routes()), []);
    assert.deepEqual(check(CLA, cla()), []);
    assert.deepEqual(validateMessage(CLUSTER, encodeMessage(CLUSTER, cluster())), []);
  });

  it('Cluster with an empty name: string.min_len', () => {
    assert.deepEqual(rules(check(CLUSTER, cluster({ name: '' }))), ['name string.min_len']);
  });

  it('connect_timeout 0s: duration.gt', () => {
    const vs = check(CLUSTER, cluster({ connect_timeout: {} }));
    assert.deepEqual(rules(vs), ['connect_timeout duration.gt']);
    assert.match(vs[0]?.message ?? '', /greater than 0s/);
  });

  it('Route without an action: oneof required', () => {
    const r = route();
    delete (r as Record<string, unknown>)['route'];
    assert.deepEqual(rules(check(ROUTE, routes({ routes: [r] }))), ['virtual_hosts[0].routes[0].action oneof.required']);
  });

  it('Route without a match: message.required', () => {
    const r = route();
    delete (r as Record<string, unknown>)['match'];
    assert.deepEqual(rules(check(ROUTE, routes({ routes: [r] }))), ['virtual_hosts[0].routes[0].match message.required']);
  });

  it('VirtualHost with no domains: repeated.min_items', () => {
    assert.deepEqual(rules(check(ROUTE, routes({ domains: [] }))), ['virtual_hosts[0].domains repeated.min_items']);
  });

  it('port 70000 in a SocketAddress: uint32.lte', () => {
    assert.deepEqual(rules(check(LISTENER, listener({}, 70000))), ['address.socket_address.port_value uint32.lte']);
    assert.deepEqual(rules(check(CLA, cla(70000))), ['endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value uint32.lte']);
  });

  it('an undefined enum number: enum.defined_only (from the wire)', () => {
    const t = messageType(CLUSTER);
    const bytes = t.encode(t.fromObject({ ...cluster(), type: 9, lb_policy: 4 })).finish();
    assert.deepEqual(rules(validateMessage(CLUSTER, bytes)), ['lb_policy enum.defined_only', 'type enum.defined_only']);
  });

  it('a header name with a newline: string.well_known_regex', () => {
    const bad = route({ match: { prefix: '/', headers: [{ name: 'x-a\nb', present_match: true }] } });
    assert.deepEqual(rules(check(ROUTE, routes({ routes: [bad] }))), [
      'virtual_hosts[0].routes[0].match.headers[0].name string.well_known_regex',
    ]);
    const vs = check(ROUTE, routes({ request_headers_to_add: [{ header: { key: 'x\r', value: 'a\nb' } }] }));
    assert.deepEqual(rules(vs), [
      'virtual_hosts[0].request_headers_to_add[0].header.key string.well_known_regex',
      'virtual_hosts[0].request_headers_to_add[0].header.value string.well_known_regex',
    ]);
  });

  it("an HttpConnectionManager with an empty stat_prefix, found through the filter's Any", () => {
    assert.deepEqual(check(LISTENER, listener({ stat_prefix: '' })), [
      {
        path: 'filter_chains[0].filters[0].typed_config<HttpConnectionManager>.stat_prefix',
        rule: 'string.min_len',
        message: 'value length must be at least 1 characters',
      },
    ]);
    const noRds = hcm();
    delete (noRds as Record<string, unknown>)['rds'];
    const l = { ...listener(), filter_chains: [{ filters: [{ name: 'hcm', typed_config: noRds }] }] };
    assert.deepEqual(rules(check(LISTENER, l)), [
      'filter_chains[0].filters[0].typed_config<HttpConnectionManager>.route_specifier oneof.required',
    ]);
  });

  it('Any with an unknown type, wrappers, map keys, enum not_in, ignore_empty, RE2', () => {
    const any = { type_url: T + 'no.such.Message', value: new Uint8Array([8, 1]) };
    const l = { ...listener(), filter_chains: [{ filters: [{ name: 'x', typed_config: any }] }] };
    assert.deepEqual(rules(check(LISTENER, l)), ['filter_chains[0].filters[0].typed_config any.resolvable']);
    assert.deepEqual(rules(check(CLA, cla(80, 0))), ['endpoints[0].lb_endpoints[0].load_balancing_weight uint32.gte']);
    assert.deepEqual(rules(check(CLUSTER, cluster({ outlier_detection: { max_ejection_percent: { value: 101 } } }))), [
      'outlier_detection.max_ejection_percent uint32.lte',
    ]);
    assert.deepEqual(rules(check(CLUSTER, cluster({ metadata: { filter_metadata: { '': { fields: {} } } } }))), [
      'metadata.filter_metadata[] string.min_len',
    ]);
    const hc = {
      timeout: { seconds: 1 },
      interval: { seconds: 1 },
      unhealthy_threshold: { value: 1 },
      healthy_threshold: { value: 1 },
      http_health_check: { path: '/h', method: 6 },
    };
    assert.deepEqual(rules(check(CLUSTER, cluster({ health_checks: [hc] }))), ['health_checks[0].http_health_check.method enum.not_in']);
    const sni = (v: string): object => ({
      [HPO]: {
        '@type': T + HPO,
        explicit_http_config: { http_protocol_options: {} },
        upstream_http_protocol_options: { auto_sni: true, override_auto_sni_header: v },
      },
    });
    assert.deepEqual(check(CLUSTER, cluster({ typed_extension_protocol_options: sni('') })), [], 'ignore_empty');
    assert.deepEqual(rules(check(CLUSTER, cluster({ typed_extension_protocol_options: sni('a\nb') }))), [
      `typed_extension_protocol_options[${HPO}]<HttpProtocolOptions>.upstream_http_protocol_options.override_auto_sni_header string.well_known_regex`,
    ]);
    const re = route({ match: { safe_regex: { regex: '(?<!x)y' } } });
    assert.deepEqual(rules(check(ROUTE, routes({ routes: [re] }))), ['virtual_hosts[0].routes[0].match.safe_regex.regex re2.compile']);
    assert.deepEqual(check(ROUTE, routes({ routes: [route({ match: { safe_regex: { regex: '^/(?P<v>[a-z]+)/.*$' } } })] })), []);
  });

  it('skips deprecated fields and unset oneof members', () => {
    const dep = route({ match: { prefix: '/', headers: [{ name: 'x', prefix_match: '' }] } }); // deprecated, min_len 1
    assert.deepEqual(check(ROUTE, routes({ routes: [dep] })), []);
  });

  it('reports encode problems of objects instead of throwing', () => {
    assert.deepEqual(
      validateMessage(CLUSTER, { name: 'x', nope: 1 }).map((v) => [v.path, v.rule]),
      [['nope', 'encode']],
    );
  });

  it('property: generated Clusters report exactly the planted violations', () => {
    type Gen = { obj: Record<string, unknown>; expected: string[] };
    const pick = <V>(good: fc.Arbitrary<V>, bad: fc.Arbitrary<V>, violation: string): fc.Arbitrary<[V, string[]]> =>
      fc.oneof(
        good.map((v): [V, string[]] => [v, []]),
        bad.map((v): [V, string[]] => [v, [violation]]),
      );
    const gen: fc.Arbitrary<Gen> = fc
      .record({
        name: pick(fc.string({ minLength: 1, maxLength: 30 }), fc.constant(''), 'name string.min_len'),
        type: pick(fc.constantFrom(0, 1, 2, 3, 4), fc.integer({ min: 5, max: 1000 }), 'type enum.defined_only'),
        lb: pick(fc.constantFrom(0, 1, 2, 3, 5, 6, 7), fc.constantFrom(4, 8, 99), 'lb_policy enum.defined_only'),
        timeout: pick<{ seconds?: number; nanos?: number } | undefined>(
          fc.option(fc.record({ seconds: fc.integer({ min: 0, max: 60 }), nanos: fc.integer({ min: 1, max: 999_999_999 }) }), {
            nil: undefined,
          }),
          fc.constantFrom({}, { seconds: -1 }, { nanos: -5 }),
          'connect_timeout duration.gt',
        ),
        dnsRate: pick(
          fc.option(
            fc.integer({ min: 1_000_001, max: 999_999_999 }).map((nanos) => ({ nanos })),
            { nil: undefined },
          ),
          fc.integer({ min: 0, max: 1_000_000 }).map((nanos) => ({ nanos })),
          'dns_refresh_rate duration.gt',
        ),
        ejection: pick(
          fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
          fc.integer({ min: 101, max: 2 ** 32 - 1 }),
          'outlier_detection.max_ejection_percent uint32.lte',
        ),
        port: pick(
          fc.integer({ min: 0, max: 65535 }),
          fc.integer({ min: 65536, max: 2 ** 32 - 1 }),
          'load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value uint32.lte',
        ),
        address: pick(
          fc.constantFrom('10.0.0.1', 'reviews.default'),
          fc.constant(''),
          'load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address string.min_len',
        ),
      })
      .map((g) => ({
        obj: {
          name: g.name[0],
          type: g.type[0],
          lb_policy: g.lb[0],
          connect_timeout: g.timeout[0],
          dns_refresh_rate: g.dnsRate[0],
          outlier_detection: g.ejection[0] === undefined ? undefined : { max_ejection_percent: { value: g.ejection[0] } },
          load_assignment: { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: sa(g.address[0], g.port[0]) }] }] },
        },
        expected: Object.values(g)
          .flatMap((x) => x[1])
          .sort(),
      }));
    fc.assert(
      fc.property(gen, ({ obj, expected }) => {
        assert.deepEqual(rules(check(CLUSTER, obj)), expected);
      }),
      fuzzParams(400),
    );
  });

  it('validates 1,000 encoded Clusters quickly', function () {
    const bytes = Array.from({ length: 1000 }, (_, i) =>
      encodeMessage(CLUSTER, cluster({ name: `outbound|80||svc${i}.ns.svc.cluster.local` })),
    );
    validateMessage(CLUSTER, bytes[0] as Uint8Array);
    const t0 = performance.now();
    let n = 0;
    for (const b of bytes) n += validateMessage(CLUSTER, b).length;
    const ms = performance.now() - t0;
    assert.equal(n, 0);
    this.test!.title += ` (${ms.toFixed(1)} ms)`;
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});
