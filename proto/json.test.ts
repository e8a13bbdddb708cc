/**
 * Tests for proto/json.ts: bytes → proto3 JSON → bytes is the identity on what encode.ts emits,
 * the JSON has protojson's shapes (camelCase, enum names, WKT forms), and parsing reports errors
 * with JSON paths. Property tests (fast-check) cover Durations and simple Clusters.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from '../e2e/fuzz.js';
import { encodeMessage, wrapAny } from './encode.js';
import { messageType } from './registry.js';
import { fromProto3Json, Proto3JsonError, toProto3Json, type JsonValue } from './json.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTE = 'envoy.config.route.v3.RouteConfiguration';
const T = 'type.googleapis.com/';
const HCM = T + 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = T + 'envoy.extensions.filters.http.router.v3.Router';
const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** google.protobuf.Value field names as the Root spells them (see json.ts on struct.proto). */
const vname = (id: number): string => (messageType('google.protobuf.Value').fieldsById[id] as { name: string }).name;
type StructValue = Record<string, unknown>;
function sv(j: unknown): StructValue {
  if (j === null) return { [vname(1)]: 0 };
  if (typeof j === 'number') return { [vname(2)]: j };
  if (typeof j === 'string') return { [vname(3)]: j };
  if (typeof j === 'boolean') return { [vname(4)]: j };
  if (Array.isArray(j)) return { [vname(6)]: { values: j.map(sv) } };
  return { [vname(5)]: struct(j as Record<string, unknown>) };
}
const struct = (o: Record<string, unknown>): { fields: Record<string, StructValue> } => ({
  fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, sv(v)])),
});

/** bytes → JSON → (through JSON text) → bytes must give the same bytes; returns the JSON. */
function roundTrip(typeName: string, obj: object): Record<string, JsonValue> {
  const bytes = encodeMessage(typeName, obj);
  const json = toProto3Json(typeName, bytes);
  const back = fromProto3Json(typeName, JSON.parse(JSON.stringify(json)));
  assert.deepEqual(Buffer.from(back).toString('hex'), Buffer.from(bytes).toString('hex'));
  return json as Record<string, JsonValue>;
}

const cluster = {
  name: 'outbound|9080||reviews.default.svc.cluster.local',
  type: 3, // EDS
  connect_timeout: { seconds: 10 },
  lb_policy: 1,
  eds_cluster_config: {
    service_name: 'outbound|9080||reviews.default.svc.cluster.local',
    eds_config: { ads: {}, resource_api_version: 2 },
  },
  circuit_breakers: { thresholds: [{ max_connections: { value: 4294967295 }, max_retries: { value: 0 } }] },
  ring_hash_lb_config: { minimum_ring_size: { value: '1024' } },
  typed_extension_protocol_options: {
    [HPO]: { '@type': T + HPO, explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 1073741824 } } } },
  },
  metadata: {
    filter_metadata: {
      istio: struct({ config: '/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews', n: 1.5, l: [true, null, 'x'] }),
    },
    typed_filter_metadata: { 'x.y': { '@type': T + 'google.protobuf.Struct', ...struct({ a: 'b' }) } },
  },
};

const listener = {
  name: 'virtualInbound',
  address: { socket_address: { address: '0.0.0.0', port_value: 15006 } },
  filter_chains: [
    {
      filter_chain_match: { destination_port: { value: 9080 } },
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': HCM,
            stat_prefix: 'inbound_0.0.0.0_9080',
            codec_type: 0,
            rds: { route_config_name: '9080', config_source: { ads: {}, resource_api_version: 2 } },
            http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
          },
        },
      ],
    },
  ],
};

