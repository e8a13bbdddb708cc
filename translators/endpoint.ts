/**
 * @module translators/endpoint
 * ClusterLoadAssignments for outbound clusters: the service port's endpoints (pods, WorkloadEntries,
 * ServiceEntry endpoints), filtered by the subset's labels (the DestinationRule the proxy's scope
 * picks), grouped by locality. Every locality gets a locality message and a load_balancing_weight:
 * both gRPC clients drop (or NACK) localities without them. Endpoints of workloads with a sidecar
 * (label `security.istio.io/tlsMode: istio`) carry `tlsMode: istio` for ISTIO_MUTUAL matching.
 * With outlier detection (and locality LB not disabled) localities get failover priorities
 * relative to the proxy's own locality (its `topology.kubernetes.io/region|zone` labels).
 */
import type { MeshEndpoint } from '../model/config.js';
import type { ClusterLoadAssignment, LocalityLbEndpoints } from '../proto/types.js';
import { jsonToStruct } from '../proto/struct.js';
import { parseClusterName } from './names.js';
import type { Scope } from './scope.js';

function matches(labels: Readonly<Record<string, string>>, want: Readonly<Record<string, string>> | undefined): boolean {
  if (!want) return true;
  return Object.keys(want).every((k) => labels[k] === want[k]);
}

function localityOf(zone: string): { region?: string; zone?: string } {
  // Kubernetes zones carry no region; topology "region/zone" is split when given that way.
  if (!zone) return {};
  const i = zone.indexOf('/');
  return i > 0 ? { region: zone.slice(0, i), zone: zone.slice(i + 1) } : { zone };
}

/**
 * Locality failover as istiod applies it when a DestinationRule has outlier detection: endpoints
 * in the proxy's region and zone at priority 0, the same region next, the rest last (ranks made
 * contiguous, as Envoy expects). The proxy's locality comes from its topology labels.
 */
function priorities(localities: readonly string[], proxy: { region?: string; zone?: string }): Map<string, number> {
  const rank = (loc: string): number => {
    const l = localityOf(loc);
    if (l.region && l.region === proxy.region) return l.zone === proxy.zone ? 0 : 1;
    if (!l.region && l.zone && l.zone === proxy.zone) return 0;
    return 2;
  };
  const used = [...new Set(localities.map(rank))].sort();
  return new Map(localities.map((l) => [l, used.indexOf(rank(l))]));
}

export function groupByLocality(eps: readonly MeshEndpoint[], proxyLocality?: { region?: string; zone?: string }): LocalityLbEndpoints[] {
  const groups = new Map<string, MeshEndpoint[]>();
  for (const e of eps) groups.set(e.locality, [...(groups.get(e.locality) ?? []), e]);
  const prio = proxyLocality ? priorities([...groups.keys()], proxyLocality) : undefined;
  return [...groups.keys()].sort().map((loc) => {
    const members = groups.get(loc)!;
    return {
      ...(prio?.get(loc) ? { priority: prio.get(loc) } : {}),
      locality: localityOf(loc),
      lb_endpoints: members.map((e) => ({
        endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
        ...(e.labels['security.istio.io/tlsMode'] === 'istio' ? { metadata: { filter_metadata: { 'envoy.transport_socket_match': jsonToStruct({ tlsMode: 'istio' }) } } } : {}),
        load_balancing_weight: { value: 1 },
      })),
      load_balancing_weight: { value: members.length },
    } as LocalityLbEndpoints;
  });
}

/** The assignment for one outbound cluster name, or undefined if the name is not a known cluster. */
export function outboundEndpoints(scope: Scope, name: string): ClusterLoadAssignment | undefined {
  const parsed = parseClusterName(name);
  if (!parsed || parsed.direction !== 'outbound') return undefined;
  const svc = scope.serviceByHost.get(parsed.host);
  if (!svc || !svc.ports.some((p) => p.port === parsed.port)) return undefined;
  let labels: Readonly<Record<string, string>> | undefined;
  const dr = scope.destinationRule(parsed.host);
  const subset = parsed.subset ? dr?.spec.subsets?.find((s) => s.name === parsed.subset) : undefined;
  if (parsed.subset) {
    if (!subset) return undefined;
    labels = subset.labels ?? {};
  }
  const eps = (scope.mesh.endpoints.get(parsed.host)?.get(parsed.port) ?? []).filter((e) => matches(e.labels, labels));
  const policy = { ...dr?.spec.trafficPolicy, ...subset?.trafficPolicy };
  const region = scope.labels['topology.kubernetes.io/region'];
  const zone = scope.labels['topology.kubernetes.io/zone'];
  const failover = policy.outlierDetection && policy.loadBalancer?.localityLbSetting?.enabled !== false && (region || zone);
  return { cluster_name: name, endpoints: groupByLocality(eps, failover ? { ...(region ? { region } : {}), ...(zone ? { zone } : {}) } : undefined) };
}
