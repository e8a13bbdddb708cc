/**
 * @module server/serve
 * `tspilot serve`: starts the pipeline from the configured source, the ADS gRPC server and the
 * HTTP servers (monitoring 15014 and debug/REST 8080, same handlers), and stops them all cleanly.
 * The xDS port opens once the first complete snapshot exists.
 */
import { firstValueFrom, type Subscription } from 'rxjs';
import { emptyStoreOutput, storeStage, type StoreOutput } from '../watchers/store/stage.js';
import { SnapshotCache } from './cache/snapshot.js';
import { AdsEngine, typeShort } from './xds/ads.js';
import { PushRunner } from './push/runner.js';
import { NackLog } from './xds/nacklog.js';
import { startXdsServer, type XdsGrpcServer } from './xds/grpc.js';
import { debugRoutes } from './http/debug.js';
import { DEFAULT_HTTP_LIMITS, localGet, startHttp, type HttpServer } from './http/router.js';
import { DebugTypes } from './xds/debugtypes.js';
import { configDumpConfigs } from './http/configdump.js';
import { controlPlaneIdentifier } from './version.js';
import { V1Api } from './http/v1/api.js';
import { restRoutes } from './http/rest.js';
import { fullPush, type PushRequest } from '../model/push.js';
import { logger } from './log.js';
import { meshNoticeLogger } from '../watchers/mesh-notice-log.js';
import { DEFAULT_ISTIO_NAMESPACE, DEFAULT_PORTS } from './defaults.js';
import { PilotMetrics } from './metrics.js';
import { Observer, mergeEvents } from './observe.js';
import { serverDryRun } from './explain/dryrun.js';
import { ParseWorker } from '../watchers/file/parse-pool.js';
import type { Proxy } from '../model/proxy.js';
import type { StreamState } from './xds/state.js';
import { chooseSource, type KubeModeOptions } from './source.js';
import { loadMeshConfigFile } from '../watchers/validate/meshconfig.js';
import { startWebhook, type WebhookServer } from './http/webhook.js';
import type { ExtraService } from './xds/grpc.js';
import { startXdsTlsServer, type XdsTlsServer } from './xds/grpc-tls.js';
import type { MeshCA } from './ca/types.js';
import { TlsFilesCA, type TlsFiles } from './security/tls-files.js';
import { secureXdsAuthenticator } from './security/setup.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { startMeshCA, type RunningMeshCA } from './ca/start.js';
import { CaMetrics } from './ca/metrics.js';
import type { CaFlags } from './ca/flags.js';
import { CA_SERVICE_DEFINITION, caService } from './ca/service.js';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { GatewayStatusWriter } from './gwstatus/writer.js';
import { JwksFetcher, jwksUris, withJwks } from './security/jwks.js';
import { debugPeers, type PeerOptions } from './replica/options.js';
import { synczEntries } from './http/debug.js';
import { syncState, type SyncEntry } from './cli/status.js';

