/**
 * @module server/cli/commands
 * The operator commands of `tspilot` (main.ts wires them to commander): each takes parsed
 * options and returns the text to print and an exit code, so tests run them in-process. Commands
 * that talk to a server use its debug HTTP API (`--server`, istiod's monitoring port by default);
 * `translate`, offline `explain` and offline `diff` run the serving pipeline on a folder instead.
 */
import { readFile } from 'node:fs/promises';
import type { Proxy } from '../../model/proxy.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { explain, explainText, type Explanation } from '../explain/explain.js';
import { diffText, type DiffReport } from '../explain/diff.js';
import { offlineDryRun } from '../explain/dryrun.js';
import { loadConfigDir, meshOptions, resolveNode } from '../explain/offline.js';
import { parseNodeId } from '../../model/proxy.js';
import type { NodeInfo } from '../../model/resolve-proxy.js';
import { proxyConfigTable, SECTION_TYPE, type ConfigSection } from './proxyconfig.js';
import { proxyStatusTable, type SyncEntry } from './status.js';
import { render, type OutputFormat } from './table.js';
import { translate, type ShortType } from '../explain/translate.js';
import { statusProblems } from '../../model/gatewayapi.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:15014';

export interface CommandResult { readonly out: string; readonly code: number }

const fail = (message: string, code = 1): CommandResult => ({ out: `error: ${message}\n`, code });

class CliError extends Error {}

async function call<T>(server: string, path: string, init?: RequestInit): Promise<T> {
  let url: URL;
  try { url = new URL(path, server.endsWith('/') ? server : server + '/'); } catch { throw new CliError(`--server "${server}" is not a URL (e.g. http://127.0.0.1:15014)`); }
  let res: Response;
  try { res = await fetch(url, init); } catch (e) { throw new CliError(`cannot reach tspilot at ${server}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`); }
  const text = await res.text();
  let body: unknown;
  try { body = JSON.parse(text); } catch { body = text; }
  if (!res.ok) {
    const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : text.trim();
    throw new CliError(`${res.status} from ${url.pathname}: ${msg}`);
  }
  return body as T;
}

async function guard(f: () => Promise<CommandResult>): Promise<CommandResult> {
  try { return await f(); } catch (e) {
    if (e instanceof CliError) return fail(e.message);
    return fail((e as Error).message);
  }
}

