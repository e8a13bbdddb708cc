#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4
/**
 * @module server/main
 * The `tspilot` command line: one binary, subcommands (istiod's names and ports as defaults).
 * Startup stays light: this file imports only commander and constants; each command loads what it
 * needs when it runs (`serve` the whole server, `proxy-status` an HTTP client), so `--help` and
 * the live commands start in about the time node itself takes (measured by `bench/cli.ts`).
 * The first line is how the server is launched (environment and node flags): see launch.ts.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { ServeOptions } from './serve.js';
import { count, duration } from './cli/flags.js';
import { registerOperatorCommands } from './cli/register.js';
import { DEFAULT_MAX_FILE_BYTES } from '../watchers/file/defaults.js';
import { DEFAULT_ISTIO_NAMESPACE, DEFAULT_PORTS } from './defaults.js';
import { addCaFlags, type CaFlags } from './ca/flags.js';
import { parsePeerUrls, parseServiceRef, replicaFlags } from './replica/flags.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`"${v}" is not a port number (0-65535; 0 picks a free port)`);
  return n;
}

/** The secure-xDS and CA flags as commander parses them. */
type SecureXdsFlags = CaFlags & {
  xdsTlsPort?: number;
  plaintextXds: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  jwtKeys?: string;
  jwtIssuer?: string;
  jwtAudience?: string[];
  tokenReviewCacheSize: number;
};

/** The secure-xDS flags as serve options; the TLS files come as a trio or not at all. Without them the TLS port uses the mesh CA. */
function secureXdsFlags(o: SecureXdsFlags): Partial<ServeOptions> {
  const given = [o.tlsCert, o.tlsKey, o.tlsCa].filter(Boolean).length;
  if (given && given < 3) throw new Error('--tls-cert, --tls-key and --tls-ca go together (serving chain, its key, the mesh roots)');
  return {
    plaintextXds: o.plaintextXds,
    tokenReviewCacheSize: o.tokenReviewCacheSize,
    ...(o.xdsTlsPort !== undefined ? { xdsTlsPort: o.xdsTlsPort } : {}),
    ...(given ? { tlsFiles: { certFile: o.tlsCert!, keyFile: o.tlsKey!, caFile: o.tlsCa! } } : {}),
    // The CA runs with the TLS port (--xds-tls-port) when no serving files are given: its serving certificate and CreateCertificate.
    ...(o.xdsTlsPort !== undefined && !given ? { ca: o } : {}),
    ...(o.jwtKeys ? { jwtKeys: o.jwtKeys } : {}),
    ...(o.jwtIssuer ? { jwtIssuer: o.jwtIssuer } : {}),
    ...(o.jwtAudience?.length ? { jwtAudiences: o.jwtAudience } : {}),
  };
}

const program = new Command('tspilot')
  .description('An xDS control plane for Istio meshes: Istio/Kubernetes config in, Envoy v3 xDS out.')
  .showHelpAfterError();

