/**
 * @module server/serve-push
 * What `tspilot serve` does with each store output: keeps it as the last output (what configz,
 * registryz and dry runs read, never the live store), logs its policy notices, hands its Gateway
 * API status to the status writer (Kubernetes mode, elected leader), joins the RequestAuthentication
 * jwksUri keys fetched beside the pipeline, and submits the push to the push stage (PushRunner),
 * whose outcomes are logged and counted here. Owns readiness: `ready()` turns true once a push
 * completes without being superseded.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { firstValueFrom, type Observable, type Subscription } from 'rxjs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { StoreOutput } from '../watchers/store/stage.js';
import { meshNoticeLogger } from '../watchers/mesh-notice-log.js';
import { fullPush, type PushRequest } from '../model/push.js';
import type { SnapshotCache } from './cache/snapshot.js';
import type { AdsEngine } from './xds/ads.js';
import { PushRunner } from './push/runner.js';
import { GatewayStatusWriter } from './gwstatus/writer.js';
import { JwksFetcher, jwksUris, withJwks } from './security/jwks.js';
import type { KubeModeOptions } from './source.js';
import type { Observer } from './observe.js';
import { epochMs, logger } from './log.js';
import type { ServeOptions } from './serve.js';

export interface Pushing {
  /** Resolves with the store's first output (every source synced). */
  readonly first: Promise<StoreOutput>;
  /** True once a push completed without being superseded: /ready answers 200. */
  ready(): boolean;
  /** The store stage's last output (the empty one before the first). */
  last(): StoreOutput;
  /** Stops taking store outputs and waits for the running push; stops the JWKS fetches. */
  stop(): Promise<void>;
  /** Releases the Gateway API status writer's Lease (Kubernetes mode). */
  closeStatus(): Promise<void>;
}

/** Subscribes the push stage to `store$`; `empty` is the output served until the first. */
export function startPushing(
  opts: Pick<ServeOptions, 'kube' | 'jwksRefreshMs'>,
  store$: Observable<StoreOutput>,
  empty: StoreOutput,
  kubeConfig: KubeConfig | undefined,
  cache: SnapshotCache,
  engine: AdsEngine,
  observer: Observer,
): Pushing {
  const log = logger('serve');
  const adsLog = logger('ads');
  let last = empty;
  // The push stage: rotates the cache to each new mesh and tells the engine which streams are owed what.
  // Pushes are sliced (runner.submit): between slices ACKs, requests and /ready keep flowing, and a
  // newer change supersedes the rest of a running push.
  let rec: { end(responses: number): unknown } | null = null;
  /** When the running push started (epochMs: joins other processes' clocks, for timelines). */
  let startedAt = 0;
  // The engine's write counters when the push started: the push's own encode-and-write share (issue 18's flat cost).
  let written = { bytes: 0, ms: 0 };
  const runner = new PushRunner(cache, engine, {
    classError: ({ proxyClass, error, streams }) => (
      observer.metrics.pushContextErrors.inc(),
      adsLog.error(
        { proxyClass, streams, err: error.message },
        `cannot prepare the push for ${proxyClass}: ${error.message}; its ${streams} stream(s) keep their config`,
      )
    ),
    pushStarted: ({ request }) => {
      startedAt = epochMs();
      rec = observer.beginPush(request);
      written = { bytes: engine.counters.bytesWritten, ms: engine.counters.writeMs };
    },
    pushDone: ({ request: u, responses, ms, superseded, slices }) => {
      rec?.end(responses);
      rec = null;
      if (!superseded) ready = true;
      log.info(
        {
          generation: u.mesh.generation,
          kinds: [...u.kinds].sort(),
          services: u.mesh.services.length,
          rejected: u.mesh.rejected.length,
          responses,
          pushMs: Math.round(ms * 10) / 10,
          writeMs: Math.round((engine.counters.writeMs - written.ms) * 10) / 10,
          bytesWritten: engine.counters.bytesWritten - written.bytes,
          buildMs: Math.round(u.buildMs * 10) / 10,
          slices,
          superseded,
          sinceChangeMs: Date.now() - u.firstChangeAt,
          firstChangeAt: u.firstChangeAt,
          startedAt,
          endedAt: epochMs(),
        },
        superseded ? 'push superseded by a newer change' : 'config pushed',
      );
    },
    pushFailed: ({ request: u, error }) => {
      observer.metrics.pushContextErrors.inc();
      log.error({ generation: u.mesh.generation, err: error.message }, `push of generation ${u.mesh.generation} failed: ${error.message}`);
    },
  });
  let ready = false;
  // RequestAuthentication jwksUri keys: fetched beside the pipeline, joined to each snapshot; new or
  // rotated keys re-push the last snapshot (a fetch never holds a push back).
  let lastRequest: PushRequest | undefined;
  const jwksLog = logger('jwks');
  const jwks = new JwksFetcher({
    ...(opts.jwksRefreshMs !== undefined ? { refreshMs: opts.jwksRefreshMs } : {}),
    onChange: () => {
      if (lastRequest) safePush(fullPush(lastRequest.mesh, new Set(['RequestAuthentication']), new Set(), Date.now()));
    },
    onFetch: (uri, o) => {
      if (o.ok) {
        observer.metrics.jwksFetchOk.inc();
        if (o.changed) jwksLog.info({ uri }, `keys from ${uri} fetched`);
      } else {
        observer.metrics.jwksFetchFail.inc();
        jwksLog.warn(
          { uri, err: o.error },
          `cannot fetch keys from ${uri}: ${o.error}; ${o.keptLastGood ? 'the last good keys stay in force' : 'tokens of its issuer are refused until it answers'}`,
        );
      }
    },
  });
  const first = firstValueFrom(store$);
  // Kubernetes mode: the Gateway API status the store computed is written back by the elected leader.
  const gwStatus = opts.kube && kubeConfig ? gatewayStatusWriter(opts.kube, kubeConfig) : undefined;
  // Sliced (runner.submit): failures are reported through the runner's pushFailed event.
  const safePush = (raw: PushRequest): void => {
    void runner.submit({ ...raw, mesh: withJwks(raw.mesh, jwks.snapshot()) });
  };
  // Policy notices (a selector picking no workload) and ignored parts of objects: logged once each.
  const logMeshNotices = meshNoticeLogger(logger('store'));
  const sub: Subscription = store$.subscribe((out) => {
    last = out;
    logMeshNotices(out.mesh);
    gwStatus?.update(out.mesh.gatewayApiStatus ?? []);
    lastRequest = out.change;
    jwks.want(jwksUris(out.change.mesh));
    safePush(out.change);
  });
  return {
    first,
    ready: () => ready,
    last: () => last,
    stop: async () => {
      sub.unsubscribe();
      await runner.stop();
      jwks.close();
    },
    closeStatus: async () => {
      await gwStatus?.close();
    },
  };
}

function gatewayStatusWriter(k: KubeModeOptions, kc: KubeConfig): GatewayStatusWriter {
  const w = new GatewayStatusWriter({
    kubeConfig: kc,
    namespace: k.istioNamespace,
    identity: `${os.hostname()}_${randomUUID()}`,
    log: logger('gateway-status'),
  });
  w.start();
  return w;
}
