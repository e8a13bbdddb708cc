/**
 * @module translators/envoyfilter/envoyfilter.test
 * The EnvoyFilter stage on a small mesh, with istiod's semantics: each applyTo × operation a user
 * relies on changes exactly the matched resource, context / proxy / workload selection narrow it,
 * the order is root namespace then priority, a patch that would make a resource invalid is skipped
 * for that resource (and reported) while the others apply, provenance names the filter, and the
 * proxy class key keeps apart workloads that differ only in a selecting EnvoyFilter.
 */
import assert from 'node:assert/strict';
import { meshFrom, proxy, snapshot } from '../harness.test.js';
import { BASE } from './fixture.test.js';
import { generate, proxyClass } from '../index.js';
import { PROTO_PATCH_OPS } from '../../proto/patch.js';
import { structToJson } from '../../proto/struct.js';
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';

type O = Record<string, unknown>;
const CLIENT = 'sidecar~10.5.0.1~client-1.default~default.svc.cluster.local';
const SERVER = 'sidecar~10.1.0.1~a-1.default~default.svc.cluster.local';
const A = 'outbound|8080||a.default.svc.cluster.local';

function ef(name: string, patches: unknown[], extra = '', ns = 'default'): string {
  return `---\napiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ${name}, namespace: ${ns}${extra}}\nspec: ${JSON.stringify({ configPatches: patches })}\n`;
}
function efSpec(name: string, spec: O, ns = 'default'): string {
  return `---\napiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${JSON.stringify(spec)}\n`;
}
function mesh(...efs: string[]): MeshConfig {
  const { mesh: m, rejected } = meshFrom(BASE + efs.join(''));
  assert.deepEqual(rejected, []);
  return m;
}
const px = (id = CLIENT, md: O = { LABELS: { app: 'client' } }): Proxy => proxy(id, md);
const gen = (m: MeshConfig, p = px()) => generate(m, p, PROTO_PATCH_OPS);
const httpFilterNames = (m: MeshConfig, l = '0.0.0.0_8080', p = px()): string[] => {
  const lis = gen(m, p).listeners.get(l) as unknown as O;
  const fc = (lis['filter_chains'] as O[])[0]!;
  const hcm = (fc['filters'] as O[])[0]!['typed_config'] as O;
  return (hcm['http_filters'] as O[]).map((f) => String(f['name']));
};
const LUA = {
  name: 'envoy.filters.http.lua',
  typedConfig: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
    defaultSourceCode: { inlineString: 'function envoy_on_request(h) end' },
  },
};
const HCM_MATCH = {
  context: 'SIDECAR_OUTBOUND',
  listener: {
    portNumber: 8080,
    filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } },
  },
};

