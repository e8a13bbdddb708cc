/**
 * Tests for model/peerauth.ts: the effective mTLS mode of a workload port, composed as istiod
 * composes PeerAuthentications — mesh (root namespace) → namespace → workload selector →
 * portLevelMtls, UNSET inheriting at every level, PERMISSIVE when nothing is set, selectors in
 * the root namespace ignored, and the first policy by name winning a level.
 */
import assert from 'node:assert/strict';
import { effectiveMtls, effectiveMtlsMode, mtlsKey, type MtlsMode, type PeerAuthentication } from './peerauth.js';

function pa(
  ns: string,
  name: string,
  mode?: MtlsMode,
  selector?: Record<string, string>,
  ports?: Record<number, MtlsMode>,
): PeerAuthentication {
  return {
    kind: 'PeerAuthentication',
    meta: { name, namespace: ns, labels: {}, annotations: {}, generation: 0, resourceVersion: '' },
    spec: {
      ...(selector ? { selector: { matchLabels: selector } } : {}),
      ...(mode ? { mtls: { mode } } : {}),
      ...(ports ? { portLevelMtls: Object.fromEntries(Object.entries(ports).map(([p, m]) => [p, { mode: m }])) } : {}),
    },
  };
}

const ROOT = 'istio-system';
const mode = (pols: PeerAuthentication[], ns: string, labels: Record<string, string>, port: number): string =>
  effectiveMtlsMode(pols, ROOT, ns, labels, port);

describe('model/peerauth: effective mTLS mode', () => {
  it("is PERMISSIVE when no policy exists (istiod's default)", () => {
    assert.equal(mode([], 'shop', { app: 'cart' }, 8080), 'PERMISSIVE');
  });
  it('a mesh-wide policy in the root namespace applies to every namespace', () => {
    const pols = [pa(ROOT, 'default', 'STRICT')];
    assert.equal(mode(pols, 'shop', { app: 'cart' }, 8080), 'STRICT');
    assert.equal(mode(pols, 'other', {}, 80), 'STRICT');
  });
  it('a namespace policy overrides the mesh one, only in its namespace', () => {
    const pols = [pa(ROOT, 'default', 'STRICT'), pa('shop', 'ns', 'DISABLE')];
    assert.equal(mode(pols, 'shop', { app: 'cart' }, 8080), 'DISABLE');
    assert.equal(mode(pols, 'other', { app: 'cart' }, 8080), 'STRICT');
  });
  it('a workload policy overrides the namespace one for the workloads it selects', () => {
    const pols = [pa('shop', 'ns', 'STRICT'), pa('shop', 'cart', 'PERMISSIVE', { app: 'cart' })];
    assert.equal(mode(pols, 'shop', { app: 'cart', version: 'v1' }, 8080), 'PERMISSIVE');
    assert.equal(mode(pols, 'shop', { app: 'web' }, 8080), 'STRICT');
  });
  it('UNSET inherits from the level above at every level', () => {
    const pols = [
      pa(ROOT, 'default', 'DISABLE'),
      pa('shop', 'ns', 'UNSET'),
      pa('shop', 'cart', 'UNSET', { app: 'cart' }, { 9000: 'UNSET', 9001: 'STRICT' }),
    ];
    assert.equal(mode(pols, 'shop', { app: 'cart' }, 8080), 'DISABLE');
    assert.equal(mode(pols, 'shop', { app: 'cart' }, 9000), 'DISABLE', "an UNSET port inherits the workload's mode");
    assert.equal(mode(pols, 'shop', { app: 'cart' }, 9001), 'STRICT');
  });
  it('portLevelMtls overrides the workload mode for its port only', () => {
    const pols = [pa('shop', 'cart', 'STRICT', { app: 'cart' }, { 8081: 'DISABLE' })];
    assert.equal(mode(pols, 'shop', { app: 'cart' }, 8080), 'STRICT');
    assert.equal(mode(pols, 'shop', { app: 'cart' }, 8081), 'DISABLE');
    assert.equal(mtlsKey(effectiveMtls(pols, ROOT, 'shop', { app: 'cart' })), 'STRICT,8081=DISABLE');
  });
  it("a selector in the root namespace is ignored (istiod: workload policies live in the workload's namespace)", () => {
    const pols = [pa(ROOT, 'sel', 'STRICT', { app: 'cart' })];
    assert.equal(mode(pols, 'shop', { app: 'cart' }, 8080), 'PERMISSIVE');
  });
  it('a policy in another namespace selecting the same labels does not apply', () => {
    assert.equal(mode([pa('other', 'cart', 'STRICT', { app: 'cart' })], 'shop', { app: 'cart' }, 8080), 'PERMISSIVE');
  });
  it('several policies at one level: the first by name wins, whatever the input order', () => {
    const a = pa('shop', 'a', 'DISABLE');
    const b = pa('shop', 'b', 'STRICT');
    assert.equal(mode([b, a], 'shop', {}, 80), 'DISABLE');
    assert.equal(mode([a, b], 'shop', {}, 80), 'DISABLE');
    const wa = pa('shop', 'w-a', 'STRICT', { app: 'cart' });
    const wb = pa('shop', 'w-b', 'DISABLE', { version: 'v1' });
    const eff = effectiveMtls([wb, wa], ROOT, 'shop', { app: 'cart', version: 'v1' });
    assert.equal(eff.mode, 'STRICT');
    assert.equal(eff.levels.workload?.meta.name, 'w-a');
  });
  it('reports the policy of each level (for explain)', () => {
    const eff = effectiveMtls(
      [pa(ROOT, 'm', 'STRICT'), pa('shop', 'n', 'PERMISSIVE'), pa('shop', 'w', undefined, { app: 'cart' })],
      ROOT,
      'shop',
      { app: 'cart' },
    );
    assert.deepEqual([eff.levels.mesh?.meta.name, eff.levels.namespace?.meta.name, eff.levels.workload?.meta.name], ['m', 'n', 'w']);
    assert.equal(eff.mode, 'PERMISSIVE', 'a workload policy without mtls inherits');
  });
});
