/**
 * @module proto/patch.test
 * The proto operations behind EnvoyFilter MERGE: Go proto.Merge semantics on the translators'
 * object form (scalars replace, messages merge, lists append, map entries replace, a oneof member
 * clears its siblings, Anys of one type merge inside, of another type replace) and proto3 JSON
 * decoding into that form.
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
    assert.deepEqual(out['connect_timeout'], { seconds: 2, nanos: 5 }, 'Duration merges field-wise, as proto.Merge');
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
