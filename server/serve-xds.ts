/**
 * @module server/serve-xds
 * The xDS ports of `tspilot serve` and their TLS material: the gRPC options both ports share
 * (connection age), the mesh CA when `--ca` runs it, and the authenticated TLS port (istiod's
 * 15012) with its authenticator, the CA's CreateCertificate beside xDS, and its refusals counted as
 * istiod's xDS auth metrics. The plaintext port needs nothing here but the options; serve.ts opens
 * the ports in order and closes what it opened.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { AdsEngine } from './xds/ads.js';
import type { XdsServerOptions } from './xds/grpc.js';
import { startXdsTlsServer, type XdsTlsServer } from './xds/grpc-tls.js';
import type { MeshCA } from './ca/types.js';
import { startMeshCA, type RunningMeshCA } from './ca/start.js';
import { CaMetrics } from './ca/metrics.js';
import type { CaFlags } from './ca/flags.js';
import { CA_SERVICE_DEFINITION, caService } from './ca/service.js';
import { secureXdsAuthenticator } from './security/setup.js';
import { DEFAULT_ISTIO_NAMESPACE } from './defaults.js';
import type { SnapshotCache } from './cache/snapshot.js';
import type { Observer } from './observe.js';
import { logger } from './log.js';
import type { ServeOptions } from './serve.js';

/** Connection age options of both xDS ports. */
export function grpcOptions(opts: Pick<ServeOptions, 'maxConnectionAgeMs' | 'maxConnectionAgeGraceMs'>): XdsServerOptions {
  return {
    ...(opts.maxConnectionAgeMs !== undefined ? { maxConnectionAgeMs: opts.maxConnectionAgeMs } : {}),
    ...(opts.maxConnectionAgeGraceMs !== undefined ? { maxConnectionAgeGraceMs: opts.maxConnectionAgeGraceMs } : {}),
  };
}

/** The mesh CA of `--ca` (server/ca/): its Secrets in tspilot's namespace, its metrics in the server's registry. */
export function startOwnCA(
  flags: CaFlags,
  opts: Pick<ServeOptions, 'kube'>,
  kc: KubeConfig | undefined,
  trustDomain: string | undefined,
  observer: Observer,
): Promise<RunningMeshCA> {
  return startMeshCA({
    namespace: opts.kube?.istioNamespace ?? DEFAULT_ISTIO_NAMESPACE,
    ...(kc ? { kubeConfig: kc } : {}),
    cacertsDir: flags.cacertsDir,
    stateDir: flags.caStateDir,
    dnsNames: flags.tlsDnsNames,
    trustDomain,
    log: logger('ca'),
    metrics: new CaMetrics(observer.metrics.registry),
    publishRoots: flags.rootCertConfigmaps !== false,
  });
}

/** What the TLS port serves with. */
export interface TlsPortDeps {
  readonly engine: AdsEngine;
  readonly cache: SnapshotCache;
  readonly observer: Observer;
  readonly kubeConfig: KubeConfig | undefined;
  /** Its serving certificate and roots: the given CA, the PEM files', or the running mesh CA. */
  readonly meshCA: MeshCA;
  /** The running mesh CA when its CreateCertificate is to be served beside xDS. */
  readonly caService: RunningMeshCA | undefined;
  readonly grpc: XdsServerOptions;
}

/** The authenticated TLS xDS port on `port`. */
export function startTlsXds(
  opts: Pick<ServeOptions, 'bind' | 'jwtKeys' | 'jwtIssuer' | 'jwtAudiences' | 'tokenReviewCacheSize' | 'ca' | 'extraGrpcServices'>,
  port: number,
  d: TlsPortDeps,
): Promise<XdsTlsServer> {
  const { cache, observer } = d;
  const authenticator = secureXdsAuthenticator({
    trustDomain: () => cache.mesh.settings.trustDomain,
    kubeConfig: d.kubeConfig,
    jwtKeys: opts.jwtKeys,
    issuer: opts.jwtIssuer,
    audiences: opts.jwtAudiences,
    tokenReviewCacheSize: opts.tokenReviewCacheSize,
  });
  const ca = d.caService;
  // The mesh CA's CreateCertificate is served next to xDS on the TLS port, with the same authentication.
  const caServices = ca
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
  return startXdsTlsServer(d.engine, opts.bind, port, {
    ca: d.meshCA,
    authenticator,
    grpc: d.grpc,
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
}
