/**
 * @module server/ca/start
 * `startMeshCA(opts)`: the mesh CA as `tspilot serve` runs it. Where the root comes from, in
 * istiod's order: a plugged-in CA in the cacerts folder (`--cacerts-dir`, default ./etc/cacerts
 * as istiod) → in Kubernetes mode the `cacerts` Secret → tspilot's self-signed root, kept in the
 * `istio-ca-secret` Secret (Kubernetes mode) or the state folder (`--ca-state-dir`, folder mode),
 * created once and then reused by every restart and replica. In Kubernetes mode it also publishes
 * the root to every discovered namespace (server/ca/publisher.ts), written by the Lease holder only.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { pluggedFolder, stateFolder, type MaterialCandidate } from './folder.js';
import { caSecret, cacertsSecret } from './kube-secrets.js';
import { FileBackedMeshCA, type CaLog } from './mesh-ca.js';
import type { CaMetrics } from './metrics.js';
import type { RootPublisher } from './publisher.js';
import type { MeshCA } from './types.js';
import { DEFAULT_CACERTS_DIR, DEFAULT_CA_STATE_DIR } from './defaults.js';

export { DEFAULT_CACERTS_DIR, DEFAULT_CA_STATE_DIR };
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
/** istiod's self-signed root lives 10 years. */
export const ROOT_TTL_MS = 10 * 365 * 24 * 3600 * 1000;
export const DEFAULT_SERVING_TTL_SECONDS = 24 * 3600;

/** istiod's serving names in `namespace` plus tspilot's own Service names (short names get `.<ns>.svc`). */
export function servingDnsNames(namespace: string, extra: readonly string[] = ['tspilot']): string[] {
  const full = (n: string): string => (n.includes('.') ? n : `${n}.${namespace}.svc`);
  const names = ['istiod', 'istiod-remote', 'istio-pilot'].map(full).concat(extra.map(full));
  return [...new Set(names)];
}

export interface StartMeshCAOptions {
  /** tspilot's namespace: Secrets and the serving names' namespace. */
  readonly namespace: string;
  /** Kubernetes mode: Secrets (and root distribution) through this cluster. Absent = folder mode. */
  readonly kubeConfig?: KubeConfig;
  readonly cacertsDir?: string;
  readonly stateDir?: string;
  readonly trustDomain?: string;
  /** Extra serving DNS names (`--tls-dns-names`); default ['tspilot']. */
  readonly dnsNames?: readonly string[];
  readonly servingTtlSeconds?: number;
  /** How often files/Secrets are re-read besides file events (default 10 s). */
  readonly pollMs?: number;
  readonly log: CaLog;
  readonly metrics?: CaMetrics;
  /** Kubernetes mode: publish the root ConfigMaps (default true) — Lease timings and the mesh ConfigMap for discoverySelectors. */
  readonly publishRoots?: boolean;
  readonly meshConfigMap?: string;
  readonly lease?: {
    readonly durationMs?: number;
    readonly renewDeadlineMs?: number;
    readonly retryMs?: number;
    readonly identity?: string;
  };
}

export type RunningMeshCA = MeshCA & {
  close(): Promise<void>;
  describe(): { source: string; plugged: boolean };
  /** The CA metrics it was started with (the CA service counts into the same ones). */
  readonly metrics?: CaMetrics;
  /** Kubernetes mode: the root ConfigMap publisher (is this replica the leader, writes done). */
  readonly publisher?: RootPublisher;
};

/** Where the root comes from; `core` (Kubernetes mode) reads the CA Secrets. */
export function caCandidates(o: StartMeshCAOptions, core?: CoreV1Api): MaterialCandidate[] {
  const td = o.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const out: MaterialCandidate[] = [pluggedFolder(o.cacertsDir ?? DEFAULT_CACERTS_DIR)];
  if (core) {
    out.push(cacertsSecret(core, o.namespace), caSecret(core, o.namespace, td, ROOT_TTL_MS));
  } else {
    out.push(stateFolder(o.stateDir ?? DEFAULT_CA_STATE_DIR, td, ROOT_TTL_MS));
  }
  return out;
}

export async function startMeshCA(o: StartMeshCAOptions): Promise<RunningMeshCA> {
  // Kubernetes mode only: client-node and the root publisher load here (file mode never pays for them).
  const core = o.kubeConfig ? o.kubeConfig.makeApiClient((await import('@kubernetes/client-node')).CoreV1Api) : undefined;
  const ca = await FileBackedMeshCA.start({
    candidates: caCandidates(o, core),
    dnsNames: servingDnsNames(o.namespace, o.dnsNames),
    servingTtlSeconds: o.servingTtlSeconds ?? DEFAULT_SERVING_TTL_SECONDS,
    pollMs: o.pollMs ?? 10_000,
    log: o.log,
  });
  const gauge = (): void => {
    o.metrics?.rootExpiry.set(ca.rootExpiry());
  };
  gauge();
  const off = ca.onChange(gauge);
  let publisher: RootPublisher | undefined;
  if (o.kubeConfig && o.publishRoots !== false) {
    const { RootPublisher } = await import('./publisher.js');
    publisher = new RootPublisher({
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      meshConfigMap: o.meshConfigMap,
      ca,
      log: o.log,
      identity: o.lease?.identity ?? `${os.hostname()}_${randomUUID()}`,
      leaseDurationMs: o.lease?.durationMs,
      renewDeadlineMs: o.lease?.renewDeadlineMs,
      retryMs: o.lease?.retryMs,
    });
    publisher.start();
  }
  return {
    ...(publisher ? { publisher } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
    roots: () => ca.roots(),
    serving: () => ca.serving(),
    onChange: (cb) => ca.onChange(cb),
    sign: (csr, ids, ttl) => ca.sign(csr, ids, ttl),
    describe: () => ca.describe(),
    close: async () => {
      off();
      ca.close();
      await publisher?.close();
    },
  };
}
