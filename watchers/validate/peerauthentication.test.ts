/**
 * Tests for watchers/validate/peerauthentication.ts and the store's handling of PeerAuthentication:
 * istiod's validation rules (modes, portLevelMtls only with a selector, ports, selector labels
 * without wildcards), each rejection naming object and field; an invalid edit keeps the last good
 * version in force; a selector that picks no workload is reported in the snapshot's notices.
 */
import assert from 'node:assert/strict';
import { rejected, accepted } from './testkit.js';
import { parseConfigText } from '../file/parse.js';
import { buildMesh } from '../mesh.js';
import { emptyState, reduce } from '../store/reduce.js';
import type { ConfigEvent } from '../../model/config.js';
import { review } from '../../server/http/webhook.js';

const SEC = 'security.istio.io/v1';
const pa = (spec: unknown, name = 'p', apiVersion = SEC): unknown => ({
  apiVersion,
  kind: 'PeerAuthentication',
  metadata: { name, namespace: 'shop' },
  spec,
});

describe("PeerAuthentication validation (istiod's rules)", () => {
  it('accepts the documented shapes in v1 and v1beta1', () => {
    accepted(pa({ mtls: { mode: 'STRICT' } }));
    accepted(pa({}, 'empty', 'security.istio.io/v1beta1'));
    accepted(
      pa({
        selector: { matchLabels: { app: 'cart' } },
        mtls: { mode: 'PERMISSIVE' },
        portLevelMtls: { 8080: { mode: 'DISABLE' }, 9090: {} },
      }),
    );
    const o = accepted(pa({ selector: { matchLabels: { app: 'cart' } }, portLevelMtls: { '8080': { mode: 'STRICT' } } })) as {
      spec: unknown;
    };
    assert.deepEqual(o.spec, { selector: { matchLabels: { app: 'cart' } }, portLevelMtls: { 8080: { mode: 'STRICT' } } });
  });
  it('rejects an unknown mode, naming the field', () => {
    const r = rejected(pa({ mtls: { mode: 'MUTUAL' } }, 'bad'));
    assert.equal(r.key, 'PeerAuthentication/shop/bad');
    assert.equal(r.field, 'spec.mtls.mode');
    assert.match(r.reason, /"MUTUAL" is not one of UNSET, DISABLE, PERMISSIVE, STRICT/);
    assert.equal(
      rejected(pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 80: { mode: 'strict' } } })).field,
      'spec.portLevelMtls.80.mode',
    );
  });
  it('rejects portLevelMtls without a selector (mesh/namespace policies)', () => {
    const r = rejected(pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } }));
    assert.equal(r.field, 'spec.portLevelMtls');
    assert.match(r.reason, /cannot have port level mTLS/);
  });
  it('rejects an empty portLevelMtls, port 0 or out of range, and non-numeric keys', () => {
    assert.match(rejected(pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: {} })).reason, /at least one element/);
    assert.equal(
      rejected(pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 0: { mode: 'STRICT' } } })).field,
      'spec.portLevelMtls.0',
    );
    assert.equal(
      rejected(pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 70000: { mode: 'STRICT' } } })).field,
      'spec.portLevelMtls.70000',
    );
    assert.equal(
      rejected(pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { http: { mode: 'STRICT' } } })).field,
      'spec.portLevelMtls.http',
    );
  });
  it('rejects wildcards and malformed labels in the selector', () => {
    assert.match(rejected(pa({ selector: { matchLabels: { app: 'ca*' } } })).reason, /wildcard is not supported/);
    assert.equal(rejected(pa({ selector: { matchLabels: { '-bad': 'x' } } })).field, 'spec.selector.matchLabels.-bad');
    assert.equal(rejected(pa({ selector: { matchLabels: { app: 'has space' } } })).field, 'spec.selector.matchLabels.app');
  });
  it('the admission webhook refuses a bad policy naming object and field, and admits a good one', () => {
    const admission = (object: unknown) => ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'u1', operation: 'CREATE', namespace: 'shop', object },
    });
    const denied = review(admission(pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } }, 'wide')));
    assert.equal(denied.response.allowed, false);
    assert.match(
      denied.response.status!.message,
      /^PeerAuthentication shop\/wide: spec\.portLevelMtls: mesh\/namespace peer authentication cannot have port level mTLS/,
    );
    assert.equal(review(admission(pa({ mtls: { mode: 'STRICT' } }))).response.allowed, true);
  });
  it('rejects unknown fields (a typo would otherwise do nothing)', () => {
    assert.equal(rejected(pa({ mtl: { mode: 'STRICT' } })).field, 'spec.mtl');
    assert.equal(rejected(pa({ selector: { labels: { app: 'a' } } })).field, 'spec.selector.labels');
  });
});

describe('PeerAuthentication in the store', () => {
  const file = (text: string): ConfigEvent => {
    const r = parseConfigText(text, 'pa.yaml', 'shop');
    if (!r.ok) throw new Error(r.reason);
    return {
      type: 'replace',
      origin: { source: 'pa.yaml' },
      objects: r.file.objects,
      rejections: r.file.rejections,
      ignored: r.file.ignored,
    };
  };
  const doc = (mode: string, extra = ''): string =>
    `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: strict, namespace: shop}\nspec:\n  mtls: {mode: ${mode}}\n${extra}`;

  it('an invalid edit is rejected with name and field, and the last good version stays in force', () => {
    const st = emptyState();
    reduce(st, file(doc('STRICT')));
    assert.equal(buildMesh(st).mesh.peerAuthentications[0]?.spec.mtls?.mode, 'STRICT');
    reduce(st, file(doc('STRIKT')));
    const { mesh } = buildMesh(st);
    assert.equal(mesh.peerAuthentications.length, 1);
    assert.equal(mesh.peerAuthentications[0]?.spec.mtls?.mode, 'STRICT', 'the last good version stays');
    assert.deepEqual(
      mesh.rejected.map((r) => `${r.key} ${r.field}`),
      ['PeerAuthentication/shop/strict spec.mtls.mode'],
    );
  });
  it('a selector that picks no workload is reported, and one that does is not', () => {
    const st = emptyState();
    reduce(
      st,
      file(
        [
          'apiVersion: v1\nkind: Pod\nmetadata: {name: cart-1, namespace: shop, labels: {app: cart}}\nspec: {containers: [{name: c}]}\nstatus: {podIP: 10.0.0.1}',
          'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: cart, namespace: shop}\nspec: {selector: {matchLabels: {app: cart}}, mtls: {mode: STRICT}}',
          'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: typo, namespace: shop}\nspec: {selector: {matchLabels: {app: kart}}, mtls: {mode: STRICT}}',
          'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: rootsel, namespace: istio-system}\nspec: {selector: {matchLabels: {app: cart}}, mtls: {mode: STRICT}}',
        ].join('\n---\n'),
      ),
    );
    const { mesh } = buildMesh(st);
    assert.equal(mesh.peerAuthentications.length, 3);
    assert.deepEqual(
      mesh.policyNotices.map((n) => n.key),
      ['PeerAuthentication/istio-system/rootsel', 'PeerAuthentication/shop/typo'],
    );
    assert.match(mesh.policyNotices[1]!.reason, /selects no Pod or WorkloadEntry in namespace shop \(app=kart\)/);
    assert.match(mesh.policyNotices[0]!.reason, /root namespace/);
  });
});
