/**
 * @module server/gwstatus/writer
 * Writes the Gateway API status tspilot computes back to Kubernetes, from the elected leader only
 * (its own coordination.k8s.io Lease, as istiod's gateway status controller has one), through each
 * object's `/status` subresource. No write loops: a status is written only when what tspilot
 * computes differs from what the object holds (mergeStatus/sameStatus keep transition times), and
 * a computed status identical to the last one written is not even read again — so the resourceVersion
 * bump a write causes comes back as a config change that produces the same status and stops there.
 * Writes are serialized; a 409 (the object changed meanwhile) is retried on the next update.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { GwObjectStatus } from '../../model/gatewayapi.js';
import { LeaderElector } from '../ca/lease.js';
import { kubeRequest } from '../ca/kube-http.js';
import type { CaLog } from '../ca/mesh-ca.js';
import { mergeStatus, sameStatus } from './merge.js';

export const GATEWAY_STATUS_LEASE = 'tspilot-gateway-status-leader';

/** Plural resource and the version written, per kind (the versions every supported CRD bundle serves). */
export const STATUS_RESOURCES: Readonly<Record<string, { resource: string; version: string; namespaced: boolean }>> = {
  GatewayClass: { resource: 'gatewayclasses', version: 'v1', namespaced: false },
  KubernetesGateway: { resource: 'gateways', version: 'v1', namespaced: true },
  HTTPRoute: { resource: 'httproutes', version: 'v1', namespaced: true },
  GRPCRoute: { resource: 'grpcroutes', version: 'v1', namespaced: true },
  TLSRoute: { resource: 'tlsroutes', version: 'v1alpha2', namespaced: true },
  TCPRoute: { resource: 'tcproutes', version: 'v1alpha2', namespaced: true },
  BackendTLSPolicy: { resource: 'backendtlspolicies', version: 'v1alpha3', namespaced: true },
};

export interface StatusWriterOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly identity: string;
  readonly log: CaLog;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryMs?: number;
  readonly now?: () => number;
}

const keyOf = (s: GwObjectStatus): string => `${s.kind}/${s.namespace}/${s.name}`;

export class GatewayStatusWriter {
  private readonly elector: LeaderElector;
  private desired = new Map<string, GwObjectStatus>();
  /** Key → the computed status last written (or found already in place), as JSON. */
  private readonly written = new Map<string, string>();
  private draining = false;
  private again = false;
  private closed = false;
  /** Status writes done, for tests and logs. */
  writes = 0;

  constructor(private readonly o: StatusWriterOptions) {
    this.elector = new LeaderElector({
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      name: GATEWAY_STATUS_LEASE,
      identity: o.identity,
      log: o.log,
      ...(o.leaseDurationMs !== undefined ? { leaseDurationMs: o.leaseDurationMs } : {}),
      ...(o.renewDeadlineMs !== undefined ? { renewDeadlineMs: o.renewDeadlineMs } : {}),
      ...(o.retryMs !== undefined ? { retryMs: o.retryMs } : {}),
      // A new leader reconciles everything (another replica may have written in between).
      onLeading: (v) => {
        this.written.clear();
        if (v) void this.drain();
      },
    });
  }

  start(): void {
    this.elector.start();
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** The statuses of the latest config; only those that changed since last written are written. */
  update(statuses: readonly GwObjectStatus[]): void {
    this.desired = new Map(statuses.filter((s) => STATUS_RESOURCES[s.kind]).map((s) => [keyOf(s), s]));
    void this.drain();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.elector.close();
  }

  private async drain(): Promise<void> {
    if (this.closed) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.closed);
    } finally {
      this.draining = false;
    }
  }

  private async pass(): Promise<void> {
    for (const key of [...this.desired.keys()].sort()) {
      if (this.closed || !this.elector.isLeader()) return;
      const s = this.desired.get(key);
      if (!s) continue;
      const want = JSON.stringify(s);
      if (this.written.get(key) === want) continue;
      try {
        if (await this.writeOne(s)) this.written.set(key, want);
      } catch (e) {
        this.o.log.warn({ object: key, err: (e as Error).message }, `Gateway API status of ${key} not written: ${(e as Error).message}`);
      }
    }
  }

  /** Reads the object and writes its status when it differs; true when the object now holds it. */
  private async writeOne(s: GwObjectStatus): Promise<boolean> {
    const r = STATUS_RESOURCES[s.kind]!;
    const path = `/apis/gateway.networking.k8s.io/${r.version}${r.namespaced ? `/namespaces/${s.namespace}` : ''}/${r.resource}/${s.name}`;
    const cur = await kubeRequest(this.o.kubeConfig, 'GET', path);
    if (cur.code === 404) return true; // deleted meanwhile: nothing to write
    if (cur.code !== 200) throw new Error(`GET ${path}: HTTP ${cur.code}`);
    const meta = (cur.body['metadata'] ?? {}) as { generation?: number };
    // The store may lag behind the object: write only the status of the generation it describes.
    if ((meta.generation ?? 0) !== s.generation && s.generation !== 0) return false;
    const next = mergeStatus(s, cur.body['status'], new Date((this.o.now ?? Date.now)()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    if (sameStatus(next, cur.body['status'])) return true;
    const put = await kubeRequest(this.o.kubeConfig, 'PUT', `${path}/status`, { ...cur.body, status: next });
    if (put.code === 409) return false;
    if (put.code !== 200) throw new Error(`PUT ${path}/status: HTTP ${put.code} ${String(put.body['message'] ?? '')}`);
    this.writes++;
    this.o.log.info({ object: keyOf(s) }, `Gateway API status of ${keyOf(s)} written`);
    return true;
  }
}
