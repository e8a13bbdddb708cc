/**
 * @module server/cli/commands
 * The operator commands that can run the serving pipeline offline (register.ts wires them to
 * commander, loading this file only when one of them runs): each takes parsed options and returns
 * the text to print and an exit code, so tests run them in-process. `translate`, offline `explain`
 * and offline `diff` run the pipeline on a folder; with `--server` explain and diff ask a running
 * server's debug HTTP API instead. The commands that only talk to a server are in live.ts.
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
import { call, CliError, DEFAULT_SERVER, fail, guard, type CommandResult } from './client.js';
import { render, type OutputFormat } from './output.js';
import { translate, type ShortType } from '../explain/translate.js';
import { statusProblems } from '../../model/gatewayapi.js';

/** `K=V` pairs (and JSON objects) into node metadata. */
export function parseMeta(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`--meta "${p}" is not KEY=VALUE`);
    const key = p.slice(0, i);
    const value = p.slice(i + 1);
    // Struct-valued metadata (LABELS, ANNOTATIONS, PROXY_CONFIG) is written as JSON, as in a bootstrap.
    if (/^\s*[{[]/.test(value)) {
      try {
        out[key] = JSON.parse(value) as unknown;
      } catch (e) {
        throw new CliError(`--meta ${key}: the value looks like JSON but does not parse: ${(e as Error).message}`);
      }
    } else out[key] = value;
  }
  return out;
}

export interface TranslateCli {
  readonly configDir: string;
  readonly proxy: string;
  readonly type?: ShortType;
  readonly meta?: readonly string[];
  readonly resource?: readonly string[];
  readonly output?: OutputFormat;
  readonly meshConfig?: string;
  /** tspilot's own GatewayClass name, as for serve. */
  readonly gatewayClassName?: string;
}

async function offlineProxy(
  configDir: string,
  nodeId: string,
  meta: readonly string[] = [],
  meshConfig?: string,
  gatewayClassName?: string,
): Promise<{ loaded: Awaited<ReturnType<typeof loadConfigDir>>; proxy: Proxy; warnings: string }> {
  const loaded = await loadConfigDir(configDir, meshOptions(meshConfig, gatewayClassName));
  let proxy: Proxy;
  try {
    proxy = resolveNode(loaded.mesh, nodeId, parseMeta(meta));
  } catch (e) {
    throw new CliError(`--proxy: ${(e as Error).message}`);
  }
  const warnings =
    [...loaded.fileErrors].map(([f, r]) => `warning: ${f} was not read: ${r}\n`).join('') +
    loaded.mesh.rejected
      .map((r) => `warning: rejected ${r.kind} ${r.namespace}/${r.name} in ${r.source}: ${r.field ? `${r.field}: ` : ''}${r.reason}\n`)
      .join('') +
    (loaded.mesh.gatewayApiStatus ?? [])
      .flatMap(statusProblems)
      .map((p) => `warning: ${p}\n`)
      .join('');
  return { loaded, proxy, warnings };
}

/** Returns the output on stdout; warnings (unreadable files, rejected objects) go to `warn`. */
export function translateCommand(o: TranslateCli, warn: (s: string) => void = () => {}): Promise<CommandResult> {
  return guard(async () => {
    const { loaded, proxy, warnings } = await offlineProxy(o.configDir, o.proxy, o.meta, o.meshConfig, o.gatewayClassName);
    if (warnings) warn(warnings);
    const t = translate(loaded.mesh, proxy, {
      ...(o.type ? { types: [o.type] } : {}),
      ...(o.resource?.length ? { names: o.resource } : {}),
    });
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
      found = explain(loaded.mesh, new SnapshotCache(loaded.mesh).forProxy(proxy), o.resource, o.type, proxy);
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
    try {
      yaml = await readFile(o.apply, 'utf8');
    } catch (e) {
      return fail(`--apply: cannot read ${o.apply}: ${(e as Error).message}`);
    }
    let report: DiffReport;
    if (o.configDir) {
      const loaded = await loadConfigDir(o.configDir, meshOptions(o.meshConfig));
      let proxies: NodeInfo[];
      try {
        proxies = (o.proxy ?? []).map((id) => ({ id, metadata: parseMeta(o.meta ?? []) }));
        for (const n of proxies) {
          const p = parseNodeId(n.id, n.metadata);
          if (!p.ok) throw new Error(p.reason);
        }
      } catch (e) {
        return fail(`--proxy: ${(e as Error).message}`);
      }
      const r = offlineDryRun(loaded.state, loaded.mesh, yaml, o.apply, proxies, loaded.options);
      if (!r.ok) return fail(r.error);
      report = r.report;
    } else {
      const proxies = o.proxy ?? [];
      if (proxies.length > 1) return fail('with --server, give at most one --proxy (or none for every connected proxy)', 2);
      const q = proxies[0] ? `?proxyID=${encodeURIComponent(proxies[0])}` : '';
      report = await call<DiffReport>(o.server ?? DEFAULT_SERVER, `/debug/diff${q}`, {
        method: 'POST',
        body: yaml,
        headers: { 'content-type': 'application/yaml' },
      });
    }
    return { out: o.output ? render(report, o.output) : diffText(report), code: 0 };
  });
}

export { DEFAULT_SERVER, type CommandResult };
