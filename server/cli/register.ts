/**
 * @module server/cli/register
 * Adds the operator subcommands to the `tspilot` commander program: proxy-status, proxy-config
 * (istioctl's sections as subcommands, with its aliases and filters), translate, explain, diff.
 * Each prints what its command returns and exits with its code. Command code is imported when the
 * command runs, so `tspilot --help` and `proxy-status` never load the translation pipeline.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SERVER, type CommandResult } from './client.js';
import type { OutputFormat } from './output.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function format(v: string): OutputFormat {
  if (v !== 'json' && v !== 'yaml') throw new InvalidArgumentError(`"${v}" is not an output format (json or yaml)`);
  return v;
}

function shortFormat(v: string): OutputFormat | 'short' {
  if (v !== 'json' && v !== 'yaml' && v !== 'short') throw new InvalidArgumentError(`"${v}" is not an output format (short, json or yaml)`);
  return v;
}

function portNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${v}" is not a port number`);
  return n;
}

/** Prints a command's result and exits once it is written (nothing the command loaded may keep the CLI alive). */
async function run(p: Promise<CommandResult>): Promise<void> {
  const r = await p;
  const out = r.code === 0 ? process.stdout : process.stderr;
  process.exitCode = r.code;
  out.write(r.out, () => process.exit(r.code));
}

const serverOption = (): Option => new Option('--server <url>', 'tspilot debug endpoint (monitoring or HTTP port)').default(DEFAULT_SERVER);
const outputOption = (): Option => new Option('-o, --output <format>', 'json or yaml instead of a table').argParser(format);
const namespaceOption = (): Option =>
  new Option('-n, --namespace <ns>', 'namespace of a pod named without one (istioctl: the kubeconfig\'s, here "default")');

const metaOption = (about: string): Option => new Option('--meta <KEY=VALUE>', about).argParser(collect);
const meshConfigOption = (about: string): Option => new Option('--mesh-config <file>', `istio MeshConfig YAML${about}, as for serve`);

/** istioctl's proxy-config sections: name, aliases, and the filters each takes. */
const SECTIONS: readonly { name: string; aliases: string[]; about: string; filters: (c: Command) => Command }[] = [
  {
    name: 'cluster',
    aliases: ['clusters', 'c'],
    about: 'clusters the proxy was sent',
    filters: (c) =>
      c
        .option('--fqdn <fqdn>', 'only clusters of this service FQDN')
        .option('--port <port>', 'only clusters of this port', portNumber)
        .option('--subset <subset>', 'only clusters of this subset')
        .option('--direction <dir>', 'only inbound or outbound clusters'),
  },
  {
    name: 'listener',
    aliases: ['listeners', 'l'],
    about: 'listeners the proxy was sent',
    filters: (c) =>
      c
        .option('--address <ip>', 'only listeners on this address')
        .option('--port <port>', 'only listeners on this port', portNumber)
        .option('--type <type>', 'only HTTP, TCP or HTTP+TCP listeners'),
  },
  {
    name: 'route',
    aliases: ['routes', 'r'],
    about: 'route configurations the proxy was sent',
    filters: (c) => c.option('--name <name>', 'only this route configuration'),
  },
  {
    name: 'endpoint',
    aliases: ['endpoints', 'ep', 'eps'],
    about: 'endpoints the proxy was sent',
    filters: (c) =>
      c
        .option('--address <ip>', 'only this endpoint address')
        .option('--port <port>', 'only this endpoint port', portNumber)
        .option('--cluster <name>', 'only endpoints of this cluster')
        .option('--status <status>', 'only endpoints with this health status (HEALTHY, UNHEALTHY, DRAINING…)'),
  },
  {
    name: 'secret',
    aliases: ['secrets', 's'],
    about: 'secrets sent over SDS (gateway credentials; private keys redacted)',
    filters: (c) => c,
  },
  {
    name: 'bootstrap',
    aliases: ['b'],
    about: "node the proxy presented (tspilot does not see the rest of Envoy's bootstrap)",
    filters: (c) => c,
  },
  {
    name: 'all',
    aliases: ['a'],
    about: 'clusters, listeners, routes, endpoints and secrets',
    filters: (c) =>
      c
        .option('--fqdn <fqdn>', 'only clusters of this service FQDN')
        .option('--port <port>', 'only clusters, listeners and endpoints of this port', portNumber)
        .option('--subset <subset>', 'only clusters of this subset')
        .option('--direction <dir>', 'only inbound or outbound clusters')
        .option('--address <ip>', 'only listeners and endpoints on this address')
        .option('--name <name>', 'only this route configuration'),
  },
];