export interface ServeOptions {
  readonly configDir: string;
  readonly bind: string;
  readonly xdsPort: number;
  readonly monitoringPort: number;
  readonly httpPort: number;
  readonly debounceMs: number;
  readonly debounceMaxMs: number;
  readonly pollMs: number;
  /** Folder mode: files larger than this are refused (default watchers/file/source DEFAULT_MAX_FILE_BYTES). */
  readonly maxFileBytes?: number;
  /** Kubernetes mode (instead of configDir): informers against the API server. */
  readonly kube?: KubeModeOptions;
  /** Admission webhook port (default: 15017 in Kubernetes mode, off otherwise); PEM files for HTTPS. */
  readonly webhookPort?: number;
  readonly webhookCert?: string;
  readonly webhookKey?: string;
  /** istio MeshConfig YAML (the `mesh` ConfigMap key, or the whole ConfigMap); overrides the source's. */
  readonly meshConfig?: string;
  /** tspilot's own GatewayClass name (`--gateway-class-name`; default `istio`, istiod's built-in class). */
  readonly gatewayClassName?: string;
  /** xDS engine limits: responses over maxResponseBytes are not sent (0 = no limit); pushThrottle = streams written at once. */
  readonly maxResponseBytes?: number;
  readonly pushThrottle?: number;
  /** TLS xDS port (istiod: 15012); served when there is TLS material (meshCA or tlsFiles). */
  readonly xdsTlsPort?: number;
  /** false: no plaintext xDS port (only the authenticated TLS one). Default true. */
  readonly plaintextXds?: boolean;
  /** The mesh CA (server/ca); else serving material from PEM files. */
  readonly meshCA?: MeshCA;
  readonly tlsFiles?: TlsFiles;
  /** Registered on the TLS port next to xDS (the CA's CreateCertificate). */
  readonly extraGrpcServices?: readonly ExtraService[];
  /** Folder mode: verify bearer JWTs against this JWKS/PEM file; issuer and audiences (default istio-ca) apply to TokenReview too. */
  readonly jwtKeys?: string;
  readonly jwtIssuer?: string;
  readonly jwtAudiences?: readonly string[];
  readonly tokenReviewCacheSize?: number;
  /** Longest an endpoint-only change waits for its push (default 1 s); endpoint removals do not wait. */
  readonly debounceEndpointsMaxMs?: number;
  /** How often jwksUri keys are fetched again (default 20 min, istiod's). */
  readonly jwksRefreshMs?: number;
  /** xDS connections get a GOAWAY after about this long (0 = never; default 30 min), forced closed after the grace. */
  readonly maxConnectionAgeMs?: number;
  readonly maxConnectionAgeGraceMs?: number;
  /** Open connections per HTTP port (default DEFAULT_HTTP_LIMITS). */
  readonly httpMaxConnections?: number;
  /** Run the mesh CA (server/ca/): with TLS on, it supplies the serving certificate and CreateCertificate. */
  readonly ca?: CaFlags;
  /** Proxy classes kept that no stream uses (count, encoded bytes), for pollers and reconnects. */
  readonly classCacheSize?: number;
  readonly classCacheBytes?: number;
  /** Resource names one stream / all streams may subscribe to (RESOURCE_EXHAUSTED past them). */
  readonly maxStreamNames?: number;
  readonly maxServerNames?: number;
  /** Other replicas, for /debug/replicas/* and the console (server/replica): static URLs or tspilot's own Service. */
  readonly replicas?: PeerOptions;
}

