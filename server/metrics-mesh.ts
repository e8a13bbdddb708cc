/**
 * @module server/metrics-mesh
 * The mesh-wide gauges istiod exports (pilot_services, pilot_virt_services,
 * pilot_eds_no_instances, pilot_vservice_dup_domain, pilot_conflict_*), computed from a MeshConfig
 * by pure functions; server/metrics.ts sets them on each new mesh.
 */
import type { MeshConfig, MeshService } from '../model/config.js';
import { selectorMatches } from '../model/labels.js';
import { isHttp, portProtocol } from '../translators/protocol.js';

export interface MeshGauges {
  readonly services: number;
  readonly virtualServices: number;
  /** Outbound clusters (service ports and DestinationRule subsets) with no endpoints. */
  readonly edsNoInstances: number;
  /** Hosts claimed by more than one mesh VirtualService (istiod keeps one and counts the rest). */
  readonly vserviceDupDomains: number;
  /** istiod's listener conflicts, as tspilot resolves them (see listenerConflicts). */
  readonly conflicts: ListenerConflicts;
}

export interface ListenerConflicts {
  /** A pod port that services declare with different protocols (HTTP and not): one inbound chain wins. */
  readonly inbound: number;
  /** A VIP-less TCP service port on a port an HTTP service owns (the HTTP listener wins, as in istiod). */
  readonly tcpOverHttp: number;
  /** A further VIP-less plain-TCP service on a port another one already serves (the first one's chain wins). */
  readonly tcpOverTcp: number;
  /** An HTTP service on a port a VIP-less TCP listener holds: never, tspilot builds the HTTP listener first. */
  readonly httpOverTcp: number;
}

/** Counts the listener conflicts the sidecar translators resolve silently (translators/outbound.ts, inbound.ts). */
export function listenerConflicts(mesh: MeshConfig): ListenerConflicts {
  const httpPorts = new Set<number>();
  const vipLessTcp = new Map<number, number>();
  const podPorts = new Map<string, Set<boolean>>();
  const plain = (p: MeshService['ports'][number]): boolean =>
    p.protocol !== 'UDP' && !isHttp(portProtocol(p)) && !/^(https|tls)/i.test(p.name ?? '');
  for (const s of mesh.services) {
    for (const p of s.ports) {
      if (p.protocol === 'UDP') continue;
      const http = isHttp(portProtocol(p));
      if (http) httpPorts.add(p.port);
      else if (!s.clusterIP && plain(p)) vipLessTcp.set(p.port, (vipLessTcp.get(p.port) ?? 0) + 1);
      for (const e of mesh.endpoints.get(s.hostname)?.get(p.port) ?? []) {
        const k = `${e.address}:${e.port}`;
        podPorts.set(k, (podPorts.get(k) ?? new Set<boolean>()).add(http));
      }
    }
  }
  let tcpOverHttp = 0;
  let tcpOverTcp = 0;
  for (const [port, n] of vipLessTcp) {
    if (httpPorts.has(port)) tcpOverHttp += n;
    else tcpOverTcp += n - 1;
  }
  return { inbound: [...podPorts.values()].filter((v) => v.size > 1).length, tcpOverHttp, tcpOverTcp, httpOverTcp: 0 };
}

export function meshGauges(mesh: MeshConfig): MeshGauges {
  let empty = 0;
  for (const svc of mesh.services) {
    const dr = mesh.destinationRuleByHost.get(svc.hostname);
    for (const p of svc.ports) {
      if (p.protocol === 'UDP') continue;
      const eps = mesh.endpoints.get(svc.hostname)?.get(p.port) ?? [];
      if (!eps.length) empty++;
      for (const s of dr?.spec.subsets ?? []) if (!eps.some((e) => selectorMatches(s.labels, e.labels))) empty++;
    }
  }
  // The store already resolved which VirtualService wins each host; every ignored one is a dup.
  const dup = mesh.conflicts.reduce((n, c) => n + c.ignored.length, 0);
  return {
    services: mesh.services.length,
    virtualServices: mesh.virtualServices.length,
    edsNoInstances: empty,
    vserviceDupDomains: dup,
    conflicts: listenerConflicts(mesh),
  };
}
