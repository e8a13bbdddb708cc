/**
 * @module translators/authz/rbac.test
 * The pure policy → RBAC translation against istiod's behaviour: principals with the spiffe://
 * prefix, namespaces as regexes, filter order (CUSTOM, then AUDIT, DENY, ALLOW), names
 * `ns[..]-policy[..]-rule[i]`, no rules → match nothing, HTTP-only fields on TCP (ALLOW rule
 * dropped so the policy denies all, DENY widened to the TCP fields), CUSTOM providers (shadow RBAC +
 * ext_authz, missing provider → deny), dry-run → shadow rules, JWT claims from jwt_authn's payload;
 * and which policies apply to a workload (root namespace, selector, targetRefs), and the notices
 * for policies selecting nothing. Every filter
 * passes Envoy's validate.rules.
 */
import assert from 'node:assert/strict';
import { meshFrom } from '../harness.test.js';
import { validateMessage } from '../../proto/validate.js';
import { DEFAULT_MESH_SETTINGS, type MeshSettings } from '../../model/meshconfig.js';
import type { MeshConfig } from '../../model/config.js';
import { appliedPolicies } from './select.js';
import { authzFilters, type NamedFilter } from './rbac.js';

const HDR = 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n';
const SVC = `apiVersion: v1
kind: Service
metadata: {name: authz, namespace: shop}
spec: {ports: [{name: grpc, port: 9000}], selector: {app: authz}}
---
apiVersion: v1
kind: Pod
metadata: {name: cart-1, namespace: shop, labels: {app: cart}}
spec: {containers: [{name: c}]}
status: {podIP: 10.0.0.5, phase: Running}
`;
const W = { namespace: 'shop', labels: { app: 'cart' } };

function mesh(yaml: string, settings: Partial<MeshSettings> = {}): MeshConfig {
  const { mesh: m, rejected } = meshFrom(SVC + '---\n' + yaml, { ...DEFAULT_MESH_SETTINGS, ...settings });
  assert.deepEqual(rejected, []);
  return m;
}

type Cfg = { '@type': string } & Record<string, unknown>;
const cfg = (f: NamedFilter): Cfg => f.typed_config as Cfg;
function valid(filters: readonly NamedFilter[], tcp: boolean): void {
  for (const f of filters) {
    const type = tcp ? 'envoy.config.listener.v3.Filter' : 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter';
    assert.deepEqual(validateMessage(type, f), [], `${f.name} passes validate.rules`);
  }
}

