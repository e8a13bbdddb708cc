/**
 * @module server/explain/explain
 * "Why does this proxy have this?" For a cluster, endpoint assignment, listener, route
 * configuration or virtual host a proxy gets: the configs that produced it (kind,
 * namespace/name, generation, file) and the rule inside them, e.g.
 * `VirtualService default/reviews http[0].route[1]: weight 50 → outbound|9080|v3|reviews…`.
 *
 * Derived from what was generated, not re-deciding it: the provenance the translators put on
 * resources (`metadata.filter_metadata.istio.config`, istiod's convention), istiod's names
 * (`outbound|port|subset|host`, `host:port`, unnamed routes' `tspilot.rule` metadata) and the MeshConfig
 * the resource was built from. Read-only; runs on a ClassSnapshot so the server and the CLI agree.
 * Given the proxy, `virtualInbound` lists the PeerAuthentications that apply (explain/mtls.ts);
 * every outbound cluster says where its TLS comes from. Listeners also list the AuthorizationPolicy
 * rules and RequestAuthentications behind their RBAC, ext_authz and jwt_authn filters (./authz.ts).
 */
import { configKey, type ConfigObject, type MeshConfig, type MeshService } from '../../model/config.js';
import type { DestinationRule, VirtualService } from '../../model/istio.js';
import { CDS, ECDS, EDS, LDS, RDS, ENVOY_SHORT as SHORT, type XdsType } from '../../proto/typeurls.js';
import type { ClusterKey } from '../../translators/names.js';
import type { ClassSnapshot } from '../cache/snapshot.js';
import { resourceJson } from './translate.js';
import { explainListenerSecurity } from './authz.js';
import type { Proxy } from '../../model/proxy.js';
import { clusterTlsLine, inboundMtlsLines } from './mtls.js';
import { patchLines, patchTrace, proxyOutput, setBy, type PatchTraceView } from './patches.js';
import type { Generated } from '../../translators/index.js';

/** A config object that contributed, and how. */
export interface Contributor {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly resourceVersion: string;
  readonly file: string;
  /** Which part of it, in the config's own field paths (`http[0].route[1]`, `subsets[2]`, `spec.ports[0]`). */
  readonly rules: string[];
}

export interface Explanation {
  readonly type: 'cds' | 'eds' | 'lds' | 'rds' | 'vhost' | 'ecds';
  readonly name: string;
  /** One line per fact, readable on its own. */
  readonly lines: string[];
  readonly configs: Contributor[];
  /** Given the proxy: the resource before and after each EnvoyFilter patch that touched it (./patches.ts). */
  readonly patches?: PatchTraceView;
}

