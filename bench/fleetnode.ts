/**
 * @module bench/fleetnode
 * Who the bench's simulated proxies say they are: proxy i is `proxy-<i>` in namespace
 * `ns-<i mod N>`, a sidecar node ID with an IP from `10.<subnet>.x.y`, and LABELS by shape —
 * `deployment`: every proxy the same workload labels, so a namespace's proxies share one class;
 * `pod`: a per-pod label as StatefulSet pods carry (`statefulset.kubernetes.io/pod-name`), so every
 * proxy is its own class; `none`: no LABELS metadata. Shared by the fleet bench, the flat-cost bench
 * and the in-process per-class driver so they measure the same proxies.
 */
import type { Json } from '../proto/struct.js';
import type { WireNode } from '../proto/wire.js';

export type LabelShape = 'deployment' | 'pod' | 'none';

export function fleetNode(i: number, namespaces: number, labels: LabelShape = 'deployment', subnet = 200): WireNode {
  const ns = `ns-${i % namespaces}`;
  const meta: Record<string, Json> = { NAMESPACE: ns };
  if (labels === 'deployment') meta['LABELS'] = { app: 'fleet', version: 'v1' };
  if (labels === 'pod') meta['LABELS'] = { app: 'fleet', version: 'v1', 'statefulset.kubernetes.io/pod-name': `proxy-${i}` };
  return {
    id: `sidecar~10.${subnet}.${(i >> 8) & 255}.${i & 255}~proxy-${i}.${ns}~${ns}.svc.cluster.local`,
    cluster: 'bench',
    metadata: meta,
    userAgentName: 'tspilot-bench',
    clientFeatures: [],
    locality: null,
  };
}
