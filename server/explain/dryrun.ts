/**
 * @module server/explain/dryrun
 * The two ways to ask "what would this change push?": against a running server (the store stage's
 * last output, turned into a private state, and its connected proxies with their subscriptions) and offline (a config folder and the
 * proxies named on the command line, or one sidecar per Pod in the folder). Both apply the change
 * to a copy, never to the served state. Against a running server the posted YAML is parsed by
 * `parse` (a worker thread, so a hostile document cannot stall the event loop).
 */
import type { MeshConfig, Rejection } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { ENVOY_SHORT as SHORT, isEnvoyXdsType } from '../../proto/typeurls.js';
import type { StoreState } from '../../watchers/store/reduce.js';
import { stateFromStatus, type StoreOutput } from '../../watchers/store/status.js';
import type { MeshOptions } from '../../watchers/mesh.js';
import type { StreamState } from '../xds/state.js';
import type { ClassSnapshot } from '../cache/snapshot.js';
import { applyChange, applyParsed, meshFromState, resolveNode } from './offline.js';
import type { NodeInfo } from '../../model/resolve-proxy.js';
import type { ParseOutcome } from '../../watchers/file/parse-pool.js';
import { parseConfigText } from '../../watchers/file/parse.js';
import { diffMeshes, type DiffReport, type DiffTarget, type Subscription } from './diff.js';

export type DryRunResult =
  { readonly ok: true; readonly report: DiffReport } | { readonly ok: false; readonly error: string; readonly busy?: boolean };

const SOURCE = 'dry-run';

/** Applied vs rejected objects of the change, counting cross-object checks (unknown subset…) too. */
function outcome(ch: { applied: string[]; rejected: Rejection[] }, after: MeshConfig): { applied: string[]; rejected: Rejection[] } {
  const late = after.rejected.filter((r) => ch.applied.includes(r.key));
  return { applied: ch.applied.filter((k) => !late.some((r) => r.key === k)), rejected: [...ch.rejected, ...late] };
}

function targetOf(s: StreamState): DiffTarget {
  const subscriptions: Partial<Record<'cds' | 'eds' | 'lds' | 'rds', Subscription>> = {};
  for (const [t, ts] of s.types) if (isEnvoyXdsType(t)) subscriptions[SHORT[t]] = { wildcard: ts.sub.wildcard, names: [...ts.sub.names] };
  return { proxy: s.proxy, subscriptions };
}

/**
 * Against a running server: `served` is what it serves now; `store()` the store stage's last output
 * (read after the parse; the change is applied to a private state made from it). `parse` defaults
 * to parsing here, synchronously.
 */
export async function serverDryRun(
  store: () => StoreOutput,
  served: () => MeshConfig,
  streams: readonly StreamState[],
  yaml: string,
  opts?: MeshOptions,
  servedSnapshot?: (p: Proxy) => ClassSnapshot,
  parse: (text: string, source: string) => Promise<ParseOutcome> = async (t, s) => parseConfigText(t, s),
): Promise<DryRunResult> {
  const parsed = await parse(yaml, SOURCE);
  if (!parsed.ok && parsed.busy) return { ok: false, busy: true, error: parsed.reason };
  const last = store();
  const ch = applyParsed(stateFromStatus(last.status), parsed, SOURCE);
  if (ch.error) return { ok: false, error: ch.error };
  const after = meshFromState(ch.state, opts, last.mesh);
  return { ok: true, report: diffMeshes(served(), after, streams.map(targetOf), outcome(ch, after), servedSnapshot) };
}

/** One Envoy sidecar per Pod of the mesh (what a folder of manifests implies), else a default one. */
export function podProxies(mesh: MeshConfig): Proxy[] {
  const out = [...mesh.pods.values()]
    .filter((p) => p.podIP)
    .map((p) => resolveNode(mesh, `sidecar~${p.podIP}~${p.meta.name}.${p.meta.namespace}~${p.meta.namespace}.svc.${mesh.domainSuffix}`));
  return out.length ? out : [resolveNode(mesh, `sidecar~10.0.0.1~tspilot.default~default.svc.${mesh.domainSuffix}`)];
}

/** Offline: `state` is a loaded folder; `nodes` are resolved against `before` (default: one sidecar per Pod). */
export function offlineDryRun(
  state: StoreState,
  before: MeshConfig,
  yaml: string,
  source: string,
  nodes?: readonly NodeInfo[],
  opts?: MeshOptions,
): DryRunResult {
  const ch = applyChange(state, yaml, source);
  if (ch.error) return { ok: false, error: ch.error };
  const after = meshFromState(ch.state, opts, before);
  const targets = (nodes?.length ? nodes.map((n) => resolveNode(before, n.id, n.metadata)) : podProxies(before)).map((proxy) => ({
    proxy,
  }));
  return { ok: true, report: diffMeshes(before, after, targets, outcome(ch, after)) };
}
