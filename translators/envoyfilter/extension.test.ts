/**
 * @module translators/envoyfilter/extension.test
 * What the EnvoyFilter stage added after the first cut: EXTENSION_CONFIG ADDs become the named
 * extension configs served over ECDS (for the proxies the filter selects, whatever the context;
 * first definition of a name wins, invalid ones skipped and reported), an HTTP filter can load one
 * through `config_discovery`; MERGE_AND_REPLACE_LIST replaces the lists its value sets where
 * MERGE appends; a merged route timeout replaces the old one; and the traced apply behind
 * `explain` ends at exactly the served resource.
 */
import assert from 'node:assert/strict';
import { meshFrom, proxy } from '../harness.test.js';
import { generate } from '../index.js';
import { PROTO_PATCH_OPS } from '../../proto/patch.js';
import { ECDS, LDS, RDS } from '../../proto/typeurls.js';
import type { MeshConfig } from '../../model/config.js';

type O = Record<string, unknown>;
const BASE = `
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {clusterIP: 10.96.0.1, selector: {app: a}, ports: [{name: http, port: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default}
spec:
  hosts: [a.default.svc.cluster.local]
  http:
  - name: main
    timeout: 1.5s
    route: [{destination: {host: a.default.svc.cluster.local}}]
`;
const CLIENT = 'sidecar~10.5.0.1~client-1.default~default.svc.cluster.local';
const OTHER = 'sidecar~10.5.0.2~other-1.default~default.svc.cluster.local';
const LUA_T = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
const lua = (name: string, code = 'function envoy_on_request(h) end'): O => ({
  name,
  typedConfig: { '@type': LUA_T, defaultSourceCode: { inlineString: code } },
});

function ef(name: string, spec: O, ns = 'default'): string {
  return `---\napiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${JSON.stringify(spec)}\n`;
}
function mesh(...efs: string[]): MeshConfig {
  const { mesh: m, rejected } = meshFrom(BASE + efs.join(''));
  assert.deepEqual(rejected, []);
  return m;
}
const px = (id = CLIENT, app = 'client') => proxy(id, { LABELS: { app } });
const gen = (m: MeshConfig, p = px()) => generate(m, p, PROTO_PATCH_OPS);

describe('EnvoyFilter EXTENSION_CONFIG (ECDS)', () => {
  const HCM_MATCH = {
    context: 'SIDECAR_OUTBOUND',
    listener: {
      portNumber: 8080,
      filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } },
    },
  };
  const m = mesh(
    ef('ecds', {
      workloadSelector: { labels: { app: 'client' } },
      configPatches: [
        // The context does not narrow EXTENSION_CONFIG (istiod matches it by proxy only).
        { applyTo: 'EXTENSION_CONFIG', match: { context: 'SIDECAR_INBOUND' }, patch: { operation: 'ADD', value: lua('lua-a') } },
        { applyTo: 'EXTENSION_CONFIG', patch: { operation: 'ADD', value: lua('lua-a', 'other') } },
        { applyTo: 'EXTENSION_CONFIG', patch: { operation: 'ADD', value: { name: 'no-config' } } },
        { applyTo: 'EXTENSION_CONFIG', patch: { operation: 'MERGE', value: lua('merged') } },
        { applyTo: 'EXTENSION_CONFIG', patch: { operation: 'ADD', value: lua('lua-b') } },
        {
          applyTo: 'HTTP_FILTER',
          match: HCM_MATCH,
          patch: {
            operation: 'INSERT_BEFORE',
            value: { name: 'lua-a', configDiscovery: { configSource: { ads: {} }, typeUrls: [LUA_T] } },
          },
        },
      ],
    }),
  );

  it('defines the named configs of the ADDs for the selected proxy; first name wins, invalid ones and non-ADDs are not served', () => {
    const g = gen(m);
    const ec = g.extensionConfigs!;
    assert.deepEqual(ec.names(), ['lua-a', 'lua-b']);
    const a = ec.get('lua-a') as O;
    assert.equal((a['typed_config'] as O)['@type'], LUA_T);
    assert.deepEqual((a['typed_config'] as O)['default_source_code'], { inline_string: 'function envoy_on_request(h) end' });
    const skips = g.envoyFilters!.skips().filter((s) => s.typeUrl === ECDS);
    assert.deepEqual(
      skips.map((s) => `${s.patchIndex} ${s.resource}`),
      ['1 lua-a', '2 no-config'],
    );
    assert.match(skips[0]!.reason, /already defined/);
    assert.match(skips[1]!.reason, /typed_config/);
    assert.equal(gen(m, px(OTHER, 'other')).extensionConfigs, undefined, 'a proxy the filter does not select has none');
  });

  it('an HTTP filter patched with config_discovery references the config over ADS', () => {
    const l = gen(m).listeners.get('0.0.0.0_8080') as unknown as O;
    const hcm = ((l['filter_chains'] as O[])[0]!['filters'] as O[])[0]!['typed_config'] as O;
    const f = (hcm['http_filters'] as O[]).find((x) => x['name'] === 'lua-a')!;
    assert.deepEqual(f['config_discovery'], { config_source: { ads: {} }, type_urls: [LUA_T] });
    // The trace explains it: one step, the INSERT_BEFORE, ending at the served listener.
    const tr = gen(m).envoyFilters!.trace(LDS, '0.0.0.0_8080')!;
    assert.deepEqual(
      tr.steps.map((s) => `${s.patchIndex} ${s.operation}`),
      ['5 INSERT_BEFORE'],
    );
    assert.deepEqual(tr.steps[0]!.after, gen(m).listeners.get('0.0.0.0_8080'));
    const ecdsTrace = gen(m).envoyFilters!.trace(ECDS, 'lua-b')!;
    assert.equal(ecdsTrace.generated, null);
    assert.deepEqual(ecdsTrace.steps[0]!.after, gen(m).extensionConfigs!.get('lua-b'));
  });
});

