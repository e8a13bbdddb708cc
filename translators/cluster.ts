/**
 * @module translators/cluster
 * Outbound clusters: one per visible service port (`outbound|port||host`) and one per
 * DestinationRule subset (`outbound|port|subset|host`), with the rule's load balancer and policy
 * (see policy.ts). The cluster type follows the service: EDS for Kubernetes services and
 * ServiceEntries with STATIC resolution or a workloadSelector, STRICT_DNS / LOGICAL_DNS (endpoints
 * inline) for DNS / DNS_ROUND_ROBIN, ORIGINAL_DST for resolution NONE. The generators differ in
 * the default LB (istiod: LEAST_REQUEST for Envoy, ROUND_ROBIN for proxyless gRPC). Envoy clusters
 * carry TLS from the rule or auto mTLS (mtls-upstream.ts); proxyless gRPC leaves TLS to its generator.
 */
import type { MeshService } from '../model/config.js';
import type { DestinationRule, TrafficPolicy } from '../model/istio.js';
import type { Cluster } from '../proto/types.js';
import { clusterKey, clusterKeyName, configPath, type ClusterKey } from './names.js';
import { istioMetadata } from './metadata.js';
import { policyFields, policyForPort } from './policy.js';
import { dnsEndpoints } from './endpoint.js';
import { portProtocol } from './protocol.js';
import { serviceAccounts, TLS_MODE_LABEL, upstreamTlsFields } from './mtls-upstream.js';
import type { Scope } from './scope.js';

export interface ClusterFlavor {
  readonly defaultLb: 'ROUND_ROBIN' | 'LEAST_REQUEST';
  /** Proxyless gRPC takes EDS clusters only, without Envoy-only policy fields. */
  readonly envoyPolicy: boolean;
}

const LB: Readonly<Record<string, Cluster['lb_policy']>> = {
  ROUND_ROBIN: 'ROUND_ROBIN',
  LEAST_CONN: 'LEAST_REQUEST',
  LEAST_REQUEST: 'LEAST_REQUEST',
  RANDOM: 'RANDOM',
};

function lbFields(policy: TrafficPolicy | undefined, flavor: ClusterFlavor): Partial<Cluster> {
  const lb = policy?.loadBalancer;
  if (lb?.consistentHash) {
    const min = lb.consistentHash.ringHash?.minimumRingSize ?? lb.consistentHash.minimumRingSize;
    if (lb.consistentHash.maglev)
      return {
        lb_policy: 'MAGLEV',
        ...(lb.consistentHash.maglev.tableSize ? { maglev_lb_config: { table_size: { value: lb.consistentHash.maglev.tableSize } } } : {}),
      };
    return { lb_policy: 'RING_HASH', ...(min ? { ring_hash_lb_config: { minimum_ring_size: { value: String(min) } } } : {}) };
  }
  return { lb_policy: (lb?.simple && LB[lb.simple]) || flavor.defaultLb };
}

/** istiod's SNI for mTLS to a cluster: `outbound_.9080_.v1_.reviews.default.svc.cluster.local`. */
export function mtlsSni(port: number, subset: string, host: string): string {
  return `outbound_.${port}_.${subset}_.${host}`;
}

function typeFields(scope: Scope, svc: MeshService, name: string, port: number, policy?: TrafficPolicy): Partial<Cluster> {
  switch (svc.resolution) {
    case 'NONE':
      return { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' };
    case 'DNS':
    case 'DNS_ROUND_ROBIN': {
      const eps = scope.mesh.endpoints.get(svc.hostname)?.get(port) ?? [];
      const list = eps.length
        ? eps
        : [{ address: svc.hostname, port, labels: {}, pod: null, serviceAccount: '', locality: '', ready: true }];
      return {
        type: svc.resolution === 'DNS' ? 'STRICT_DNS' : 'LOGICAL_DNS',
        dns_lookup_family: 'V4_ONLY',
        load_assignment: {
          cluster_name: name,
          endpoints: dnsEndpoints(svc.resolution === 'DNS' ? list : list.slice(0, 1), policy, scope.labels),
        },
      };
    }
    default:
      return { type: 'EDS', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name } };
  }
}

/** The cluster's TLS: the DestinationRule's `tls`, else auto mTLS (mtls-upstream.ts). */
function clusterTls(
  scope: Scope,
  svc: MeshService,
  port: number,
  subset: string,
  policy: TrafficPolicy | undefined,
  h2: boolean,
  originalDst: boolean,
): Partial<Cluster> {
  const auto = scope.autoMtls(svc);
  const eps = originalDst ? (scope.mesh.endpoints.get(svc.hostname)?.get(port) ?? []) : [];
  return upstreamTlsFields({
    tls: policy?.tls,
    sni: mtlsSni(port, subset, svc.hostname),
    h2,
    auto,
    originalDst,
    serviceAccounts: policy?.tls?.mode === 'ISTIO_MUTUAL' || auto ? serviceAccounts(scope.mesh, svc) : [],
    allIstio: eps.length > 0 && eps.every((e) => e.labels[TLS_MODE_LABEL] === 'istio'),
  });
}

