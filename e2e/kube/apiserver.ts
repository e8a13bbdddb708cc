// Contract: `startFakeApiServer(opts)` runs a Kubernetes API server stand-in on 127.0.0.1:<free port>
// that speaks the real list/watch HTTP protocol (see http.ts, list.ts, watch.ts, store.ts for the
// exact semantics) closely enough for unmodified @kubernetes/client-node informers, plus test hooks:
// programmatic writes (each a new global revision, fanned out to watches synchronously), `compact`
// (forget history -> 410 for older watches/continues), `dropWatches` (abrupt socket destroy),
// `closeWatches` (clean end, like a watch timeout), `forbid` (RBAC 403), `setDown` (connection
// refused or 503), `installResource` (a CRD created at run time: discovery lists it from then on),
// TokenReview for tokens tests register (tokenreview.ts), a request log, and `close()` which always tears everything down including
// hanging watch connections. Plain http (no TLS, no authentication).
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { handle, sendStatus, type RequestRecord, type Verb } from './http.js';
import { DEFAULT_RESOURCES, Registry, apiVersionOf, type ResourceDef } from './registry.js';
import { serviceUnavailable } from './status.js';
import { Store, type KubeObject } from './store.js';
import { WatchHub } from './watch.js';
import { TokenReviews } from './tokenreview.js';

export { DEFAULT_RESOURCES, type ResourceDef } from './registry.js';
export { ApiStatusError, type Status } from './status.js';
export type { KubeObject } from './store.js';
export type { RequestRecord, Verb } from './http.js';

export interface FakeApiServerOptions {
  /** Served resources (default DEFAULT_RESOURCES: core services/endpoints/pods/namespaces/configmaps, EndpointSlices, Istio networking). */
  resources?: readonly ResourceDef[];
  /** Events kept per resource before older history is forgotten (default 1000). */
  historyWindow?: number;
  /** Revision the store starts at (default 100). */
  initialResourceVersion?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 1000 ms; the real server: ~1 min). */
  bookmarkIntervalMs?: number;
  /** How long a list with a future resourceVersion waits before 504 (default 3000 ms, as upstream). */
  tooLargeWaitMs?: number;
  /** User named in 403 messages (default the istiod service account). */
  user?: string;
}

/** Identifies one object: apiVersion may be any served version of its resource. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface FakeApiServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly registry: Registry;
  /** Every request received, in arrival order (a watch is logged when its stream opens). */
  readonly requests: readonly RequestRecord[];
  clearRequests(): void;
  /** Current global revision (etcd revision). */
  resourceVersion(): number;
  create<T extends KubeObject>(obj: T): T;
  /**
   * Replace; a set metadata.resourceVersion must be current (else ApiStatusError 409). For a kind
   * with the status subresource (Pod, Service, Namespace, CRDs) the stored .status is kept.
   */
  update<T extends KubeObject>(obj: T): T;
  /** Create, or replace unconditionally when it exists (keeping .status, as `update`). */
  apply<T extends KubeObject>(obj: T): T;
  /** RFC 7386 merge patch (of .status too only for a kind without the status subresource). */
  patch(ref: ObjectRef, patch: unknown): KubeObject;
  /** A write to the `/status` subresource: `obj.status` replaces the stored one, nothing else changes. */
  updateStatus<T extends KubeObject>(obj: T): T;
  delete(ref: ObjectRef): KubeObject;
  get(ref: ObjectRef): KubeObject | undefined;
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /** Destroys every open watch socket without a terminating chunk; returns how many. */
  dropWatches(): number;
  /** Ends every open watch cleanly (as a server-side watch timeout does); returns how many. */
  closeWatches(): number;
  activeWatches(): number;
  /** Forgets history at or below `rv` (default: the current revision) for all resources. */
  compact(rv?: number): void;
  /** 403 for `resource` ('services', 'virtualservices.networking.istio.io' or {group, resource}) on `verbs` (default all). */
  forbid(resource: string | { group?: string; resource: string }, verbs?: Verb[]): void;
  /** Lifts forbid() rules for `resource`, or all of them. */
  unforbid(resource?: string | { group?: string; resource: string }): void;
  /** down=true: 'refuse' (default) stops listening (ECONNREFUSED) and kills connections; '503' answers 503. */
  setDown(down: boolean, mode?: 'refuse' | '503'): Promise<void>;
  /** Serves a new resource from now on, as creating its CustomResourceDefinition does (discovery included). */
  installResource(def: ResourceDef): void;
  /** Service-account tokens TokenReview accepts (register/revoke), and how many reviews were answered. */
  readonly tokenReviews: TokenReviews;
  /** Options for `new KubeConfig().loadFromOptions(...)` pointing at this server. */
  kubeConfigOptions(): Record<string, unknown>;
  close(): Promise<void>;
}

