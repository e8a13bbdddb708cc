/**
 * @module translators/names
 * istiod's resource names (../shared/reference/istio-conventions.md), in one place so every
 * generator, the debug views and the CLI agree on them.
 */

export type Direction = 'outbound' | 'inbound';

/** `outbound|9080|v1|reviews.default.svc.cluster.local` (model.BuildSubsetKey). */
export function clusterName(direction: Direction, port: number, subset: string, host: string): string {
  return `${direction}|${port}|${subset}|${host}`;
}

/** Parses a cluster name back into its parts, or null for fixed names like `BlackHoleCluster`. */
export function parseClusterName(name: string): { direction: Direction; port: number; subset: string; host: string } | null {
  const p = name.split('|');
  if (p.length !== 4 || (p[0] !== 'outbound' && p[0] !== 'inbound')) return null;
  const port = Number(p[1]);
  if (!Number.isInteger(port)) return null;
  return { direction: p[0], port, subset: p[2] as string, host: p[3] as string };
}

export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

/** Sidecar outbound HTTP listener per port. */
export const outboundListenerName = (port: number): string => `0.0.0.0_${port}`;
/** Sidecar outbound route configuration per port. */
export const outboundRouteName = (port: number): string => `${port}`;
/** Virtual host name `host:port`. */
export const vhostName = (host: string, port: number): string => `${host}:${port}`;

/** Provenance path istiod puts in `metadata.filter_metadata.istio.config`. */
export function configPath(kind: 'VirtualService' | 'DestinationRule' | 'Service', namespace: string, name: string): string {
  if (kind === 'Service') return `/apis/v1/namespaces/${namespace}/service/${name}`;
  const res = kind === 'VirtualService' ? 'virtual-service' : 'destination-rule';
  return `/apis/networking.istio.io/v1/namespaces/${namespace}/${res}/${name}`;
}
