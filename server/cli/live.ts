/**
 * @module server/cli/live
 * The commands that only ask a running server (its debug HTTP API): `proxy-status` and
 * `proxy-config`. Proxies are named as istioctl names pods — `pod`, `pod.namespace` (a name
 * without a namespace is in `-n`, else `default`), `deployment/name` (its first connected pod) —
 * or by full node ID. Loads no pipeline code, so these start in about node's own time.
 */
import { call, CliError, fail, guard, type CommandResult } from './client.js';
import type { OutputFormat } from './output.js';
import { SECTION_ALIASES, SECTION_TYPES, proxyConfigTable, proxyConfigValue, type ConfigFilter } from './proxyconfig.js';
import { proxyStatusTable, shortName, type SyncEntry } from './status.js';
import type { MergedSyncz } from '../replica/fanout.js';

/**
 * The `pod.namespace` (or node ID) a name given like istioctl's stands for. `deployment/x` (or
 * `deploy/x`) needs the connected proxies: the first pod, by name, of that deployment.
 */
export async function resolveProxy(server: string, name: string, namespace?: string): Promise<string> {
  if (name.includes('~')) return name;
  const kind = /^(deployment|deploy|deployments)\/(.+)$/.exec(name);
  if (kind) {
    const [dep, ns] = splitNs(kind[2]!, namespace);
    const all = await call<SyncEntry[]>(server, '/debug/syncz');
    // Pods of a Deployment are named <deployment>-<replicaset hash>-<pod hash>.
    const pods = all
      .map((e) => shortName(e.proxy))
      .filter((p) => p.endsWith(`.${ns}`) && /^.+-[a-z0-9]+-[a-z0-9]+$/.test(p.slice(0, -ns.length - 1)) && p.startsWith(`${dep}-`))
      .sort();
    if (!pods.length) throw new CliError(`no connected proxy of deployment ${dep} in namespace ${ns}`);
    return pods[0]!;
  }
  const [pod, ns] = splitNs(name, namespace);
  return `${pod}.${ns}`;
}

/** `pod.ns` → [pod, ns]; `pod` → [pod, -n or "default"] (istioctl's rule). */
function splitNs(name: string, namespace?: string): [string, string] {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? [name.slice(0, dot), name.slice(dot + 1)] : [name, namespace || 'default'];
}

export function proxyStatus(o: { server: string; proxy?: string; namespace?: string; allReplicas?: boolean }): Promise<CommandResult> {
  return guard(async () => {
    // --all-replicas: the server asks its peers (server/replica) and merges, each entry with its replica; those that did not answer are named after the table.
    const merged = o.allReplicas
      ? await call<Omit<MergedSyncz, 'proxies'> & { proxies: SyncEntry[] }>(o.server, '/debug/replicas/syncz')
      : null;
    const down = (merged?.replicas ?? [])
      .filter((r) => r.error)
      .map((r) => `replica ${r.replica} did not answer: ${r.error}\n`)
      .join('');
    const all = merged ? merged.proxies : await call<SyncEntry[]>(o.server, '/debug/syncz');
    const want = o.proxy ? await resolveProxy(o.server, o.proxy, o.namespace) : undefined;
    const entries = want
      ? all.filter((e) => e.proxy === want || shortName(e.proxy) === want)
      : o.namespace
        ? all.filter((e) => shortName(e.proxy).endsWith(`.${o.namespace}`))
        : all;
    if (want && !entries.length) return fail(`no connected proxy "${want}" (tspilot proxy-status lists them)`);
    return { out: proxyStatusTable(entries) + down, code: 0 };
  });
}

export interface ProxyConfigCli extends ConfigFilter {
  readonly server: string;
  readonly section: string;
  readonly proxy: string;
  readonly namespace?: string;
  readonly output?: OutputFormat | 'short';
}

export function proxyConfig(o: ProxyConfigCli): Promise<CommandResult> {
  return guard(async () => {
    const section = SECTION_ALIASES[o.section];
    if (!section)
      return fail(`"${o.section}" is not one of cluster, listener, route, endpoint, secret, bootstrap, all (singular or plural)`, 2);
    const id = await resolveProxy(o.server, o.proxy, o.namespace);
    const dump = await call<unknown>(o.server, `/debug/config_dump?proxyID=${encodeURIComponent(id)}&types=${SECTION_TYPES[section]}`);
    if (!o.output || o.output === 'short') return { out: proxyConfigTable(section, dump, o), code: 0 };
    const { render } = await import('./output.js');
    return { out: render(proxyConfigValue(section, dump, o), o.output), code: 0 };
  });
}