describe('authz: policy → Envoy RBAC (istiod builder semantics)', () => {
  it('ALLOW with principals, namespaces, methods, paths: istiod matchers and names', () => {
    const m = mesh(`${HDR}metadata: {name: allow-frontend, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  rules:
  - from: [{source: {principals: [cluster.local/ns/shop/sa/frontend, "*/sa/admin"], notNamespaces: [dev]}}]
    to: [{operation: {methods: [GET], paths: ["/cart.Cart/*", "*/health", "/a/{*}/b"]}}]
`);
    const out = authzFilters(m, appliedPolicies(m, W), false);
    assert.equal(out.custom.length, 0);
    assert.equal(out.local.length, 1);
    valid(out.local, false);
    const c = cfg(out.local[0]!);
    assert.equal(out.local[0]!.name, 'envoy.filters.http.rbac');
    assert.equal(c['@type'], 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC');
    const rules = c['rules'] as { action: string; policies: Record<string, { principals: unknown[]; permissions: unknown[] }> };
    assert.equal(rules.action, 'ALLOW');
    assert.deepEqual(Object.keys(rules.policies), ['ns[shop]-policy[allow-frontend]-rule[0]']);
    const p = rules.policies['ns[shop]-policy[allow-frontend]-rule[0]']!;
    assert.deepEqual(p.principals, [
      {
        and_ids: {
          ids: [
            {
              or_ids: {
                ids: [
                  { authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/shop/sa/frontend' } } },
                  { authenticated: { principal_name: { safe_regex: { regex: 'spiffe://.*/sa/admin' } } } },
                ],
              },
            },
            { not_id: { or_ids: { ids: [{ authenticated: { principal_name: { safe_regex: { regex: '.*/ns/dev/.*' } } } }] } } },
          ],
        },
      },
    ]);
    assert.deepEqual(p.permissions, [
      {
        and_rules: {
          rules: [
            { or_rules: { rules: [{ header: { name: ':method', string_match: { exact: 'GET' } } }] } },
            {
              or_rules: {
                rules: [
                  { url_path: { path: { prefix: '/cart.Cart/' } } },
                  { url_path: { path: { suffix: '/health' } } },
                  { url_path: { path: { safe_regex: { regex: '/a/[^/]+/b' } } } },
                ],
              },
            },
          ],
        },
      },
    ]);
  });

  it('orders AUDIT, DENY, ALLOW; a policy without rules matches nothing; root-namespace policies apply everywhere', () => {
    const m = mesh(`${HDR}metadata: {name: z-allow, namespace: shop}
spec: {}
---
${HDR}metadata: {name: deny-all, namespace: istio-system}
spec: {action: DENY, rules: [{}]}
---
${HDR}metadata: {name: audit, namespace: shop}
spec: {action: AUDIT, rules: [{to: [{operation: {paths: [/x]}}]}]}
---
${HDR}metadata: {name: other-ns, namespace: other}
spec: {action: DENY, rules: [{}]}
`);
    const a = appliedPolicies(m, W);
    assert.deepEqual(
      [...a.deny].map((p) => p.meta.name),
      ['deny-all'],
    );
    const out = authzFilters(m, a, false);
    valid(out.local, false);
    assert.deepEqual(
      out.local.map((f) => (cfg(f)['rules'] as { action: string }).action),
      ['LOG', 'DENY', 'ALLOW'],
    );
    const allow = cfg(out.local[2]!)['rules'] as { policies: Record<string, unknown> };
    assert.deepEqual(allow.policies, {
      'ns[shop]-policy[z-allow]-rule[0]': { permissions: [{ not_rule: { any: true } }], principals: [{ not_id: { any: true } }] },
    });
    const deny = cfg(out.local[1]!)['rules'] as { policies: Record<string, unknown> };
    assert.deepEqual(deny.policies, {
      'ns[istio-system]-policy[deny-all]-rule[0]': {
        permissions: [{ and_rules: { rules: [{ any: true }] } }],
        principals: [{ and_ids: { ids: [{ any: true }] } }],
      },
    });
  });

  it('TCP: an ALLOW rule with HTTP fields is dropped (the policy then denies all); a DENY keeps its TCP fields only', () => {
    const m = mesh(`${HDR}metadata: {name: allow-get, namespace: shop}
spec: {rules: [{to: [{operation: {methods: [GET], ports: ["8080"]}}]}, {from: [{source: {namespaces: [shop]}}]}]}
---
${HDR}metadata: {name: deny-get, namespace: shop}
spec: {action: DENY, rules: [{to: [{operation: {methods: [GET], ports: ["8080"]}}]}]}
`);
    const out = authzFilters(m, appliedPolicies(m, W), true);
    valid(out.local, true);
    assert.deepEqual(
      out.local.map((f) => f.name),
      ['envoy.filters.network.rbac', 'envoy.filters.network.rbac'],
    );
    const deny = cfg(out.local[0]!);
    assert.equal(deny['stat_prefix'], 'tcp.');
    assert.deepEqual(
      (deny['rules'] as { policies: Record<string, { permissions: unknown }> }).policies['ns[shop]-policy[deny-get]-rule[0]']!.permissions,
      [{ and_rules: { rules: [{ or_rules: { rules: [{ destination_port: 8080 }] } }] } }],
    );
    const allow = cfg(out.local[1]!)['rules'] as { action: string; policies: Record<string, unknown> };
    assert.equal(allow.action, 'ALLOW');
    assert.deepEqual(Object.keys(allow.policies), ['ns[shop]-policy[allow-get]-rule[1]'], 'rule 0 (methods) dropped on TCP, rule 1 kept');
    assert.match(out.notes.join('\n'), /skipped rule ns\[shop\]-policy\[allow-get\]-rule\[0\] on TCP: "methods" is HTTP only/);
  });

  it('CUSTOM: shadow RBAC then ext_authz (gRPC provider on HTTP and TCP); a missing provider denies what the policy matches', () => {
    const yaml = `${HDR}metadata: {name: ext, namespace: shop}
spec: {action: CUSTOM, provider: {name: authz}, rules: [{to: [{operation: {paths: [/admin]}}]}]}
`;
    const providers = [{ name: 'authz', envoyExtAuthzGrpc: { service: 'authz.shop.svc.cluster.local', port: 9000 } }];
    const m = mesh(yaml, { extensionProviders: providers });
    const http = authzFilters(m, appliedPolicies(m, W), false);
    valid(http.custom, false);
    assert.deepEqual(
      http.custom.map((f) => f.name),
      ['envoy.filters.http.rbac', 'envoy.filters.http.ext_authz'],
    );
    const shadow = cfg(http.custom[0]!);
    assert.equal(shadow['shadow_rules_stat_prefix'], 'istio_ext_authz_');
    assert.deepEqual(Object.keys((shadow['shadow_rules'] as { policies: object }).policies), [
      'istio-ext-authz-ns[shop]-policy[ext]-rule[0]',
    ]);
    const ext = cfg(http.custom[1]!);
    assert.deepEqual(ext['grpc_service'], {
      envoy_grpc: { cluster_name: 'outbound|9000||authz.shop.svc.cluster.local', authority: 'authz.shop.svc.cluster.local' },
      timeout: { seconds: 600 },
    });
    const tcp = authzFilters(m, appliedPolicies(m, W), true);
    valid(tcp.custom, true);
    assert.deepEqual(
      tcp.custom.map((f) => f.name),
      ['envoy.filters.network.rbac', 'envoy.filters.network.ext_authz'],
    );
    const bad = mesh(yaml);
    const denied = authzFilters(bad, appliedPolicies(bad, W), false);
    valid(denied.custom, false);
    assert.deepEqual(cfg(denied.custom[0]!)['rules'], {
      action: 'DENY',
      policies: {
        'istio-ext-authz-ns[shop]-policy[ext]-rule[0]-bad-custom-action': {
          permissions: [{ and_rules: { rules: [{ or_rules: { rules: [{ url_path: { path: { exact: '/admin' } } }] } }] } }],
          principals: [{ and_ids: { ids: [{ any: true }] } }],
        },
      },
    });
    assert.match(denied.notes.join(), /no extension provider named "authz"/);
  });

  it('JWT attributes read the jwt_authn payload; dry-run policies go to shadow_rules', () => {
    const m = mesh(`${HDR}metadata: {name: jwt, namespace: shop, annotations: {istio.io/dry-run: "true"}}
spec:
  rules:
  - from: [{source: {requestPrincipals: ["https://issuer/alice"]}}]
    when: [{key: "request.auth.claims[groups]", values: [admins]}]
`);
    const out = authzFilters(m, appliedPolicies(m, W), false);
    valid(out.local, false);
    const c = cfg(out.local[0]!);
    assert.equal(c['rules'], undefined);
    assert.equal(c['shadow_rules_stat_prefix'], 'istio_dry_run_allow_');
    const p = (c['shadow_rules'] as { policies: Record<string, { principals: unknown[] }> }).policies['ns[shop]-policy[jwt]-rule[0]']!;
    assert.deepEqual(p.principals, [
      {
        and_ids: {
          ids: [
            {
              or_ids: {
                ids: [
                  {
                    and_ids: {
                      ids: [
                        {
                          metadata: {
                            filter: 'envoy.filters.http.jwt_authn',
                            path: [{ key: 'payload' }, { key: 'iss' }],
                            value: { string_match: { exact: 'https://issuer' } },
                          },
                        },
                        {
                          metadata: {
                            filter: 'envoy.filters.http.jwt_authn',
                            path: [{ key: 'payload' }, { key: 'sub' }],
                            value: { string_match: { exact: 'alice' } },
                          },
                        },
                      ],
                    },
                  },
                ],
              },
            },
            {
              or_ids: {
                ids: [
                  {
                    metadata: {
                      filter: 'envoy.filters.http.jwt_authn',
                      path: [{ key: 'payload' }, { key: 'groups' }],
                      value: {
                        or_match: {
                          value_matchers: [
                            { string_match: { exact: 'admins' } },
                            { list_match: { one_of: { string_match: { exact: 'admins' } } } },
                          ],
                        },
                      },
                    },
                  },
                ],
              },
            },
          ],
        },
      },
    ]);
  });
});

describe('authz: trust domain', () => {
  it('principals written for cluster.local name the mesh trust domain (istiod trust-domain migration); others stay', () => {
    const m = mesh(
      `${HDR}metadata: {name: td, namespace: shop}
spec: {rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/fe, other.org/ns/shop/sa/fe, "*/sa/x"]}}], when: [{key: source.principal, values: [cluster.local/ns/a/sa/b]}]}]}
`,
      { trustDomain: 'example.org' },
    );
    const out = authzFilters(m, appliedPolicies(m, W), false);
    const text = JSON.stringify(out.local[0]!.typed_config);
    assert.match(text, /"exact":"spiffe:\/\/example.org\/ns\/shop\/sa\/fe"/);
    assert.match(text, /"exact":"spiffe:\/\/other.org\/ns\/shop\/sa\/fe"/);
    assert.match(text, /"exact":"spiffe:\/\/example.org\/ns\/a\/sa\/b"/);
    assert.doesNotMatch(text, /spiffe:\/\/cluster.local/);
  });
});

describe('authz: which policies apply to a workload', () => {
  it('selector, namespace, targetRefs Gateway, and policies that select nothing are reported', () => {
    const m = mesh(`${HDR}metadata: {name: cart-only, namespace: shop}
spec: {selector: {matchLabels: {app: cart}}, rules: [{}]}
---
${HDR}metadata: {name: typo, namespace: shop}
spec: {selector: {matchLabels: {app: crat}}, rules: [{}]}
---
${HDR}metadata: {name: gw, namespace: shop}
spec: {targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: shop-gw}], rules: [{}]}
`);
    assert.deepEqual(
      appliedPolicies(m, W).allow.map((p) => p.meta.name),
      ['cart-only'],
    );
    assert.deepEqual(
      appliedPolicies(m, { namespace: 'shop', labels: { 'gateway.networking.k8s.io/gateway-name': 'shop-gw' } }).allow.map(
        (p) => p.meta.name,
      ),
      ['gw'],
    );
    assert.deepEqual(appliedPolicies(m, { namespace: 'other', labels: { app: 'cart' } }).allow, []);
    assert.deepEqual(
      m.policyNotices.map((u) => u.name),
      ['gw', 'typo'],
      'policies selecting nothing are reported in configz',
    );
    assert.match(
      m.policyNotices.find((u) => u.name === 'typo')!.reason,
      /spec.selector: selects no Pod or WorkloadEntry in namespace shop \(app=crat\)/,
    );
    assert.match(
      m.policyNotices.find((u) => u.name === 'gw')!.reason,
      /no Pod in shop carries gateway.networking.k8s.io\/gateway-name=shop-gw/,
    );
  });
});
