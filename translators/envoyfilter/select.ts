/**
 * @module translators/envoyfilter/select
 * Which EnvoyFilters apply to a proxy, in istiod's order (PushContext.EnvoyFilters): those of the
 * mesh root namespace, then those of the proxy's namespace, each selecting the workload by
 * `workloadSelector` (none: every workload of the namespace) or `targetRefs` (a Gateway by the
 * `gateway.networking.k8s.io/gateway-name` label of its pods); each namespace's list ordered by
 * creation time, then name; the whole list then stably sorted by `priority` (lower first).
 * `envoyFilterClassKey` is the part of the proxy class key that keeps two workloads apart when
 * they differ in the EnvoyFilters (or the proxy matches of their patches) that apply to them.
 */
import type { MeshConfig } from '../../model/config.js';
import type { EnvoyFilter } from '../../model/envoyfilter.js';
import { selectorMatches } from '../../model/labels.js';
import type { Proxy } from '../../model/proxy.js';
import { proxyMatches } from './match.js';

const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

function selects(ef: EnvoyFilter, labels: Readonly<Record<string, string>>): boolean {
  const refs = ef.spec.targetRefs;
  if (refs?.length) return refs.some((r) => r.kind === 'Gateway' && labels[GATEWAY_NAME_LABEL] === r.name);
  return selectorMatches(ef.spec.workloadSelector?.labels, labels);
}

const byCreation = (a: EnvoyFilter, b: EnvoyFilter): number =>
  a.creationTimestamp.localeCompare(b.creationTimestamp) ||
  a.meta.name.localeCompare(b.meta.name) ||
  a.meta.namespace.localeCompare(b.meta.namespace);

export function envoyFiltersFor(mesh: MeshConfig, proxy: Proxy, labels: Readonly<Record<string, string>>): EnvoyFilter[] {
  const all = mesh.envoyFilters ?? [];
  if (!all.length) return [];
  const root = mesh.settings.rootNamespace;
  const inNs = (ns: string): EnvoyFilter[] => all.filter((f) => f.meta.namespace === ns && selects(f, labels)).sort(byCreation);
  const list = [...inNs(root), ...(proxy.namespace !== root ? inNs(proxy.namespace) : [])];
  return list
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.spec.priority - b.f.spec.priority || a.i - b.i)
    .map((x) => x.f);
}

/** `''` when none applies; else the filters in order, each with its patches' proxy-match bits. */
export function envoyFilterClassKey(mesh: MeshConfig, proxy: Proxy, labels: Readonly<Record<string, string>>): string {
  const fs = envoyFiltersFor(mesh, proxy, labels);
  if (!fs.length) return '';
  return `/ef:${fs.map((f) => `${f.meta.namespace}/${f.meta.name}@${f.spec.configPatches.map((p) => (proxyMatches(p, proxy) ? '1' : '0')).join('')}`).join(',')}`;
}