export interface RunningServer {
  readonly xdsPort: number;
  readonly monitoringPort: number;
  readonly httpPort: number;
  readonly webhookPort?: number | undefined;
  /** The TLS xDS port, when served. */
  readonly xdsTlsPort?: number | undefined;
  readonly engine: AdsEngine;
  /** The mesh CA when `ca` was given (for the TLS port: serving material, roots, CreateCertificate). */
  readonly ca?: RunningMeshCA | undefined;
  close(): Promise<void>;
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  const log = logger('serve');
  const adsLog = logger('ads');
  if (opts.plaintextXds === false && (!(opts.meshCA || opts.tlsFiles || opts.ca) || opts.xdsTlsPort === undefined)) {
    throw new Error(
      '--no-plaintext-xds needs the TLS xDS port (--xds-tls-port) and its material (the mesh CA, or --tls-cert, --tls-key, --tls-ca)',
    );
  }
  // Read (and check) the TLS files before anything starts, so a bad file stops startup with its name.
  const ownCA = !opts.meshCA && opts.tlsFiles ? new TlsFilesCA(opts.tlsFiles, 5000, (m) => log.error({ err: m }, m)) : undefined;
  // Called only once the source is subscribed (below), when `observer` exists.
  const src = await chooseSource(opts, (what, resource) =>
    (what === 'relist' ? observer.metrics.kubeRelists : observer.metrics.kubeReconnects).inc({ resource }),
  );
  const meshOpts = opts.meshConfig ? { ...src.mesh, settings: loadMeshConfigFile(opts.meshConfig) } : src.mesh;
  const store$ = storeStage(
    src.events$,
    {
      debounceMs: opts.debounceMs,
      debounceMaxMs: opts.debounceMaxMs,
      mesh: meshOpts,
      onConfigEvent: (kind, event) => observer.metrics.configEvent(kind, event),
      ...(opts.debounceEndpointsMaxMs !== undefined ? { debounceEndpointsMaxMs: opts.debounceEndpointsMaxMs } : {}),
    },
    logger('store'),
  );
  // The store stage's last output: what configz, registryz and dry runs read (never the live store).
  let last: StoreOutput = emptyStoreOutput(meshOpts);
  const observer = new Observer(new PilotMetrics());
  // EnvoyFilter patches skipped as invalid or not applicable to the proxy (latest 200), for /debug/configz.
  const envoyFilterSkips = new Map<string, object>();
  const cache = new SnapshotCache(last.mesh, {
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
        httpGet: (path) => localGet(router, path),
        onRefused: (peer, message) => adsLog.warn({ peer, reason: message }, `debug request refused: ${message}`),
      }),
    },
  );
  observer.meterSends(engine);
  // The push stage: rotates the cache to each new mesh and tells the engine which streams are owed what.
  // Pushes are sliced (runner.submit): between slices ACKs, requests and /ready keep flowing, and a
  // newer change supersedes the rest of a running push.
  let rec: { end(responses: number): unknown } | null = null;
  const runner = new PushRunner(cache, engine, {
    classError: ({ proxyClass, error, streams }) => (
      observer.metrics.pushContextErrors.inc(),
      adsLog.error(
        { proxyClass, streams, err: error.message },
        `cannot prepare the push for ${proxyClass}: ${error.message}; its ${streams} stream(s) keep their config`,
      )
    ),
    pushStarted: ({ request }) => {
      rec = observer.beginPush(request);
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
          buildMs: Math.round(u.buildMs * 10) / 10,
          slices,
          superseded,
          sinceChangeMs: Date.now() - u.firstChangeAt,
        },
        superseded ? 'push superseded by a newer change' : 'config pushed',
      );
    },
    pushFailed: ({ request: u, error }) => {
      observer.metrics.pushContextErrors.inc();
      log.error({ generation: u.mesh.generation, err: error.message }, `push of generation ${u.mesh.generation} failed: ${error.message}`);
    },
  });
  observer.metrics.countSendTimeouts(() => engine.counters.sendTimeouts);
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
  const gwStatus = opts.kube && src.kubeConfig ? gatewayStatusWriter(opts.kube, src.kubeConfig) : undefined;
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
  const v1 = new V1Api({ cache, ready: () => ready });
  let xdsTls: XdsTlsServer | undefined;
  // POSTed YAML is parsed off the event loop, a few at a time, each within 10 s.
  const dryRunParser = new ParseWorker({ timeoutMs: 10_000, maxQueued: 4 });
  // A peer's syncz entry is JSON of the same shape proxy-status reads; syncState tolerates missing fields.
  const replicas = debugPeers(
    opts.replicas ?? {},
    src.kubeConfig,
    opts.monitoringPort,
    () => synczEntries({ engine, pollers: () => v1.syncz() }),
    (t) => syncState(t as SyncEntry['types'][string]),
  );
  const sources = {
    replicas,
    authRefusals: () => xdsTls?.refusals() ?? [],
    engine,
    mesh: () => cache.mesh,
    ready: () => ready,
    sourceErrors: () => last.status.sourceErrors,
    duplicates: () => last.status.duplicates,
    ignored: () => last.status.ignored,
    envoyFilterSkips: () => [...envoyFilterSkips.values()],
    pushStatus: () => observer.pushStatus(),
    pollers: () => v1.syncz(),
    snapshot: (p: Proxy) => cache.forProxy(p),
    dryRun: (yaml: string, streams: readonly StreamState[]) =>
      serverDryRun(
        () => last,
        () => cache.mesh,
        streams,
        yaml,
        meshOpts,
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
  const servers: HttpServer[] = [];
  let xds: XdsGrpcServer | undefined;
  let webhook: WebhookServer | undefined;
  let ca: RunningMeshCA | undefined;
  const close = async (): Promise<void> => {
    sub.unsubscribe();
    await runner.stop();
    ownCA?.close();
    jwks.close();
    await Promise.all([
      gwStatus?.close(),
      dryRunParser.close(),
      xds?.close(),
      xdsTls?.close(),
      webhook?.close(),
      ca?.close(),
      ...servers.map((s) => s.close()),
    ]);
  };
  try {
    if (opts.ca) {
      const kc = src.kubeConfig;
      ca = await startMeshCA({
        namespace: opts.kube?.istioNamespace ?? DEFAULT_ISTIO_NAMESPACE,
        ...(kc ? { kubeConfig: kc } : {}),
        cacertsDir: opts.ca.cacertsDir,
        stateDir: opts.ca.caStateDir,
        dnsNames: opts.ca.tlsDnsNames,
        trustDomain: meshOpts.settings?.trustDomain,
        log: logger('ca'),
        metrics: new CaMetrics(observer.metrics.registry),
        publishRoots: opts.ca.rootCertConfigmaps !== false,
      });
    }
    const httpLimits = { ...DEFAULT_HTTP_LIMITS, ...(opts.httpMaxConnections ? { maxConnections: opts.httpMaxConnections } : {}) };
    servers.push(await startHttp(monitoring, opts.bind, opts.monitoringPort, onHttpError, httpLimits));
    servers.push(await startHttp(router, opts.bind, opts.httpPort, onHttpError, httpLimits));
    const webhookPort = opts.webhookPort ?? (opts.kube ? DEFAULT_PORTS.webhook : undefined);
    if (webhookPort !== undefined) {
      webhook = await startWebhook({
        bind: opts.bind,
        port: webhookPort,
        certFile: opts.webhookCert,
        keyFile: opts.webhookKey,
        ready: () => ready,
        onError: onHttpError,
        limits: httpLimits,
        onReview: (r) => observer.metrics.validation(r),
        onHttpError: (status) => observer.metrics.validationHttpErrors.inc({ status: String(status) }),
      });
    }
    // /ready answers 503 until every source has synced and the first snapshot is pushed.
    log.info(
      { monitoring: servers[0]!.port, http: servers[1]!.port, webhook: webhook?.port, webhookTls: webhook?.tls },
      'http listening; waiting for the config sources to sync',
    );
    await first;
    const grpcOpts = {
      ...(opts.maxConnectionAgeMs !== undefined ? { maxConnectionAgeMs: opts.maxConnectionAgeMs } : {}),
      ...(opts.maxConnectionAgeGraceMs !== undefined ? { maxConnectionAgeGraceMs: opts.maxConnectionAgeGraceMs } : {}),
    };
    if (opts.plaintextXds !== false) xds = await startXdsServer(engine, opts.bind, opts.xdsPort, grpcOpts);
    const meshCA: MeshCA | undefined = opts.meshCA ?? ownCA ?? ca;
    if (meshCA && opts.xdsTlsPort !== undefined) {
      const authenticator = secureXdsAuthenticator({
        trustDomain: () => cache.mesh.settings.trustDomain,
        kubeConfig: src.kubeConfig,
        jwtKeys: opts.jwtKeys,
        issuer: opts.jwtIssuer,
        audiences: opts.jwtAudiences,
        tokenReviewCacheSize: opts.tokenReviewCacheSize,
      });
      // The mesh CA's CreateCertificate is served next to xDS on the TLS port, with the same authentication.
      const caServices =
        ca && !opts.meshCA && !ownCA
          ? [
              {
                definition: CA_SERVICE_DEFINITION,
                implementation: caService(ca, authenticator, {
                  defaultTtlSeconds: opts.ca?.workloadCertTtl,
                  maxTtlSeconds: opts.ca?.maxWorkloadCertTtl,
                  ...(ca.metrics ? { metrics: ca.metrics } : {}),
                  log: logger('ca'),
                }),
              },
            ]
          : [];
      const extraServices = [...caServices, ...(opts.extraGrpcServices ?? [])];
      const secLog = logger('security');
      xdsTls = await startXdsTlsServer(engine, opts.bind, opts.xdsTlsPort, {
        ca: meshCA,
        authenticator,
        grpc: grpcOpts,
        ...(extraServices.length ? { extraServices } : {}),
        // The engine logs the refusal ('stream refused: <reason>'); here it is counted.
        onRefused: (r) => {
          observer.metrics.xdsAuthFailures.inc({ reason: r.code.toLowerCase() });
        },
        onHandshakeError: (peer, m) => {
          observer.metrics.xdsAuthFailures.inc({ reason: 'tls_handshake' });
          secLog.debug({ peer }, `TLS handshake failed: ${m}`);
        },
        onRotateError: (m) => secLog.error({ err: m }, m),
      });
    } else if (opts.xdsTlsPort !== undefined) {
      log.info('TLS xDS port not served: no TLS material (the mesh CA, or --tls-cert, --tls-key and --tls-ca)');
    }
  } catch (e) {
    await close();
    throw e;
  }
  const running = {
    xdsPort: xds?.port ?? 0,
    xdsTlsPort: xdsTls?.port,
    monitoringPort: servers[0]!.port,
    httpPort: servers[1]!.port,
    webhookPort: webhook?.port,
    engine,
    ca,
    close,
  };
  log.info(
    {
      xds: xds?.port,
      xdsTls: xdsTls?.port,
      monitoring: running.monitoringPort,
      http: running.httpPort,
      webhook: running.webhookPort,
      ...src.describe,
    },
    'listening',
  );
  return running;
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
