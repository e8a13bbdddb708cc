/**
 * @module server/ca/publisher
 * Root distribution in Kubernetes mode, as istiod's namespace controller: the ConfigMap
 * `istio-ca-root-cert` (key `root-cert.pem`: the mesh roots) in every discovered namespace — every
 * namespace, or those the mesh config's discoverySelectors select (watchers/kube/scope.ts), minus
 * kube-system, kube-public, kube-node-lease and terminating namespaces. It is created when a
 * namespace appears, re-created when deleted, rewritten when edited or when the root rotates.
 * Only the Lease holder (server/ca/lease.ts) writes; every replica watches, so a new leader
 * reconciles everything at once. Informers are watchers/kube's supervised WatchLoops.
 */
import { ApiException, CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { KubeClient, type RawObject } from '../../watchers/kube/client.js';
import { WatchLoop } from '../../watchers/kube/informer.js';
import type { WatchedResource } from '../../watchers/kube/resources.js';
import { discoverySelectorsOf, namespaceSelected, type LabelSelector } from '../../watchers/kube/scope.js';
import { LeaderElector } from './lease.js';
import type { CaLog } from './mesh-ca.js';
import type { MeshCA } from './types.js';

export const ROOT_CONFIGMAP = 'istio-ca-root-cert';
export const ROOT_KEY = 'root-cert.pem';
export const IGNORED_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease']);
export const ROOT_LEASE = 'tspilot-namespace-controller';

const NAMESPACES: WatchedResource = {
  group: '',
  resource: 'namespaces',
  kind: 'Namespace',
  versions: ['v1'],
  namespaced: false,
  optional: false,
};
const CONFIGMAPS: WatchedResource = {
  group: '',
  resource: 'configmaps',
  kind: 'ConfigMap',
  versions: ['v1'],
  namespaced: true,
  optional: false,
};

export interface PublisherOptions {
  readonly kubeConfig: KubeConfig;
  /** tspilot's namespace: the Lease and the mesh ConfigMap live here. */
  readonly namespace: string;
  readonly meshConfigMap?: string;
  readonly ca: Pick<MeshCA, 'roots' | 'onChange'>;
  readonly identity: string;
  readonly log: CaLog & { debug?(obj: object, msg: string): void };
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryMs?: number;
}

export class RootPublisher {
  private readonly loops: WatchLoop[] = [];
  private readonly elector: LeaderElector;
  private readonly api: CoreV1Api;
  private readonly namespaces = new Map<string, RawObject>();
  private readonly current = new Map<string, RawObject>();
  private selectors: LabelSelector[] = [];
  private readonly queue = new Set<string>();
  private draining = false;
  private offChange: (() => void) | undefined;
  /** Writes done (create/update), for tests and logs. */
  writes = 0;

  constructor(private readonly o: PublisherOptions) {
    this.api = o.kubeConfig.makeApiClient(CoreV1Api);
    this.elector = new LeaderElector({
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      name: ROOT_LEASE,
      identity: o.identity,
      log: o.log,
      leaseDurationMs: o.leaseDurationMs,
      renewDeadlineMs: o.renewDeadlineMs,
      retryMs: o.retryMs,
      onLeading: (v) => {
        if (v) this.enqueueAll();
      },
    });
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  start(): void {
    const client = new KubeClient(this.o.kubeConfig);
    const log = {
      debug: (obj: object, msg: string) => this.o.log.debug?.(obj, msg),
      info: this.o.log.info.bind(this.o.log),
      warn: this.o.log.warn.bind(this.o.log),
      error: this.o.log.error.bind(this.o.log),
    };
    const loop = (
      resource: WatchedResource,
      extra: { namespace?: string; fieldSelector?: string },
      upsert: (o: RawObject) => void,
      remove: (o: RawObject) => void,
    ): void => {
      const l = new WatchLoop({ client, resource, log, ...extra, upsert, remove, settled: () => undefined });
      this.loops.push(l);
      l.start();
    };
    loop(
      NAMESPACES,
      {},
      (o) => {
        this.namespaces.set(nameOf(o), o);
        this.enqueue(nameOf(o));
      },
      (o) => {
        this.namespaces.delete(nameOf(o));
      },
    );
    loop(
      CONFIGMAPS,
      { fieldSelector: `metadata.name=${ROOT_CONFIGMAP}` },
      (o) => {
        this.current.set(nsOf(o), o);
        this.enqueue(nsOf(o));
      },
      (o) => {
        this.current.delete(nsOf(o));
        this.enqueue(nsOf(o));
      },
    );
    const cm = this.o.meshConfigMap ?? 'istio';
    loop(
      CONFIGMAPS,
      { namespace: this.o.namespace, fieldSelector: `metadata.name=${cm}` },
      (o) =>
        this.setMesh(
          typeof (o['data'] as Record<string, unknown> | undefined)?.['mesh'] === 'string'
            ? String((o['data'] as Record<string, string>)['mesh'])
            : '',
        ),
      () => this.setMesh(''),
    );
    this.offChange = this.o.ca.onChange(() => this.enqueueAll());
    this.elector.start();
  }

  async close(): Promise<void> {
    this.offChange?.();
    await Promise.all([...this.loops.map((l) => l.stop()), this.elector.close()]);
  }

  /** Namespaces that should have the root ConfigMap now, sorted. */
  wanted(): string[] {
    return [...this.namespaces.values()]
      .filter((n) => {
        const name = nameOf(n);
        const phase = (n['status'] as { phase?: string } | undefined)?.phase;
        return !IGNORED_NAMESPACES.has(name) && phase !== 'Terminating' && namespaceSelected(this.selectors, n.metadata?.labels);
      })
      .map(nameOf)
      .sort();
  }

  private setMesh(text: string): void {
    const { selectors } = discoverySelectorsOf(text);
    if (JSON.stringify(selectors) === JSON.stringify(this.selectors)) return;
    this.selectors = selectors;
    this.enqueueAll();
  }

  private enqueueAll(): void {
    for (const n of this.namespaces.keys()) this.enqueue(n);
  }

  private enqueue(ns: string): void {
    this.queue.add(ns);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.size) {
        const ns = [...this.queue].sort()[0]!;
        this.queue.delete(ns);
        if (!this.elector.isLeader()) continue; // the leader reconciles everything when it takes over
        try {
          await this.reconcile(ns);
        } catch (e) {
          this.o.log.warn(
            { namespace: ns, err: (e as Error).message },
            `cannot write ConfigMap ${ns}/${ROOT_CONFIGMAP}: ${(e as Error).message}; retrying`,
          );
          setTimeout(() => this.enqueue(ns), 2000).unref();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async reconcile(ns: string): Promise<void> {
    if (!this.wanted().includes(ns)) return;
    const want = this.o.ca.roots().join('');
    const have = this.current.get(ns);
    const data = have?.['data'] as Record<string, string> | undefined;
    if (have && data?.[ROOT_KEY] === want) return;
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ROOT_CONFIGMAP, namespace: ns, labels: { 'istio.io/config': 'true' } },
      data: { [ROOT_KEY]: want },
    };
    try {
      if (have) {
        await this.api.replaceNamespacedConfigMap({
          name: ROOT_CONFIGMAP,
          namespace: ns,
          body: { ...body, metadata: { ...body.metadata, resourceVersion: have.metadata?.resourceVersion ?? '' } },
        });
      } else {
        await this.api.createNamespacedConfigMap({ namespace: ns, body });
      }
      this.writes++;
      this.o.log.info({ namespace: ns }, `${have ? 'updated' : 'created'} ConfigMap ${ns}/${ROOT_CONFIGMAP}`);
    } catch (e) {
      const code = e instanceof ApiException ? e.code : undefined;
      // 409 / 404: our cache was behind; the watch event that follows requeues the namespace.
      if (code === 409 || code === 404) return;
      throw new Error(`${code ?? ''} ${(e as Error).message}`.trim());
    }
  }
}

const nameOf = (o: RawObject): string => o.metadata?.name ?? '';
const nsOf = (o: RawObject): string => o.metadata?.namespace ?? '';