export function registerOperatorCommands(program: Command): void {
  program
    .command('proxy-status')
    .alias('ps')
    .description(
      "Sync state of every connected proxy (or one), in istioctl's columns: CDS, LDS, EDS, RDS, ECDS each SYNCED, NOT SENT, STALE or NACKED, with NACK errors.",
    )
    .argument('[proxy]', 'pod, pod.namespace, deployment/name or node ID')
    .addOption(namespaceOption())
    .addOption(serverOption())
    .option(
      '--all-replicas',
      "every tspilot replica's proxies (the server asks its --peers / --peers-service), each with its replica in ISTIOD",
    )
    .action(async (proxy: string | undefined, o: { server: string; namespace?: string; allReplicas?: boolean }) => {
      const { proxyStatus } = await import('./live.js');
      await run(
        proxyStatus({
          server: o.server,
          ...(proxy ? { proxy } : {}),
          ...(o.namespace ? { namespace: o.namespace } : {}),
          ...(o.allReplicas ? { allReplicas: true } : {}),
        }),
      );
    });

  const pc = program
    .command('proxy-config')
    .alias('pc')
    .description('What a connected proxy was sent, as istioctl prints it: tables (-o short) or the resources as json/yaml.');
  for (const s of SECTIONS) {
    s.filters(
      pc
        .command(s.name)
        .aliases(s.aliases)
        .description(`The ${s.about}.`)
        .argument('<pod>', 'pod, pod.namespace, deployment/name or node ID')
        .addOption(namespaceOption())
        .addOption(new Option('-o, --output <format>', 'short (tables), json or yaml').argParser(shortFormat).default('short'))
        .addOption(serverOption()),
    ).action(
      async (
        proxy: string,
        o: { server: string; namespace?: string; output: OutputFormat | 'short' } & Record<string, string | number | undefined>,
      ) => {
        const { proxyConfig } = await import('./live.js');
        await run(proxyConfig({ ...o, section: s.name, proxy }));
      },
    );
  }

  program
    .command('translate')
    .description('What a proxy would receive for a folder of config, offline (same translators and encoder as serve), as proto3 JSON.')
    .requiredOption('--config-dir <dir>', 'folder of *.yaml/*.yml/*.json manifests')
    .requiredOption('--proxy <nodeId>', 'istiod node ID, e.g. sidecar~10.1.0.5~productpage-v1.default~default.svc.cluster.local')
    .addOption(new Option('--type <type>', 'only this xDS type').choices(['cds', 'eds', 'lds', 'rds']))
    .addOption(metaOption('node metadata (repeatable), e.g. GENERATOR=grpc for a proxyless gRPC client'))
    .option('--resource <name>', 'only this resource (repeatable), as a named subscription asks for it', collect)
    .addOption(meshConfigOption(''))
    .option('--gateway-class-name <name>', "tspilot's own GatewayClass name, as for serve (default istio)")
    .addOption(outputOption().default('json'))
    .action(
      async (o: {
        configDir: string;
        proxy: string;
        type?: 'cds' | 'eds' | 'lds' | 'rds';
        meta?: string[];
        resource?: string[];
        output: OutputFormat;
        meshConfig?: string;
        gatewayClassName?: string;
      }) => {
        const { translateCommand } = await import('./commands.js');
        await run(translateCommand(o, (w) => process.stderr.write(w)));
      },
    );

  program
    .command('explain')
    .description(
      'Which configs (and which rule in them) produced a cluster, listener, route configuration, virtual host or extension config (ECDS) of a proxy.',
    )
    .argument('<resource>', 'resource or virtual host name, e.g. "outbound|9080|v3|reviews.default.svc.cluster.local"')
    .requiredOption('--proxy <proxy>', 'node ID or pod.namespace (with --config-dir: a full node ID)')
    .addOption(serverOption())
    .option('--config-dir <dir>', 'explain offline for this folder instead of asking a server')
    .addOption(new Option('--type <type>', 'only this kind of resource').choices(['cds', 'eds', 'lds', 'rds', 'vhost', 'ecds']))
    .addOption(metaOption('node metadata for --config-dir (repeatable)'))
    .addOption(meshConfigOption(' for --config-dir'))
    .addOption(outputOption())
    .action(
      async (
        resource: string,
        o: {
          proxy: string;
          server: string;
          configDir?: string;
          type?: 'cds' | 'eds' | 'lds' | 'rds' | 'vhost' | 'ecds';
          meta?: string[];
          output?: OutputFormat;
          meshConfig?: string;
        },
      ) => {
        const { explainCommand } = await import('./commands.js');
        await run(explainCommand({ resource, ...o }));
      },
    );

  program
    .command('diff')
    .description(
      'Dry run: what applying a YAML change would push — each changed resource once, with the proxy classes it reaches — before anyone applies it.',
    )
    .requiredOption('--apply <file>', 'the change, as for kubectl apply -f (e.g. examples/bookinfo-changes/reviews-v3-canary.yaml)')
    .option('--config-dir <dir>', 'diff offline against this folder (default: ask the server)')
    .addOption(serverOption())
    .option('--proxy <nodeId>', 'only this proxy (repeatable offline; default: one sidecar per Pod, or every connected proxy)', collect)
    .addOption(metaOption('node metadata for --proxy offline (repeatable)'))
    .addOption(meshConfigOption(' for --config-dir'))
    .addOption(outputOption())
    .action(
      async (o: {
        apply: string;
        configDir?: string;
        server: string;
        proxy?: string[];
        meta?: string[];
        output?: OutputFormat;
        meshConfig?: string;
      }) => {
        const { diffCommand } = await import('./commands.js');
        await run(diffCommand(o));
      },
    );
}
