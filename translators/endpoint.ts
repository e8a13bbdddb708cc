/**
 * @module translators/endpoint
 * ClusterLoadAssignments for outbound clusters: the service port's endpoints (pods, WorkloadEntries,
 * ServiceEntry endpoints), filtered by the subset's labels (the DestinationRule the proxy's scope
 * picks), grouped by locality. Every locality gets a locality message and a load_balancing_weight:
 * both gRPC clients drop (or NACK) localities without them. Endpoints of workloads with a sidecar
 * (label `security.istio.io/tlsMode: istio`) carry `tlsMode: istio` for ISTIO_MUTUAL matching.
 * The DestinationRule's locality load balancing (translators/locality: distribute weights, failover
 * priorities with outlier detection) is applied relative to the calling proxy's locality.
 */
import type { MeshEndpoint } from '../model/config.js';
import { selectorMatches } from '../model/labels.js';
import type { TrafficPolicy } from '../model/istio.js';
import type { ClusterLoadAssignment, LocalityLbEndpoints } from '../proto/types.js';
import { jsonToStruct } from '../proto/struct.js';
import { applyLocalityLb, type LocalityGroup } from './locality.js';
import { localityLabels, parseLocality } from '../model/locality.js';
import { clusterKeyName, type ClusterKey } from './names.js';
import { policyForPort } from './policy.js';
import type { Scope } from './scope.js';

function render(g: LocalityGroup<MeshEndpoint>): LocalityLbEndpoints {
  const l = g.locality;
  return {
    ...(g.priority ? { priority: g.priority } : {}),
    locality: {
      ...(l.region ? { region: l.region } : {}),
      ...(l.zone ? { zone: l.zone } : {}),
      ...(l.subzone ? { sub_zone: l.subzone } : {}),
    },
    lb_endpoints: g.members.map(({ ep: e }) => ({
      endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
      ...(e.labels['security.istio.io/tlsMode'] === 'istio'
        ? { metadata: { filter_metadata: { 'envoy.transport_socket_match': jsonToStruct({ tlsMode: 'istio' }) } } }
        : {}),
      load_balancing_weight: { value: 1 },
    })),
    load_balancing_weight: { value: g.weight },
  } as LocalityLbEndpoints;
}

/** Endpoints grouped by locality (sorted), each endpoint weight 1, each locality weighted by its endpoint count. */
function groups(eps: readonly MeshEndpoint[]): LocalityGroup<MeshEndpoint>[] {
  const byLoc = new Map<string, MeshEndpoint[]>();
  for (const e of eps) byLoc.set(e.locality, [...(byLoc.get(e.locality) ?? []), e]);
  return [...byLoc.keys()].sort().map((loc) => {
    const locality = parseLocality(loc);
    // Endpoint labels carry their locality's topology labels, as istiod's AugmentLabels does (failoverPriority compares them).
    const members = byLoc.get(loc)!.map((ep) => ({ ep, labels: { ...ep.labels, ...localityLabels(locality) }, weight: 1 }));
    return { locality, members, weight: members.length, priority: 0 };
  });
}

export function groupByLocality(eps: readonly MeshEndpoint[]): LocalityLbEndpoints[] {
  return groups(eps).map(render);
}

/**
 * The inline load_assignment of a DNS cluster, with locality LB as istiod applies it there: as for
 * EDS, except that failoverPriority is skipped (istiod has no endpoint labels at that point), so
 * with failoverPriority only `failover` (if given) applies.
 */
export function dnsEndpoints(
  eps: readonly MeshEndpoint[],
  policy: TrafficPolicy | undefined,
  proxyLabels: Readonly<Record<string, string>>,
): LocalityLbEndpoints[] {
  const s = policy?.loadBalancer?.localityLbSetting;
  if (s?.failoverPriority?.length && !s.distribute?.length && !s.failover?.length) return groupByLocality(eps);
  const setting = s?.failoverPriority?.length ? { ...s, failoverPriority: [] } : s;
  return applyLocalityLb(groups(eps), setting, policy?.outlierDetection !== undefined, proxyLabels).map(render);
}

/** The assignment for one outbound cluster, or undefined if the key is not a known cluster. */
export function outboundEndpoints(scope: Scope, key: ClusterKey): ClusterLoadAssignment | undefined {
  if (key.direction !== 'outbound') return undefined;
  const svc = scope.serviceByHost.get(key.host);
  if (!svc || !svc.ports.some((p) => p.port === key.port)) return undefined;
  let labels: Readonly<Record<string, string>> | undefined;
  const dr = scope.destinationRule(key.host);
  const subset = key.subset ? dr?.spec.subsets?.find((s) => s.name === key.subset) : undefined;
  if (key.subset) {
    if (!subset) return undefined;
    labels = subset.labels ?? {};
  }
  const eps = (scope.mesh.endpoints.get(key.host)?.get(key.port) ?? []).filter((e) => selectorMatches(labels, e.labels));
  // istiod's getOutlierDetectionAndLoadBalancerSettings: the subset's policy over the rule's, each with its port-level settings.
  const port = key.port;
  const policy = { ...policyForPort(dr?.spec.trafficPolicy, port), ...policyForPort(subset?.trafficPolicy, port) };
  const located = applyLocalityLb(groups(eps), policy.loadBalancer?.localityLbSetting, policy.outlierDetection !== undefined, scope.labels);
  return { cluster_name: clusterKeyName(key), endpoints: located.map(render) };
}
