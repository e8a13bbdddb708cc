/**
 * @module translators/authz/fuzz.test
 * Fuzzed AuthorizationPolicies and RequestAuthentications (fast-check): random objects built from
 * every field the APIs have — plausible values, wildcards in odd places, bad CIDRs and ports,
 * unknown `when` keys, wrong types — go through validation; no exception escapes, and every
 * accepted object yields proxy output (sidecar with HTTP and TCP ports, and a gateway) that
 * encodes and passes Envoy's validate.rules. TSPILOT_FUZZ_RUNS / TSPILOT_FUZZ_SEED as elsewhere.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { fuzzParams } from '../../e2e/fuzz.js';
import { validateObject } from '../../watchers/validate/index.js';
import { DEFAULT_MESH_SETTINGS, type MeshSettings } from '../../model/meshconfig.js';
import { meshFrom, proxy, snapshot } from '../harness.test.js';

const BASE = `apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {clusterIP: 10.96.1.1, selector: {app: cart}, ports: [{name: http, port: 8080}, {name: tcp, port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {name: authz, namespace: shop}
spec: {clusterIP: 10.96.1.2, selector: {app: authz}, ports: [{name: grpc, port: 9191}]}
---
apiVersion: v1
kind: Service
metadata: {name: gw, namespace: shop}
spec: {clusterIP: 10.96.1.3, selector: {istio: gw}, ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec: {selector: {istio: gw}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: gw, namespace: shop}
spec: {hosts: ["*"], gateways: [gw], http: [{route: [{destination: {host: cart, port: {number: 8080}}}]}]}
`;
const SETTINGS: MeshSettings = {
  ...DEFAULT_MESH_SETTINGS,
  extensionProviders: [
    { name: 'grpc-authz', envoyExtAuthzGrpc: { service: 'authz.shop.svc.cluster.local', port: 9191 } },
    {
      name: 'http-authz',
      envoyExtAuthzHttp: { service: 'shop/authz', port: 9191, pathPrefix: '/check', includeRequestHeadersInCheck: ['x-*'] },
    },
  ],
};
const PROXIES = [
  proxy('sidecar~10.0.1.1~cart-1.shop~shop.svc.cluster.local', { LABELS: { app: 'cart' } }),
  proxy('router~10.0.2.1~gw-1.shop~shop.svc.cluster.local', { LABELS: { istio: 'gw', 'gateway.networking.k8s.io/gateway-name': 'gw' } }),
];

const word = fc.constantFrom('cart', 'shop', 'admin', 'a.b', 'x-y', 'GET', '/path', 'https://issuer', 'sub', 'é');
const BAD = fc.oneof(
  fc.constantFrom('', '*mid*', 'a*b', '**', '/{x}', '10.0.0.0/33', '300.1.1.1', '65536', '-1', 'http', 'a]b'),
  fc.string({ maxLength: 12 }),
);
/** Mostly values of the field's own shape, sometimes anything (a tenth of the time). */
const pool = (...good: string[]): fc.Arbitrary<string[]> =>
  fc.array(fc.oneof({ arbitrary: fc.oneof(fc.constantFrom(...good), word), weight: 9 }, { arbitrary: BAD, weight: 1 }), { maxLength: 3 });
