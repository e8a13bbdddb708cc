/**
 * @module translators/authz/istio-golden.test
 * tspilot's authz output compared with real istiod output: the Istio 1.1 productpage dump in
 * ../shared/reference/istio-goldens (RBAC `service-viewer`: GET from namespaces istio-system and
 * default; a JWT origin with forwarded token and payload header). The same intent written as
 * today's AuthorizationPolicy and RequestAuthentication must give the same matchers once the
 * differences below, all due to istiod's own evolution since 1.1, are mapped:
 *
 * 1. Policy name: 1.1 named the ServiceRole (`service-viewer`); istiod since 1.4 names each rule
 *    `ns[<ns>]-policy[<name>]-rule[<i>]`.
 * 2. Peer identity: 1.1 matched `metadata{filter: istio_authn, path: source.principal}` (its own
 *    authn filter); current istiod matches `authenticated.principal_name` (the mTLS peer's SAN),
 *    which upstream Envoy and proxyless gRPC understand too.
 * 3. Regex and header matchers: `string_match.regex` / `header.exact_match` (removed from Envoy's
 *    v3 API) are `safe_regex` / `string_match.exact` now.
 * 4. Two bindings gave two principals; one rule with two `from` entries gives the same two
 *    principals (each an AND of an OR, as istiod's model builds them).
 * 5. JWT: 1.1's `jwt-auth` filter with `allow_missing_or_failed` left the decision to istio_authn;
 *    current istiod's `envoy.filters.http.jwt_authn` names providers `origins-<i>` and requires
 *    {provider OR allow_missing} — an invalid token is refused by the filter itself. Issuer, keys,
 *    `forward` and `forward_payload_header` carry over unchanged; tspilot adds
 *    `payload_in_metadata` (RBAC reads claims from it instead of from istio_authn).
 * 6. Config form: `config` (Struct, v2) → `typed_config` (Any, v3); `istio_authn` and `mixer` are
 *    istio-proxy-only filters that current istiod (and tspilot) no longer emit on this path.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { meshFrom, proxy } from '../harness.test.js';
import { appliedPolicies } from './select.js';
import { authzFilters } from './rbac.js';
import { jwtAuthnFilter } from './jwt.js';

type J = Record<string, unknown>;
const DUMP = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/reference/istio-goldens/bookinfo-productpage-sidecar-istio1.1-authz-config_dump.json',
);

/** Maps 1.1's forms to v3's (differences 2 and 3), leaving everything else as it is. */
function modernize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(modernize);
  if (!v || typeof v !== 'object') return v;
  const o = v as J;
  const md = o['metadata'] as J | undefined;
  if (md && md['filter'] === 'istio_authn' && JSON.stringify(md['path']) === '[{"key":"source.principal"}]') {
    const regex = ((md['value'] as J)['string_match'] as J)['regex'] as string;
    return { authenticated: { principal_name: { safe_regex: { regex } } } };
  }
  const h = o['header'] as J | undefined;
  if (h && typeof h['exact_match'] === 'string') return { header: { name: h['name'], string_match: { exact: h['exact_match'] } } };
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, modernize(x)]));
}

function strip(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === '@type' ? undefined : x))) as unknown;
}

// The dump lives beside the repository (../shared); a checkout without it skips this comparison, as the other istiod-golden tests do.
describe('authz output against istiod’s 1.1 productpage dump (differences listed in this file)', () => {
  if (!fs.existsSync(DUMP)) {
    it.skip(`needs ${DUMP} (../shared beside the checkout)`);
    return;
  }
  const dump = JSON.parse(fs.readFileSync(DUMP, 'utf8')) as { configs: J[] };
  const listener = ((dump.configs[2]!['dynamic_listeners'] as J[])[0]!['active_state'] as J)['listener'] as J;
  const hcm = ((listener['filter_chains'] as J[])[0]!['filters'] as J[])[0]!['config'] as J;
  const filters = hcm['http_filters'] as J[];
  const jwt11 = ((filters[0]!['config'] as J)['rules'] as J[])[0]!;
  const { mesh } = meshFrom(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: service-viewer, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  rules:
  - from: [{source: {namespaces: [istio-system]}}, {source: {namespaces: [default]}}]
    to: [{operation: {methods: [GET]}}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: origin, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  jwtRules:
  - issuer: ${JSON.stringify(jwt11['issuer'])}
    jwks: ${JSON.stringify((jwt11['local_jwks'] as J)['inline_string'])}
    forwardOriginalToken: true
    outputPayloadToHeader: ${JSON.stringify(jwt11['forward_payload_header'])}
`);
  const p = proxy('sidecar~10.52.2.21~productpage-v1-1.default~default.svc.cluster.local', {
    LABELS: { app: 'productpage', version: 'v1' },
  });
  const applied = appliedPolicies(mesh, { namespace: p.namespace, labels: p.labels });

  it('RBAC: the same principals and permissions as istiod 1.1 (name, identity matcher and matcher forms mapped)', () => {
    const rbac11 = ((filters.find((f) => f['name'] === 'envoy.filters.http.rbac')!['config'] as J)['rules'] as J)['policies'] as J;
    const ours = authzFilters(mesh, applied, false).local;
    assert.equal(ours.length, 1);
    const rules = strip(ours[0]!.typed_config) as { rules: { action: string; policies: J } };
    assert.equal(rules.rules.action, 'ALLOW', '1.1 had no action: ALLOW');
    assert.deepEqual(Object.keys(rules.rules.policies), ['ns[default]-policy[service-viewer]-rule[0]']);
    const mine = rules.rules.policies['ns[default]-policy[service-viewer]-rule[0]'] as { principals: unknown[]; permissions: unknown[] };
    const theirs = modernize(rbac11['service-viewer']) as { principals: { and_ids: { ids: unknown[] } }[]; permissions: unknown[] };
    assert.deepEqual(mine.permissions, theirs.permissions);
    // istiod today wraps each value list in an OR (one value here): unwrap to compare with 1.1's bindings.
    const unwrapped = (mine.principals as { and_ids: { ids: { or_ids: { ids: unknown[] } }[] } }[]).map((x) => ({
      and_ids: { ids: x.and_ids.ids.flatMap((i) => i.or_ids.ids) },
    }));
    assert.deepEqual(unwrapped, theirs.principals);
  });

  it('JWT: issuer, keys, forward and payload header as 1.1; the filter sits before RBAC, which sits before the router', () => {
    const f = jwtAuthnFilter(applied.requestAuthentications, undefined)!;
    const cfg = strip(f.typed_config) as { providers: Record<string, J>; rules: unknown[] };
    const prov = cfg.providers['origins-0']!;
    for (const k of ['issuer', 'local_jwks', 'forward', 'forward_payload_header']) assert.deepEqual(prov[k], jwt11[k], k);
    assert.deepEqual(cfg.rules, [
      { match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'origins-0' }, { allow_missing: {} }] } } },
    ]);
    const order11 = filters.map((x) => x['name'] as string);
    assert.ok(
      order11.indexOf('jwt-auth') < order11.indexOf('envoy.filters.http.rbac') &&
        order11.indexOf('envoy.filters.http.rbac') < order11.indexOf('envoy.router'),
    );
  });
});