const serveCmd = program
  .command('serve')
  .description('Serve xDS (ADS over gRPC) and the debug surface for a folder of Kubernetes/Istio YAML, or a Kubernetes cluster.')
  .option('--config-dir <dir>', 'folder of *.yaml/*.yml/*.json manifests, watched for changes (the default source)')
  .option(
    '--kubeconfig <path>',
    'read the mesh from the Kubernetes API with this kubeconfig (in a pod: service-account credentials when no --config-dir)',
  )
  .option(
    '--gateway-class-name <name>',
    "tspilot's own Gateway API GatewayClass: Gateways of this class are served with no GatewayClass object (controller istio.io/gateway-controller)",
    'istio',
  )
  .option('--istio-namespace <ns>', 'namespace of the istio mesh ConfigMap (Kubernetes mode)', DEFAULT_ISTIO_NAMESPACE)
  .option(
    '--crd-poll-interval <duration>',
    'how often discovery is checked for a CRD that is not installed (Kubernetes mode)',
    duration,
    30_000,
  )
  .option(
    '--webhook-port <port>',
    `admission webhook port, /validate (default ${DEFAULT_PORTS.webhook} in Kubernetes mode, off otherwise)`,
    port,
  )
  .option('--webhook-cert <file>', 'PEM certificate for the webhook (HTTPS); without it the webhook is plain HTTP')
  .option('--webhook-key <file>', 'PEM private key for --webhook-cert')
  .option('--bind <address>', 'address every port binds to', '0.0.0.0')
  .option('--xds-port <port>', `gRPC xDS port, plaintext (istiod: ${DEFAULT_PORTS.xds})`, port, DEFAULT_PORTS.xds)
  .option(
    '--monitoring-port <port>',
    `HTTP monitoring port: /ready, /debug/* (istiod: ${DEFAULT_PORTS.monitoring})`,
    port,
    DEFAULT_PORTS.monitoring,
  )
  .option('--http-port <port>', `HTTP debug port: /ready, /debug/* (istiod: ${DEFAULT_PORTS.http})`, port, DEFAULT_PORTS.http)
  .option('--debounce-after <duration>', 'quiet time before a push (PILOT_DEBOUNCE_AFTER)', duration, 100)
  .option('--debounce-max <duration>', 'longest a change waits for a push (PILOT_DEBOUNCE_MAX)', duration, 10_000)
  .option(
    '--debounce-endpoints-max <duration>',
    'longest an endpoint-only change waits for a push (endpoint removals are pushed at once)',
    duration,
    1000,
  )
  .option('--max-response-bytes <n>', 'largest xDS response sent (bigger ones are logged, counted and not sent; 0 = no limit)', count(0), 0)
  .option('--push-throttle <n>', 'streams written at once (istiod: min(15 + 5·cores, 100))', count(1))
  .option(
    '--class-cache-size <n>',
    'proxy classes kept that no stream uses, for pollers and reconnects (least recently used go first)',
    count(0),
    256,
  )
  .option('--class-cache-bytes <n>', 'encoded bytes kept in proxy classes no stream uses', count(0), 32 * 1024 * 1024)
  .option('--max-stream-names <n>', 'resource names one xDS stream may subscribe to (RESOURCE_EXHAUSTED past it)', count(1), 200_000)
  .option('--max-subscribed-names <n>', 'resource names all xDS streams together may subscribe to', count(1), 5_000_000)
  .option(
    '--max-connection-age <duration>',
    'xDS connections are closed (GOAWAY) after about this long so proxies rebalance across replicas; 0s = never (istiod: 30m)',
    duration,
    30 * 60_000,
  )
  .option(
    '--max-connection-age-grace <duration>',
    'how long streams may finish after that GOAWAY before the connection is closed',
    duration,
    10_000,
  )
  .option(
    '--http-max-connections <n>',
    'open connections per HTTP port (monitoring, http, webhook); more are closed at once',
    count(1),
    2048,
  )
  .option('--poll-interval <duration>', 'how often the folder is rescanned besides file events', duration, 1000)
  .option(
    '--max-file-bytes <n>',
    'config files larger than this are refused (reported, last good objects kept)',
    count(1),
    DEFAULT_MAX_FILE_BYTES,
  )
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env['TSPILOT_LOG_LEVEL'] ?? 'info')
  .option(
    '--log-output-level <scope:level,...>',
    "per-scope levels as istiod's --log_output_level, e.g. ads:debug,model:warn (scopes: default, ads, model, kube, ca, security, grpc)",
  )
  .option(
    '--xds-tls-port <port>',
    `gRPC xDS over TLS, every stream authenticated (istiod: ${DEFAULT_PORTS.xdsTls}); off unless given. Material: --tls-cert/--tls-key/--tls-ca, else the mesh CA (which then also serves CreateCertificate)`,
    port,
  )
  .option('--no-plaintext-xds', 'do not serve the plaintext xDS port (--xds-port): only authenticated TLS clients get config')
  .option(
    '--tls-cert <file>',
    'PEM serving certificate chain for the TLS xDS port (DNS SAN istiod.istio-system.svc or your Service name); re-read when it changes',
  )
  .option('--tls-key <file>', 'PEM private key for --tls-cert')
  .option('--tls-ca <file>', 'PEM mesh root certificate(s): client certificates on the TLS port are verified against them')
  .option(
    '--jwt-keys <file>',
    'JWKS or PEM public keys: bearer JWTs on the TLS port are verified locally (folder mode; Kubernetes mode uses TokenReview)',
  )
  .option('--jwt-issuer <iss>', 'required iss of JWTs verified with --jwt-keys')
  .option('--jwt-audience <aud>', 'audience tokens must carry (repeatable; default istio-ca)', (v: string, prev: string[] = []) => [
    ...prev,
    v,
  ])
  .option(
    '--token-review-cache-size <n>',
    'TokenReview results kept (LRU; successes until the token expires, failures 5 s)',
    count(1),
    10_000,
  )
  .option(
    '--mesh-config <file>',
    'istio MeshConfig YAML (the mesh ConfigMap key): trustDomain, rootNamespace, outboundTrafficPolicy, connectTimeout, defaultHttpRetryPolicy',
  )
  .option(
    '--jwks-refresh-interval <duration>',
    'how often RequestAuthentication jwksUri keys are fetched again (PILOT_JWT_PUB_KEY_REFRESH_INTERVAL)',
    duration,
    20 * 60_000,
  );