describe('EnvoyFilter stage (translators/envoyfilter)', () => {
  it('CLUSTER MERGE changes only the matched cluster and records provenance', () => {
    const m = mesh(
      ef('lb', [
        {
          applyTo: 'CLUSTER',
          match: { context: 'SIDECAR_OUTBOUND', cluster: { service: 'a.default.svc.cluster.local', portNumber: 8080 } },
          patch: { operation: 'MERGE', value: { connectTimeout: '2.5s', lbPolicy: 'RANDOM' } },
        },
      ]),
    );
    const before = generate(mesh(), px()).clusters.get(A) as unknown as O;
    const c = gen(m).clusters.get(A) as unknown as O;
    assert.deepEqual(c['connect_timeout'], { seconds: 2, nanos: 500000000 });
    assert.equal(c['lb_policy'], 'RANDOM');
    assert.deepEqual(c['eds_cluster_config'], before['eds_cluster_config'], 'untouched fields stay');
    const istio = structToJson((c['metadata'] as O & { filter_metadata: { istio: never } }).filter_metadata.istio);
    assert.deepEqual(istio['envoyfilters'], ['default/lb']);
    assert.notEqual((gen(m).clusters.get('outbound|5672||q.default.svc.cluster.local') as unknown as O)['lb_policy'], 'RANDOM');
    const { problems } = snapshot(m, px());
    assert.deepEqual(problems, []);
  });

  it('CLUSTER REMOVE drops the cluster and its EDS; ADD serves a new one; REPLACE swaps it', () => {
    const added = {
      name: 'ext-static',
      type: 'STATIC',
      connectTimeout: '1s',
      loadAssignment: {
        clusterName: 'ext-static',
        endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.9.9.9', portValue: 443 } } } }] }],
      },
    };
    const m = mesh(
      ef('c', [
        { applyTo: 'CLUSTER', match: { cluster: { name: A } }, patch: { operation: 'REMOVE' } },
        { applyTo: 'CLUSTER', patch: { operation: 'ADD', value: added } },
        {
          applyTo: 'CLUSTER',
          match: { cluster: { service: 'q.default.svc.cluster.local' } },
          patch: {
            operation: 'REPLACE',
            value: {
              ...added,
              name: 'outbound|5672||q.default.svc.cluster.local',
              loadAssignment: { ...added.loadAssignment, clusterName: 'outbound|5672||q.default.svc.cluster.local' },
            },
          },
        },
      ]),
    );
    const g = gen(m);
    assert.ok(!g.clusters.names().includes(A));
    assert.ok(!g.endpoints.names().includes(A));
    assert.ok(g.clusters.names().includes('ext-static'));
    assert.equal((g.clusters.get('outbound|5672||q.default.svc.cluster.local') as unknown as O)['type'], 'STATIC');
    assert.ok(!g.endpoints.names().includes('outbound|5672||q.default.svc.cluster.local'), 'no EDS for a cluster that is no longer EDS');
    // As in istiod, removing a cluster a route points at leaves the route dangling (Envoy answers 503).
    const { problems } = snapshot(m, px());
    assert.deepEqual(problems, [`cluster ${A} is routed to but not defined`]);
  });

  it('HTTP_FILTER INSERT_BEFORE / INSERT_FIRST / INSERT_AFTER / REPLACE / REMOVE / MERGE on the outbound HCM', () => {
    const base = httpFilterNames(mesh());
    assert.equal(base[base.length - 1], 'envoy.filters.http.router');
    const before = httpFilterNames(
      mesh(ef('x', [{ applyTo: 'HTTP_FILTER', match: HCM_MATCH, patch: { operation: 'INSERT_BEFORE', value: LUA } }])),
    );
    assert.deepEqual(before, [...base.slice(0, -1), 'envoy.filters.http.lua', 'envoy.filters.http.router']);
    const first = httpFilterNames(
      mesh(ef('x', [{ applyTo: 'HTTP_FILTER', match: HCM_MATCH, patch: { operation: 'INSERT_FIRST', value: LUA } }])),
    );
    assert.equal(first[0], 'envoy.filters.http.lua');
    const after = httpFilterNames(
      mesh(
        ef('x', [
          {
            applyTo: 'HTTP_FILTER',
            match: {
              ...HCM_MATCH,
              listener: {
                ...HCM_MATCH.listener,
                filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: base[0] } } },
              },
            },
            patch: { operation: 'INSERT_AFTER', value: LUA },
          },
        ]),
      ),
    );
    assert.equal(after[1], 'envoy.filters.http.lua');
    const removed = httpFilterNames(
      mesh(
        ef('x', [
          {
            applyTo: 'HTTP_FILTER',
            match: {
              listener: {
                filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: base[0] } } },
              },
            },
            patch: { operation: 'REMOVE' },
          },
        ]),
      ),
    );
    assert.ok(!removed.includes(base[0]!));
    const replaced = httpFilterNames(
      mesh(
        ef('x', [
          {
            applyTo: 'HTTP_FILTER',
            match: {
              listener: {
                filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: base[0] } } },
              },
            },
            patch: { operation: 'REPLACE', value: LUA },
          },
        ]),
      ),
    );
    assert.equal(replaced[0], 'envoy.filters.http.lua');
    const m = mesh(
      ef('x', [
        {
          applyTo: 'HTTP_FILTER',
          match: HCM_MATCH,
          patch: {
            operation: 'MERGE',
            value: {
              typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppressEnvoyHeaders: true },
            },
          },
        },
      ]),
    );
    const lis = gen(m).listeners.get('0.0.0.0_8080') as unknown as {
      filter_chains: { filters: { typed_config: { http_filters: O[] } }[] }[];
    };
    const router = lis.filter_chains[0]!.filters[0]!.typed_config.http_filters.at(-1)!;
    assert.deepEqual(router['typed_config'], {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
      suppress_envoy_headers: true,
    });
  });

  it('filterClass AUTHZ goes after the authorization filters, STATS before istio.stats', () => {
    const names = httpFilterNames(
      mesh(
        ef('x', [
          {
            applyTo: 'HTTP_FILTER',
            match: { listener: { portNumber: 8080 } },
            patch: { operation: 'ADD', filterClass: 'STATS', value: LUA },
          },
        ]),
      ),
    );
    assert.deepEqual(names.slice(-3), ['envoy.filters.http.lua', 'istio.stats', 'envoy.filters.http.router']);
  });

  it('NETWORK_FILTER INSERT_BEFORE and MERGE on a TCP listener; context and port narrow it', () => {
    const rbac = {
      name: 'envoy.filters.network.local_ratelimit',
      typedConfig: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit',
        statPrefix: 'rl',
        tokenBucket: { maxTokens: 10, fillInterval: '1s' },
      },
    };
    const m = mesh(
      ef('n', [
        {
          applyTo: 'NETWORK_FILTER',
          match: {
            context: 'SIDECAR_OUTBOUND',
            listener: { portNumber: 5672, filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } },
          },
          patch: { operation: 'INSERT_BEFORE', value: rbac },
        },
        {
          applyTo: 'NETWORK_FILTER',
          match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } } },
          patch: { operation: 'REMOVE' },
        },
      ]),
    );
    const name = gen(m)
      .listeners.names()
      .find((n) => n.endsWith('_5672'))!;
    const l = gen(m).listeners.get(name) as unknown as { filter_chains: { filters: O[] }[] };
    assert.deepEqual(
      l.filter_chains[0]!.filters.map((f) => f['name']),
      // Immediately before tcp_proxy, so after istio.stats (the telemetry filter istiod puts first).
      ['istio.stats', 'envoy.filters.network.local_ratelimit', 'envoy.filters.network.tcp_proxy'],
    );
    assert.deepEqual(snapshot(m, px()).problems, []);
  });

  it('LISTENER MERGE / ADD / REMOVE and LISTENER_FILTER REMOVE', () => {
    const m = mesh(
      ef('l', [
        {
          applyTo: 'LISTENER',
          match: { context: 'SIDECAR_OUTBOUND', listener: { portNumber: 8080 } },
          patch: { operation: 'MERGE', value: { perConnectionBufferLimitBytes: 65536 } },
        },
        { applyTo: 'LISTENER', match: { listener: { name: 'virtualOutbound' } }, patch: { operation: 'REMOVE' } },
        {
          applyTo: 'LISTENER',
          match: { context: 'SIDECAR_OUTBOUND' },
          patch: {
            operation: 'ADD',
            value: {
              name: 'extra',
              address: { socketAddress: { address: '0.0.0.0', portValue: 9999 } },
              filterChains: [
                {
                  filters: [
                    {
                      name: 'envoy.filters.network.tcp_proxy',
                      typedConfig: {
                        '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
                        statPrefix: 'x',
                        cluster: A,
                      },
                    },
                  ],
                },
              ],
            },
          },
        },
        {
          applyTo: 'LISTENER_FILTER',
          match: { context: 'SIDECAR_INBOUND', listener: { listenerFilter: 'envoy.filters.listener.original_dst' } },
          patch: { operation: 'REMOVE' },
        },
      ]),
    );
    const g = gen(m, px(SERVER, { LABELS: { app: 'a' } }));
    assert.deepEqual((g.listeners.get('0.0.0.0_8080') as unknown as O)['per_connection_buffer_limit_bytes'], { value: 65536 });
    assert.ok(!g.listeners.names().includes('virtualOutbound'));
    assert.ok(g.listeners.names().includes('extra'));
    const vi = g.listeners.get('virtualInbound') as unknown as O;
    assert.ok(!((vi['listener_filters'] as O[] | undefined) ?? []).some((f) => f['name'] === 'envoy.filters.listener.original_dst'));
  });

  it('FILTER_CHAIN MERGE on the inbound chain of one destination port', () => {
    const m = mesh(
      ef('fc', [
        {
          applyTo: 'FILTER_CHAIN',
          match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080 } },
          patch: { operation: 'MERGE', value: { transportSocketConnectTimeout: '7s' } },
        },
      ]),
    );
    const vi = gen(m, px(SERVER, { LABELS: { app: 'a' } })).listeners.get('virtualInbound') as unknown as { filter_chains: O[] };
    const hit = vi.filter_chains.filter((fc) => fc['transport_socket_connect_timeout']);
    assert.ok(hit.length >= 1);
    for (const fc of hit) assert.equal(((fc['filter_chain_match'] as O)['destination_port'] as O)['value'], 8080);
  });

  it('ROUTE_CONFIGURATION / VIRTUAL_HOST / HTTP_ROUTE patches', () => {
    const m = mesh(
      ef('r', [
        {
          applyTo: 'ROUTE_CONFIGURATION',
          match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: 8080 } },
          patch: { operation: 'MERGE', value: { maxDirectResponseBodySizeBytes: 2048 } },
        },
        {
          applyTo: 'HTTP_ROUTE',
          match: {
            context: 'SIDECAR_OUTBOUND',
            routeConfiguration: { vhost: { name: 'a.default.svc.cluster.local:8080', route: { action: 'ROUTE' } } },
          },
          patch: { operation: 'MERGE', value: { route: { timeout: '3s' } } },
        },
        {
          applyTo: 'VIRTUAL_HOST',
          match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: 8080 } },
          patch: {
            operation: 'ADD',
            value: {
              name: 'extra-vh',
              domains: ['extra.example.com'],
              routes: [{ match: { prefix: '/' }, directResponse: { status: 204 } }],
            },
          },
        },
      ]),
    );
    const rc = gen(m).routes.get('8080') as unknown as {
      max_direct_response_body_size_bytes: O;
      virtual_hosts: { name: string; routes: { route?: { timeout?: O } }[] }[];
    };
    assert.deepEqual(rc.max_direct_response_body_size_bytes, { value: 2048 });
    const vh = rc.virtual_hosts.find((v) => v.name === 'a.default.svc.cluster.local:8080')!;
    assert.deepEqual(vh.routes[0]!.route!.timeout, { seconds: 3 });
    assert.ok(rc.virtual_hosts.some((v) => v.name === 'extra-vh'));
    assert.deepEqual(snapshot(m, px()).problems, []);
  });

  it('context, proxy version/metadata and workloadSelector narrow what applies', () => {
    const patch = { applyTo: 'CLUSTER', match: { context: 'GATEWAY' }, patch: { operation: 'MERGE', value: { lbPolicy: 'RANDOM' } } };
    assert.notEqual((gen(mesh(ef('g', [patch]))).clusters.get(A) as unknown as O)['lb_policy'], 'RANDOM');
    const versioned = { ...patch, match: { context: 'ANY', proxy: { proxyVersion: '^1\\.2[0-9].*', metadata: { FOO: 'bar' } } } };
    const m = mesh(ef('v', [versioned]));
    assert.notEqual((gen(m).clusters.get(A) as unknown as O)['lb_policy'], 'RANDOM');
    assert.equal(
      (gen(m, px(CLIENT, { LABELS: { app: 'client' }, ISTIO_VERSION: '1.24.0', FOO: 'bar' })).clusters.get(A) as unknown as O)['lb_policy'],
      'RANDOM',
    );
    const anyCtx = { ...patch, match: { context: 'ANY' } };
    assert.notEqual(
      (gen(mesh(efSpec('s', { workloadSelector: { labels: { app: 'other' } }, configPatches: [anyCtx] }))).clusters.get(A) as unknown as O)[
        'lb_policy'
      ],
      'RANDOM',
    );
    assert.equal(
      (
        gen(mesh(efSpec('s', { workloadSelector: { labels: { app: 'client' } }, configPatches: [anyCtx] }))).clusters.get(A) as unknown as O
      )['lb_policy'],
      'RANDOM',
    );
    assert.notEqual(
      (gen(mesh(efSpec('s', { configPatches: [anyCtx] }, 'other-ns'))).clusters.get(A) as unknown as O)['lb_policy'],
      'RANDOM',
      'another namespace does not apply',
    );
  });

  it('orders root namespace then priority: a later MERGE of the same field wins', () => {
    const merge = (lb: string) => [
      { applyTo: 'CLUSTER', match: { cluster: { name: A } }, patch: { operation: 'MERGE', value: { lbPolicy: lb } } },
    ];
    const root = ef('root', merge('RANDOM'), '', 'istio-system');
    const local = ef('local', merge('LEAST_REQUEST'));
    assert.equal(
      (gen(mesh(root, local)).clusters.get(A) as unknown as O)['lb_policy'],
      'LEAST_REQUEST',
      'root first, then the workload namespace',
    );
    const early = efSpec('zz', { priority: -1, configPatches: merge('RING_HASH') });
    assert.equal((gen(mesh(early, local)).clusters.get(A) as unknown as O)['lb_policy'], 'LEAST_REQUEST', 'lower priority applies first');
  });

  it('skips, for that resource only, a patch that would make it invalid, and reports it', () => {
    const m = mesh(
      ef('bad', [
        { applyTo: 'CLUSTER', match: { cluster: { name: A } }, patch: { operation: 'MERGE', value: { connectTimeout: '-1s' } } },
        { applyTo: 'CLUSTER', match: { cluster: { name: A } }, patch: { operation: 'MERGE', value: { lbPolicy: 'RANDOM' } } },
      ]),
    );
    const g = gen(m);
    const c = g.clusters.get(A) as unknown as O;
    assert.equal(c['lb_policy'], 'RANDOM', 'the valid patch still applies');
    assert.notDeepEqual(c['connect_timeout'], { seconds: -1 });
    const skips = g.envoyFilters!.skips();
    assert.equal(skips.length, 1);
    assert.deepEqual(
      { filter: skips[0]!.filter, patchIndex: skips[0]!.patchIndex, resource: skips[0]!.resource },
      { filter: 'default/bad', patchIndex: 0, resource: A },
    );
    assert.match(skips[0]!.reason, /connect_timeout/);
    assert.deepEqual(snapshot(m, px()).problems, []);
  });

  it('the proxy class key includes the selecting EnvoyFilters: two workloads differing only by one get different output', () => {
    const m = mesh(
      efSpec('only-v2', {
        workloadSelector: { labels: { version: 'v2' } },
        configPatches: [
          { applyTo: 'CLUSTER', match: { cluster: { name: A } }, patch: { operation: 'MERGE', value: { lbPolicy: 'RANDOM' } } },
        ],
      }),
    );
    const v1 = px('sidecar~10.5.0.1~c-1.default~default.svc.cluster.local', { LABELS: { app: 'client', version: 'v1' } });
    const v2 = px('sidecar~10.5.0.2~c-2.default~default.svc.cluster.local', { LABELS: { app: 'client', version: 'v2' } });
    const noEf = mesh();
    assert.notEqual(proxyClass(v1, m), proxyClass(v2, m));
    assert.equal(proxyClass(v1, m), proxyClass(v1, noEf), 'a workload no EnvoyFilter selects keeps its key');
    assert.notEqual((gen(m, v1).clusters.get(A) as unknown as O)['lb_policy'], 'RANDOM');
    assert.equal((gen(m, v2).clusters.get(A) as unknown as O)['lb_policy'], 'RANDOM');
  });
});
