/**
 * @module translators/envoyfilter/fuzz.test
 * Generated EnvoyFilters (seeded, so a failure replays): random applyTo, operation, context and
 * matches drawn from the names the mesh really produces, with values both valid and invalid for
 * Envoy's validate.rules. Whatever the store accepts, translation never throws and every resource
 * it emits (extension configs for ECDS included) encodes and passes validate.rules; the run must also have exercised both accepted
 * patches and patches skipped as invalid (so it cannot pass vacuously). Dangling references a REMOVE creates (a route to a removed cluster) are
 * istiod's behaviour too and are not counted.
 */
import assert from 'node:assert/strict';
import { validateObject } from '../../watchers/validate/index.js';
import { meshFrom, proxy, snapshot } from '../harness.test.js';
import { BASE } from './fixture.test.js';
import { generate } from '../index.js';
import { PROTO_PATCH_OPS } from '../../proto/patch.js';
import { encodeResource } from '../../proto/encode.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const LUA = {
  name: 'lua',
  typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', defaultSourceCode: { inlineString: 'x' } },
};
const TCP = {
  name: 'tcp',
  typedConfig: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    statPrefix: 's',
    cluster: 'BlackHoleCluster',
  },
};
const VALUES: Record<string, unknown[]> = {
  LISTENER: [
    { perConnectionBufferLimitBytes: 1024 },
    { name: 'l-add', address: { socketAddress: { address: '0.0.0.0', portValue: 7000 } }, filterChains: [{ filters: [TCP] }] },
    { address: { socketAddress: { address: '', portValue: 1 } } },
    {},
  ],
  LISTENER_FILTER: [
    {
      name: 'envoy.filters.listener.tls_inspector',
      typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' },
    },
    { name: '' },
  ],
  FILTER_CHAIN: [
    { transportSocketConnectTimeout: '3s' },
    { filters: [TCP] },
    { filterChainMatch: { destinationPort: 70000 } },
    { filters: [] },
  ],
  NETWORK_FILTER: [
    TCP,
    { name: '' },
    { typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', statPrefix: '' } },
  ],
  HTTP_FILTER: [
    LUA,
    { name: '' },
    { typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppressEnvoyHeaders: true } },
  ],
  ROUTE_CONFIGURATION: [{ maxDirectResponseBodySizeBytes: 10 }, { name: '' }, { virtualHosts: [{ name: '', domains: [] }] }],
  VIRTUAL_HOST: [
    { name: 'vh', domains: ['x.example.com'], routes: [{ match: { prefix: '/' }, directResponse: { status: 200 } }] },
    { domains: [] },
    { name: 'bad', domains: ['y'], routes: [{ match: { prefix: '/' }, directResponse: { status: 99 } }] },
  ],
  HTTP_ROUTE: [
    { match: { prefix: '/z' }, directResponse: { status: 204 } },
    { route: { timeout: '2s' } },
    { match: { safeRegex: { regex: '(' } }, directResponse: { status: 200 } },
    { directResponse: { status: 1000 } },
  ],
  CLUSTER: [
    { lbPolicy: 'RANDOM' },
    { connectTimeout: '-2s' },
    { name: 'c-add', type: 'STATIC', connectTimeout: '1s' },
    { name: '' },
    { healthChecks: [{}] },
  ],
  EXTENSION_CONFIG: [{ name: 'ec', typedConfig: LUA.typedConfig }, { name: 'ec' }, { name: '', typedConfig: LUA.typedConfig }],
};
const APPLY = Object.keys(VALUES);
const OPS = ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST', 'REPLACE', 'MERGE_AND_REPLACE_LIST'];
const CTX = ['ANY', 'SIDECAR_INBOUND', 'SIDECAR_OUTBOUND', 'GATEWAY'];

