/**
 * @module server/ca/lease
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's (which istiod uses): the holder
 * renews `renewTime` every `retryMs`; a candidate takes the Lease over only when the record it
 * observed has not changed for `leaseDurationMs` (measured on ITS clock, so skew between replicas
 * does not matter), bumping `leaseTransitions`; every write is conditional on the resourceVersion
 * read, so two candidates cannot both win (one gets 409 Conflict). A leader that cannot renew
 * within `renewDeadlineMs` steps down. `close()` releases the Lease (holder cleared) so another
 * replica takes over at once.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeRequest, microTime } from './kube-http.js';
import type { CaLog } from './mesh-ca.js';

export interface LeaseOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryMs?: number;
  readonly log: CaLog;
  readonly onLeading?: (leading: boolean) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
interface Lease {
  metadata?: { resourceVersion?: string };
  spec?: LeaseSpec;
}

export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private observed = '';
  private observedAt = 0;
  private lastRenew = 0;
  private readonly durationMs: number;
  private readonly deadlineMs: number;
  private readonly retryMs: number;
  private readonly path: string;

  constructor(private readonly o: LeaseOptions) {
    this.durationMs = o.leaseDurationMs ?? 15_000;
    this.deadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryMs = o.retryMs ?? 2_000;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${o.namespace}/leases`;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const cur = await kubeRequest(this.o.kubeConfig, 'GET', `${this.path}/${this.o.name}`);
      const l = cur.body as Lease;
      if (cur.code === 200 && l.spec?.holderIdentity === this.o.identity) {
        await kubeRequest(this.o.kubeConfig, 'PUT', `${this.path}/${this.o.name}`, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace, resourceVersion: l.metadata?.resourceVersion },
          spec: { ...l.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(Date.now()) },
        });
      }
    } catch {
      /* best effort: the Lease expires anyway */
    }
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.o.log.info(
      { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity },
      v ? 'became the leader: this replica writes the root ConfigMaps' : 'no longer the leader',
    );
    this.o.onLeading?.(v);
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      await this.tryAcquireOrRenew();
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, `Lease ${this.o.namespace}/${this.o.name}: ${(e as Error).message}`);
    }
    if (this.leading && Date.now() - this.lastRenew > this.deadlineMs) this.setLeading(false);
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.tick();
    }, this.retryMs);
    this.timer.unref();
  }

  private record(spec: LeaseSpec, now: number, prev?: LeaseSpec, takeover = false): LeaseSpec {
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.durationMs / 1000)),
      acquireTime: takeover || !prev ? microTime(now) : (prev.acquireTime ?? microTime(now)),
      renewTime: microTime(now),
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (takeover ? 1 : 0),
      ...spec,
    };
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = Date.now();
    const kc = this.o.kubeConfig;
    const got = await kubeRequest(kc, 'GET', `${this.path}/${this.o.name}`);
    if (got.code === 404) {
      const created = await kubeRequest(kc, 'POST', this.path, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.o.name, namespace: this.o.namespace },
        spec: this.record({}, now),
      });
      if (created.code === 201) {
        this.lastRenew = now;
        this.setLeading(true);
        return;
      }
      if (created.code === 409) return; // another replica created it first
      throw new Error(`create answered ${created.code}: ${String(created.body['message'] ?? '')}`);
    }
    if (got.code !== 200) throw new Error(`GET answered ${got.code}: ${String(got.body['message'] ?? '')}`);
    const lease = got.body as Lease;
    const spec = lease.spec ?? {};
    const key = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (key !== this.observed) {
      this.observed = key;
      this.observedAt = now;
    }
    const mine = spec.holderIdentity === this.o.identity;
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const expired = !spec.holderIdentity || now > this.observedAt + durationMs;
    if (!mine && !expired) {
      this.setLeading(false);
      return;
    }
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.o.name, namespace: this.o.namespace, resourceVersion: lease.metadata?.resourceVersion },
      spec: this.record({}, now, spec, !mine),
    };
    const put = await kubeRequest(kc, 'PUT', `${this.path}/${this.o.name}`, body);
    if (put.code === 200) {
      this.lastRenew = now;
      this.observed = JSON.stringify([this.o.identity, body.spec.renewTime, body.spec.leaseDurationSeconds]);
      this.observedAt = now;
      this.setLeading(true);
      return;
    }
    if (put.code === 409) {
      this.setLeading(false);
      return;
    } // someone else wrote it first
    throw new Error(`update answered ${put.code}: ${String(put.body['message'] ?? '')}`);
  }
}