const routes = {
  name: '9080',
  virtual_hosts: [
    {
      name: 'reviews.default.svc.cluster.local:9080',
      domains: ['reviews.default.svc.cluster.local', 'reviews'],
      routes: [
        {
          name: 'canary',
          match: {
            safe_regex: { regex: '^/api/v[0-9]+/.*' },
            headers: [{ name: 'x-user', string_match: { safe_regex: { regex: 'jason|.*@corp' } } }],
          },
          route: {
            weighted_clusters: {
              clusters: [
                { name: 'outbound|9080|v1|reviews', weight: { value: 80 } },
                { name: 'outbound|9080|v2|reviews', weight: { value: 20 } },
              ],
            },
            timeout: { nanos: 500_000_000 },
          },
        },
        { match: { prefix: '/' }, route: { cluster: 'outbound|9080||reviews' } },
      ],
    },
  ],
};

describe('proto/json', () => {
  it('round-trips a Cluster: Duration, EDS, Any in a map, metadata Struct, wrappers, uint64', () => {
    const j = roundTrip(CLUSTER, cluster);
    assert.equal(j['connectTimeout'], '10s');
    assert.equal(j['type'], 'EDS');
    assert.equal(j['lbPolicy'], 'LEAST_REQUEST');
    assert.deepEqual(j['edsClusterConfig'], { edsConfig: { ads: {}, resourceApiVersion: 'V3' }, serviceName: cluster.name });
    assert.deepEqual(j['circuitBreakers'], { thresholds: [{ maxConnections: 4294967295, maxRetries: 0 }] });
    assert.deepEqual(j['ringHashLbConfig'], { minimumRingSize: '1024' });
    const opts = j['typedExtensionProtocolOptions'] as Record<string, JsonValue>;
    assert.deepEqual(opts[HPO], { '@type': T + HPO, explicitHttpConfig: { http2ProtocolOptions: { maxConcurrentStreams: 1073741824 } } });
    const md = j['metadata'] as Record<string, Record<string, JsonValue>>;
    assert.deepEqual(md['filterMetadata']?.['istio'], {
      config: cluster.metadata.filter_metadata.istio.fields.config[vname(3)],
      l: [true, null, 'x'],
      n: 1.5,
    });
    assert.deepEqual(md['typedFilterMetadata']?.['x.y'], { '@type': T + 'google.protobuf.Struct', value: { a: 'b' } });
    assert.deepEqual(Object.keys(j).slice(0, 3), ['name', 'type', 'edsClusterConfig'], 'declaration order, as protojson');
  });

  it('round-trips a Listener with an HttpConnectionManager Any holding a Router Any', () => {
    const j = roundTrip(LISTENER, listener);
    const chain = (j['filterChains'] as Record<string, JsonValue>[])[0] as Record<string, JsonValue>;
    const tc = ((chain['filters'] as Record<string, JsonValue>[])[0] as Record<string, JsonValue>)['typedConfig'] as Record<
      string,
      JsonValue
    >;
    assert.equal(Object.keys(tc)[0], '@type');
    assert.equal(tc['@type'], HCM);
    assert.equal(tc['statPrefix'], 'inbound_0.0.0.0_9080');
    assert.equal(tc['codecType'], undefined, 'enum at its default is omitted');
    assert.deepEqual(tc['httpFilters'], [{ name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER } }]);
    assert.deepEqual(chain['filterChainMatch'], { destinationPort: 9080 });
  });

  it('round-trips a RouteConfiguration with weighted clusters and regex matchers', () => {
    const j = roundTrip(ROUTE, routes);
    const r = ((j['virtualHosts'] as Record<string, JsonValue>[])[0]?.['routes'] as Record<string, JsonValue>[])[0] as Record<
      string,
      JsonValue
    >;
    assert.deepEqual(r['match'], {
      safeRegex: { regex: '^/api/v[0-9]+/.*' },
      headers: [{ name: 'x-user', stringMatch: { safeRegex: { regex: 'jason|.*@corp' } } }],
    });
    const action = r['route'] as Record<string, JsonValue>;
    assert.deepEqual((action['weightedClusters'] as Record<string, JsonValue>)['clusters'], [
      { name: 'outbound|9080|v1|reviews', weight: 80 },
      { name: 'outbound|9080|v2|reviews', weight: 20 },
    ]);
    assert.equal(action['timeout'], '0.500s');
  });

  it('prints Durations with 0, 3, 6 or 9 fractional digits and parses them back', () => {
    const cases: [object, string][] = [
      [{}, '0s'],
      [{ nanos: 500_000_000 }, '0.500s'],
      [{ seconds: 10 }, '10s'],
      [{ seconds: 1, nanos: 1 }, '1.000000001s'],
      [{ nanos: 1000 }, '0.000001s'],
      [{ seconds: -1, nanos: -500_000_000 }, '-1.500s'],
      [{ nanos: -1 }, '-0.000000001s'],
    ];
    for (const [d, text] of cases) {
      const bytes = encodeMessage('google.protobuf.Duration', d);
      assert.equal(toProto3Json('google.protobuf.Duration', bytes), text);
      assert.deepEqual(fromProto3Json('google.protobuf.Duration', text), bytes);
    }
    assert.deepEqual(
      fromProto3Json('google.protobuf.Duration', '1.5s'),
      encodeMessage('google.protobuf.Duration', { seconds: 1, nanos: 500_000_000 }),
    );
    assert.throws(() => fromProto3Json('google.protobuf.Duration', '1.5'), Proto3JsonError);
    assert.throws(() => fromProto3Json('google.protobuf.Duration', '315576000001s'), /out of range/);
  });

  it('puts a well-known type inside an Any under "value"', () => {
    for (const [name, inner, value] of [
      ['google.protobuf.Duration', { seconds: 3 }, '3s'],
      ['google.protobuf.UInt32Value', { value: 7 }, 7],
      ['google.protobuf.UInt64Value', { value: '18446744073709551615' }, '18446744073709551615'],
      ['google.protobuf.Struct', struct({ k: [1, 'two'] }), { k: [1, 'two'] }],
      ['google.protobuf.Value', sv('s'), 's'],
      ['google.protobuf.Empty', {}, {}],
      [
        'google.protobuf.Any',
        { '@type': T + 'google.protobuf.Duration', seconds: 1 },
        { '@type': T + 'google.protobuf.Duration', value: '1s' },
      ],
    ] as [string, object, JsonValue][]) {
      const bytes = wrapAny(T + name, encodeMessage(name, inner));
      const j = toProto3Json('google.protobuf.Any', bytes);
      assert.deepEqual(j, { '@type': T + name, value });
      assert.deepEqual(fromProto3Json('google.protobuf.Any', JSON.parse(JSON.stringify(j))), bytes);
    }
  });

  it('renders a Timestamp as RFC 3339 and accepts offsets', () => {
    const bytes = encodeMessage('google.protobuf.Timestamp', { seconds: 1700000000, nanos: 120_000_000 });
    assert.equal(toProto3Json('google.protobuf.Timestamp', bytes), '2023-11-14T22:13:20.120Z');
    assert.deepEqual(fromProto3Json('google.protobuf.Timestamp', '2023-11-14T23:13:20.12+01:00'), bytes);
    assert.equal(
      toProto3Json('google.protobuf.Timestamp', encodeMessage('google.protobuf.Timestamp', { seconds: -62135596800 })),
      '0001-01-01T00:00:00Z',
    );
  });

  it('accepts snake_case names, integers as strings and enum numbers; keeps unknown enum numbers', () => {
    const a = fromProto3Json(CLUSTER, { name: 'c', connect_timeout: '1s', type: 3, per_connection_buffer_limit_bytes: '32768' });
    const b = fromProto3Json(CLUSTER, { name: 'c', connectTimeout: '1s', type: 'EDS', perConnectionBufferLimitBytes: 32768 });
    assert.deepEqual(a, b);
    const T_ = messageType(CLUSTER);
    const odd = T_.encode(T_.fromObject({ name: 'c', type: 42 })).finish();
    assert.deepEqual(toProto3Json(CLUSTER, odd), { name: 'c', type: 42 });
    assert.deepEqual(fromProto3Json(CLUSTER, { name: 'c', type: 42 }), odd);
  });

  it('keeps defaults of fields with presence (oneof members, wrappers) and drops the others', () => {
    const j = roundTrip(LISTENER, {
      name: '',
      address: { socket_address: { address: 'a', port_value: 0 } },
      per_connection_buffer_limit_bytes: { value: 0 },
    });
    assert.deepEqual(j, { address: { socketAddress: { address: 'a', portValue: 0 } }, perConnectionBufferLimitBytes: 0 });
    assert.equal(fromProto3Json(LISTENER, { name: '', drainType: 'DEFAULT', listenerFilters: [], metadata: null }).length, 0);
  });

  it('rejects unknown fields with their JSON path, duplicates and two members of a oneof', () => {
    const bad = { name: 'l', filterChains: [{ filters: [{ name: 'hcm', typedConfig: { '@type': HCM, statPrefx: 'x' } }] }] };
    assert.throws(
      () => fromProto3Json(LISTENER, bad),
      (e: unknown) => e instanceof Proto3JsonError && e.path === 'filterChains[0].filters[0].typedConfig.statPrefx',
    );
    assert.throws(() => fromProto3Json(CLUSTER, { name: 'a', connectTimeout: '1s', connect_timeout: '2s' }), /given twice/);
    assert.throws(
      () => fromProto3Json(CLUSTER, { name: 'a', type: 'EDS', clusterType: { name: 'x' } }),
      /oneof cluster_discovery_type already set/,
    );
    assert.throws(() => fromProto3Json(CLUSTER, { type: 'NOPE' }), /not a value of/);
    assert.throws(() => fromProto3Json(CLUSTER, { perConnectionBufferLimitBytes: 4294967296 }), /out of range/);
    assert.throws(
      () => fromProto3Json(LISTENER, { filterChains: [{ filters: [{ typedConfig: { '@type': T + 'no.such.Type' } }] }] }),
      (e: unknown) => e instanceof Proto3JsonError && e.path === 'filterChains[0].filters[0].typedConfig.@type',
    );
  });

  it('property: any valid Duration survives bytes → JSON text → bytes', () => {
    const max = 315_576_000_000;
    fc.assert(
      fc.property(fc.integer({ min: -max, max }), fc.integer({ min: 0, max: 999_999_999 }), (s, n) => {
        const d = { seconds: s, nanos: s < 0 ? -n : s === 0 && n % 2 ? -n : n };
        const bytes = encodeMessage('google.protobuf.Duration', d);
        const text = toProto3Json('google.protobuf.Duration', bytes);
        assert.match(String(text), /^-?\d+(\.\d{3}|\.\d{6}|\.\d{9})?s$/);
        assert.deepEqual(fromProto3Json('google.protobuf.Duration', JSON.parse(JSON.stringify(text))), bytes);
      }),
      fuzzParams(500),
    );
  });

  it('property: simple Clusters survive bytes → JSON text → bytes', () => {
    const key = fc.string({ unit: fc.constantFrom(...'abcxyz._-/'), minLength: 1, maxLength: 8 });
    const num = fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d));
    const leaf = fc.oneof(fc.string(), fc.boolean(), num, fc.constant(null));
    const value = fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(key, leaf, { maxKeys: 3 }));
    const arb = fc.record(
      {
        name: fc.string({ minLength: 1 }),
        type: fc.constantFrom(0, 1, 2, 3, 4),
        connect_timeout: fc.record({ seconds: fc.integer({ min: 0, max: 1000 }), nanos: fc.integer({ min: 0, max: 999_999_999 }) }),
        lb_policy: fc.constantFrom(0, 1, 2, 3, 5),
        per_connection_buffer_limit_bytes: fc.option(
          fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((v) => ({ value: v })),
          { nil: undefined },
        ),
        respect_dns_ttl: fc.boolean(),
        metadata: fc.dictionary(key, value, { maxKeys: 4 }).map((o) => ({ filter_metadata: { istio: struct(o) } })),
      },
      { requiredKeys: ['name', 'type'] },
    );
    fc.assert(
      fc.property(arb, (c) => {
        roundTrip(CLUSTER, c);
      }),
      fuzzParams(300),
    );
  });
});