function cluster(
  scope: Scope,
  name: string,
  svc: MeshService,
  port: number,
  subset: string,
  dr: DestinationRule | undefined,
  policy: TrafficPolicy | undefined,
  flavor: ClusterFlavor,
): Cluster {
  const meta: Record<string, string | { host: string; name: string; namespace: string }[]> = {
    // istiod names a ServiceEntry's service after its host (serviceentry conversion: Attributes.Name = hostname)
    services: [{ host: svc.hostname, name: svc.origin === 'ServiceEntry' ? svc.hostname : svc.name, namespace: svc.namespace }],
  };
  if (dr) meta['config'] = configPath('DestinationRule', dr.meta.namespace, dr.meta.name);
  // As istiod's AddALPNOverrideToMetadata: the rule's own TLS keeps its ALPN (istio.alpn, filters/alpn.ts, leaves it alone).
  if (dr && flavor.envoyPolicy && (policy?.tls?.mode === 'SIMPLE' || policy?.tls?.mode === 'MUTUAL')) meta['alpn_override'] = 'false';
  const sp = svc.ports.find((p) => p.port === port)!;
  const typed = flavor.envoyPolicy
    ? typeFields(scope, svc, name, port, policy)
    : typeFields(scope, { ...svc, resolution: 'EDS' }, name, port);
  const h2 = ['HTTP2', 'GRPC'].includes(portProtocol(sp));
  const pol = flavor.envoyPolicy
    ? policyFields(policy, scope.mesh.settings.connectTimeout, h2)
    : policyFields(undefined, policy?.connectionPool?.tcp?.connectTimeout ?? scope.mesh.settings.connectTimeout, false);
  if (!flavor.envoyPolicy) {
    delete pol.circuit_breakers;
  }
  const tls = flavor.envoyPolicy ? clusterTls(scope, svc, port, subset, policy, h2, typed.type === 'ORIGINAL_DST') : {};
  const out: Cluster = { name, ...typed, ...pol, ...tls, ...lbFields(policy, flavor), metadata: istioMetadata(meta) };
  if (typed.lb_policy === 'CLUSTER_PROVIDED') out.lb_policy = 'CLUSTER_PROVIDED';
  return out;
}

/** A generated cluster and what its name stands for. */
export interface KeyedCluster {
  readonly key: ClusterKey;
  readonly cluster: Cluster;
}

/** Whether a service's outbound clusters are EDS clusters (Envoy flavor; `typeFields`' rule), so a cluster's type is known without building it. */
export function edsResolution(svc: MeshService): boolean {
  return svc.resolution !== 'NONE' && svc.resolution !== 'DNS' && svc.resolution !== 'DNS_ROUND_ROBIN';
}

/**
 * The keys of every outbound cluster of the proxy's visible services, by name (sorted): one per
 * service port and DestinationRule subset. Reads the services and each one's rule (for its
 * subsets' names), builds no cluster.
 */
export function outboundClusterKeys(scope: Scope): Map<string, ClusterKey> {
  const out: [string, ClusterKey][] = [];
  for (const svc of scope.services) {
    const subsets = scope.destinationRule(svc.hostname)?.spec.subsets ?? [];
    for (const p of svc.ports) {
      if (p.protocol === 'UDP') continue;
      for (const s of ['', ...subsets.map((x) => x.name)]) {
        const key = clusterKey('outbound', p.port, s, svc.hostname);
        out.push([clusterKeyName(key), key]);
      }
    }
  }
  return new Map(out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/**
 * The outbound cluster `key` names (one of `outboundClusterKeys`), built from its own service and
 * rule only, so translated one by one each records just its host (translators/deps.ts).
 * Undefined when the scope has no such service port or subset.
 */
export function outboundCluster(scope: Scope, key: ClusterKey, flavor: ClusterFlavor): Cluster | undefined {
  const svc = scope.serviceByHost.get(key.host);
  if (!svc?.ports.some((p) => p.port === key.port && p.protocol !== 'UDP')) return undefined;
  const dr = scope.destinationRule(svc.hostname);
  const base = policyForPort(dr?.spec.trafficPolicy, key.port);
  const name = clusterKeyName(key);
  if (!key.subset) return cluster(scope, name, svc, key.port, '', dr, base, flavor);
  // Subsets of one name: the last one wins (as the whole list built into a map did).
  const s = dr?.spec.subsets?.findLast((x) => x.name === key.subset);
  if (!s) return undefined;
  const own = policyForPort(s.trafficPolicy, key.port);
  return cluster(scope, name, svc, key.port, s.name, dr, own ? { ...base, ...own } : base, flavor);
}

/** Every outbound cluster of the proxy's visible services with its key, sorted by name. */
export function outboundClusters(scope: Scope, flavor: ClusterFlavor): KeyedCluster[] {
  return [...outboundClusterKeys(scope)].flatMap(([, key]) => {
    const c = outboundCluster(scope, key, flavor);
    return c ? [{ key, cluster: c }] : [];
  });
}
