/**
 * @module translators/cluster
 * Outbound clusters: one EDS cluster per service port (`outbound|port||host`) and one per
 * DestinationRule subset (`outbound|port|subset|host`), with the load balancer the rule asks for.
 * The two generators differ only in defaults (istiod: LEAST_REQUEST for Envoy, ROUND_ROBIN for
 * proxyless gRPC, which supports only round robin, ring hash and least request).
 */
import type { MeshConfig, MeshService } from '../model/config.js';
import type { DestinationRule, TrafficPolicy } from '../model/istio.js';
import type { Cluster } from '../proto/types.js';
import { durationOf } from '../model/duration.js';
import { clusterName, configPath } from './names.js';
import { istioMetadata } from './metadata.js';

export interface ClusterFlavor {
  readonly defaultLb: 'ROUND_ROBIN' | 'LEAST_REQUEST';
}

const LB: Readonly<Record<string, Cluster['lb_policy']>> = {
  ROUND_ROBIN: 'ROUND_ROBIN', LEAST_CONN: 'LEAST_REQUEST', LEAST_REQUEST: 'LEAST_REQUEST', RANDOM: 'RANDOM',
};

function lbFields(policy: TrafficPolicy | undefined, flavor: ClusterFlavor): Partial<Cluster> {
  const lb = policy?.loadBalancer;
  if (lb?.consistentHash) {
    const min = lb.consistentHash.ringHash?.minimumRingSize ?? lb.consistentHash.minimumRingSize;
    if (lb.consistentHash.maglev) return { lb_policy: 'MAGLEV' };
    return { lb_policy: 'RING_HASH', ...(min ? { ring_hash_lb_config: { minimum_ring_size: { value: String(min) } } } : {}) };
  }
  return { lb_policy: (lb?.simple && LB[lb.simple]) || flavor.defaultLb };
}

function connectTimeout(policy: TrafficPolicy | undefined): Cluster['connect_timeout'] {
  return durationOf(policy?.connectionPool?.tcp?.connectTimeout ?? '10s');
}

function edsCluster(name: string, svc: MeshService, dr: DestinationRule | undefined, policy: TrafficPolicy | undefined, flavor: ClusterFlavor): Cluster {
  const meta: Record<string, string | { host: string; name: string; namespace: string }[]> = {
    services: [{ host: svc.hostname, name: svc.name, namespace: svc.namespace }],
  };
  if (dr) meta['config'] = configPath('DestinationRule', dr.meta.namespace, dr.meta.name);
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name },
    connect_timeout: connectTimeout(policy),
    ...lbFields(policy, flavor),
    metadata: istioMetadata(meta),
  };
}

/** Effective policy of a subset: the subset's own policy over the rule's (field by field at the top level). */
export function subsetPolicy(dr: DestinationRule | undefined, subset: string): TrafficPolicy | undefined {
  const base = dr?.spec.trafficPolicy;
  const own = dr?.spec.subsets?.find((s) => s.name === subset)?.trafficPolicy;
  return own ? { ...base, ...own } : base;
}

/** Every outbound cluster of `services`, sorted by name. */
export function outboundClusters(mesh: MeshConfig, services: readonly MeshService[], flavor: ClusterFlavor): Cluster[] {
  const out: Cluster[] = [];
  for (const svc of services) {
    const dr = mesh.destinationRuleByHost.get(svc.hostname);
    for (const p of svc.ports) {
      if (p.protocol === 'UDP') continue;
      out.push(edsCluster(clusterName('outbound', p.port, '', svc.hostname), svc, dr, dr?.spec.trafficPolicy, flavor));
      for (const s of dr?.spec.subsets ?? []) {
        out.push(edsCluster(clusterName('outbound', p.port, s.name, svc.hostname), svc, dr, subsetPolicy(dr, s.name), flavor));
      }
    }
  }
  return out.sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
}