describe('EnvoyFilter MERGE on lists and durations, as istiod', () => {
  const VH = { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: 8080, vhost: { name: 'a.default.svc.cluster.local:8080' } } };
  const ROUTE = {
    ...VH,
    routeConfiguration: { ...VH.routeConfiguration, vhost: { ...VH.routeConfiguration.vhost, route: { name: 'main' } } },
  };
  const hdr = (k: string): O => ({ header: { key: k, value: '1' } });
  const vhost = (m: MeshConfig): O =>
    ((gen(m).routes.get('8080') as unknown as O)['virtual_hosts'] as O[]).find((v) => v['name'] === 'a.default.svc.cluster.local:8080')!;

  it('MERGE appends to lists (two patches: both headers), MERGE_AND_REPLACE_LIST replaces them', () => {
    const base = vhost(mesh());
    const appended = vhost(
      mesh(
        ef('h', {
          configPatches: [
            { applyTo: 'VIRTUAL_HOST', match: VH, patch: { operation: 'MERGE', value: { requestHeadersToAdd: [hdr('x-a')] } } },
            {
              applyTo: 'VIRTUAL_HOST',
              match: VH,
              patch: { operation: 'MERGE', value: { requestHeadersToAdd: [hdr('x-b')], domains: ['a.example'] } },
            },
          ],
        }),
      ),
    );
    assert.deepEqual(
      (appended['request_headers_to_add'] as O[]).map((h) => (h['header'] as O)['key']),
      ['x-a', 'x-b'],
    );
    assert.deepEqual(appended['domains'], [...(base['domains'] as string[]), 'a.example']);
    const replaced = vhost(
      mesh(
        ef('h', {
          configPatches: [
            { applyTo: 'VIRTUAL_HOST', match: VH, patch: { operation: 'MERGE', value: { requestHeadersToAdd: [hdr('x-a')] } } },
            {
              applyTo: 'VIRTUAL_HOST',
              match: VH,
              patch: { operation: 'MERGE_AND_REPLACE_LIST', value: { requestHeadersToAdd: [hdr('x-b')], domains: ['a.example'] } },
            },
          ],
        }),
      ),
    );
    assert.deepEqual(
      (replaced['request_headers_to_add'] as O[]).map((h) => (h['header'] as O)['key']),
      ['x-b'],
    );
    assert.deepEqual(replaced['domains'], ['a.example']);
    assert.deepEqual(replaced['routes'], base['routes'], 'lists the value does not set are kept');
  });

  it("HTTP_ROUTE MERGE of a timeout replaces the VirtualService's 1.5s with 5s (not 5.5s)", () => {
    const patch = { applyTo: 'HTTP_ROUTE', match: ROUTE, patch: { operation: 'MERGE', value: { route: { timeout: '5s' } } } };
    const m = mesh(ef('t', { configPatches: [patch] }));
    const before = (vhost(mesh())['routes'] as O[])[0]!;
    assert.deepEqual((before['route'] as O)['timeout'], { seconds: 1, nanos: 500000000 });
    const r = (vhost(m)['routes'] as O[])[0]!;
    assert.deepEqual((r['route'] as O)['timeout'], { seconds: 5 });
    const tr = gen(m).envoyFilters!.trace(RDS, '8080')!;
    assert.equal(tr.steps.length, 1);
    assert.deepEqual(tr.steps[0]!.after, gen(m).routes.get('8080'));
  });
});

describe('EnvoyFilter BOOTSTRAP patches', () => {
  it('are named per filter in the mesh notices (configz) as not applicable, while the same filter’s other patches apply', () => {
    const { mesh: m, rejected } = meshFrom(
      BASE +
        ef('boot', {
          configPatches: [
            { applyTo: 'BOOTSTRAP', patch: { operation: 'MERGE', value: { statsFlushInterval: '5s' } } },
            {
              applyTo: 'CLUSTER',
              match: { cluster: { service: 'a.default.svc.cluster.local' } },
              patch: { operation: 'MERGE', value: { lbPolicy: 'RANDOM' } },
            },
          ],
        }),
    );
    assert.deepEqual(rejected, []);
    assert.deepEqual(
      (m.notices ?? []).filter((n) => n.key.includes('EnvoyFilter')).map((n) => `${n.key} ${n.field}`),
      ['EnvoyFilter/default/boot spec.configPatches[0].applyTo'],
    );
    assert.match(m.notices!.find((n) => n.key.includes('boot'))!.reason, /BOOTSTRAP is not applied/);
    const c = gen(m).clusters.get('outbound|8080||a.default.svc.cluster.local') as unknown as O;
    assert.equal(c['lb_policy'], 'RANDOM');
  });
});
