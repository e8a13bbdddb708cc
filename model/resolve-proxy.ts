/**
 * @module model/resolve-proxy
 * `resolveProxy(node, mesh)`: which proxy a node is — the one answer every entry point uses (ADS
 * over gRPC, REST-JSON xDS, the v1 API, the CLI, dry runs), so the same node gets the same Proxy,
 * and so the same config, however it asks. As istiod (pilot/pkg/model/context.go
 * ParseServiceNodeWithMetadata, SetWorkloadLabels; xds/ads.go setTopologyLabels):
 * 1. the node ID and metadata are parsed (model/proxy.ts parseNodeId);
 * 2. labels: the registry's pod (`namespace/workloadName`) wins key by key over the node's
 *    metadata LABELS, whose other keys are kept; without a pod (VMs, workloads outside the
 *    registry) the metadata LABELS alone;
 * 3. locality: from those labels (`istio-locality`, else the topology labels); only when they carry
 *    none, the xDS node's `locality` — written into the topology labels (istiod's AugmentLabels).
 * Pure.
 */
import type { MeshConfig } from './config.js';
import { isEmptyLocality, localityLabels, proxyLocality } from './locality.js';
import { parseNodeId, type NodeIdResult, type Proxy } from './proxy.js';

/** What a client says about itself: its node ID and metadata, and (xDS nodes) its locality. */
export interface NodeInfo {
  readonly id: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The xDS node's `locality` (`region`, `zone`, `sub_zone`); absent for clients that cannot send one. */
  readonly locality?: Readonly<Record<string, string>> | null;
}

/**
 * The workload's labels (step 2): the registry pod's — as the mesh has it now — over the proxy's own
 * (metadata LABELS, plus the locality labels resolveProxy added). Reads `nodeLabels` when
 * resolveProxy set it, so a label later removed from the Pod leaves the proxy too (istiod replaces
 * a proxy's labels when its pod changes); idempotent either way.
 */
export function workloadLabels(proxy: Proxy, mesh: Pick<MeshConfig, 'pods'>): Readonly<Record<string, string>> {
  const own = proxy.nodeLabels ?? proxy.labels;
  const pod = mesh.pods.get(`${proxy.namespace}/${proxy.workloadName}`);
  return pod ? { ...own, ...pod.meta.labels } : own;
}

export function resolveProxy(node: NodeInfo, mesh: Pick<MeshConfig, 'pods'>): NodeIdResult {
  const parsed = parseNodeId(node.id, node.metadata);
  if (!parsed.ok) return parsed;
  const p = parsed.proxy;
  let own = p.labels;
  let labels = workloadLabels(p, mesh);
  if (isEmptyLocality(proxyLocality(labels))) {
    const add = localityLabels({
      region: node.locality?.['region'] ?? '',
      zone: node.locality?.['zone'] ?? '',
      subzone: node.locality?.['sub_zone'] ?? '',
    });
    if (Object.keys(add).length) {
      labels = { ...labels, ...add };
      own = { ...own, ...add };
    }
  }
  return labels === p.labels ? parsed : { ok: true, proxy: { ...p, labels, nodeLabels: own } };
}
