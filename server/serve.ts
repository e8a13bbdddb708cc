/**
 * @module server/serve
 * `tspilot serve`: starts the pipeline from the configured source, the ADS gRPC server and the
 * HTTP servers (monitoring 15014 and debug/REST 8080, same handlers), and stops them all cleanly.
 * The xDS port opens once the first complete snapshot exists. This file owns the options, the
 * order things start in and the shutdown; the parts live beside it: serve-engine.ts (cache and
 * ADS engine), serve-push.ts (store output → push stage, readiness), serve-http.ts (the debug,
 * REST and monitoring routes), serve-xds.ts (the xDS ports and their TLS material).
 */
import { emptyStoreOutput, storeStage } from '../watchers/store/stage.js';
import type { AdsEngine } from './xds/ads.js';
import { startXdsServer, type XdsGrpcServer } from './xds/grpc.js';
import { localGet, startHttp, type HttpServer } from './http/router.js';
import { logger } from './log.js';
import { DEFAULT_PORTS } from './defaults.js';
import { PilotMetrics } from './metrics.js';
import { Observer } from './observe.js';
import { chooseSource, type KubeModeOptions } from './source.js';
import { loadMeshConfigFile } from '../watchers/validate/meshconfig.js';
import { startWebhook, type WebhookServer } from './http/webhook.js';
import type { ExtraService } from './xds/grpc.js';
import type { XdsTlsServer } from './xds/grpc-tls.js';
import type { MeshCA } from './ca/types.js';
import { TlsFilesCA, type TlsFiles } from './security/tls-files.js';
import type { RunningMeshCA } from './ca/start.js';
import type { CaFlags } from './ca/flags.js';
import type { PeerOptions } from './replica/options.js';
import { xdsCore } from './serve-engine.js';
import { startPushing } from './serve-push.js';
import { httpLimitsOf, httpSurface, webhookOptions } from './serve-http.js';
import { grpcOptions, startOwnCA, startTlsXds } from './serve-xds.js';

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
  if (opts.plaintextXds === false && (!(opts.meshCA || opts.tlsFiles || opts.ca) || opts.xdsTlsPort === undefined)) {
    throw new Error(
      '--no-plaintext-xds needs the TLS xDS port (--xds-tls-port) and its material (the mesh CA, or --tls-cert, --tls-key, --tls-ca)',
    );
  }
  // Read (and check) the TLS files before anything starts, so a bad file stops startup with its name.
  const ownCA = !opts.meshCA && opts.tlsFiles ? new TlsFilesCA(opts.tlsFiles, 5000, (m) => log.error({ err: m }, m)) : undefined;
  // Called only once the source is subscribed (below), when `observer` exists.
  let src: Awaited<ReturnType<typeof chooseSource>>;
  try {
    src = await chooseSource(opts, (what, resource) =>
      (what === 'relist' ? observer.metrics.kubeRelists : observer.metrics.kubeReconnects).inc({ resource }),
    );
  } catch (e) {
    ownCA?.close();
    throw e;
  }
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
  // What configz, registryz and dry runs read until the store's first output.
  const empty = emptyStoreOutput(meshOpts);
  const observer = new Observer(new PilotMetrics());
  // `http` is built below; the engine's `istio.io/debug` type only calls it once streams connect.
  const core = xdsCore(opts, empty.mesh, observer, (path) => localGet(surface().router, path));
  const { cache, engine } = core;
  const pushing = startPushing(opts, store$, empty, src.kubeConfig, cache, engine, observer);
  let xdsTls: XdsTlsServer | undefined;
  // Made inside the try below (its options can still be refused), so what started is closed.
  let http: ReturnType<typeof httpSurface> | undefined;
  const surface = (): ReturnType<typeof httpSurface> => http!;
  const servers: HttpServer[] = [];
  let xds: XdsGrpcServer | undefined;
  let webhook: WebhookServer | undefined;
  let ca: RunningMeshCA | undefined;
  const close = async (): Promise<void> => {
    await pushing.stop();
    ownCA?.close();
    await Promise.all([
      pushing.closeStatus(),
      http?.close(),
      xds?.close(),
      xdsTls?.close(),
      webhook?.close(),
      ca?.close(),
      ...servers.map((s) => s.close()),
    ]);
  };
  try {
    http = httpSurface(opts, {
      core,
      observer,
      kubeConfig: src.kubeConfig,
      meshOpts,
      ready: pushing.ready,
      last: pushing.last,
      authRefusals: () => xdsTls?.refusals() ?? [],
    });
    if (opts.ca) ca = await startOwnCA(opts.ca, opts, src.kubeConfig, meshOpts.settings?.trustDomain, observer);
    const httpLimits = httpLimitsOf(opts);
    servers.push(await startHttp(http.monitoring, opts.bind, opts.monitoringPort, http.onHttpError, httpLimits));
    servers.push(await startHttp(http.router, opts.bind, opts.httpPort, http.onHttpError, httpLimits));
    const webhookPort = opts.webhookPort ?? (opts.kube ? DEFAULT_PORTS.webhook : undefined);
    if (webhookPort !== undefined)
      webhook = await startWebhook(webhookOptions(opts, webhookPort, http, httpLimits, pushing.ready, observer));
    // /ready answers 503 until every source has synced and the first snapshot is pushed.
    log.info(
      { monitoring: servers[0]!.port, http: servers[1]!.port, webhook: webhook?.port, webhookTls: webhook?.tls },
      'http listening; waiting for the config sources to sync',
    );
    await pushing.first;
    const grpcOpts = grpcOptions(opts);
    if (opts.plaintextXds !== false) xds = await startXdsServer(engine, opts.bind, opts.xdsPort, grpcOpts);
    const meshCA: MeshCA | undefined = opts.meshCA ?? ownCA ?? ca;
    if (meshCA && opts.xdsTlsPort !== undefined) {
      xdsTls = await startTlsXds(opts, opts.xdsTlsPort, {
        engine,
        cache,
        observer,
        kubeConfig: src.kubeConfig,
        meshCA,
        // CreateCertificate beside xDS only when the TLS material is the CA's own.
        caService: ca && !opts.meshCA && !ownCA ? ca : undefined,
        grpc: grpcOpts,
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