const strs = pool('*', '*suffix', 'prefix*', 'cluster.local/ns/shop/sa/fe', 'https://issuer/sub', '*.example.com', 'dev-*');
const ips = pool('10.0.0.0/8', '10.1.2.3', '::1', '2001:db8::/32').map((a) => a.filter((v) => /[.:]/.test(v) || v === ''));
const ports = pool('8080', '9000', '0', '80').map((a) => a.filter((v) => /^\d+$/.test(v) || v === ''));
const paths = pool('/api/*', '*/health', '/x/{*}/y', '/x/{**}', '/exact', '*');
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 2 });
const source = fc.record(
  {
    principals: maybe(strs),
    notPrincipals: maybe(strs),
    requestPrincipals: maybe(strs),
    notRequestPrincipals: maybe(strs),
    namespaces: maybe(strs),
    notNamespaces: maybe(strs),
    ipBlocks: maybe(ips),
    notIpBlocks: maybe(ips),
    remoteIpBlocks: maybe(ips),
    notRemoteIpBlocks: maybe(ips),
  },
  { requiredKeys: [] },
);
const operation = fc.record(
  {
    hosts: maybe(strs),
    notHosts: maybe(strs),
    ports: maybe(ports),
    notPorts: maybe(ports),
    methods: maybe(strs),
    notMethods: maybe(strs),
    paths: maybe(paths),
    notPaths: maybe(paths),
  },
  { requiredKeys: [] },
);
const values = strs;
const whenKey = fc.constantFrom(
  'request.headers[x-token]',
  'source.ip',
  'request.auth.claims[groups]',
  'source.ip',
  'remote.ip',
  'source.namespace',
  'source.principal',
  'request.auth.principal',
  'request.auth.audiences',
  'request.auth.presenter',
  'request.auth.claims[groups]',
  'request.auth.claims[a][b]',
  'destination.ip',
  'destination.port',
  'connection.sni',
  'experimental.envoy.filters.a.b[c]',
  'request.headers',
  'source.user',
  'bogus',
);
const condition = whenKey.chain((key) => {
  const v = key.endsWith('.ip') ? ips : key === 'destination.port' ? ports : strs;
  return fc.record({ key: fc.constant(key), values: maybe(v), notValues: maybe(v) }, { requiredKeys: ['key'] });
});
const rule = fc.record(
  {
    from: maybe(fc.array(fc.record({ source }), { maxLength: 2 })),
    to: maybe(fc.array(fc.record({ operation }), { maxLength: 2 })),
    when: maybe(fc.array(condition, { maxLength: 3 })),
  },
  { requiredKeys: [] },
);
const selector = fc.oneof(
  fc.constant(undefined),
  fc.constant({ matchLabels: { app: 'cart' } }),
  fc.constant({ matchLabels: { istio: 'gw' } }),
  fc.constant({ matchLabels: { app: 'nope' } }),
);
const targetRefs = fc.oneof(
  fc.constant(undefined),
  fc.constant([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }]),
  fc.constant([{ group: '', kind: 'Service', name: 'cart' }]),
);
const authzPolicy = fc.record({
  action: fc.constantFrom(undefined, 'ALLOW', 'DENY', 'AUDIT', 'CUSTOM', 'CUSTOM', 'BOGUS'),
  provider: fc.constantFrom({ name: 'grpc-authz' }, { name: 'http-authz' }, { name: 'missing' }, undefined),
  selector,
  targetRefs,
  rules: maybe(fc.array(rule, { maxLength: 3 })),
  ns: fc.constantFrom('shop', 'istio-system'),
  dryRun: fc.boolean(),
});
const JWKS = JSON.stringify({
  keys: [
    {
      kty: 'EC',
      crv: 'P-256',
      kid: 'k',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
    },
  ],
});
const jwtRule = fc.record(
  {
    issuer: fc.oneof(word, fc.constant('https://issuer.example.com')),
    audiences: maybe(values),
    jwksUri: fc.constantFrom(undefined, 'https://issuer.example.com/jwks', 'ftp://x', 'not a url'),
    jwks: fc.constantFrom(undefined, JWKS, '{"keys":[]}', 'nope'),
    fromHeaders: maybe(
      fc.array(
        fc.record(
          { name: fc.constantFrom('authorization', 'x-jwt', 'bad header', ''), prefix: maybe(fc.constantFrom('Bearer ', '')) },
          { requiredKeys: ['name'] },
        ),
        { maxLength: 2 },
      ),
    ),
    fromParams: maybe(values),
    outputPayloadToHeader: fc.constantFrom(undefined, 'x-payload', 'bad header'),
    forwardOriginalToken: fc.constantFrom(undefined, true, false, 'yes'),
  },
  { requiredKeys: ['issuer'] },
);
const requestAuthn = fc.record({
  selector,
  targetRefs,
  jwtRules: maybe(fc.array(jwtRule, { maxLength: 3 })),
  ns: fc.constantFrom('shop', 'istio-system'),
});

function clean<T extends object>(o: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
}

/** Validates `objs`; renders every proxy if all were accepted; returns how many were accepted. */
function check(objs: Record<string, unknown>[]): boolean {
  const accepted = objs.every((o) => validateObject(o, 'default', 'fuzz').status === 'ok');
  if (!accepted) return false;
  const { mesh, rejected } = meshFrom(BASE + objs.map((o) => `---\n${stringify(o)}`).join(''), SETTINGS);
  assert.deepEqual(rejected, [], 'an object validateObject accepts is accepted by the store');
  for (const p of PROXIES) {
    const { problems } = snapshot(mesh, p);
    assert.deepEqual(problems, [], `${p.id}: every resource passes validate.rules:\n${objs.map((o) => stringify(o)).join('---\n')}`);
  }
  return true;
}

describe('authz fuzz (fast-check): validation never throws, accepted policies give valid output', function () {
  this.timeout(300_000);
  it('AuthorizationPolicy', () => {
    let ok = 0;
    const params = fuzzParams(120);
    fc.assert(
      fc.property(fc.array(authzPolicy, { minLength: 1, maxLength: 2 }), (ps) => {
        const objs = ps.map((p, i) => ({
          apiVersion: 'security.istio.io/v1',
          kind: 'AuthorizationPolicy',
          metadata: { name: `p${i}`, namespace: p.ns, ...(p.dryRun ? { annotations: { 'istio.io/dry-run': 'true' } } : {}) },
          spec: clean({
            action: p.action,
            provider: p.action === 'CUSTOM' || p.action === 'BOGUS' ? p.provider : undefined,
            selector: p.selector,
            targetRefs: p.targetRefs,
            rules: p.rules,
          }),
        }));
        if (check(objs)) ok++;
      }),
      params,
    );
    // About a fifth of generated pairs pass validation; a floor well under that still fails if validation starts refusing everything.
    assert.ok(ok >= Math.ceil(params.numRuns / 30), `enough accepted policies were rendered (${ok} of ${params.numRuns})`);
  });

  it('RequestAuthentication', () => {
    let ok = 0;
    const params = fuzzParams(80);
    fc.assert(
      fc.property(requestAuthn, (r) => {
        const o = {
          apiVersion: 'security.istio.io/v1',
          kind: 'RequestAuthentication',
          metadata: { name: 'ra', namespace: r.ns },
          spec: clean({ selector: r.selector, targetRefs: r.targetRefs, jwtRules: r.jwtRules }),
        };
        if (check([o])) ok++;
      }),
      params,
    );
    assert.ok(ok >= Math.ceil(params.numRuns / 30), `enough accepted objects were rendered (${ok} of ${params.numRuns})`);
  });
});
