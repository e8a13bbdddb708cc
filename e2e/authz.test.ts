/**
 * @module e2e/authz.test
 * The real binary with AuthorizationPolicy and RequestAuthentication (issue 11), driven by a raw
 * ADS client as the workload's sidecar, with a JWKS server on 127.0.0.1:
 * - a slow JWKS endpoint never holds the first push back: LDS arrives with a key set that signs
 *   nothing, then again with the fetched keys; rotated keys arrive with the next refresh; an
 *   outage keeps the last good keys (nothing is pushed, the failure is logged and counted);
 * - a deny-all AuthorizationPolicy reaches the inbound listener as an RBAC ALLOW with no match;
 * - a policy edited into an invalid one is rejected naming object and field in configz while its
 *   last good version stays in force; a policy that selects nothing is reported in configz.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { configFolder, startTspilot, type Tspilot } from './tspilot.js';
import { rawAds, type DecodedResponse, type RawAds } from './adsclient.js';
import { messageType } from '../proto/registry.js';
import { messageToProto3Json } from '../proto/json.js';

const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const NODE = 'sidecar~10.0.1.1~cart-1.shop~shop.svc.cluster.local';
const MESH = `apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {clusterIP: 10.96.1.1, selector: {app: cart}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: cart-1, namespace: shop, labels: {app: cart}}
spec: {containers: [{name: cart}]}
status: {podIP: 10.0.1.1, phase: Running}
`;
const key = (kid: string): Record<string, unknown> => ({
  kty: 'EC',
  crv: 'P-256',
  kid,
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
});
const policy = (spec: string): string => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: shop}
spec: ${spec}
`;

type J = Record<string, unknown>;
interface Configz {
  rejected: { key: string; field: string; reason: string }[];
  policyNotices: { key: string; reason: string }[];
  configs: { key: string }[];
}

/** The HCM http_filters of virtualInbound's 0.0.0.0_8080 chain in an LDS response. */
function inboundHttpFilters(r: DecodedResponse): J[] {
  const t = messageType('envoy.config.listener.v3.Listener');
  const l = r.resources.map((x) => messageToProto3Json(t, t.decode(x.value)) as J).find((x) => x['name'] === 'virtualInbound');
  const chain = (l?.['filterChains'] as J[] | undefined)?.find((c) => c['name'] === '0.0.0.0_8080');
  const hcm = (chain?.['filters'] as J[] | undefined)?.find((f) => f['name'] === 'envoy.filters.network.http_connection_manager')?.[
    'typedConfig'
  ] as J | undefined;
  return (hcm?.['httpFilters'] as J[] | undefined) ?? [];
}
const kidsOf = (filters: J[]): string[] => {
  const jwt = filters.find((f) => f['name'] === 'envoy.filters.http.jwt_authn')?.['typedConfig'] as J | undefined;
  const p = Object.values((jwt?.['providers'] ?? {}) as Record<string, J>)[0];
  const inline = ((p?.['localJwks'] as J | undefined)?.['inlineString'] as string | undefined) ?? '{"keys":[]}';
  return (JSON.parse(inline) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
};

describe('e2e AuthorizationPolicy / RequestAuthentication with a local JWKS server', function () {
  this.timeout(90_000);
  let folder: Awaited<ReturnType<typeof configFolder>>;
  let pilot: Tspilot | undefined;
  let ads: RawAds | undefined;
  const jwks = { keys: [key('k1')], status: 200, delayMs: 2500, hits: 0 };
  const server = http.createServer((_req, res) => {
    jwks.hits++;
    setTimeout(() => {
      res.writeHead(jwks.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: jwks.keys }));
    }, jwks.delayMs);
  });

  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    folder = await configFolder();
    await folder.write('mesh.yaml', MESH);
    await folder.write(
      'jwt.yaml',
      `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: shop}
spec: {selector: {matchLabels: {app: cart}}, jwtRules: [{issuer: "https://issuer.test", jwksUri: "${uri}"}]}
`,
    );
    await folder.write('policy.yaml', policy('{}'));
    pilot = await startTspilot(folder.dir, ['--jwks-refresh-interval', '1s']);
  });
  after(async () => {
    ads?.close();
    await pilot?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await folder?.cleanup();
  });

  async function nextLds(timeoutMs: number): Promise<J[]> {
    const r = await ads!.next(timeoutMs);
    assert.equal(r.type_url, LDS);
    ads!.send({
      typeUrl: LDS,
      versionInfo: r.version_info,
      responseNonce: r.nonce,
      node: { id: NODE, cluster: '', metadata: {}, userAgentName: 'test', clientFeatures: [], locality: null },
    });
    return inboundHttpFilters(r);
  }

  it('pushes at once with stand-in keys, then the fetched keys, then rotated keys; an outage keeps the last good ones', async () => {
    ads = rawAds(`127.0.0.1:${pilot!.xdsPort}`);
    const t0 = Date.now();
    ads.send({ typeUrl: LDS, node: { id: NODE, cluster: '', metadata: {}, userAgentName: 'test', clientFeatures: [], locality: null } });
    const first = await nextLds(10_000);
    assert.ok(Date.now() - t0 < 2500, 'the first push did not wait for the slow JWKS endpoint');
    assert.deepEqual(
      first.map((f) => f['name']),
      [
        'istio.metadata_exchange',
        'envoy.filters.http.jwt_authn',
        'envoy.filters.http.rbac',
        'envoy.filters.http.grpc_stats',
        'envoy.filters.http.fault',
        'envoy.filters.http.cors',
        'istio.stats',
        'envoy.filters.http.router',
      ],
    );
    assert.deepEqual(kidsOf(first), ['tspilot-jwks-unavailable'], 'tokens are refused until the keys are fetched');
    const rbac = first.find((f) => f['name'] === 'envoy.filters.http.rbac')!['typedConfig'] as J;
    assert.deepEqual(
      Object.keys((rbac['rules'] as J)['policies'] as J),
      ['ns[shop]-policy[deny-all]-rule[0]'],
      'the deny-all policy is in force',
    );
    jwks.delayMs = 0;
    assert.deepEqual(kidsOf(await nextLds(10_000)), ['k1'], 'the fetched keys are pushed when they arrive');
    jwks.keys = [key('k2')];
    assert.deepEqual(kidsOf(await nextLds(10_000)), ['k2'], 'rotated keys are pushed after the next refresh');
    jwks.status = 503;
    const hits = jwks.hits;
    await pilot!.waitForLog((l) => l['uri'] !== undefined && /the last good keys stay in force/.test(l.msg), 10_000);
    await assert.rejects(ads.next(1500), /no response in time/, 'an outage pushes nothing');
    assert.ok(jwks.hits > hits, 'the endpoint is retried');
    const metrics = await fetch(`http://127.0.0.1:${pilot!.monitoringPort}/metrics`).then((r) => r.text());
    assert.match(metrics, /pilot_jwks_resolver_network_fetch_fail_total [1-9]/);
    assert.match(metrics, /pilot_jwks_resolver_network_fetch_success_total [1-9]/);
  });

  it('an invalid edit is rejected naming object and field and the last good version stays; a policy selecting nothing is reported', async () => {
    await folder.write('policy.yaml', policy('{action: CUSTOM, rules: [{}]}'));
    await folder.write('typo.yaml', policy('{selector: {matchLabels: {app: crat}}, rules: [{}]}').replace('name: deny-all', 'name: typo'));
    let c: Configz | undefined;
    for (let i = 0; i < 100; i++) {
      c = (await pilot!.getJson<Configz>('/debug/configz')).body;
      if (
        c.rejected.some((r) => r.key === 'AuthorizationPolicy/shop/deny-all') &&
        c.policyNotices.some((n) => n.key === 'AuthorizationPolicy/shop/typo')
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rej = c!.rejected.find((r) => r.key === 'AuthorizationPolicy/shop/deny-all');
    assert.ok(rej, JSON.stringify(c!.rejected));
    assert.equal(rej.field, 'spec.provider');
    assert.match(rej.reason, /must name a provider/);
    assert.ok(
      c!.configs.some((o) => o.key === 'AuthorizationPolicy/shop/deny-all'),
      'the last good version is still in force',
    );
    assert.match(
      c!.policyNotices.find((n) => n.key === 'AuthorizationPolicy/shop/typo')!.reason,
      /selects no Pod or WorkloadEntry in namespace shop \(app=crat\)/,
    );
    // The notice is logged too, once, under the store's scope.
    const line = await pilot!.waitForLog((l) => l['key'] === 'AuthorizationPolicy/shop/typo', 15_000, 0);
    assert.deepEqual([line.level, line['scope']], ['warn', 'model']);
    assert.match(line.msg, /AuthorizationPolicy shop\/typo is in force but may act on nothing: spec\.selector: selects no Pod/);
    // An edit that keeps the notice: once its snapshot is pushed, still one line.
    const since = pilot!.logs.length;
    await folder.write(
      'typo.yaml',
      policy('{selector: {matchLabels: {app: crat}}, rules: [{}, {}]}').replace('name: deny-all', 'name: typo'),
    );
    await pilot!.waitForLog((l) => Array.isArray(l['kinds']) && (l['kinds'] as string[]).includes('AuthorizationPolicy'), 15_000, since);
    assert.equal(
      pilot!.logs.filter((l) => l['key'] === 'AuthorizationPolicy/shop/typo').length,
      1,
      'not logged again on the next snapshot',
    );
  });
});
