/**
 * @module server/serve-engine
 * The xDS core as `tspilot serve` runs it: the snapshot cache and the ADS engine, with their
 * failures and stream events logged (scope `ads`) and counted (the Observer's istiod metrics),
 * NACKs rate-limited in the log, the latest skipped EnvoyFilter patches kept for /debug/configz,
 * and istiod's debug types (`istio.io/debug/*`) served over xDS. Starts nothing: no port, no timer.
 */
import { SnapshotCache } from './cache/snapshot.js';
import { AdsEngine, typeShort } from './xds/ads.js';
import { NackLog } from './xds/nacklog.js';
import { DebugTypes, type DebugTypesOptions } from './xds/debugtypes.js';
import { configDumpConfigs } from './http/configdump.js';
import { controlPlaneIdentifier } from './version.js';
import { logger } from './log.js';
import { DEFAULT_ISTIO_NAMESPACE } from './defaults.js';
import { mergeEvents, type Observer } from './observe.js';
import type { MeshConfig } from '../model/config.js';
import type { ServeOptions } from './serve.js';

/** The options of `serve` the cache and the engine read. */
export type EngineOptions = Pick<
  ServeOptions,
  'kube' | 'maxResponseBytes' | 'pushThrottle' | 'maxStreamNames' | 'maxServerNames' | 'classCacheSize' | 'classCacheBytes'
>;

export interface XdsCore {
  readonly cache: SnapshotCache;
  readonly engine: AdsEngine;
  /** EnvoyFilter patches skipped as invalid or not applicable to the proxy (latest 200), for /debug/configz. */
  envoyFilterSkips(): object[];
}

/**
 * The cache (starting from `mesh`, the empty store output's) and the engine over it. `httpGet`
 * answers the generic `istio.io/debug` type from the debug HTTP routes (built after the engine).
 */