/** `K=V` pairs (and JSON objects) into node metadata. */
export function parseMeta(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`--meta "${p}" is not KEY=VALUE`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export function proxyStatus(o: { server: string; proxy?: string }): Promise<CommandResult> {
  return guard(async () => {
    const all = await call<SyncEntry[]>(o.server, '/debug/syncz');
    const entries = o.proxy ? all.filter((e) => e.proxy === o.proxy || e.proxy.split('~')[2] === o.proxy) : all;
    if (o.proxy && !entries.length) return fail(`no connected proxy "${o.proxy}"`);
    return { out: proxyStatusTable(entries), code: 0 };
  });
}

export function proxyConfig(o: { server: string; section: string; proxy: string; output?: OutputFormat }): Promise<CommandResult> {
  return guard(async () => {
    if (!(o.section in SECTION_TYPE)) return fail(`"${o.section}" is not one of clusters, listeners, routes, endpoints`, 2);
    const section = o.section as ConfigSection;
    const dump = await call<unknown>(o.server, `/debug/config_dump?proxyID=${encodeURIComponent(o.proxy)}&types=${SECTION_TYPE[section]}`);
    return { out: o.output ? render(dump, o.output) : proxyConfigTable(section, dump), code: 0 };
  });
}

export interface TranslateCli {
  readonly configDir: string;
  readonly proxy: string;
  readonly type?: ShortType;
  readonly meta?: readonly string[];
  readonly resource?: readonly string[];
  readonly output?: OutputFormat;
  readonly meshConfig?: string;
}

async function offlineProxy(configDir: string, nodeId: string, meta: readonly string[] = [], meshConfig?: string): Promise<{ loaded: Awaited<ReturnType<typeof loadConfigDir>>; proxy: Proxy; warnings: string }> {
  const loaded = await loadConfigDir(configDir, meshOptions(meshConfig));
  let proxy: Proxy;
  try { proxy = resolveNode(loaded.mesh, nodeId, parseMeta(meta)); } catch (e) { throw new CliError(`--proxy: ${(e as Error).message}`); }
  const warnings = [...loaded.fileErrors].map(([f, r]) => `warning: ${f} was not read: ${r}\n`).join('')
    + loaded.mesh.rejected.map((r) => `warning: rejected ${r.kind} ${r.namespace}/${r.name} in ${r.source}: ${r.field ? `${r.field}: ` : ''}${r.reason}\n`).join('')
    + (loaded.mesh.gatewayApiStatus ?? []).flatMap(statusProblems).map((p) => `warning: ${p}\n`).join('');
  return { loaded, proxy, warnings };
}

/** Returns the output on stdout; warnings (unreadable files, rejected objects) go to `warn`. */
export function translateCommand(o: TranslateCli, warn: (s: string) => void = () => {}): Promise<CommandResult> {
  return guard(async () => {
    const { loaded, proxy, warnings } = await offlineProxy(o.configDir, o.proxy, o.meta, o.meshConfig);
    if (warnings) warn(warnings);
    const t = translate(loaded.mesh, proxy, { ...(o.type ? { types: [o.type] } : {}), ...(o.resource?.length ? { names: o.resource } : {}) });
    if (t.missing.length) warn(`warning: no resource named ${t.missing.map((n) => `"${n}"`).join(', ')} for ${proxy.id}\n`);
    return { out: render(t, o.output ?? 'json'), code: 0 };
  });
}

export interface ExplainCli {
  readonly resource: string;
  readonly proxy: string;
  readonly server?: string;
  readonly configDir?: string;
  readonly type?: Explanation['type'];
  readonly meta?: readonly string[];
  readonly output?: OutputFormat;
  readonly meshConfig?: string;
}

export function explainCommand(o: ExplainCli): Promise<CommandResult> {
  return guard(async () => {
    let found: Explanation[];
    if (o.configDir) {
      const { loaded, proxy } = await offlineProxy(o.configDir, o.proxy, o.meta, o.meshConfig);
      found = explain(loaded.mesh, new SnapshotCache(loaded.mesh).forProxy(proxy), o.resource, o.type);
      if (!found.length) return fail(`${proxy.id} would have no ${o.type ?? 'resource'} named "${o.resource}"`);
    } else {
      const q = `proxyID=${encodeURIComponent(o.proxy)}&resource=${encodeURIComponent(o.resource)}${o.type ? `&type=${o.type}` : ''}`;
      found = (await call<{ explanations: Explanation[] }>(o.server ?? DEFAULT_SERVER, `/debug/explain?${q}`)).explanations;
    }
    return { out: o.output ? render(found, o.output) : explainText(found), code: 0 };
  });
}

export interface DiffCli {
  readonly apply: string;
  readonly configDir?: string;
  readonly server?: string;
  readonly proxy?: readonly string[];
  readonly meta?: readonly string[];
  readonly output?: OutputFormat;
  readonly meshConfig?: string;
}

export function diffCommand(o: DiffCli): Promise<CommandResult> {
  return guard(async () => {
    let yaml: string;
    try { yaml = await readFile(o.apply, 'utf8'); } catch (e) { return fail(`--apply: cannot read ${o.apply}: ${(e as Error).message}`); }
    let report: DiffReport;
    if (o.configDir) {
      const loaded = await loadConfigDir(o.configDir, meshOptions(o.meshConfig));
      let proxies: NodeInfo[];
      try {
        proxies = (o.proxy ?? []).map((id) => ({ id, metadata: parseMeta(o.meta ?? []) }));
        for (const n of proxies) { const p = parseNodeId(n.id, n.metadata); if (!p.ok) throw new Error(p.reason); }
      } catch (e) { return fail(`--proxy: ${(e as Error).message}`); }
      const r = offlineDryRun(loaded.state, loaded.mesh, yaml, o.apply, proxies, loaded.options);
      if (!r.ok) return fail(r.error);
      report = r.report;
    } else {
      const proxies = o.proxy ?? [];
      if (proxies.length > 1) return fail('with --server, give at most one --proxy (or none for every connected proxy)', 2);
      const q = proxies[0] ? `?proxyID=${encodeURIComponent(proxies[0])}` : '';
      report = await call<DiffReport>(o.server ?? DEFAULT_SERVER, `/debug/diff${q}`, { method: 'POST', body: yaml, headers: { 'content-type': 'application/yaml' } });
    }
    return { out: o.output ? render(report, o.output) : diffText(report), code: 0 };
  });
}
