/**
 * The CLI's choice of config source: the folder when --config-dir is given, the Kubernetes API
 * with --kubeconfig, the pod's own service account when running in a cluster with neither, and a
 * clear error for both or neither.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceFromFlags } from './source.js';

/**
 * The modules `file` loads when imported, following static imports only (dynamic `import()` is
 * what Kubernetes mode uses to load client-node on demand). Reads the compiled JavaScript, where
 * type-only imports are gone.
 */
function staticClosure(file: string): Set<string> {
  const seen = new Set<string>();
  const walk = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    if (!f.startsWith('/')) return; // a package: its own imports don't matter here
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
      const spec = (m[1] ?? m[2])!;
      walk(
        spec.startsWith('.')
          ? path.resolve(path.dirname(f), spec)
          : spec
              .split('/')
              .slice(0, spec.startsWith('@') ? 2 : 1)
              .join('/'),
      );
    }
  };
  walk(file);
  return seen;
}

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
  it('file mode never loads @kubernetes/client-node: serving a folder imports no Kubernetes client (startup ~1 s and ~15 MB lighter)', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const serve = staticClosure(path.join(here, 'serve.js'));
    assert.ok(serve.has(path.join(here, 'source.js')) && serve.has(path.join(here, 'ca', 'start.js')), 'the walk follows serve.js');
    assert.ok(serve.has('@grpc/grpc-js'), 'the walk sees packages');
    assert.ok(!serve.has('@kubernetes/client-node'), 'client-node is reachable from serve.js by static imports');
    // Kubernetes mode still has it, loaded on demand.
    assert.ok(staticClosure(path.join(here, '..', 'watchers', 'kube', 'source.js')).has('@kubernetes/client-node'));
  });
});
