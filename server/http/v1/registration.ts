/**
 * @module server/http/v1/registration
 * v3 ClusterLoadAssignment → v1 SDS registration (`{hosts:[{ip_address, port, tags:{az, canary,
 * load_balancing_weight}}]}`). v1 hosts carry no health and no priority: endpoints v3 marks
 * unhealthy or draining, and lower-priority (failover) localities, are left out and reported,
 * since listing them as ordinary hosts would send traffic to them.
 */
import type { ClusterLoadAssignment } from '../../../proto/types.js';
import type { Omission, V1Host } from './types.js';

const SERVING = new Set(['UNKNOWN', 'HEALTHY', undefined, 0, 1]);

export function renderHosts(cla: ClusterLoadAssignment, omitted: Omission[]): V1Host[] {
  const where = cla.cluster_name ?? '';
  const hosts: V1Host[] = [];
  for (const le of cla.endpoints ?? []) {
    const zone = [le.locality?.region, le.locality?.zone].filter(Boolean).join('/');
    if (le.priority) {
      omitted.push({
        level: 'host',
        where: `${where}/${zone || '(no zone)'}`,
        reason: `priority ${le.priority} (failover) localities do not exist in v1`,
      });
      continue;
    }
    for (const e of le.lb_endpoints ?? []) {
      const sa = e.endpoint?.address?.socket_address;
      if (!sa?.address) continue;
      if (!SERVING.has(e.health_status as never)) {
        omitted.push({
          level: 'host',
          where: `${where}/${sa.address}:${sa.port_value}`,
          reason: `health ${String(e.health_status)}: v1 hosts carry no health status`,
        });
        continue;
      }
      hosts.push({
        ip_address: sa.address,
        port: Number(sa.port_value ?? 0),
        tags: { az: zone, canary: false, load_balancing_weight: Number(e.load_balancing_weight?.value ?? 1) },
      });
    }
  }
  return hosts;
}
