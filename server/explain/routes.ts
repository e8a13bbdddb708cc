/**
 * @module server/explain/routes
 * Explaining route configurations: which VirtualService http[i].route[k] (or Gateway API
 * HTTPRoute/GRPCRoute rules[i]) produced an Envoy route and its weights, what a virtual host
 * stands for, and — for a cluster — which routes of the proxy send traffic to it. Derived from the
 * provenance metadata and istiod's names on the generated routes; read-only.
 */
import type { MeshConfig } from '../../model/config.js';
import type { VirtualService } from '../../model/istio.js';
import { RDS } from '../../proto/typeurls.js';
import type { ClassSnapshot } from '../cache/snapshot.js';
import { arr, Collector, explainService, keyOfPath, obj, str, type J } from './collector.js';
import { resourceJson } from './translate.js';

/** Which http[i] of `vs` an Envoy route came from: the rule's own name, else the index unnamed routes carry in metadata `tspilot.rule`. */
function httpIndex(vs: VirtualService, routeName: string, r: J): number {
  if (routeName) return (vs.spec.http ?? []).findIndex((h) => h.name === routeName);
  const i = obj(obj(r['metadata'])['filterMetadata'])['tspilot.rule'];
  const n = Number(obj(i)['http']);
  return Number.isInteger(n) && n >= 0 && n < (vs.spec.http?.length ?? 0) ? n : -1;
}

function explainRoute(mesh: MeshConfig, c: Collector, vhost: string, r: J): void {
  const rname = str(r['name']);
  const key = keyOfPath(str(obj(obj(obj(r['metadata'])['filterMetadata'])['istio'])['config']));
  const action = obj(r['route']);
  if (!key) {
    const target = str(action['cluster']) || '(no cluster)';
    c.lines.push(`${vhost} route "${rname || 'default'}": no VirtualService routes this host; istiod's default route → ${target}`);
    return;
  }
  if (key.kind === 'HTTPRoute' || key.kind === 'GRPCRoute') {
    explainGatewayApiRoute(c, vhost, rname, key, r, action);
    return;
  }
  const vs = mesh.virtualServices.find((v) => v.meta.namespace === key.namespace && v.meta.name === key.name);
  if (!vs) {
    c.lines.push(`${vhost} route "${rname}": from ${key.kind} ${key.namespace}/${key.name}, which is no longer in the mesh`);
    return;
  }
  const i = httpIndex(vs, rname, r);
  const label = c.add('VirtualService', vs.meta.namespace, vs.meta.name, i >= 0 ? `http[${i}]` : undefined);
  const at = i >= 0 ? `http[${i}]` : `(route ${rname})`;
  const h = i >= 0 ? vs.spec.http?.[i] : undefined;
  if (h?.match?.length) c.lines.push(`${label} ${at}.match: ${JSON.stringify(r['match'])}`);
  if (r['redirect']) {
    c.lines.push(`${label} ${at}.redirect → ${JSON.stringify(r['redirect'])}`);
    return;
  }
  const dests = (h?.route ?? []).map((d, k) => ({ d, k })).filter(({ d }) => (h?.route?.length ?? 0) === 1 || (d.weight ?? 0) > 0);
  const weighted = arr(obj(action['weightedClusters'])['clusters']);
  if (weighted.length) {
    weighted.forEach((w, j) => {
      const k = dests[j]?.k;
      c.lines.push(
        `${label} ${at}${k !== undefined ? `.route[${k}]` : ''}: weight ${str(obj(w['weight'])['value'] ?? w['weight'])} → ${str(w['name'])}`,
      );
    });
  } else if (str(action['cluster'])) {
    c.lines.push(`${label} ${at}${dests[0] ? `.route[${dests[0].k}]` : ''} → ${str(action['cluster'])}`);
  }
  for (const f of ['timeout', 'retries', 'fault', 'rewrite', 'headers', 'mirror'] as const) {
    const v = (h as Record<string, unknown> | undefined)?.[f];
    if (v !== undefined) c.lines.push(`${label} ${at}.${f}: ${JSON.stringify(v)}`);
  }
}

export function explainVhost(mesh: MeshConfig, c: Collector, vh: J): void {
  const name = str(vh['name']);
  const hp = /^(.*):(\d+)$/.exec(name);
  if (hp) explainService(mesh, c, mesh.serviceByHost.get(hp[1]!), Number(hp[2]), hp[1]!);
  else c.lines.push(`virtual host ${name} is one of istiod's fixed catch-alls`);
  const domains = (Array.isArray(vh['domains']) ? (vh['domains'] as unknown[]) : []).map(str);
  c.lines.push(`virtual host ${name}: domains ${domains.join(', ')}`);
  for (const r of arr(vh['routes'])) explainRoute(mesh, c, name, r);
}

/** The routes of the proxy's route configurations that send traffic to `cluster`, with the rule behind each. */
export function usedBy(mesh: MeshConfig, c: Collector, snap: ClassSnapshot, cluster: string): void {
  const before = c.lines.length;
  for (const rn of snap.names(RDS)) {
    const r = snap.get(RDS, rn);
    if (!r) continue;
    for (const vh of arr(obj(resourceJson(r))['virtualHosts'])) {
      for (const route of arr(vh['routes'])) {
        const a = obj(route['route']);
        const hit = str(a['cluster']) === cluster || arr(obj(a['weightedClusters'])['clusters']).some((w) => str(w['name']) === cluster);
        if (!hit) continue;
        const sub = new Collector(mesh);
        explainRoute(mesh, sub, str(vh['name']), route);
        for (const l of sub.lines.filter((x) => x.endsWith(`→ ${cluster}`))) c.lines.push(`used by route configuration ${rn}: ${l}`);
        for (const k of sub.list()) for (const rule of k.rules) c.add(k.kind, k.namespace, k.name, rule);
      }
    }
  }
  if (c.lines.length === before) c.lines.push(`no route of this proxy sends traffic to ${cluster}`);
}

/** A route converted from a Gateway API HTTPRoute/GRPCRoute: named `<ns>.<name>.<rule index>` (istiod's name). */
function explainGatewayApiRoute(
  c: Collector,
  vhost: string,
  rname: string,
  key: { kind: string; namespace: string; name: string },
  r: J,
  action: J,
): void {
  const rule = rname.startsWith(`${key.namespace}.${key.name}.`) ? rname.slice(key.namespace.length + key.name.length + 2) : '';
  const at = /^\d+$/.test(rule) ? `rules[${rule}]` : `(route ${rname})`;
  const label = c.add(key.kind, key.namespace, key.name, at.startsWith('rules') ? at : undefined);
  c.lines.push(`${vhost}: ${label} ${at}.match: ${JSON.stringify(r['match'])}`);
  const weighted = arr(obj(action['weightedClusters'])['clusters']);
  if (r['redirect']) c.lines.push(`${label} ${at} redirect → ${JSON.stringify(r['redirect'])}`);
  else if (r['directResponse'])
    c.lines.push(`${label} ${at} → direct response ${JSON.stringify(r['directResponse'])} (no usable backendRef)`);
  else if (weighted.length)
    for (const w of weighted) c.lines.push(`${label} ${at}: weight ${str(obj(w['weight'])['value'] ?? w['weight'])} → ${str(w['name'])}`);
  else if (str(action['cluster'])) c.lines.push(`${label} ${at} → ${str(action['cluster'])}`);
}