serveCmd
  .option(
    '--peers <urls>',
    "the replicas' monitoring URLs, comma-separated (e.g. http://10.0.0.1:15014,http://10.0.0.2:15014), for /debug/replicas/*, proxy-status --all-replicas and the console",
    (v: string) => {
      try {
        return parsePeerUrls(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    },
  )
  .option(
    '--peers-service <ns/name>',
    "Kubernetes mode: the replicas are the ready endpoints of this Service (tspilot's own, e.g. istio-system/istiod)",
    (v: string) => {
      try {
        return parseServiceRef(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    },
  );
addCaFlags(serveCmd).action(
  async (
    o: SecureXdsFlags & {
      meshConfig?: string;
      gatewayClassName: string;
      configDir?: string;
      kubeconfig?: string;
      istioNamespace: string;
      crdPollInterval: number;
      webhookPort?: number;
      webhookCert?: string;
      webhookKey?: string;
      bind: string;
      xdsPort: number;
      monitoringPort: number;
      httpPort: number;
      debounceAfter: number;
      debounceMax: number;
      pollInterval: number;
      maxFileBytes: number;
      logLevel: string;
      logOutputLevel?: string;
      maxResponseBytes: number;
      pushThrottle?: number;
      classCacheSize: number;
      classCacheBytes: number;
      maxStreamNames: number;
      maxSubscribedNames: number;
      debounceEndpointsMax: number;
      maxConnectionAge: number;
      maxConnectionAgeGrace: number;
      httpMaxConnections: number;
      jwksRefreshInterval: number;
    },
  ) => {
    const [{ initLogging, parseLogLevels, routeGrpcLogs }, { serve }, { sourceFromFlags }, grpc] = await Promise.all([
      import('./log.js'),
      import('./serve.js'),
      import('./source.js'),
      import('@grpc/grpc-js'),
    ]);
    let levels;
    try {
      levels = parseLogLevels(o.logOutputLevel ?? '', o.logLevel);
    } catch (e) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      process.exit(2);
    }
    const log = initLogging(levels);
    routeGrpcLogs(grpc);
    const launchWarn = (await import('./launch.js')).launchWarning();
    if (launchWarn) log.warn(launchWarn);
    try {
      const s = await serve({
        ...sourceFromFlags(o, process.env),
        webhookPort: o.webhookPort,
        webhookCert: o.webhookCert,
        webhookKey: o.webhookKey,
        bind: o.bind,
        xdsPort: o.xdsPort,
        monitoringPort: o.monitoringPort,
        httpPort: o.httpPort,
        debounceMs: o.debounceAfter,
        debounceMaxMs: o.debounceMax,
        pollMs: o.pollInterval,
        maxFileBytes: o.maxFileBytes,
        ...(o.meshConfig ? { meshConfig: o.meshConfig } : {}),
        gatewayClassName: o.gatewayClassName,
        maxResponseBytes: o.maxResponseBytes,
        ...(o.pushThrottle ? { pushThrottle: o.pushThrottle } : {}),
        classCacheSize: o.classCacheSize,
        classCacheBytes: o.classCacheBytes,
        maxStreamNames: o.maxStreamNames,
        maxServerNames: o.maxSubscribedNames,
        debounceEndpointsMaxMs: o.debounceEndpointsMax,
        maxConnectionAgeMs: o.maxConnectionAge,
        maxConnectionAgeGraceMs: o.maxConnectionAgeGrace,
        httpMaxConnections: o.httpMaxConnections,
        jwksRefreshMs: o.jwksRefreshInterval,
        ...secureXdsFlags(o),
        replicas: replicaFlags(o as Parameters<typeof replicaFlags>[0]),
      });
      const stop = (sig: string): void => {
        log.info({ signal: sig }, 'shutting down');
        void s.close().then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    } catch (e) {
      log.fatal({ err: (e as Error).message }, `cannot start: ${(e as Error).message}`);
      process.exit(1);
    }
  },
);

registerOperatorCommands(program);

await program.parseAsync(process.argv);
