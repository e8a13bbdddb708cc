/**
 * resolveProxy: istiod's precedence — registry pod labels over metadata LABELS (the other LABELS
 * kept), metadata LABELS alone without a pod, the locality from the labels and only failing that
 * from the xDS node, an empty node locality changing nothing, parse errors passed through.
 */
import assert from 'node:assert/strict';
import type { MeshConfig } from './config.js';
import type { Pod } from './k8s.js';
import { resolveProxy, workloadLabels, type NodeInfo } from './resolve-proxy.js';

const ID = 'sidecar~10.0.0.1~c-1.default~default.svc.cluster.local';
const pod = (labels: Record<string, string>): Pod =>
  ({ kind: 'Pod', meta: { namespace: 'default', name: 'c-1', labels } }) as unknown as Pod;
const mesh = (p?: Pod): Pick<MeshConfig, 'pods'> => ({ pods: new Map(p ? [['default/c-1', p]] : []) });
const labelsOf = (node: NodeInfo, m = mesh()): Readonly<Record<string, string>> => {
  const r = resolveProxy(node, m);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.proxy.labels;
};

describe('model/resolve-proxy resolveProxy', () => {
  it('pod labels win key by key over metadata LABELS; the other LABELS stay; without a pod, LABELS alone', () => {
    const node = { id: ID, metadata: { LABELS: { app: 'c', version: 'meta', extra: 'x' } } };
    assert.deepEqual(labelsOf(node, mesh(pod({ app: 'c', version: 'pod' }))), { app: 'c', version: 'pod', extra: 'x' });
    assert.deepEqual(labelsOf(node), { app: 'c', version: 'meta', extra: 'x' });
    assert.deepEqual(labelsOf({ id: ID, metadata: {} }, mesh(pod({ app: 'c' }))), { app: 'c' });
  });

  it('the locality comes from the labels; the xDS node locality only when they carry none', () => {
    const loc = { region: 'us-east', zone: 'b', sub_zone: '' };
    assert.deepEqual(labelsOf({ id: ID, metadata: { LABELS: { app: 'c' } }, locality: loc }), {
      app: 'c',
      'topology.kubernetes.io/region': 'us-east',
      'topology.kubernetes.io/zone': 'b',
    });
    const withLabel = { id: ID, metadata: { LABELS: { app: 'c', 'istio-locality': 'eu-west.d' } }, locality: loc };
    assert.deepEqual(labelsOf(withLabel), { app: 'c', 'istio-locality': 'eu-west.d' }, 'istio-locality wins over the node');
    assert.deepEqual(
      labelsOf({ id: ID, metadata: {}, locality: loc }, mesh(pod({ app: 'c', 'topology.kubernetes.io/zone': 'z9' }))),
      { app: 'c', 'topology.kubernetes.io/zone': 'z9' },
      'registry topology labels win over the node',
    );
  });

  it('an empty or absent node locality changes nothing', () => {
    const empties: (Record<string, string> | null | undefined)[] = [{}, { region: '', zone: '', sub_zone: '' }, null, undefined];
    for (const locality of empties) {
      const node = { id: ID, metadata: { LABELS: { app: 'c' } }, ...(locality !== undefined ? { locality } : {}) };
      const r = resolveProxy(node, mesh());
      assert.ok(r.ok);
      assert.deepEqual(r.proxy.labels, { app: 'c' });
    }
  });

  it("a connected proxy follows its Pod's labels as they change: a label removed from the Pod leaves the proxy", () => {
    const node = { id: ID, metadata: { LABELS: { app: 'c', extra: 'x' } }, locality: { region: 'r1', zone: 'z1', sub_zone: '' } };
    const r = resolveProxy(node, mesh(pod({ app: 'c', version: 'v1', canary: 'yes' })));
    assert.ok(r.ok);
    const zone = { 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1' };
    assert.deepEqual(r.proxy.labels, { app: 'c', extra: 'x', version: 'v1', canary: 'yes', ...zone });
    // The Pod is relabelled: canary removed, version changed. The stream's proxy is the one resolved at connect.
    assert.deepEqual(workloadLabels(r.proxy, mesh(pod({ app: 'c', version: 'v2' }))), { app: 'c', extra: 'x', version: 'v2', ...zone });
    // The Pod gone (not yet in the registry again): the node's own labels, with the node's locality.
    assert.deepEqual(workloadLabels(r.proxy, mesh()), { app: 'c', extra: 'x', ...zone });
  });

  it('passes parse errors through', () => {
    const r = resolveProxy({ id: 'nope', metadata: {} }, mesh());
    assert.ok(!r.ok);
    assert.match(r.reason, /4 parts/);
  });
});
