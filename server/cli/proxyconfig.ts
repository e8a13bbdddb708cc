/**
 * @module server/cli/proxyconfig
 * `tspilot proxy-config {clusters|listeners|routes|endpoints} <proxy>`: readable tables from a
 * `/debug/config_dump` (proto3 JSON of envoy.admin.v3.ConfigDump), in istioctl's columns. The
 * provenance istiod convention puts in `metadata.filterMetadata.istio.config` becomes the
 * DESTINATION RULE / VIRTUAL SERVICE column.
 */
import { table } from './table.js';
import { parseClusterName } from '../../translators/names.js';

export type ConfigSection = 'clusters' | 'listeners' | 'routes' | 'endpoints';
export const SECTIONS: readonly ConfigSection[] = ['clusters', 'listeners', 'routes', 'endpoints'];
export const SECTION_TYPE: Readonly<Record<ConfigSection, 'cds' | 'lds' | 'rds' | 'eds'>> = { clusters: 'cds', listeners: 'lds', routes: 'rds', endpoints: 'eds' };

type J = { readonly [k: string]: unknown };
const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? v as J : {});
const arr = (v: unknown): J[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** `/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews` → `reviews.default`. */
export function provenance(meta: unknown): string {
  const path = str(obj(obj(obj(meta)['filterMetadata'])['istio'])['config']);
  const m = /\/namespaces\/([^/]+)\/[^/]+\/([^/]+)$/.exec(path);
  return m ? `${m[2]}.${m[1]}` : '';
}

function dumpOf(dump: unknown, type: string): J {
  return arr(obj(dump)['configs']).find((c) => str(c['@type']).endsWith(`envoy.admin.v3.${type}`)) ?? {};
}

function clusters(dump: unknown): string {
  const rows = arr(dumpOf(dump, 'ClustersConfigDump')['dynamicActiveClusters']).map((e) => {
    const c = obj(e['cluster']);
    const name = str(c['name']);
    const k = parseClusterName(name); // a remote config dump: the name is all there is
    const [fqdn, port, subset, dir] = k ? [k.host, String(k.port), k.subset, k.direction] : [name, '-', '-', '-'];
    return [fqdn, port, subset || '-', dir, str(c['type']) || (c['clusterType'] ? 'CUSTOM' : 'STATIC'), provenance(c['metadata']) || '-'];
  });
  return table(['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'], rows);
}

function listenerDestination(l: J): string {
  const api = obj(obj(l['apiListener'])['apiListener']);
  const rds = obj(api['rds']);
  if (str(rds['routeConfigName'])) return `Route: ${str(rds['routeConfigName'])}`;
  const dests: string[] = [];
  for (const ch of arr(l['filterChains'])) {
    for (const f of arr(ch['filters'])) {
      const tc = obj(f['typedConfig']);
      const route = str(obj(tc['rds'])['routeConfigName']);
      if (route) dests.push(`Route: ${route}`);
      else if (str(tc['cluster'])) dests.push(`Cluster: ${str(tc['cluster'])}`);
    }
  }
  return [...new Set(dests)].join(', ') || '-';
}

function listeners(dump: unknown): string {
  const rows = arr(dumpOf(dump, 'ListenersConfigDump')['dynamicListeners']).map((e) => {
    const l = obj(obj(e['activeState'])['listener']);
    const sa = obj(obj(l['address'])['socketAddress']);
    return [str(l['name']), str(sa['address']) || '-', str(sa['portValue']) || '-', l['apiListener'] ? 'API' : 'SOCKET', listenerDestination(l)];
  });
  return table(['NAME', 'ADDRESS', 'PORT', 'KIND', 'DESTINATION'], rows);
}

function matchText(m: J): string {
  if (str(m['prefix'])) return `${str(m['prefix'])}*`;
  if (str(m['path'])) return str(m['path']);
  const re = str(obj(m['safeRegex'])['regex']);
  if (re) return `~${re}`;
  return '/*';
}

function routes(dump: unknown): string {
  const rows: string[][] = [];
  for (const e of arr(dumpOf(dump, 'RoutesConfigDump')['dynamicRouteConfigs'])) {
    const rc = obj(e['routeConfig']);
    for (const vh of arr(rc['virtualHosts'])) {
      const domains = (Array.isArray(vh['domains']) ? vh['domains'] as unknown[] : []).map(str);
      const shown = domains.length > 2 ? `${domains[0]} +${domains.length - 1} more...` : domains.join(', ');
      for (const r of arr(vh['routes'])) {
        const extra = arr(obj(r['match'])['headers']).length ? ' (+headers)' : '';
        rows.push([str(rc['name']), str(vh['name']), shown, matchText(obj(r['match'])) + extra, provenance(r['metadata']) || '-']);
      }
    }
  }
  return table(['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'], rows);
}

function endpoints(dump: unknown): string {
  const rows: string[][] = [];
  for (const e of arr(dumpOf(dump, 'EndpointsConfigDump')['dynamicEndpointConfigs'])) {
    const cla = obj(e['endpointConfig']);
    for (const le of arr(cla['endpoints'])) {
      for (const lb of arr(le['lbEndpoints'])) {
        const sa = obj(obj(obj(lb['endpoint'])['address'])['socketAddress']);
        rows.push([`${str(sa['address'])}:${str(sa['portValue'])}`, str(lb['healthStatus']) || 'UNKNOWN', str(cla['clusterName'])]);
      }
    }
  }
  return table(['ENDPOINT', 'STATUS', 'CLUSTER'], rows);
}

export function proxyConfigTable(section: ConfigSection, dump: unknown): string {
  switch (section) {
    case 'clusters': return clusters(dump);
    case 'listeners': return listeners(dump);
    case 'routes': return routes(dump);
    case 'endpoints': return endpoints(dump);
  }
}
