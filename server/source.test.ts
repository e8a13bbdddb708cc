/**
 * The CLI's choice of config source: the folder when --config-dir is given, the Kubernetes API
 * with --kubeconfig, the pod's own service account when running in a cluster with neither, and a
 * clear error for both or neither.
 */
import assert from 'node:assert/strict';
import { sourceFromFlags } from './source.js';

describe('server/source: which config source `tspilot serve` reads', () => {
  const ns = { istioNamespace: 'istio-system' };
  it('--config-dir wins as the folder source, even inside a pod', () => {
    assert.deepEqual(sourceFromFlags({ ...ns, configDir: 'examples/bookinfo' }, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }), {
      configDir: 'examples/bookinfo',
    });
  });
  it('--kubeconfig selects Kubernetes mode with that file', () => {
    assert.deepEqual(sourceFromFlags({ ...ns, kubeconfig: '/k', crdPollInterval: 5000 }, {}), {
      configDir: '',
      kube: { istioNamespace: 'istio-system', discoveryPollMs: 5000, kubeconfig: '/k' },
    });
  });
  it('in a pod with neither flag: in-cluster credentials', () => {
    const r = sourceFromFlags(ns, { KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    assert.equal(r.kube?.kubeconfig, undefined);
    assert.equal(r.kube?.istioNamespace, 'istio-system');
  });
  it('both, or neither outside a pod, is an error that says what to give', () => {
    assert.throws(() => sourceFromFlags({ ...ns, configDir: 'd', kubeconfig: 'k' }, {}), /either --config-dir or --kubeconfig, not both/);
    assert.throws(() => sourceFromFlags(ns, {}), /give --config-dir DIR .* or --kubeconfig PATH/);
  });
});
