/**
 * @module watchers/validate/envoyfilter.test
 * EnvoyFilter validation: a valid filter is read with its patch values decoded into Envoy's object
 * form; each kind of bad input (unknown applyTo / operation / context, an `@type` tspilot cannot
 * resolve, a misspelled Envoy field, BOOTSTRAP, a match that cannot apply) rejects the object
 * naming the patch's field.
 */
import assert from 'node:assert/strict';
import { validateObject } from './index.js';
import { rejected } from './testkit.js';
import type { EnvoyFilter } from '../../model/envoyfilter.js';

const ef = (patches: unknown[], extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'EnvoyFilter',
  metadata: { name: 'ef', namespace: 'ns1', creationTimestamp: '2024-01-02T03:04:05Z' },
  spec: { configPatches: patches, ...extra },
});
const clusterMerge = {
  applyTo: 'CLUSTER',
  match: { context: 'SIDECAR_OUTBOUND', cluster: { service: 'a.ns1.svc.cluster.local' } },
  patch: { operation: 'MERGE', value: { connectTimeout: '2.5s', lbPolicy: 'LEAST_REQUEST' } },
};

describe('EnvoyFilter validation', () => {
  it('reads a valid filter, decoding values from proto3 JSON into the Envoy object form', () => {
    const v = validateObject(
      ef(
        [
          clusterMerge,
          {
            applyTo: 'HTTP_FILTER',
            match: {
              listener: {
                filterChain: {
                  filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } },
                },
              },
            },
            patch: {
              operation: 'INSERT_BEFORE',
              value: {
                name: 'envoy.lua',
                typedConfig: {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
                  defaultSourceCode: { inlineString: 'function envoy_on_request(h) end' },
                },
              },
            },
          },
        ],
        { priority: -3, workloadSelector: { labels: { app: 'a' } } },
      ),
      'default',
      'f.yaml',
    );
    assert.equal(v.status, 'ok', JSON.stringify(v));
    if (v.status !== 'ok') return;
    const o = v.object as EnvoyFilter;
    assert.equal(o.spec.priority, -3);
    assert.equal(o.creationTimestamp, '2024-01-02T03:04:05Z');
    assert.deepEqual(o.spec.configPatches[0]!.value, { connect_timeout: { seconds: 2, nanos: 500000000 }, lb_policy: 'LEAST_REQUEST' });
    assert.deepEqual(o.spec.configPatches[1]!.value, {
      name: 'envoy.lua',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
        default_source_code: { inline_string: 'function envoy_on_request(h) end' },
      },
    });
    assert.equal(o.spec.configPatches[1]!.match.context, 'ANY');
  });

  it('rejects an unknown applyTo, operation and context naming the patch field', () => {
    assert.equal(rejected(ef([{ ...clusterMerge, applyTo: 'CLUSTERS' }])).field, 'spec.configPatches[0].applyTo');
    assert.equal(
      rejected(ef([{ ...clusterMerge, patch: { operation: 'PATCH', value: {} } }])).field,
      'spec.configPatches[0].patch.operation',
    );
    const r = rejected(ef([{ ...clusterMerge, match: { context: 'SIDECAR' } }]));
    assert.equal(r.field, 'spec.configPatches[0].match.context');
    assert.equal(r.key, 'EnvoyFilter/ns1/ef');
  });

  it('rejects a value whose @type tspilot cannot resolve, naming the type', () => {
    const r = rejected(
      ef([
        {
          applyTo: 'HTTP_FILTER',
          patch: { operation: 'ADD', value: { name: 'x', typedConfig: { '@type': 'type.googleapis.com/acme.filters.Magic' } } },
        },
      ]),
    );
    assert.equal(r.field, 'spec.configPatches[0].patch.value');
    assert.match(r.reason, /acme\.filters\.Magic/);
  });

  it('rejects a misspelled Envoy field in a value, with its JSON path', () => {
    const r = rejected(ef([{ ...clusterMerge, patch: { operation: 'MERGE', value: { conectTimeout: '1s' } } }]));
    assert.match(r.reason, /conectTimeout/);
  });

  it('keeps a BOOTSTRAP patch aside (never applied) so the other patches keep their index and apply', () => {
    const v = validateObject(ef([{ applyTo: 'BOOTSTRAP', patch: { operation: 'MERGE', value: {} } }, clusterMerge]), 'default', 'f.yaml');
    assert.equal(v.status, 'ok', JSON.stringify(v));
    if (v.status !== 'ok') return;
    const f = v.object as EnvoyFilter;
    assert.deepEqual(
      f.spec.configPatches.map((p) => p.applyTo),
      ['BOOTSTRAP', 'CLUSTER'],
    );
    assert.equal(f.spec.configPatches[0]!.value, undefined, 'not decoded: nothing reads it');
    assert.equal(rejected(ef([{ applyTo: 'BOOTSTRAP', patch: { operation: 'MERG' } }])).field, 'spec.configPatches[0].patch.operation');
  });

  it('rejects a match that cannot apply, a missing value, and workloadSelector with targetRefs', () => {
    assert.equal(
      rejected(ef([{ ...clusterMerge, match: { listener: { portNumber: 80 } } }])).field,
      'spec.configPatches[0].match.listener',
    );
    assert.equal(rejected(ef([{ applyTo: 'CLUSTER', patch: { operation: 'ADD' } }])).field, 'spec.configPatches[0].patch.value');
    assert.equal(
      rejected(ef([clusterMerge], { workloadSelector: { labels: { a: 'b' } }, targetRefs: [{ kind: 'Service', name: 's' }] })).field,
      'spec',
    );
    assert.equal(
      rejected(ef([{ ...clusterMerge, match: { context: 'ANY', proxy: { proxyVersion: '(' } } }])).field,
      'spec.configPatches[0].match.proxy.proxyVersion',
    );
  });

  it('accepts only networking.istio.io/v1alpha3, as istiod serves it', () => {
    const o = ef([clusterMerge]) as Record<string, unknown>;
    assert.equal(rejected({ ...o, apiVersion: 'networking.istio.io/v1' }).field, 'apiVersion');
  });
});
