/**
 * @module server/http/v1/pollers
 * Who polls the v1 REST API: per node ID, the service cluster it names, when it last polled each
 * resource and which version it was answered. v1 has no ACK/NACK: a 200 answer is all the server
 * knows, so "acked" in syncz means "answered". Entries idle for longer than `idleMs` are swept,
 * so memory stays bounded by the live fleet. Plain state; the clock is injected.
 */
import type { Proxy } from '../../../model/proxy.js';

export interface PollRecord {
  version: string;
  at: number;
  polls: number;
}

export interface Poller {
  readonly node: string;
  readonly proxy: Proxy;
  serviceCluster: string;
  peer: string;
  readonly firstPoll: number;
  lastPoll: number;
  /** lds, cds, and rds:<route config name>. */
  readonly polls: Map<string, PollRecord>;
}

export type PollKind = 'lds' | 'cds' | `rds:${string}`;

export class PollerRegistry {
  private readonly byNode = new Map<string, Poller>();
  /** EDS service name → last registration poll (registration requests carry no node). */
  private readonly registrations = new Map<string, PollRecord>();
  private sinceSweep = 0;

  /** `maxPollers`: node ids come from clients, so past this many the longest-idle poller is forgotten. */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly idleMs = 10 * 60_000,
    private readonly maxPollers = 10_000,
  ) {}

  record(proxy: Proxy, serviceCluster: string, peer: string, kind: PollKind, version: string): void {
    const t = this.now();
    let p = this.byNode.get(proxy.id);
    if (!p) {
      p = { node: proxy.id, proxy, serviceCluster, peer, firstPoll: t, lastPoll: t, polls: new Map() };
      if (this.byNode.size >= this.maxPollers) this.byNode.delete(this.byNode.keys().next().value as string);
    } else this.byNode.delete(proxy.id);
    this.byNode.set(proxy.id, p); // most recently polled last, so the first is the longest idle
    p.serviceCluster = serviceCluster;
    p.peer = peer;
    p.lastPoll = t;
    bump(p.polls, kind, version, t);
    if (++this.sinceSweep >= 1000) this.sweep();
  }

  recordRegistration(serviceName: string, version: string): void {
    if (!this.registrations.has(serviceName) && this.registrations.size >= this.maxPollers)
      this.registrations.delete(this.registrations.keys().next().value as string);
    bump(this.registrations, serviceName, version, this.now());
  }

  private sweep(): void {
    this.sinceSweep = 0;
    const cutoff = this.now() - this.idleMs;
    for (const [k, p] of this.byNode) if (p.lastPoll < cutoff) this.byNode.delete(k);
    for (const [k, r] of this.registrations) if (r.at < cutoff) this.registrations.delete(k);
  }

  get(node: string): Poller | undefined {
    return this.byNode.get(node);
  }

  /** Pollers sorted by node ID. */
  list(): Poller[] {
    this.sweep();
    return [...this.byNode.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /** The last registration poll of a service name (from any poller). */
  registration(serviceName: string): PollRecord | undefined {
    return this.registrations.get(serviceName);
  }

  registrationPolls(): Record<string, PollRecord> {
    return Object.fromEntries([...this.registrations.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }
}

function bump(m: Map<string, PollRecord>, key: string, version: string, at: number): void {
  const r = m.get(key);
  if (r) {
    r.version = version;
    r.at = at;
    r.polls++;
  } else m.set(key, { version, at, polls: 1 });
}

const iso = (t: number): string => new Date(t).toISOString();

/**
 * A poller as a /debug/syncz entry, in the shape of the ADS entries (so proxy-status tooling
 * reads both) with `transport: "v1-rest"`; the RDS version is the polled route configs' versions
 * joined with "." in name order. Registration (EDS) requests carry no node, so `eds` is built from
 * the last answer served for each service name the proxy's clusters list (`shared: true`).
 */
export function pollerSyncz(p: Poller, eds?: readonly (PollRecord | undefined)[]): object {
  const types: Record<string, object> = {};
  const lds = p.polls.get('lds');
  const cds = p.polls.get('cds');
  const rds = [...p.polls.entries()].filter(([k]) => k.startsWith('rds:')).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  if (lds) types['lds'] = { sent: lds.version, acked: lds.version, lastPoll: iso(lds.at), polls: lds.polls };
  if (cds) types['cds'] = { sent: cds.version, acked: cds.version, lastPoll: iso(cds.at), polls: cds.polls };
  const rdsVersion = rds.map(([, r]) => r.version).join('.');
  if (rds.length) {
    types['rds'] = {
      sent: rdsVersion,
      acked: rdsVersion,
      lastPoll: iso(Math.max(...rds.map(([, r]) => r.at))),
      routeConfigs: Object.fromEntries(rds.map(([k, r]) => [k.slice(4), { version: r.version, lastPoll: iso(r.at), polls: r.polls }])),
    };
  }
  let edsVersion = '';
  if (eds?.length && eds.every((r) => r !== undefined)) {
    const recs = eds as readonly PollRecord[];
    edsVersion = recs.map((r) => r.version).join('.');
    types['eds'] = {
      sent: edsVersion,
      acked: edsVersion,
      lastPoll: iso(Math.max(...recs.map((r) => r.at))),
      services: recs.length,
      shared: true,
    };
  }
  return {
    proxy: p.node,
    proxy_type: p.proxy.type,
    generator: p.proxy.generator,
    stream: `v1-rest:${p.node}`,
    transport: 'v1-rest',
    service_cluster: p.serviceCluster,
    address: p.peer,
    istio_version: '',
    firstPoll: iso(p.firstPoll),
    lastPoll: iso(p.lastPoll),
    cluster_sent: cds?.version ?? '',
    cluster_acked: cds?.version ?? '',
    listener_sent: lds?.version ?? '',
    listener_acked: lds?.version ?? '',
    route_sent: rdsVersion,
    route_acked: rdsVersion,
    endpoint_sent: edsVersion,
    endpoint_acked: edsVersion,
    types,
  };
}
