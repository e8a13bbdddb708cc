/**
 * @module proto/patch.test
 * The proto operations behind EnvoyFilter MERGE: istiod's merge (pkg/proto/merge) on the
 * translators' object form (scalars replace, messages merge, lists append — or, for
 * MERGE_AND_REPLACE_LIST, a list the value sets replaces — map entries replace, a oneof member
 * clears its siblings, a Duration replaces, Anys of one type merge inside, of another type
 * replace) and proto3 JSON decoding into that form.
 */
import assert from 'node:assert/strict';
import { mergeObject, objectFromProto3Json, violations } from './patch.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

describe('proto/patch (EnvoyFilter merge)', () => {
  it('merges messages field by field, appends lists, replaces map entries, clears oneof siblings', () => {
    const dst = {
      name: 'c',
      connect_timeout: { seconds: 10, nanos: 5 },
      type: 'EDS',
      eds_cluster_config: { service_name: 'c' },
      dns_lookup_family: 'V4_ONLY',
      metadata: { filter_metadata: { a: { fields: { x: { string_value: '1' } } } } },
      health_checks: [{ timeout: { seconds: 1 } }],
    };
    const src = {
      connect_timeout: { seconds: 2 },
      cluster_type: { name: 'custom' },
      metadata: { filter_metadata: { b: { fields: {} } } },
      health_checks: [{ timeout: { seconds: 2 } }],
    };
    const out = mergeObject(CLUSTER, dst, src);
    // istiod's pkg/proto/merge replaces a Duration whole (proto.Merge would keep nanos: 2s over 10.000000005s → 2.000000005s).
    assert.deepEqual(out['connect_timeout'], { seconds: 2 }, 'a Duration replaces, as istiod');
    assert.equal(out['type'], undefined, 'setting cluster_type clears type (one oneof)');
    assert.deepEqual(out['cluster_type'], { name: 'custom' });
    assert.deepEqual(Object.keys((out['metadata'] as { filter_metadata: object }).filter_metadata).sort(), ['a', 'b']);
    assert.equal((out['health_checks'] as unknown[]).length, 2);
    assert.equal(dst.type, 'EDS', 'inputs are not changed');
  });

  it('merges an Any with an Any of the same type inside; another type replaces it', () => {
    const f = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter';
    const same = mergeObject(
      f,
      { name: 'r', typed_config: { '@type': ROUTER, dynamic_stats: { value: true } } },
      { typed_config: { '@type': ROUTER, suppress_envoy_headers: true } },
    );
    assert.deepEqual(same['typed_config'], { '@type': ROUTER, dynamic_stats: { value: true }, suppress_envoy_headers: true });
    const other = { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' };
    assert.deepEqual(
      mergeObject(f, { name: 'r', typed_config: { '@type': ROUTER, suppress_envoy_headers: true } }, { typed_config: other })[
        'typed_config'
      ],
      other,
    );
  });

  it('a route timeout merged over 1.5s is the new timeout, not 5.5s (Duration replaced, as istiod)', () => {
    const R = 'envoy.config.route.v3.Route';
    const dst = objectFromProto3Json(R, { match: { prefix: '/' }, route: { cluster: 'a', timeout: '1.5s' } });
    const out = mergeObject(R, dst, objectFromProto3Json(R, { route: { timeout: '5s' } }));
    assert.deepEqual((out['route'] as Record<string, unknown>)['timeout'], { seconds: 5 });
    assert.equal((out['route'] as Record<string, unknown>)['cluster'], 'a');
  });

  it('MERGE appends lists at every depth; MERGE_AND_REPLACE_LIST replaces the lists the value sets, inside Anys too', () => {
    const L = 'envoy.config.listener.v3.Listener';
    const dst = {
      name: 'l',
      listener_filters: [{ name: 'a' }, { name: 'b' }],
      socket_options: [{ level: 1 }],
      filter_chains: [{ name: 'fc' }],
    };
    const src = { listener_filters: [{ name: 'c' }] };
    assert.deepEqual(
      (mergeObject(L, dst, src)['listener_filters'] as { name: string }[]).map((f) => f.name),
      ['a', 'b', 'c'],
    );
    const rep = mergeObject(L, dst, src, { replaceLists: true });
    assert.deepEqual(rep['listener_filters'], [{ name: 'c' }]);
    assert.deepEqual(rep['socket_options'], [{ level: 1 }], 'a list the value does not set is kept');
    assert.equal(rep['name'], 'l');
    // Nested, inside an Any of the same type: the HCM's upgrade_configs are replaced, not appended to.
    const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
    const F = 'envoy.config.listener.v3.Filter';
    const f = { name: 'hcm', typed_config: { '@type': HCM, stat_prefix: 's', upgrade_configs: [{ upgrade_type: 'websocket' }] } };
    const v = { typed_config: { '@type': HCM, upgrade_configs: [{ upgrade_type: 'CONNECT' }] } };
    const appended = mergeObject(F, f, v)['typed_config'] as Record<string, unknown>;
    assert.deepEqual(appended['upgrade_configs'], [{ upgrade_type: 'websocket' }, { upgrade_type: 'CONNECT' }]);
    const replaced = mergeObject(F, f, v, { replaceLists: true })['typed_config'] as Record<string, unknown>;
    assert.deepEqual(replaced['upgrade_configs'], [{ upgrade_type: 'CONNECT' }]);
    assert.equal(replaced['stat_prefix'], 's');
  });

  it('decodes proto3 JSON into the object form and reports validate.rules violations', () => {
    const c = objectFromProto3Json(CLUSTER, {
      name: 'x',
      connectTimeout: '0.25s',
      perConnectionBufferLimitBytes: 1024,
      lbPolicy: 'RANDOM',
    });
    assert.deepEqual(c, {
      name: 'x',
      connect_timeout: { nanos: 250000000 },
      per_connection_buffer_limit_bytes: { value: 1024 },
      lb_policy: 'RANDOM',
    });
    assert.match(violations(CLUSTER, { ...c, connect_timeout: { seconds: -1 } }).join('\n'), /connect_timeout/);
    assert.deepEqual(violations(CLUSTER, c), []);
  });
});
