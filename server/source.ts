/**
 * @module server/source
 * Chooses where the config comes from: the folder (`--config-dir`, the default), or the
 * Kubernetes API (`--kubeconfig PATH`, or the pod's service-account credentials when running in
 * a cluster). Returns the ConfigEvent stream and the mesh-building options that go with it: in
 * Kubernetes mode the endpoints controller writes EndpointSlices, so tspilot never derives
 * endpoints from Pods itself.
 */
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Observable } from 'rxjs';
import type { ConfigEvent } from '../model/config.js';
import type { MeshSettings } from '../model/meshconfig.js';
import { fileSource } from '../watchers/file/source.js';
import { parseMeshConfigText } from '../watchers/validate/meshconfig.js';
import { DEFAULT_MESH_OPTIONS, type MeshOptions } from '../watchers/mesh.js';
import { DEFAULT_MESH_CONFIGMAP } from './defaults.js';
import { epochMs, logger } from './log.js';

export interface KubeModeOptions {
  /** A kubeconfig file; undefined = in-cluster service-account credentials. */
  readonly kubeconfig?: string;
  readonly istioNamespace: string;
  /** How often discovery is polled for a resource that is not served (a CRD not installed yet). */
  readonly discoveryPollMs?: number;
}

export interface SourceChoice {
  readonly events$: Observable<ConfigEvent>;
  readonly mesh: MeshOptions;
  /** For the 'listening' log line. */
  readonly describe: Record<string, string>;
  /** Kubernetes mode: the credentials, also used for TokenReview. */
  readonly kubeConfig?: KubeConfig;
}

export async function chooseSource(
  o: { configDir: string; pollMs: number; maxFileBytes?: number; kube?: KubeModeOptions; gatewayClassName?: string },
  onWatchStat?: (what: 'relist' | 'reconnect', resource: string) => void,
): Promise<SourceChoice> {
  if (!o.kube) {
    const dir = path.resolve(o.configDir);
    return {
      events$: fileSource({
        dir,
        pollMs: o.pollMs,
        ...(o.maxFileBytes ? { maxFileBytes: o.maxFileBytes } : {}),
        onNote: (file, note) => logger('source').debug({ file }, note),
        // A change's way through the folder source, with times on a clock other processes share (bench/eds-timeline.ts).
        onStep: (step, detail) => {
          const log = logger('source');
          if (log.isLevelEnabled('debug')) log.debug({ step, ...detail, at: epochMs() }, `folder source: ${step}`);
        },
      }),
      mesh: o.gatewayClassName ? { ...DEFAULT_MESH_OPTIONS, gatewayClassName: o.gatewayClassName } : DEFAULT_MESH_OPTIONS,
      describe: { configDir: dir },
    };
  }
  // Kubernetes mode only: client-node and the informers load here, so file mode never pays for them
  // (~1 s of startup CPU and ~15 MB of heap).
  const [{ KubeConfig }, { kubeSource }] = await Promise.all([import('@kubernetes/client-node'), import('../watchers/kube/source.js')]);
  const kc = new KubeConfig();
  if (o.kube.kubeconfig) kc.loadFromFile(o.kube.kubeconfig);
  else kc.loadFromCluster();
  const log = logger('kube');
  // Mesh-wide settings from the istio ConfigMap's `mesh` key, read by the mesh builder on every
  // snapshot (the source triggers one when the ConfigMap changes). discoverySelectors are applied by the source.
  let settings: MeshSettings | undefined;
  const mesh: MeshOptions = {
    ...DEFAULT_MESH_OPTIONS,
    endpointsFromPods: false,
    holdEndpointsWithoutPod: true,
    ...(o.gatewayClassName ? { gatewayClassName: o.gatewayClassName } : {}),
    get settings() {
      return settings;
    },
  };
  const events$ = kubeSource({
    kubeConfig: kc,
    istioNamespace: o.kube.istioNamespace,
    meshConfigMap: DEFAULT_MESH_CONFIGMAP,
    log,
    discoveryPollMs: o.kube.discoveryPollMs,
    ...(onWatchStat ? { onWatchStat } : {}),
    onMeshConfig: (text) => {
      if (text === null) {
        settings = undefined;
        return;
      }
      const r = parseMeshConfigText(text);
      for (const p of r.problems)
        log.error(
          { field: p.field, reason: p.reason },
          `ConfigMap ${o.kube!.istioNamespace}/${DEFAULT_MESH_CONFIGMAP}: mesh: ${p.field}: ${p.reason}; istiod's default is used for it`,
        );
      settings = r.settings;
    },
  });
  return {
    events$,
    mesh,
    kubeConfig: kc,
    describe: { kubernetes: kc.getCurrentCluster()?.server ?? '', credentials: o.kube.kubeconfig ?? 'in-cluster' },
  };
}

/**
 * The CLI's source rule: `--config-dir` or `--kubeconfig` (not both); with neither, in-cluster
 * credentials when KUBERNETES_SERVICE_HOST is set (running in a pod); otherwise an error.
 */
export function sourceFromFlags(
  o: { configDir?: string; kubeconfig?: string; istioNamespace: string; crdPollInterval?: number },
  env: NodeJS.ProcessEnv,
): { configDir: string; kube?: KubeModeOptions } {
  if (o.configDir && o.kubeconfig) throw new Error('give either --config-dir or --kubeconfig, not both');
  if (o.configDir) return { configDir: o.configDir };
  const kube = { istioNamespace: o.istioNamespace, discoveryPollMs: o.crdPollInterval };
  if (o.kubeconfig) return { configDir: '', kube: { ...kube, kubeconfig: o.kubeconfig } };
  if (env['KUBERNETES_SERVICE_HOST']) return { configDir: '', kube };
  throw new Error(
    'no config source: give --config-dir DIR (a folder of YAML) or --kubeconfig PATH (or run in a pod, which uses its service account)',
  );
}
