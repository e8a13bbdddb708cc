/**
 * @module watchers/validate/security.test
 * AuthorizationPolicy and RequestAuthentication validation with istiod's rules: the documented
 * shapes pass, and each kind of bad input (unknown action, CUSTOM without provider, provider on
 * ALLOW, selector plus targetRefs, bad wildcard, bad CIDR, bad port, unknown when key, empty
 * source, bad JWKS, non-http jwksUri, bad header names) is rejected naming kind, name and field;
 * the extension providers of the mesh config are read with their errors.
 */
import assert from 'node:assert/strict';
import { rejected, accepted as ok } from './testkit.js';
import { parseMeshConfigText } from './meshconfig.js';

const SEC = 'security.istio.io/v1';
const ap = (spec: unknown, name = 'p'): unknown => ({
  apiVersion: SEC,
  kind: 'AuthorizationPolicy',
  metadata: { name, namespace: 'shop' },
  spec,
});
const ra = (spec: unknown, name = 'r'): unknown => ({
  apiVersion: SEC,
  kind: 'RequestAuthentication',
  metadata: { name, namespace: 'shop' },
  spec,
});

const JWKS = JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'xyz', kid: 'k1' }] });

describe('AuthorizationPolicy validation', () => {
  it('accepts every documented field, v1 and v1beta1, and keeps the rules', () => {
    const o = ok(
      ap({
        selector: { matchLabels: { app: 'cart' } },
        action: 'ALLOW',
        rules: [
          {
            from: [
              {
                source: {
                  principals: ['cluster.local/ns/shop/sa/frontend', '*-suffix', 'prefix-*'],
                  notNamespaces: ['dev'],
                  ipBlocks: ['10.0.0.0/8', '1.2.3.4'],
                  remoteIpBlocks: ['2001:db8::/32'],
                  requestPrincipals: ['iss/sub'],
                },
              },
            ],
            to: [
              {
                operation: {
                  methods: ['GET'],
                  paths: ['/cart.Cart/*', '/a/{*}/b/{**}'],
                  ports: ['8080', 9090],
                  hosts: ['*.example.com'],
                  notPaths: ['/admin*'],
                },
              },
            ],
            when: [
              { key: 'request.auth.claims[groups]', values: ['admins'] },
              { key: 'request.headers[x-token]', notValues: ['bad'] },
              { key: 'source.ip', values: ['10.1.0.0/16'] },
              { key: 'destination.port', values: ['80'] },
              { key: 'connection.sni', values: ['*.svc'] },
              { key: 'experimental.envoy.filters.a.b[c]', values: ['[x]'] },
            ],
          },
        ],
      }),
    ) as { spec: { rules: { to: { operation: { ports: string[] } }[] }[] } };
    assert.deepEqual(o.spec.rules[0]!.to[0]!.operation.ports, ['8080', '9090']);
    ok({ ...(ap({}) as object), apiVersion: 'security.istio.io/v1beta1' });
    ok(ap({ action: 'DENY', rules: [{}] }));
    ok(ap({ action: 'CUSTOM', provider: { name: 'ext' }, rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }));
    ok(ap({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }], rules: [{}] }));
  });

  it('rejects bad objects naming the field', () => {
    assert.deepEqual(rejected(ap({ action: 'PERMIT' })).field, 'spec.action');
    const custom = rejected(ap({ action: 'CUSTOM', rules: [{}] }));
    assert.equal(custom.field, 'spec.provider');
    assert.match(custom.reason, /must name a provider/);
    assert.equal(rejected(ap({ action: 'ALLOW', provider: { name: 'x' } })).field, 'spec.provider');
    const both = rejected(
      ap({ selector: { matchLabels: { app: 'a' } }, targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }] }),
    );
    assert.equal(both.field, 'spec.selector');
    assert.match(both.reason, /only one of targetRefs or selector/);
    assert.equal(rejected(ap({ targetRefs: [{ group: '', kind: 'Pod', name: 'x' }] })).field, 'spec.targetRefs[0].kind');
    assert.equal(
      rejected(ap({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'x', namespace: 'other' }] })).field,
      'spec.targetRefs[0].namespace',
    );
    const bad = rejected(ap({ rules: [{ from: [{ source: { principals: ['a*b'] } }] }] }));
    assert.equal(bad.field, 'spec.rules[0].from[0].source.principals[0]');
    assert.equal(bad.key, 'AuthorizationPolicy/shop/p');
    assert.equal(
      rejected(ap({ rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/33'] } }] }] })).field,
      'spec.rules[0].from[0].source.ipBlocks[0]',
    );
    assert.equal(rejected(ap({ rules: [{ to: [{ operation: { ports: ['http'] } }] }] })).field, 'spec.rules[0].to[0].operation.ports[0]');
    assert.equal(rejected(ap({ rules: [{ to: [{ operation: { paths: ['/a/{x}'] } }] }] })).field, 'spec.rules[0].to[0].operation.paths[0]');
    assert.equal(rejected(ap({ rules: [{ when: [{ key: 'source.user', values: ['x'] }] }] })).field, 'spec.rules[0].when[0].key');
    assert.equal(rejected(ap({ rules: [{ when: [{ key: 'request.headers', values: ['x'] }] }] })).field, 'spec.rules[0].when[0].key');
    assert.equal(rejected(ap({ rules: [{ when: [{ key: 'source.namespace' }] }] })).field, 'spec.rules[0].when[0]');
    assert.equal(rejected(ap({ rules: [{ from: [{ source: {} }] }] })).field, 'spec.rules[0].from[0].source');
    assert.equal(rejected(ap({ rules: [{ to: [{}] }] })).field, 'spec.rules[0].to[0].operation');
    assert.equal(rejected(ap({ rules: [{ from: [{ source: { principal: ['x'] } }] }] })).field, 'spec.rules[0].from[0].source.principal');
    assert.equal(rejected(ap({ rules: [null] })).field, 'spec.rules[0]', 'a null rule is not read as the match-all {}');
  });
});

