/**
 * @module translators/names
 * istiod's resource names (../shared/reference/istio-conventions.md), in one place so every
 * generator, the debug views and the CLI agree on them.
 */

import type { ClusterKey, Direction } from '../model/cluster-key.js';

export type { ClusterKey, Direction } from '../model/cluster-key.js';

export function clusterKey(direction: Direction, port: number, subset: string, host: string): ClusterKey {
  return { direction, port, subset, host };
}

/** `outbound|9080|v1|reviews.default.svc.cluster.local`, `inbound|9080||`. */
export function clusterKeyName(k: ClusterKey): string {
  return `${k.direction}|${k.port}|${k.subset}|${k.host}`;
}

export function clusterName(direction: Direction, port: number, subset: string, host: string): string {
  return clusterKeyName(clusterKey(direction, port, subset, host));
}

/**
 * Reads a cluster name that comes from OUTSIDE the translators — a client's request, a user's
 * argument, a config dump — or null for fixed names like `BlackHoleCluster`. Names the
 * translators made have their key beside them: use that.
 */
export function parseClusterName(name: string): ClusterKey | null {
  const p = name.split('|');
  if (p.length !== 4 || (p[0] !== 'outbound' && p[0] !== 'inbound')) return null;
  const port = Number(p[1]);
  if (!Number.isInteger(port)) return null;
  return clusterKey(p[0], port, p[2] as string, p[3] as string);
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
export function configPath(kind: 'VirtualService' | 'DestinationRule' | 'Service' | 'Sidecar', namespace: string, name: string): string {
  if (kind === 'Service') return `/apis/v1/namespaces/${namespace}/service/${name}`;
  const res = kind === 'VirtualService' ? 'virtual-service' : kind === 'Sidecar' ? 'sidecar' : 'destination-rule';
  return `/apis/networking.istio.io/v1/namespaces/${namespace}/${res}/${name}`;
}