function parseGR(r: string | { group?: string; resource: string }): string {
  if (typeof r !== 'string') return `${r.group ?? ''}/${r.resource}`;
  const dot = r.indexOf('.');
  return dot < 0 ? `/${r}` : `${r.slice(dot + 1)}/${r.slice(0, dot)}`;
}

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const registry = new Registry(opts.resources ?? DEFAULT_RESOURCES);
  const store = new Store(registry.all(), { historyWindow: opts.historyWindow, initialResourceVersion: opts.initialResourceVersion });
  const hub = new WatchHub(store, opts.bookmarkIntervalMs ?? 1000);
  const requests: RequestRecord[] = [];
  const forbidden = new Map<string, Set<Verb> | 'all'>();
  const sockets = new Set<Socket>();
  let down: false | '503' | 'refuse' = false;
  let closed = false;
  let port = 0;

  const tokenReviews = new TokenReviews();
  const ctx = {
    registry,
    store,
    hub,
    tokenReviews,
    user: opts.user ?? 'system:serviceaccount:istio-system:istiod',
    tooLargeWaitMs: opts.tooLargeWaitMs ?? 3000,
    serverAddress: () => `127.0.0.1:${port}`,
    isForbidden: (def: ResourceDef, verb: Verb) => {
      const rule = forbidden.get(`${def.group}/${def.resource}`);
      return rule === 'all' || (rule !== undefined && rule.has(verb));
    },
    log: (rec: RequestRecord) => {
      requests.push(rec);
    },
  };

  const server: Server = createServer((req, res) => {
    if (down === '503') {
      const u = new URL(req.url ?? '/', 'http://fake');
      requests.push({
        method: req.method ?? 'GET',
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        verb: 'other',
        status: 503,
        time: Date.now(),
      });
      sendStatus(res, serviceUnavailable());
      return;
    }
    void handle(ctx, req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const killConnections = (): void => {
    hub.dropAll();
    server.closeAllConnections();
    for (const s of sockets) s.destroy();
  };
  const listen = (p: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      killConnections();
    });

  await listen(0);
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('fake apiserver: no TCP address');
  port = addr.port;
  const url = `http://127.0.0.1:${port}`;

  const resolve = (apiVersion: string, kind: string): { def: ResourceDef; version: string } => {
    const r = registry.byApiVersionKind(apiVersion, kind);
    if (!r) throw new Error(`fake apiserver: ${apiVersion} ${kind} is not a served resource`);
    return r;
  };
  const out = (def: ResourceDef, version: string, o: KubeObject): KubeObject => ({
    apiVersion: apiVersionOf(def.group, version),
    kind: def.kind,
    ...o,
  });

  const api: FakeApiServer = {
    url,
    port,
    registry,
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    resourceVersion: () => store.currentRV,
    create: <T extends KubeObject>(obj: T): T => {
      const { def, version } = resolve(obj.apiVersion ?? '', obj.kind ?? '');
      return out(def, version, store.create(def, obj)) as T;
    },
    update: <T extends KubeObject>(obj: T): T => {
      const { def, version } = resolve(obj.apiVersion ?? '', obj.kind ?? '');
      return out(def, version, store.update(def, obj)) as T;
    },
    apply: <T extends KubeObject>(obj: T): T => {
      const { def, version } = resolve(obj.apiVersion ?? '', obj.kind ?? '');
      const exists = store.get(def, obj.metadata?.namespace || 'default', obj.metadata?.name ?? '') !== undefined;
      const body = { ...obj, metadata: { ...(obj.metadata ?? {}), resourceVersion: undefined } };
      return out(def, version, exists ? store.update(def, body) : store.create(def, body)) as T;
    },
    updateStatus: <T extends KubeObject>(obj: T): T => {
      const { def, version } = resolve(obj.apiVersion ?? '', obj.kind ?? '');
      return out(def, version, store.updateStatus(def, obj)) as T;
    },
    patch: (ref, patch) => {
      const { def, version } = resolve(ref.apiVersion, ref.kind);
      return out(def, version, store.patch(def, ref.namespace, ref.name, patch));
    },
    delete: (ref) => {
      const { def, version } = resolve(ref.apiVersion, ref.kind);
      return out(def, version, store.delete(def, ref.namespace, ref.name));
    },
    get: (ref) => {
      const { def, version } = resolve(ref.apiVersion, ref.kind);
      const o = store.get(def, ref.namespace || 'default', ref.name);
      return o && out(def, version, o);
    },
    list: (apiVersion, kind, namespace) => {
      const { def, version } = resolve(apiVersion, kind);
      return store
        .current(def)
        .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
        .map((o) => out(def, version, structuredClone(o)));
    },
    dropWatches: () => hub.dropAll(),
    closeWatches: () => hub.closeAll(),
    activeWatches: () => hub.count,
    compact: (rv) => store.compact(rv),
    forbid: (resource, verbs) => {
      forbidden.set(parseGR(resource), verbs ? new Set(verbs) : 'all');
    },
    unforbid: (resource) => {
      if (resource === undefined) forbidden.clear();
      else forbidden.delete(parseGR(resource));
    },
    setDown: async (isDown, mode = 'refuse') => {
      if (closed) return;
      if (!isDown) {
        const wasRefusing = down === 'refuse';
        down = false;
        if (wasRefusing) await listen(port);
        return;
      }
      down = mode;
      if (mode === 'refuse') await stopListening();
      else killConnections();
    },
    tokenReviews,
    installResource: (def) => {
      registry.add(def);
      store.register(registry.byGroupResource(def.group, def.resource) as ResourceDef);
    },
    kubeConfigOptions: () => ({
      clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
      users: [{ name: 'fake-user' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake-user', namespace: 'default' }],
      currentContext: 'fake',
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      await stopListening();
      killConnections();
    },
  };
  return api;
}
