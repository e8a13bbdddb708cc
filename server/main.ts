#!/usr/bin/env node
/**
 * @module server/main
 * The `tspilot` command line: one binary, subcommands (istiod's names and ports as defaults).
 */
import { Command, InvalidArgumentError } from 'commander';
import { initLogging } from './log.js';
import { parseDuration } from '../model/duration.js';
import { serve } from './serve.js';

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
  .description('Serve xDS (ADS over gRPC) and the debug surface for a folder of Kubernetes/Istio YAML.')
  .requiredOption('--config-dir <dir>', 'folder of *.yaml/*.yml/*.json manifests, watched for changes')
  .option('--bind <address>', 'address every port binds to', '0.0.0.0')
  .option('--xds-port <port>', 'gRPC xDS port, plaintext (istiod: 15010)', port, 15010)
  .option('--monitoring-port <port>', 'HTTP monitoring port: /ready, /debug/* (istiod: 15014)', port, 15014)
  .option('--http-port <port>', 'HTTP debug port: /ready, /debug/* (istiod: 8080)', port, 8080)
  .option('--debounce-after <duration>', 'quiet time before a push (PILOT_DEBOUNCE_AFTER)', duration, 100)
  .option('--debounce-max <duration>', 'longest a change waits for a push (PILOT_DEBOUNCE_MAX)', duration, 10_000)
  .option('--poll-interval <duration>', 'how often the folder is rescanned besides file events', duration, 1000)
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env['TSPILOT_LOG_LEVEL'] ?? 'info')
  .action(async (o: { configDir: string; bind: string; xdsPort: number; monitoringPort: number; httpPort: number; debounceAfter: number; debounceMax: number; pollInterval: number; logLevel: string }) => {
    const log = initLogging(o.logLevel);
    try {
      const s = await serve({ configDir: o.configDir, bind: o.bind, xdsPort: o.xdsPort, monitoringPort: o.monitoringPort, httpPort: o.httpPort,
        debounceMs: o.debounceAfter, debounceMaxMs: o.debounceMax, pollMs: o.pollInterval });
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

await program.parseAsync(process.argv);