export function xdsCore(
  opts: EngineOptions,
  mesh: MeshConfig,
  observer: Observer,
  httpGet: NonNullable<DebugTypesOptions['httpGet']>,
): XdsCore {
  const adsLog = logger('ads');
  const envoyFilterSkips = new Map<string, object>();
  const cache = new SnapshotCache(mesh, {
    onError: ({ proxyClass, typeUrl, name, error }) => (
      observer.metrics.internalErrors.inc(),
      adsLog.error(
        { proxyClass, type: typeShort(typeUrl), resource: name, err: error.message },
        `cannot encode ${typeShort(typeUrl)} ${name} for ${proxyClass}: ${error.message}; left out`,
      )
    ),
    onPatchSkipped: (s) => {
      envoyFilterSkips.set(`${s.filter}#${s.patchIndex} ${typeShort(s.typeUrl)} ${s.resource}`, s);
      if (envoyFilterSkips.size > 200) envoyFilterSkips.delete(envoyFilterSkips.keys().next().value!);
      adsLog.warn(
        s,
        s.notApplicable
          ? `EnvoyFilter ${s.filter} patch ${s.patchIndex} for ${typeShort(s.typeUrl)} ${s.resource} of ${s.proxyClass}: ${s.reason}`
          : `EnvoyFilter ${s.filter} patch ${s.patchIndex} skipped for ${typeShort(s.typeUrl)} ${s.resource} of ${s.proxyClass}: the result fails Envoy's validation (${s.reason})`,
      );
    },
    onTranslateError: ({ proxyClass, error, lastGood }) => (
      observer.metrics.pushContextErrors.inc(),
      adsLog.error(
        { proxyClass, err: error.message, lastGood },
        `cannot translate config for ${proxyClass}: ${error.message}; ${lastGood ? 'its last good config stays in force' : 'its proxies get no config until a later change translates'}`,
      )
    ),
    ...(opts.classCacheSize !== undefined ? { idleClasses: opts.classCacheSize } : {}),
    ...(opts.classCacheBytes !== undefined ? { idleBytes: opts.classCacheBytes } : {}),
  });
  // NACKs: one line per proxy and type per 10 s at most, text cut to 1 KiB (a client cannot flood the log).
  const nackLog = new NackLog((fields, msg) => adsLog.warn(fields, msg));
  const engine = new AdsEngine(
    cache,
    mergeEvents(
      {
        connected: (s) => adsLog.info({ proxy: s.proxy.id, peer: s.peer, generator: s.proxy.generator }, 'proxy connected'),
        disconnected: (s) => {
          nackLog.forget(s.proxy.id);
          adsLog.info({ proxy: s.proxy.id }, 'proxy disconnected');
        },
        deltaRequest: (s, req, o) => {
          if (o.kind === 'nack')
            nackLog.nack({
              proxy: s.proxy.id,
              type: typeShort(o.typeUrl),
              nonce: req.responseNonce,
              version: '',
              message: req.errorDetail?.message ?? '',
            });
        },
        streamError: (s, error, during) =>
          adsLog.error(
            { proxy: s.proxy.id, during, err: error.message },
            `cannot compute the ${during === 'push' ? 'push' : 'response'} for ${s.proxy.id}: ${error.message}`,
          ),
        rejected: (peer, reason) => adsLog.warn({ peer, reason }, `stream refused: ${reason}`),
        secretsDenied: (s, denied) => {
          observer.metrics.sdsErrors.inc(denied.length);
          adsLog.warn(
            { proxy: s.proxy.id, secrets: denied.map((d) => d.name) },
            `secrets not served to ${s.proxy.id}: ${denied.map((d) => `${d.name}: ${d.reason}`).join('; ')}`,
          );
        },
        largeResponse: (s, r, bytes, dropped) =>
          adsLog.warn(
            { proxy: s.proxy.id, type: typeShort(r.typeUrl), bytes, resources: r.resources.length, dropped },
            dropped
              ? `${typeShort(r.typeUrl)} response for ${s.proxy.id} is ${bytes} bytes, over --max-response-bytes; not sent`
              : `${typeShort(r.typeUrl)} response for ${s.proxy.id} is ${bytes} bytes, over the 4 MB gRPC clients accept by default`,
          ),
        request: (s, req, o) => {
          if (o.kind === 'nack') {
            nackLog.nack({
              proxy: s.proxy.id,
              type: typeShort(o.typeUrl),
              nonce: req.responseNonce,
              version: req.versionInfo,
              message: req.errorDetail?.message ?? '',
            });
          } else if (o.kind === 'unknown-type')
            adsLog.debug({ proxy: s.proxy.id, type: o.typeUrl }, 'ignoring a request for a type tspilot does not serve');
          else adsLog.debug({ proxy: s.proxy.id, type: typeShort(o.typeUrl), kind: o.kind, names: req.resourceNames.length }, 'request');
        },
      },
      observer.events,
    ),
    Date.now,
    {
      ...(opts.maxResponseBytes !== undefined ? { maxResponseBytes: opts.maxResponseBytes } : {}),
      ...(opts.pushThrottle ? { sendConcurrency: opts.pushThrottle } : {}),
      ...(opts.maxStreamNames ? { maxStreamNames: opts.maxStreamNames } : {}),
      ...(opts.maxServerNames ? { maxServerNames: opts.maxServerNames } : {}),
      debugTypes: new DebugTypes({
        systemNamespace: opts.kube?.istioNamespace ?? DEFAULT_ISTIO_NAMESPACE,
        controlPlane: controlPlaneIdentifier(),
        configDump: (s) =>
          configDumpConfigs(s, {}, (t, name, version) => {
            const r = cache.forProxy(s.proxy).get(t, name);
            return r?.version === version ? r : undefined;
          }),
        httpGet,
        onRefused: (peer, message) => adsLog.warn({ peer, reason: message }, `debug request refused: ${message}`),
      }),
    },
  );
  observer.meterSends(engine);
  observer.metrics.countSendTimeouts(() => engine.counters.sendTimeouts);
  return { cache, engine, envoyFilterSkips: () => [...envoyFilterSkips.values()] };
}
