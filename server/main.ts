#!/usr/bin/env node
/**
 * @module server/main
 * The `tspilot` command line: one binary, subcommands (istiod's names and ports as defaults).
 */
import { Command, InvalidArgumentError } from 'commander';
import { initLogging } from './log.js';
import { parseDuration } from '../model/duration.js';
import { serve } from './serve.js';
import { registerOperatorCommands } from './cli/register.js';
import { sourceFromFlags } from './source.js';
import { DEFAULT_ISTIO_NAMESPACE, DEFAULT_PORTS } from './defaults.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${v}" is not a port number (0-65535; 0 picks a free port)`);
  return n;
}

function duration(v: string): number {
  const ms = parseDuration(v);
  if (ms === null) throw new InvalidArgumentError(`"${v}" is not a duration (e.g. 100ms, 10s)`);
  return ms;
}

const program = new Command('tspilot')
  .description('An xDS control plane for Istio meshes: Istio/Kubernetes config in, Envoy v3 xDS out.')
  .showHelpAfterError();

program.command('serve')
  .description('Serve xDS (ADS over gRPC) and the debug surface for a folder of Kubernetes/Istio YAML, or a Kubernetes cluster.')
  .option('--config-dir <dir>', 'folder of *.yaml/*.yml/*.json manifests, watched for changes (the default source)')
  .option('--kubeconfig <path>', 'read the mesh from the Kubernetes API with this kubeconfig (in a pod: service-account credentials when no --config-dir)')
  .option('--istio-namespace <ns>', 'namespace of the istio mesh ConfigMap (Kubernetes mode)', DEFAULT_ISTIO_NAMESPACE)
  .option('--crd-poll-interval <duration>', 'how often discovery is checked for a CRD that is not installed (Kubernetes mode)', duration, 30_000)
  .option('--webhook-port <port>', `admission webhook port, /validate (default ${DEFAULT_PORTS.webhook} in Kubernetes mode, off otherwise)`, port)
  .option('--webhook-cert <file>', 'PEM certificate for the webhook (HTTPS); without it the webhook is plain HTTP')
  .option('--webhook-key <file>', 'PEM private key for --webhook-cert')
  .option('--bind <address>', 'address every port binds to', '0.0.0.0')
  .option('--xds-port <port>', `gRPC xDS port, plaintext (istiod: ${DEFAULT_PORTS.xds})`, port, DEFAULT_PORTS.xds)
  .option('--monitoring-port <port>', `HTTP monitoring port: /ready, /debug/* (istiod: ${DEFAULT_PORTS.monitoring})`, port, DEFAULT_PORTS.monitoring)
  .option('--http-port <port>', `HTTP debug port: /ready, /debug/* (istiod: ${DEFAULT_PORTS.http})`, port, DEFAULT_PORTS.http)
  .option('--debounce-after <duration>', 'quiet time before a push (PILOT_DEBOUNCE_AFTER)', duration, 100)
  .option('--debounce-max <duration>', 'longest a change waits for a push (PILOT_DEBOUNCE_MAX)', duration, 10_000)
  .option('--max-response-bytes <n>', 'largest xDS response sent (bigger ones are logged, counted and not sent; 0 = no limit)', Number, 0)
  .option('--push-throttle <n>', 'streams written at once (istiod: min(15 + 5·cores, 100))', Number)
  .option('--class-cache-size <n>', 'proxy classes kept that no stream uses, for pollers and reconnects (least recently used go first)', Number, 256)
  .option('--class-cache-bytes <n>', 'encoded bytes kept in proxy classes no stream uses', Number, 32 * 1024 * 1024)
  .option('--max-stream-names <n>', 'resource names one xDS stream may subscribe to (RESOURCE_EXHAUSTED past it)', Number, 200_000)
  .option('--max-subscribed-names <n>', 'resource names all xDS streams together may subscribe to', Number, 5_000_000)
  .option('--poll-interval <duration>', 'how often the folder is rescanned besides file events', duration, 1000)
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env['TSPILOT_LOG_LEVEL'] ?? 'info')
  .option('--mesh-config <file>', 'istio MeshConfig YAML (the mesh ConfigMap key): trustDomain, rootNamespace, outboundTrafficPolicy, connectTimeout, defaultHttpRetryPolicy')
  .action(async (o: { meshConfig?: string; configDir?: string; kubeconfig?: string; istioNamespace: string; crdPollInterval: number; webhookPort?: number; webhookCert?: string; webhookKey?: string; bind: string; xdsPort: number; monitoringPort: number; httpPort: number; debounceAfter: number; debounceMax: number; pollInterval: number; logLevel: string; maxResponseBytes: number; pushThrottle?: number; classCacheSize: number; classCacheBytes: number; maxStreamNames: number; maxSubscribedNames: number }) => {
    const log = initLogging(o.logLevel);
    try {
      const s = await serve({ ...sourceFromFlags(o, process.env), webhookPort: o.webhookPort, webhookCert: o.webhookCert, webhookKey: o.webhookKey, bind: o.bind, xdsPort: o.xdsPort, monitoringPort: o.monitoringPort, httpPort: o.httpPort,
        debounceMs: o.debounceAfter, debounceMaxMs: o.debounceMax, pollMs: o.pollInterval, ...(o.meshConfig ? { meshConfig: o.meshConfig } : {}),
        maxResponseBytes: o.maxResponseBytes, ...(o.pushThrottle ? { pushThrottle: o.pushThrottle } : {}), classCacheSize: o.classCacheSize, classCacheBytes: o.classCacheBytes,
        maxStreamNames: o.maxStreamNames, maxServerNames: o.maxSubscribedNames });
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
  });

registerOperatorCommands(program);

await program.parseAsync(process.argv);