function match(applyTo: string, r: () => number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const m: Record<string, unknown> = { context: pick(CTX) };
  if (r() < 0.3 || applyTo === 'EXTENSION_CONFIG') return m;
  if (['LISTENER', 'LISTENER_FILTER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER'].includes(applyTo)) {
    m['listener'] = {
      ...(r() < 0.5 ? { portNumber: pick([8080, 5672, 15006]) } : {}),
      ...(r() < 0.5
        ? {
            filterChain: {
              filter: {
                name: pick(['envoy.filters.network.http_connection_manager', 'envoy.filters.network.tcp_proxy']),
                ...(r() < 0.5 ? { subFilter: { name: pick(['envoy.filters.http.router', 'envoy.filters.http.fault']) } } : {}),
              },
            },
          }
        : {}),
      ...(applyTo === 'LISTENER_FILTER' && r() < 0.5 ? { listenerFilter: 'envoy.filters.listener.original_dst' } : {}),
    };
  } else if (applyTo === 'CLUSTER') {
    m['cluster'] =
      r() < 0.5 ? { service: pick(['a.default.svc.cluster.local', 'q.default.svc.cluster.local']) } : { portNumber: pick([8080, 5672]) };
  } else {
    m['routeConfiguration'] = {
      ...(r() < 0.5 ? { portNumber: 8080 } : {}),
      ...(r() < 0.5 ? { vhost: { name: 'a.default.svc.cluster.local:8080', ...(r() < 0.5 ? { route: { action: 'ROUTE' } } : {}) } } : {}),
    };
  }
  return m;
}

const IGNORED = /no cluster references it|is routed to but not defined|no listener references it|its EDS name has no assignment/;

describe('EnvoyFilter fuzz: generated filters never crash translation nor emit an invalid resource', () => {
  let accepted = 0,
    skipped = 0,
    ecds = 0;
  for (let seed = 1; seed <= 30; seed++) {
    it(`seed ${seed}`, () => {
      const r = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      const docs: string[] = [];
      for (let f = 0; f < 3; f++) {
        const patches = Array.from({ length: 1 + Math.floor(r() * 4) }, () => {
          const applyTo = pick(APPLY);
          const op = pick(OPS);
          return {
            applyTo,
            match: match(applyTo, r),
            patch: { operation: op, ...(op === 'REMOVE' ? {} : { value: pick(VALUES[applyTo]!) }) },
          };
        });
        const raw = {
          apiVersion: 'networking.istio.io/v1alpha3',
          kind: 'EnvoyFilter',
          metadata: { name: `f${f}`, namespace: 'default' },
          spec: { priority: Math.floor(r() * 3) - 1, configPatches: patches },
        };
        if (validateObject(raw, 'default', 'fuzz').status === 'ok') docs.push(`---\n${JSON.stringify(raw)}\n`);
      }
      accepted += docs.length;
      const { mesh } = meshFrom(BASE + docs.join(''));
      for (const p of [
        proxy('sidecar~10.5.0.1~c-1.default~default.svc.cluster.local', { LABELS: { app: 'c' } }),
        proxy('sidecar~10.1.0.1~a-1.default~default.svc.cluster.local', { LABELS: { app: 'a' } }),
        proxy('sidecar~10.5.0.2~g-1.default~default.svc.cluster.local', { GENERATOR: 'grpc', LABELS: { app: 'g' } }),
      ]) {
        const g = generate(mesh, p, PROTO_PATCH_OPS);
        skipped += g.envoyFilters?.skips().length ?? 0;
        // Extension configs (ECDS) are valid and encode too.
        for (const n of g.extensionConfigs?.names() ?? []) {
          const ec = g.extensionConfigs!.get(n)!;
          assert.deepEqual(PROTO_PATCH_OPS.violations('envoy.config.core.v3.TypedExtensionConfig', ec), [], `seed ${seed} ECDS ${n}`);
          encodeResource('envoy.config.core.v3.TypedExtensionConfig', n, ec);
          ecds++;
        }
        const { problems } = snapshot(mesh, p);
        assert.deepEqual(
          problems.filter((x) => !IGNORED.test(x)),
          [],
          `seed ${seed} ${p.id}:\n${docs.join('')}`,
        );
      }
    });
  }
  it('exercised accepted filters and skipped invalid patches', () => {
    assert.ok(accepted >= 30, `accepted ${accepted}`);
    assert.ok(skipped > 0, 'no patch was ever skipped as invalid');
    assert.ok(ecds > 0, 'no extension config was ever served');
  });
});
