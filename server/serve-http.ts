/**
 * @module server/serve-http
 * The HTTP surface of `tspilot serve`, wired to the running pipeline: the debug/REST router (8080:
 * /debug/*, the v1 API, REST-JSON), the monitoring router (15014: the same debug routes and
 * /metrics, as istiod), what the debug views read (DebugSources: the last store output, the cache,
 * the engine, the peers, dry runs parsed off the event loop), and the admission webhook's options.
 * Builds routes only; serve.ts opens the ports.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { StoreOutput } from '../watchers/store/stage.js';
import type { MeshOptions } from '../watchers/mesh.js';
import { ParseWorker } from '../watchers/file/parse-pool.js';
import type { Proxy } from '../model/proxy.js';
import type { StreamState } from './xds/state.js';
import { debugRoutes, synczEntries } from './http/debug.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits, type Router } from './http/router.js';
import { V1Api } from './http/v1/api.js';
import { restRoutes } from './http/rest.js';
import type { WebhookOptions } from './http/webhook.js';
import { serverDryRun } from './explain/dryrun.js';
import { debugPeers } from './replica/options.js';
import { syncState, type SyncEntry } from './cli/status.js';
import type { Observer } from './observe.js';
import type { XdsCore } from './serve-engine.js';
import { logger } from './log.js';
import type { ServeOptions } from './serve.js';

export interface HttpSurface {
  /** The debug/REST port's routes (8080). */
  readonly router: Router;
  /** The monitoring port's routes (15014). */
  readonly monitoring: Router;
  /** A handler failed: counted and logged. */
  onHttpError(e: Error): void;
  /** Stops the dry-run parser's worker. */
  close(): Promise<void>;
}

/** What the HTTP surface reads from the running server. */
export interface HttpDeps {
  readonly core: XdsCore;
  readonly observer: Observer;
  readonly kubeConfig: KubeConfig | undefined;
  /** The mesh options the store runs with (dry runs build with the same). */
  readonly meshOpts: MeshOptions;
  ready(): boolean;
  last(): StoreOutput;
  /** Recent streams refused on the TLS xDS port (none before it starts). */
  authRefusals(): readonly object[];
}

export function httpSurface(opts: Pick<ServeOptions, 'replicas' | 'monitoringPort'>, d: HttpDeps): HttpSurface {
  const { cache, engine } = d.core;
  const observer = d.observer;
  const v1 = new V1Api({ cache, ready: d.ready });
  // POSTed YAML is parsed off the event loop, a few at a time, each within 10 s.
  const dryRunParser = new ParseWorker({ timeoutMs: 10_000, maxQueued: 4 });
  // A peer's syncz entry is JSON of the same shape proxy-status reads; syncState tolerates missing fields.
  const replicas = debugPeers(
    opts.replicas ?? {},
    d.kubeConfig,
    opts.monitoringPort,
    () => synczEntries({ engine, pollers: () => v1.syncz() }),
    (t) => syncState(t as SyncEntry['types'][string]),
  );
  const sources = {
    replicas,
    authRefusals: d.authRefusals,
    engine,
    mesh: () => cache.mesh,
    ready: d.ready,
    sourceErrors: () => d.last().status.sourceErrors,
    duplicates: () => d.last().status.duplicates,
    ignored: () => d.last().status.ignored,
    envoyFilterSkips: d.core.envoyFilterSkips,
    pushStatus: () => observer.pushStatus(),
    pollers: () => v1.syncz(),
    snapshot: (p: Proxy) => cache.forProxy(p),
    dryRun: (yaml: string, streams: readonly StreamState[]) =>
      serverDryRun(
        d.last,
        () => cache.mesh,
        streams,
        yaml,
        d.meshOpts,
        (p) => cache.forProxy(p),
        (text, source) => dryRunParser.parse(text, source),
      ),
  };
  const router = v1.register(debugRoutes(sources));
  restRoutes(router, { snapshot: (p) => cache.forProxy(p), mesh: () => cache.mesh });
  // istiod serves /metrics on the monitoring port only.
  const monitoring = debugRoutes(sources).on('GET', '/metrics', async () => {
    const m = await observer.metrics.render();
    return { text: m.text, headers: { 'content-type': m.contentType } };
  });
  const onHttpError = (e: Error): void => {
    observer.metrics.internalErrors.inc();
    logger('http').error({ err: e.message }, 'handler failed');
  };
  return { router, monitoring, onHttpError, close: () => dryRunParser.close() };
}

/** Timeouts and the connection cap of every HTTP port. */
export function httpLimitsOf(opts: Pick<ServeOptions, 'httpMaxConnections'>): HttpLimits {
  return { ...DEFAULT_HTTP_LIMITS, ...(opts.httpMaxConnections ? { maxConnections: opts.httpMaxConnections } : {}) };
}

/** The admission webhook on `port`: reviews counted as istiod's validation metrics. */
export function webhookOptions(
  opts: Pick<ServeOptions, 'bind' | 'webhookCert' | 'webhookKey'>,
  port: number,
  http: HttpSurface,
  limits: HttpLimits,
  ready: () => boolean,
  observer: Observer,
): WebhookOptions {
  return {
    bind: opts.bind,
    port,
    certFile: opts.webhookCert,
    keyFile: opts.webhookKey,
    ready,
    onError: http.onHttpError,
    limits,
    onReview: (r) => observer.metrics.validation(r),
    onHttpError: (status) => observer.metrics.validationHttpErrors.inc({ status: String(status) }),
  };
}