type J = { readonly [k: string]: unknown };
const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
const arr = (v: unknown): J[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

const KIND_OF_PATH: Readonly<Record<string, string>> = {
  'virtual-service': 'VirtualService',
  'destination-rule': 'DestinationRule',
  service: 'Service',
  'service-entry': 'ServiceEntry',
  sidecar: 'Sidecar',
  gateway: 'Gateway',
  httproute: 'HTTPRoute',
  grpcroute: 'GRPCRoute',
};

/** `/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews` → the config key. */
export function keyOfPath(path: string): { kind: string; namespace: string; name: string } | null {
  const m = /\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
  const kind = m ? KIND_OF_PATH[m[2]!] : undefined;
  return m && kind ? { kind, namespace: m[1]!, name: m[3]! } : null;
}

class Collector {
  readonly lines: string[] = [];
  private readonly configs = new Map<string, Contributor>();

  constructor(private readonly mesh: MeshConfig) {}

  /** Notes a config (by kind/namespace/name) and one rule inside it; returns its display name. */
  add(kind: string, namespace: string, name: string, rule?: string): string {
    const key = configKey(kind, namespace, name);
    let c = this.configs.get(key);
    if (!c) {
      const e = this.mesh.objects.get(key);
      const meta = (e?.object as ConfigObject | undefined)?.meta;
      c = {
        kind,
        namespace,
        name,
        generation: meta?.generation ?? 0,
        resourceVersion: meta?.resourceVersion ?? '',
        file: e?.origin.source ?? '(not in the store)',
        rules: [],
      };
      this.configs.set(key, c);
    }
    if (rule && !c.rules.includes(rule)) c.rules.push(rule);
    return `${kind} ${namespace}/${name}`;
  }

  list(): Contributor[] {
    return [...this.configs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  }
}

function service(mesh: MeshConfig, c: Collector, svc: MeshService | undefined, port: number, host: string): void {
  if (!svc) {
    c.lines.push(`host ${host} is not a known service`);
    return;
  }
  const i = svc.ports.findIndex((p) => p.port === port);
  const k = mesh.objects.has(configKey('Service', svc.namespace, svc.name)) ? 'Service' : 'ServiceEntry';
  const kind = c.add(k, svc.namespace, svc.name, i >= 0 ? `spec.ports[${i}]` : undefined);
  const p = svc.ports[i];
  c.lines.push(
    p
      ? `${kind} spec.ports[${i}]: ${p.name || '(unnamed)'} ${p.port}/${p.protocol}${p.appProtocol ? ` appProtocol ${p.appProtocol}` : ''} → host ${svc.hostname}:${p.port}`
      : `${kind}: host ${svc.hostname} (port ${port} is not one of its ports)`,
  );
}

function destinationRule(c: Collector, dr: DestinationRule, subset: string, clusterJson: J, pt?: PatchTraceView): void {
  const subsets = dr.spec.subsets ?? [];
  const si = subsets.findIndex((s) => s.name === subset);
  const label = c.add('DestinationRule', dr.meta.namespace, dr.meta.name, subset && si >= 0 ? `subsets[${si}]` : 'spec.trafficPolicy');
  if (subset) {
    const s = subsets[si];
    c.lines.push(
      s
        ? `${label} subsets[${si}] (${subset}): endpoints labelled ${
            Object.entries(s.labels ?? {})
              .map(([k, v]) => `${k}=${v}`)
              .join(', ') || '(any)'
          }`
        : `${label}: no subset "${subset}"`,
    );
  }
  const own = subsets[si]?.trafficPolicy?.loadBalancer;
  const lb = own ?? dr.spec.trafficPolicy?.loadBalancer;
  const where = own ? `subsets[${si}].trafficPolicy.loadBalancer` : 'trafficPolicy.loadBalancer';
  const lbBy = setBy(pt, provenance(clusterJson), 'lbPolicy');
  if (lb)
    c.lines.push(
      `${label} ${where}: ${JSON.stringify(lb)} → lb_policy ${str(clusterJson['lbPolicy']) || 'ROUND_ROBIN'}${lbBy ? ` (${lbBy})` : ''}`,
    );
  const pool = (own ? subsets[si]?.trafficPolicy : dr.spec.trafficPolicy)?.connectionPool;
  if (pool) c.lines.push(`${label} trafficPolicy.connectionPool: ${JSON.stringify(pool)}`);
}

function explainCluster(mesh: MeshConfig, c: Collector, name: string, p: ClusterKey | undefined, json: J, pt?: PatchTraceView): void {
  if (!p) {
    c.lines.push(`${name} is one of istiod's fixed clusters (no config produces it)`);
    return;
  }
  service(mesh, c, mesh.serviceByHost.get(p.host), p.port, p.host);
  const drKey = keyOfPath(str(obj(obj(obj(json['metadata'])['filterMetadata'])['istio'])['config']));
  const dr = drKey ? mesh.destinationRules.find((d) => d.meta.namespace === drKey.namespace && d.meta.name === drKey.name) : undefined;
  if (dr) destinationRule(c, dr, p.subset, json, pt);
  else {
    // istiod's defaults, unless an EnvoyFilter set them: then say which.
    const lb = `lb_policy ${str(json['lbPolicy']) || 'ROUND_ROBIN'}`;
    const ct = `connect_timeout ${str(json['connectTimeout'])}`;
    const lbBy = setBy(pt, provenance(json), 'lbPolicy');
    const ctBy = setBy(pt, provenance(json), 'connectTimeout');
    c.lines.push(
      !lbBy && !ctBy
        ? `no DestinationRule for ${p.host}: defaults (${lb}, ${ct})`
        : pt
          ? `no DestinationRule for ${p.host}: ${lb} (${lbBy || 'default'}), ${ct} (${ctBy || 'default'})`
          : `no DestinationRule for ${p.host}: ${lb}, ${ct} (${lbBy})`,
    );
  }
  if (p.direction === 'outbound')
    c.lines.push(clusterTlsLine(mesh, mesh.serviceByHost.get(p.host), p.port, p.subset, dr, (...a) => c.add(...a)));
  const eps = mesh.endpoints.get(p.host)?.get(p.port) ?? [];
  c.lines.push(
    `${eps.length} endpoint(s) of ${p.host}:${p.port} in the registry${p.subset ? ` before subset ${p.subset}'s label filter` : ''}`,
  );
}

function explainEndpoints(mesh: MeshConfig, c: Collector, p: ClusterKey | undefined, json: J): void {
  if (p) service(mesh, c, mesh.serviceByHost.get(p.host), p.port, p.host);
  const dr = p?.subset ? mesh.destinationRuleByHost.get(p.host) : undefined;
  if (dr && p) destinationRule(c, dr, p.subset, {});
  for (const le of arr(json['endpoints'])) {
    for (const lb of arr(le['lbEndpoints'])) {
      const sa = obj(obj(obj(lb['endpoint'])['address'])['socketAddress']);
      const addr = `${str(sa['address'])}:${str(sa['portValue'])}`;
      const ep = p ? (mesh.endpoints.get(p.host)?.get(p.port) ?? []).find((e) => `${e.address}:${e.port}` === addr) : undefined;
      if (ep?.pod) {
        const [ns, pod] = ep.pod.split('/') as [string, string];
        c.add('Pod', ns, pod);
        c.lines.push(
          `endpoint ${addr}: Pod ${ep.pod} (labels ${Object.entries(ep.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')})`,
        );
      } else c.lines.push(`endpoint ${addr}${ep ? '' : ' (not in the current registry)'}`);
    }
  }
}

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

function explainVhost(mesh: MeshConfig, c: Collector, vh: J): void {
  const name = str(vh['name']);
  const hp = /^(.*):(\d+)$/.exec(name);
  if (hp) service(mesh, c, mesh.serviceByHost.get(hp[1]!), Number(hp[2]), hp[1]!);
  else c.lines.push(`virtual host ${name} is one of istiod's fixed catch-alls`);
  const domains = (Array.isArray(vh['domains']) ? (vh['domains'] as unknown[]) : []).map(str);
  c.lines.push(`virtual host ${name}: domains ${domains.join(', ')}`);
  for (const r of arr(vh['routes'])) explainRoute(mesh, c, name, r);
}

function explainListener(mesh: MeshConfig, c: Collector, name: string, json: J, proxy?: Proxy): void {
  explainListenerSecurity(mesh, c, json);
  if (name === 'virtualInbound' && proxy) {
    const ports = [
      ...new Set(
        arr(json['filterChains'])
          .map((ch) => /^0\.0\.0\.0_(\d+)$/.exec(str(ch['name']))?.[1])
          .filter((p) => p !== undefined)
          .map(Number),
      ),
    ].sort((a, b) => a - b);
    c.lines.push(...inboundMtlsLines(mesh, proxy, ports, (...a) => c.add(...a)));
    return;
  }
  const api = obj(obj(json['apiListener'])['apiListener']);
  const rds = str(obj(api['rds'])['routeConfigName']);
  if (rds) {
    const hp = /^(.*):(\d+)$/.exec(name);
    const host = hp?.[1] ?? '';
    const svc = mesh.serviceByHost.get(host) ?? mesh.services.find((s) => s.hostname.startsWith(`${host}.`));
    if (hp) service(mesh, c, svc, Number(hp[2]), host);
    c.lines.push(`listener ${name}: proxyless gRPC api_listener → route configuration ${rds}`);
    return;
  }
  const routes = new Set<string>();
  for (const ch of arr(json['filterChains']))
    for (const f of arr(ch['filters'])) {
      const rn = str(obj(obj(f['typedConfig'])['rds'])['routeConfigName']);
      if (rn) routes.add(rn);
    }
  const port = /^0\.0\.0\.0_(\d+)$/.exec(name)?.[1];
  if (port) {
    for (const s of mesh.services) if (s.ports.some((p) => String(p.port) === port)) service(mesh, c, s, Number(port), s.hostname);
    c.lines.push(`listener ${name}: outbound HTTP on port ${port} for the services above → route configuration ${[...routes].join(', ')}`);
  } else c.lines.push(`listener ${name}: one of istiod's fixed listeners${routes.size ? ` → ${[...routes].join(', ')}` : ''}`);
}

/** The EnvoyFilters that changed the resource (translators/envoyfilter's provenance). */
function provenance(json: J): string[] {
  const efs = obj(obj(obj(json['metadata'])['filterMetadata'])['istio'])['envoyfilters'];
  return Array.isArray(efs) ? efs.map(str) : [];
}

function patchedBy(c: Collector, json: J): void {
  for (const ef of provenance(json)) {
    const [ns = '', name = ''] = ef.split('/');
    c.lines.push(`patched by ${c.add('EnvoyFilter', ns, name)} (applied after translation; docs/envoyfilter.md)`);
  }
}

const TYPES: readonly XdsType[] = [CDS, EDS, LDS, RDS];

/** The routes of the proxy's route configurations that send traffic to `cluster`, with the rule behind each. */
function usedBy(mesh: MeshConfig, c: Collector, snap: ClassSnapshot, cluster: string): void {
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

/**
 * Explanations of every resource (or virtual host) named `name` that the proxy class has,
 * optionally of one type. Empty when the proxy has nothing by that name.
 */
export function explain(mesh: MeshConfig, snap: ClassSnapshot, name: string, only?: Explanation['type'], proxy?: Proxy): Explanation[] {
  const out: Explanation[] = [];
  let g: Generated | undefined;
  const trace = (t: XdsType): PatchTraceView | undefined =>
    proxy && mesh.envoyFilters?.length ? patchTrace((g ??= proxyOutput(mesh, proxy)), t, name) : undefined;
  for (const t of TYPES) {
    const short = SHORT[t];
    if (only && only !== short) continue;
    const r = snap.get(t, name);
    if (!r) {
      // A resource a patch removed: say which.
      const pt = t === EDS ? undefined : trace(t);
      if (pt?.steps.some((s) => s.resource === null)) out.push({ type: short, name, lines: patchLines(pt), configs: [], patches: pt });
      continue;
    }
    const json = obj(resourceJson(r));
    const c = new Collector(mesh);
    const pt = t === EDS ? undefined : trace(t);
    if (t === CDS) {
      explainCluster(mesh, c, name, snap.clusterKey(t, name), json, pt);
      usedBy(mesh, c, snap, name);
    } else if (t === EDS) explainEndpoints(mesh, c, snap.clusterKey(t, name), json);
    else if (t === LDS) explainListener(mesh, c, name, json, proxy);
    else for (const vh of arr(json['virtualHosts'])) explainVhost(mesh, c, vh);
    patchedBy(c, json);
    if (pt) c.lines.push(...patchLines(pt));
    out.push({ type: short, name, lines: c.lines, configs: c.list(), ...(pt ? { patches: pt } : {}) });
  }
  if (!only || only === 'vhost') {
    for (const rn of snap.names(RDS)) {
      const r = snap.get(RDS, rn);
      if (!r) continue;
      const vh = arr(obj(resourceJson(r))['virtualHosts']).find((v) => str(v['name']) === name);
      if (!vh) continue;
      const c = new Collector(mesh);
      c.lines.push(`virtual host ${name} is in route configuration ${rn}`);
      explainVhost(mesh, c, vh);
      out.push({ type: 'vhost', name, lines: c.lines, configs: c.list() });
    }
  }
  if ((!only || only === 'ecds') && snap.get(ECDS, name)) out.push(explainExtensionConfig(mesh, snap, name, trace(ECDS)));
  return out;
}

/** An extension config served over ECDS: the EnvoyFilter patch that defines it and the listeners whose filters load it. */
function explainExtensionConfig(mesh: MeshConfig, snap: ClassSnapshot, name: string, pt: PatchTraceView | undefined): Explanation {
  const c = new Collector(mesh);
  const def = pt?.steps[0];
  if (def) {
    const [ns = '', efName = ''] = def.filter.split('/');
    const label = c.add('EnvoyFilter', ns, efName, `spec.configPatches[${def.patchIndex}]`);
    c.lines.push(
      `extension config ${name} (served over ECDS) is defined by ${label} spec.configPatches[${def.patchIndex}] (EXTENSION_CONFIG ADD)`,
    );
  } else c.lines.push(`extension config ${name} is served over ECDS (defined by an EnvoyFilter EXTENSION_CONFIG ADD)`);
  for (const p of pt?.skipped ?? []) c.lines.push(`skipped EnvoyFilter ${p.filter} patch ${p.patchIndex}: ${p.reason}`);
  const users = snap.names(LDS).filter((l) => {
    const r = snap.get(LDS, l);
    return r !== undefined && loadsConfig(resourceJson(r), name);
  });
  c.lines.push(
    users.length
      ? `loaded through config_discovery by listener(s) ${users.join(', ')}`
      : 'no listener of this proxy loads it (config_discovery)',
  );
  return { type: 'ecds', name, lines: c.lines, configs: c.list(), ...(pt ? { patches: pt } : {}) };
}

/** Whether a filter somewhere in `v` loads extension config `name` through config_discovery. */
function loadsConfig(v: unknown, name: string): boolean {
  if (Array.isArray(v)) return v.some((x) => loadsConfig(x, name));
  if (!v || typeof v !== 'object') return false;
  const o = v as J;
  if (o['configDiscovery'] && str(o['name']) === name) return true;
  return Object.values(o).some((x) => typeof x === 'object' && loadsConfig(x, name));
}

/** Explanations as text, for the CLI. */
export function explainText(ex: readonly Explanation[]): string {
  return (
    ex
      .map((e) =>
        [
          `${e.type.toUpperCase()} ${e.name}`,
          ...e.lines.map((l) => `  ${l}`),
          '  configs:',
          ...e.configs.map(
            (c) =>
              `    ${c.kind} ${c.namespace}/${c.name} (generation ${c.generation}${c.resourceVersion ? `, resourceVersion ${c.resourceVersion}` : ''}) from ${c.file}${c.rules.length ? `: ${c.rules.join(', ')}` : ''}`,
          ),
        ].join('\n'),
      )
      .join('\n\n') + '\n'
  );
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
