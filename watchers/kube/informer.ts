/**
 * @module watchers/kube/informer
 * One supervised client-node informer per resource. client-node 1.4's informer relists by itself
 * after a 410 (reporting the differences as add/update/delete), but on any other failure — a
 * dropped connection, 403, 404, 5xx, connection refused — it emits `error` and stops, and its own
 * stop() also fires an `error`. This wrapper therefore owns the lifecycle:
 * - discovery first (which version is served; `null` = not installed → warn, count as settled so
 *   readiness is not held hostage, and poll discovery until it appears);
 * - restart after every error with exponential backoff and jitter; a restart resumes the watch from
 *   the last resourceVersion, or relists when the list itself failed (nothing lost, no duplicates:
 *   the informer diffs the new list against its cache);
 * - 403: an error log naming the verb, resource and API group the service account lacks, counted as
 *   settled, retried slowly so that granting the permission heals it without a restart;
 * - 404 while running (the CRD was removed): its cached objects are reported deleted, back to polling.
 * `settled()` fires once: after the first complete list, or when the resource is known to be
 * absent or forbidden.
 */
import { makeInformer, type Informer, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { KubeApiError, type KubeClient, type RawObject } from './client.js';
import { servedVersion } from './discovery.js';
import { apiVersion, collectionPath, resourceName, WATCH_VERBS, type WatchedResource } from './resources.js';

/** The subset of a pino logger the watchers use (watchers may not import server/log). */
export interface KubeLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /**
   * Cap while the API server itself is unavailable (connection refused/reset, 5xx): it comes back
   * as a whole, and a watch that sleeps through its return leaves changes unseen for that long.
   */
  readonly unavailableMaxMs?: number;
}
export const DEFAULT_BACKOFF: Backoff = { initialMs: 200, maxMs: 30_000, unavailableMaxMs: 3_000 };

/**
 * Delay before retry number `attempt` (0-based): exponential from initialMs, capped at maxMs, with
 * "equal jitter" (between half and all of it) so replicas restarted together do not retry in step.
 */
export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const base = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random() * 0.5));
}

export interface WatchLoopOptions {
  readonly client: KubeClient;
  readonly resource: WatchedResource;
  readonly log: KubeLog;
  /** Watch one namespace only (the mesh ConfigMap); default all namespaces. */
  readonly namespace?: string;
  readonly fieldSelector?: string;
  readonly backoff?: Backoff;
  /** How often discovery is polled for a resource that is not served. */
  readonly discoveryPollMs?: number;
  readonly upsert: (raw: RawObject) => void;
  readonly remove: (raw: RawObject) => void;
  readonly settled: () => void;
  /** Called (once per absence) when discovery says the resource is not served. */
  readonly absent?: () => void;
  /**
   * Trims an object in place as it arrives, before anything else sees it: the informer's cache
   * holds the same object, so what is removed here is not kept (Secrets: every non-TLS value).
   */
  readonly scrub?: (raw: KubernetesObject) => void;
  /** A list or watch succeeded again after failures: the API server is back (the source retries the other loops at once). */
  readonly recovered?: () => void;
  /** Counters: `relist` = a list after the first (410 Gone or a failed list), `reconnect` = a watch reopened. */
  readonly counted?: (what: 'relist' | 'reconnect') => void;
}

type Inf = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

/** Status code of an error from our list (KubeApiError.code), a watch (statusCode) or the network (none). */
function statusOf(e: unknown): number | undefined {
  if (e instanceof KubeApiError) return e.code;
  const o = e as { statusCode?: unknown; code?: unknown } | null;
  if (typeof o?.statusCode === 'number') return o.statusCode;
  return typeof o?.code === 'number' ? o.code : undefined;
}

export class WatchLoop {
  private stopped = false;
  private inf: Inf | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private startedAt = 0;
  private isSettled = false;
  private absentLogged = false;
  private forbiddenLogged = false;
  private version = '';
  /** Set by a failure, cleared by the next successful list or watch (then `recovered` fires). */
  private failing = false;
  private lists = 0;
  private connects = 0;
  private errors = 0;
  private retry: (() => void) | undefined;
  readonly name: string;
  readonly resource: WatchedResource;

  constructor(private readonly o: WatchLoopOptions) {
    this.name = resourceName(o.resource);
    this.resource = o.resource;
  }

  start(): void {
    void this.discover();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inf?.stop().catch(() => undefined);
  }

  private settle(): void {
    if (this.isSettled) return;
    this.isSettled = true;
    this.o.settled();
  }

