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
import type { MeshConfig } from '../../model/config.js';
import type { DestinationRule } from '../../model/istio.js';
import { CDS, ECDS, EDS, LDS, RDS, ENVOY_SHORT as SHORT, type XdsType } from '../../proto/typeurls.js';
import type { ClusterKey } from '../../translators/names.js';
import type { ClassSnapshot } from '../cache/snapshot.js';
import { resourceJson } from './translate.js';
import { explainListenerSecurity } from './authz.js';
import type { Proxy } from '../../model/proxy.js';
import { clusterTlsLine, inboundMtlsLines } from './mtls.js';
import { patchLines, patchTrace, proxyOutput, setBy, type PatchTraceView } from './patches.js';
import type { Generated } from '../../translators/index.js';
import { arr, Collector, explainService, keyOfPath, obj, str, type Explanation, type J } from './collector.js';
import { explainVhost, usedBy } from './routes.js';

export { explainText, keyOfPath, type Contributor, type Explanation } from './collector.js';

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
  explainService(mesh, c, mesh.serviceByHost.get(p.host), p.port, p.host);
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
  if (p) explainService(mesh, c, mesh.serviceByHost.get(p.host), p.port, p.host);
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
    if (hp) explainService(mesh, c, svc, Number(hp[2]), host);
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
    for (const s of mesh.services) if (s.ports.some((p) => String(p.port) === port)) explainService(mesh, c, s, Number(port), s.hostname);
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
