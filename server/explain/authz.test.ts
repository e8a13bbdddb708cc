/**
 * @module server/explain/authz.test
 * explain on a sidecar's `virtualInbound` names the AuthorizationPolicy rules behind each RBAC
 * filter (with the action, dry-run and CUSTOM marked) and the RequestAuthentication behind each
 * jwt_authn issuer — the policies that apply to that proxy, from what it was actually given.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { meshFrom, proxy } from '../../translators/harness.test.js';
import { fileURLToPath } from 'node:url';
import { readMeshConfig } from '../../watchers/validate/meshconfig.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { explain } from './explain.js';

const TESTDATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../translators/testdata');

describe('explain: security policies of a proxy', () => {
  it('lists the AuthorizationPolicy rules and RequestAuthentications behind virtualInbound', () => {
    const text = fs.readFileSync(path.join(TESTDATA, 'authz-sidecar.in.yaml'), 'utf8');
    const settings = readMeshConfig({
      extensionProviders: [{ name: 'opa', envoyExtAuthzGrpc: { service: 'opa.shop.svc.cluster.local', port: 9191 } }],
    }).settings;
    const { mesh } = meshFrom(text, settings);
    const v1 = proxy('sidecar~10.0.1.1~cart-v1-1.shop~shop.svc.cluster.local');
    const [ex] = explain(mesh, new SnapshotCache(mesh).forProxy(v1), 'virtualInbound', 'lds');
    assert.ok(ex);
    const lines = ex.lines.join('\n');
    assert.match(lines, /chain 0\.0\.0\.0_8080: AuthorizationPolicy shop\/allow-frontend spec\.rules\[0\] → HTTP RBAC ALLOW/);
    assert.match(lines, /chain 0\.0\.0\.0_8080: AuthorizationPolicy shop\/deny-admin-v1 spec\.rules\[0\] → HTTP RBAC DENY/);
    assert.match(lines, /chain 0\.0\.0\.0_8080: AuthorizationPolicy istio-system\/deny-blocklist spec\.rules\[0\] → HTTP RBAC DENY/);
    assert.match(lines, /AuthorizationPolicy shop\/dry-run-deny spec\.rules\[0\] → HTTP RBAC DENY \(dry run \/ shadow\)/);
    assert.match(lines, /AuthorizationPolicy shop\/opa-checkout spec\.rules\[0\] → HTTP RBAC CUSTOM: sends matching requests to ext_authz/);
    assert.match(lines, /jwt_authn provider origins-0 for issuer https:\/\/accounts\.example\.org from RequestAuthentication shop\/jwt/);
    assert.match(lines, /chain 0\.0\.0\.0_9000: AuthorizationPolicy shop\/allow-frontend spec\.rules\[1\] → network RBAC ALLOW/);
    assert.ok(!/allow-frontend spec\.rules\[0\] → network RBAC/.test(lines), 'the rule dropped on TCP is not claimed there');
    assert.deepEqual(
      ex.configs.filter((c) => c.kind !== 'Service').map((c) => `${c.kind} ${c.namespace}/${c.name}`),
      [
        'AuthorizationPolicy istio-system/deny-blocklist',
        'AuthorizationPolicy shop/allow-frontend',
        'AuthorizationPolicy shop/audit-writes',
        'AuthorizationPolicy shop/deny-admin-v1',
        'AuthorizationPolicy shop/dry-run-deny',
        'AuthorizationPolicy shop/opa-checkout',
        'RequestAuthentication shop/jwt',
      ],
    );
    const v2 = proxy('sidecar~10.0.1.2~cart-v2-1.shop~shop.svc.cluster.local');
    const [ex2] = explain(mesh, new SnapshotCache(mesh).forProxy(v2), 'virtualInbound', 'lds');
    assert.ok(!ex2!.lines.some((l) => l.includes('deny-admin-v1')), 'a policy selecting only v1 is not shown for v2');
  });
});
