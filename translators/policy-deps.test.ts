/**
 * translators/policy-deps: what a read of a workload's policies records, and what a policy edit
 * invalidates — a selector-scoped edit touches the workloads carrying its labels in its
 * namespace, a namespace-wide one its namespace, a root-namespace one every workload, a
 * content-only edit only the workloads it applies to, and a PeerAuthentication the auto mTLS of
 * exactly the namespaces whose answer changed.
 */
import { strict as assert } from 'node:assert';
import type { MeshConfig } from '../model/config.js';
import { record, touchedBy, type Deps } from './deps.js';
import { meshFrom, proxy } from './harness.test.js';
import { buildScope } from './scope.js';
import { policyDeps } from './policy-deps.js';

const ap = (ns: string, name: string, spec: string): string =>
  `---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n`;
const pa = (ns: string, name: string, spec: string): string =>
  `---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n`;

const WEB = proxy('sidecar~10.1.0.1~web-1.shop~shop.svc.cluster.local', { LABELS: { app: 'web' } });
const DB = proxy('sidecar~10.1.0.2~db-1.shop~shop.svc.cluster.local', { LABELS: { app: 'db' } });
const OTHER = proxy('sidecar~10.1.0.3~x-1.other~other.svc.cluster.local', { LABELS: { app: 'web' } });

/** What a translation of each workload that reads its policies and its PeerAuthentication records. */
function reads(mesh: MeshConfig): Deps[] {
  return [WEB, DB, OTHER].map(
    (p) =>
      record(buildScope(mesh, p), (s) => {
        s.policies();
        s.peerAuth();
      }).deps,
  );
}

/** Which of web, db, other an edit from `before` to `after` of `kind` shop-or-root/`name` reaches. */
function reached(before: string, after: string, kind: string, key: string): boolean[] {
  const [prev, next] = [meshFrom(before).mesh, meshFrom(after).mesh];
  const [ns, name] = key.split('/') as [string, string];
  const out = new Set<string>();
  policyDeps(prev, next, kind, ns, name, out);
  const hit = touchedBy(out);
  // What the workloads read in either mesh (a resource carried over read the previous one).
  const [r0, r1] = [reads(prev), reads(next)];
  return r0.map((d, i) => hit(d) || hit(r1[i]!));
}

describe('translators/policy-deps', () => {
  it('a read records the policies that apply and what selects the workload (namespace, each label)', () => {
    const { mesh } = meshFrom(
      ap('shop', 'web-only', '{selector: {matchLabels: {app: web}}, action: DENY}') + pa('shop', 'ns', '{mtls: {mode: STRICT}}'),
    );
    const [web, db] = reads(mesh);
    assert.deepEqual([...web!].sort(), [
      'authz:shop/web-only',
      'peerauth:shop/ns',
      'sidecar:shop',
      'svcnosc:shop',
      'wllbl:shop/app=web',
      'wlns:shop',
    ]);
    assert.ok(!db!.has('authz:shop/web-only') && db!.has('peerauth:shop/ns'));
  });

  it('an AuthorizationPolicy edit reaches what it selects: by label, by namespace, from the root namespace; its content where it applies', () => {
    const sel = (app: string): string => ap('shop', 'p', `{selector: {matchLabels: {app: ${app}}}, action: DENY}`);
    assert.deepEqual(reached('', sel('web'), 'AuthorizationPolicy', 'shop/p'), [true, false, false], 'a new selector-scoped policy');
    assert.deepEqual(reached(sel('web'), sel('db'), 'AuthorizationPolicy', 'shop/p'), [true, true, false], 'its selector moved');
    const content = (action: string): string => ap('shop', 'p', `{selector: {matchLabels: {app: web}}, action: ${action}}`);
    assert.deepEqual(reached(content('DENY'), content('AUDIT'), 'AuthorizationPolicy', 'shop/p'), [true, false, false], 'its action');
    assert.deepEqual(
      reached('', ap('shop', 'p', '{action: DENY}'), 'AuthorizationPolicy', 'shop/p'),
      [true, true, false],
      'namespace-wide',
    );
    const root = ap('istio-system', 'p', '{action: DENY}');
    assert.deepEqual(reached('', root, 'AuthorizationPolicy', 'istio-system/p'), [true, true, true], 'the root namespace');
  });

  it('a PeerAuthentication edit reaches the workloads it selects and, through auto mTLS, only namespaces whose answer changed', () => {
    const wl = (mode: string): string => pa('shop', 'web', `{selector: {matchLabels: {app: web}}, mtls: {mode: ${mode}}}`);
    assert.deepEqual(reached(wl('STRICT'), wl('DISABLE'), 'PeerAuthentication', 'shop/web'), [true, false, false]);
    const deps = (before: string, after: string, key: string): string[] => {
      const out = new Set<string>();
      const [ns, name] = key.split('/') as [string, string];
      policyDeps(meshFrom(before).mesh, meshFrom(after).mesh, 'PeerAuthentication', ns, name, out);
      return [...out].filter((d) => d.startsWith('automtls')).sort();
    };
    assert.deepEqual(deps(wl('STRICT'), wl('DISABLE'), 'shop/web'), [], 'a workload policy: auto mTLS reads namespace and mesh only');
    const ns = (mode: string): string => pa('shop', 'default', `{mtls: {mode: ${mode}}}`);
    assert.deepEqual(deps(ns('STRICT'), ns('PERMISSIVE'), 'shop/default'), [], 'not DISABLE before or after');
    assert.deepEqual(deps(ns('STRICT'), ns('DISABLE'), 'shop/default'), ['automtls:shop']);
    const mesh = (mode: string): string => pa('istio-system', 'default', `{mtls: {mode: ${mode}}}`);
    assert.deepEqual(deps(ns('STRICT') + mesh('STRICT'), ns('STRICT') + mesh('DISABLE'), 'istio-system/default'), ['automtlsmesh:mesh']);
  });
});