  private get fields(): object {
    return { resource: this.o.resource.resource, group: this.o.resource.group, apiVersion: this.version || undefined };
  }

  private delayMs(code?: number): number {
    // A connection that lived a while was healthy: start the backoff over.
    if (this.startedAt && Date.now() - this.startedAt > 10_000) this.attempt = 0;
    const b = this.o.backoff ?? DEFAULT_BACKOFF;
    const unavailable = code === undefined || code >= 500;
    return backoffDelay(
      this.attempt++,
      unavailable && b.unavailableMaxMs !== undefined ? { ...b, maxMs: Math.min(b.maxMs, b.unavailableMaxMs) } : b,
    );
  }

  private later(fn: () => void, ms: number): void {
    clearTimeout(this.timer);
    this.retry = fn;
    this.timer = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) fn();
    }, ms);
  }

  /** If this loop is waiting out a backoff after a failure, retry now (another watch just reconnected). */
  retryNow(): void {
    const fn = this.retry;
    if (!fn || this.stopped || !this.failing || this.forbiddenLogged) return;
    clearTimeout(this.timer);
    this.retry = undefined;
    this.o.log.debug(this.fields, `${this.name}: retrying now, the API server answers again`);
    fn();
  }

  private succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.o.recovered?.();
  }

  /**
   * The informer's cache (one namespace, or all), as typed raw objects. The source reads this
   * instead of keeping a second copy of every object when scope changes need a re-evaluation.
   */
  cached(namespace?: string): RawObject[] {
    const av = apiVersion(this.o.resource.group, this.version);
    return (this.inf?.list(namespace) ?? []).map((x) => ({ apiVersion: av, kind: this.o.resource.kind, ...(x as RawObject) }));
  }

  private async discover(): Promise<void> {
    if (this.stopped) return;
    let v: string | null;
    try {
      v = await servedVersion(this.o.client, this.o.resource);
    } catch (e) {
      if (this.stopped) return;
      const code = statusOf(e);
      this.failing = true;
      // Discovery is readable by every authenticated user by default; if it is not, say so and
      // do not hold readiness hostage (as for a forbidden list).
      if (code === 403) this.settle();
      const delay = this.delayMs(code);
      const msg = (e as Error).message;
      this.o.log.warn(
        { ...this.fields, status: code, err: msg, attempt: this.attempt, retryInMs: delay },
        code === undefined
          ? `cannot reach the Kubernetes API server at ${this.o.client.server} to discover ${this.name}: ${msg}; retrying in ${delay} ms`
          : `API discovery for ${this.name} failed with HTTP ${code}: ${msg}; retrying in ${delay} ms`,
      );
      this.later(() => void this.discover(), delay);
      return;
    }
    if (this.stopped) return;
    if (v === null) {
      if (!this.absentLogged) {
        this.absentLogged = true;
        const poll = this.o.discoveryPollMs ?? 30_000;
        this.o.log.warn(
          { ...this.fields, pollMs: poll },
          `${this.name} is not served by the API server (${this.o.resource.optional ? 'CRD not installed' : 'API not available'}); treating it as empty and checking discovery every ${poll} ms until it appears`,
        );
        this.o.absent?.();
      }
      this.settle();
      this.later(() => void this.discover(), this.o.discoveryPollMs ?? 30_000);
      return;
    }
    this.succeeded();
    if (this.absentLogged)
      this.o.log.info(
        { ...this.fields, apiVersion: v },
        `${this.name} is now served (${apiVersion(this.o.resource.group, v)}); starting its watch`,
      );
    this.absentLogged = false;
    this.attempt = 0;
    this.version = v;
    this.startInformer(v);
  }

  private startInformer(version: string): void {
    const r = this.o.resource;
    const listPath = collectionPath(r, version, this.o.namespace);
    const query: Record<string, string> = this.o.fieldSelector ? { fieldSelector: this.o.fieldSelector } : {};
    // Bookmarks keep the informer's resourceVersion fresh, so a restart rarely needs a relist.
    const watchPath = `${listPath}?${new URLSearchParams({ ...query, allowWatchBookmarks: 'true' }).toString()}`;
    const av = apiVersion(r.group, version);
    // Lists of built-in kinds omit kind/apiVersion on their items; the validators need both.
    const typed = (o: KubernetesObject): RawObject => ({ apiVersion: av, kind: r.kind, ...(o as RawObject) });
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      if (this.stopped) throw new Error('stopped');
      const relist = this.lists++ > 0;
      if (relist && !this.failing) {
        // No failure before this list: the watch ended with 410 Gone (its resourceVersion is older
        // than the API server's history) and client-node relists by itself.
        this.o.log.info(this.fields, `${this.name}: watch history expired (410 Gone); relisting`);
      }
      if (relist) this.o.counted?.('relist');
      const l = await this.o.client.listAll(listPath, query);
      this.succeeded();
      // Runs after the informer has applied this list (its add/update/delete handlers are synchronous).
      setImmediate(() => {
        if (this.stopped) return;
        if (this.forbiddenLogged) this.o.log.info(this.fields, `${this.name}: access granted; watching again`);
        this.forbiddenLogged = false;
        this.settle();
      });
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: l.resourceVersion }, items: l.items as KubernetesObject[] };
    };
    const inf: Inf = makeInformer<KubernetesObject>(this.o.client.kc, watchPath, list);
    // A new informer (first start, or the resource served again after a 404) starts with a first list.
    this.lists = 0;
    this.connects = 0;
    inf.on('add', (x) => {
      this.o.scrub?.(x);
      if (!this.stopped) this.o.upsert(typed(x));
    });
    inf.on('update', (x) => {
      this.o.scrub?.(x);
      if (!this.stopped) this.o.upsert(typed(x));
    });
    inf.on('delete', (x) => {
      if (!this.stopped) this.o.remove(typed(x));
    });
    inf.on('error', (e) => this.onError(e));
    // CONNECT: the watch is (re)opening — after a failure, a server-side timeout or a 410.
    inf.on('connect', () => {
      if (this.connects++ > 0) this.o.counted?.('reconnect');
    });
    this.inf = inf;
    this.run();
  }

  private run(): void {
    const inf = this.inf;
    if (!inf || this.stopped) return;
    this.startedAt = Date.now();
    // stop() during a list does not abort the watch that follows: stop again once it is open.
    // start() resolves once the list (if any) is applied and the watch request has been answered —
    // also when that failed (client-node reports it through `error` first): only without a new
    // error is the API server back.
    const errorsBefore = this.errors;
    inf.start().then(
      () => {
        if (this.stopped) void inf.stop();
        else if (this.errors === errorsBefore) this.succeeded();
      },
      (e: unknown) => this.onError(e),
    );
  }

  private onError(e: unknown): void {
    if (this.stopped) return;
    this.failing = true;
    this.errors++;
    const code = statusOf(e);
    const verb = e instanceof KubeApiError ? 'list' : 'watch';
    const msg = (e as Error)?.message ?? String(e);
    if (code === 403) {
      const b = this.o.backoff ?? DEFAULT_BACKOFF;
      const delay = Math.max(b.initialMs, Math.min(b.maxMs, 5_000));
      if (!this.forbiddenLogged) {
        this.forbiddenLogged = true;
        const r = this.o.resource;
        this.o.log.error(
          { ...this.fields, verb, missing: { verbs: WATCH_VERBS, resources: [r.resource], apiGroups: [r.group] }, reason: msg },
          `forbidden: tspilot's service account may not ${verb} ${this.name} (RBAC needs verbs ${WATCH_VERBS.join(', ')} on resource "${r.resource}" in API group "${r.group}"): ${msg}; ` +
            `everything else keeps working, ${this.name} keeps its last known state, retrying every ${delay} ms`,
        );
      }
      this.settle();
      this.later(() => this.run(), delay);
      return;
    }
    if (code === 404) {
      this.o.log.warn(
        this.fields,
        `${this.name} is no longer served (CRD removed?); its objects are dropped and discovery is polled until it returns`,
      );
      const gone = this.inf;
      this.inf = undefined;
      void gone?.stop();
      for (const x of gone?.list() ?? [])
        this.o.remove({ apiVersion: apiVersion(this.o.resource.group, this.version), kind: this.o.resource.kind, ...(x as RawObject) });
      this.later(() => void this.discover(), this.delayMs());
      return;
    }
    const delay = this.delayMs(code);
    const where = code === undefined ? `the Kubernetes API server at ${this.o.client.server}` : `${this.name} (HTTP ${code})`;
    this.o.log.warn(
      { ...this.fields, verb, status: code, err: msg, attempt: this.attempt, retryInMs: delay },
      `${verb} of ${this.name} failed: ${msg} (${where}); retrying in ${delay} ms`,
    );
    this.later(() => this.run(), delay);
  }
}
