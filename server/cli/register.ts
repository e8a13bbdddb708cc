/**
 * @module server/cli/register
 * Adds the operator subcommands to the `tspilot` commander program: proxy-status, proxy-config,
 * translate, explain, diff. Each prints what commands.ts returns and exits with its code.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SERVER, diffCommand, explainCommand, proxyConfig, proxyStatus, translateCommand, type CommandResult } from './commands.js';
import type { OutputFormat } from './table.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function format(v: string): OutputFormat {
  if (v !== 'json' && v !== 'yaml') throw new InvalidArgumentError(`"${v}" is not an output format (json or yaml)`);
  return v;
}

async function run(p: Promise<CommandResult>): Promise<void> {
  const r = await p;
  (r.code === 0 ? process.stdout : process.stderr).write(r.out);
  process.exitCode = r.code;
}

const serverOption = (): Option => new Option('--server <url>', 'tspilot debug endpoint (monitoring or HTTP port)').default(DEFAULT_SERVER);
const outputOption = (): Option => new Option('-o, --output <format>', 'json or yaml instead of a table').argParser(format);

export function registerOperatorCommands(program: Command): void {
  program.command('proxy-status')
    .description('Sync state of every connected proxy (or one): CDS, LDS, EDS, RDS each SYNCED, NOT SENT, STALE or NACKED, with NACK errors.')
    .argument('[proxy]', 'node ID or pod.namespace')
    .addOption(serverOption())
    .option('--all-replicas', 'every tspilot replica\'s proxies (the server asks its --peers / --peers-service), with a REPLICA column')
    .action((proxy: string | undefined, o: { server: string; allReplicas?: boolean }) => run(proxyStatus({ server: o.server, ...(proxy ? { proxy } : {}), ...(o.allReplicas ? { allReplicas: true } : {}) })));

  program.command('proxy-config')
    .description('What a connected proxy was sent, as tables (or raw config_dump with -o).')
    .argument('<section>', 'clusters, listeners, routes or endpoints')
    .argument('<proxy>', 'node ID or pod.namespace')
    .addOption(serverOption())
    .addOption(outputOption())
    .action((section: string, proxy: string, o: { server: string; output?: OutputFormat }) => run(proxyConfig({ server: o.server, section, proxy, ...(o.output ? { output: o.output } : {}) })));

  program.command('translate')
    .description('What a proxy would receive for a folder of config, offline (same translators and encoder as serve), as proto3 JSON.')
    .requiredOption('--config-dir <dir>', 'folder of *.yaml/*.yml/*.json manifests')
    .requiredOption('--proxy <nodeId>', 'istiod node ID, e.g. sidecar~10.1.0.5~productpage-v1.default~default.svc.cluster.local')
    .addOption(new Option('--type <type>', 'only this xDS type').choices(['cds', 'eds', 'lds', 'rds']))
    .option('--meta <KEY=VALUE>', 'node metadata (repeatable), e.g. GENERATOR=grpc for a proxyless gRPC client', collect)
    .option('--resource <name>', 'only this resource (repeatable), as a named subscription asks for it', collect)
    .option('--mesh-config <file>', 'istio MeshConfig YAML, as for serve')
    .addOption(outputOption().default('json'))
    .action((o: { configDir: string; proxy: string; type?: 'cds' | 'eds' | 'lds' | 'rds'; meta?: string[]; resource?: string[]; output: OutputFormat; meshConfig?: string }) =>
      run(translateCommand(o, (w) => process.stderr.write(w))));

  program.command('explain')
    .description('Which configs (and which rule in them) produced a cluster, listener, route configuration or virtual host of a proxy.')
    .argument('<resource>', 'resource or virtual host name, e.g. "outbound|9080|v3|reviews.default.svc.cluster.local"')
    .requiredOption('--proxy <proxy>', 'node ID or pod.namespace (with --config-dir: a full node ID)')
    .addOption(serverOption())
    .option('--config-dir <dir>', 'explain offline for this folder instead of asking a server')
    .addOption(new Option('--type <type>', 'only this kind of resource').choices(['cds', 'eds', 'lds', 'rds', 'vhost']))
    .option('--meta <KEY=VALUE>', 'node metadata for --config-dir (repeatable)', collect)
    .option('--mesh-config <file>', 'istio MeshConfig YAML for --config-dir, as for serve')
    .addOption(outputOption())
    .action((resource: string, o: { proxy: string; server: string; configDir?: string; type?: 'cds' | 'eds' | 'lds' | 'rds' | 'vhost'; meta?: string[]; output?: OutputFormat; meshConfig?: string }) =>
      run(explainCommand({ resource, ...o })));

  program.command('diff')
    .description('Dry run: what applying a YAML change would push to each proxy class, before anyone applies it.')
    .requiredOption('--apply <file>', 'the change, as for kubectl apply -f')
    .option('--config-dir <dir>', 'diff offline against this folder (default: ask the server)')
    .option('--server <url>', 'tspilot debug endpoint, when no --config-dir', DEFAULT_SERVER)
    .option('--proxy <nodeId>', 'only this proxy (repeatable offline; default: one sidecar per Pod, or every connected proxy)', collect)
    .option('--meta <KEY=VALUE>', 'node metadata for --proxy offline (repeatable)', collect)
    .option('--mesh-config <file>', 'istio MeshConfig YAML for --config-dir, as for serve')
    .addOption(outputOption())
    .action((o: { apply: string; configDir?: string; server: string; proxy?: string[]; meta?: string[]; output?: OutputFormat; meshConfig?: string }) => run(diffCommand(o)));
}