describe('RequestAuthentication validation', () => {
  it('accepts the documented fields', () => {
    ok(
      ra({
        selector: { matchLabels: { app: 'cart' } },
        jwtRules: [
          {
            issuer: 'https://issuer',
            audiences: ['shop'],
            jwksUri: 'https://issuer/jwks',
            fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer ' }],
            fromParams: ['token'],
            outputPayloadToHeader: 'x-payload',
            forwardOriginalToken: true,
            outputClaimToHeaders: [{ header: 'x-sub', claim: 'sub' }],
          },
        ],
      }),
    );
    ok(ra({ jwtRules: [{ issuer: 'local', jwks: JWKS }] }));
  });

  it('rejects bad JWKS, bad URIs, missing issuers and header names, naming the field', () => {
    const j = rejected(ra({ jwtRules: [{ issuer: 'i', jwks: '{"keys": []}' }] }));
    assert.equal(j.field, 'spec.jwtRules[0].jwks');
    assert.match(j.reason, /not a valid JWKS/);
    assert.equal(rejected(ra({ jwtRules: [{ issuer: 'i', jwks: 'nope' }] })).field, 'spec.jwtRules[0].jwks');
    assert.match(rejected(ra({ jwtRules: [{ issuer: 'i', jwksUri: 'file:///etc/passwd' }] })).reason, /only http and https/);
    assert.equal(rejected(ra({ jwtRules: [{ jwksUri: 'https://x/jwks' }] })).field, 'spec.jwtRules[0].issuer');
    assert.equal(
      rejected(ra({ jwtRules: [{ issuer: 'i', fromHeaders: [{ name: 'bad header' }] }] })).field,
      'spec.jwtRules[0].fromHeaders[0].name',
    );
    assert.equal(
      rejected(ra({ jwtRules: [{ issuer: 'i', outputPayloadToHeader: 'a b' }] })).field,
      'spec.jwtRules[0].outputPayloadToHeader',
    );
    assert.equal(
      rejected(
        ra({ selector: { matchLabels: { a: 'b' } }, targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'g' }] }),
      ).field,
      'spec.selector',
    );
  });
});

describe('mesh config extensionProviders', () => {
  it('reads ext_authz providers and reports bad ones by field', () => {
    const good = parseMeshConfigText(
      'extensionProviders:\n- name: ext\n  envoyExtAuthzGrpc: {service: authz.shop.svc.cluster.local, port: 9000, timeout: 2s}\n- name: sw\n  skywalking: {service: z, port: 11800}\n',
    );
    assert.deepEqual(good.problems, []);
    // A provider kind tspilot does not translate (skywalking) is kept out without an error.
    assert.deepEqual(good.settings.extensionProviders, [
      { name: 'ext', envoyExtAuthzGrpc: { service: 'authz.shop.svc.cluster.local', port: 9000, timeout: '2s' } },
    ]);
    const bad = parseMeshConfigText(
      'extensionProviders:\n- name: ext\n  envoyExtAuthzHttp: {service: a, port: 0}\n- name: ext\n  envoyExtAuthzHttp: {service: a, port: 1}\n',
    );
    assert.deepEqual(
      bad.problems.map((p) => p.field),
      ['extensionProviders[0].envoyExtAuthzHttp.port', 'extensionProviders[1].name'],
    );
    const status = parseMeshConfigText(
      'extensionProviders:\n- name: a\n  envoyExtAuthzGrpc: {service: a, port: 1, statusOnError: "503"}\n- name: b\n  envoyExtAuthzGrpc: {service: b, port: 1, statusOnError: "299"}\n',
    );
    assert.deepEqual(
      status.problems.map((p) => p.field),
      ['extensionProviders[1].envoyExtAuthzGrpc.statusOnError'],
      "299 is not one of Envoy's status codes",
    );
  });
});
