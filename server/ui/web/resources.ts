/**
 * @module server/ui/web/resources
 * Reads a proxy's `/debug/config_dump` (proto3 JSON of envoy.admin.v3.ConfigDump, lowerCamelCase
 * field names as protojson writes them) into the rows
 * that the proxy view shows: clusters, listeners, routes (one row per route of each virtual host) and
 * endpoints, each with its provenance — the configs named in `metadata.filter_metadata.istio.config`
 * (istiod's convention), on the resource or, for listeners, on their filter chains.
 */

type J = { readonly [k: string]: unknown };
const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
const arr = (v: unknown): J[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

export type Section = 'clusters' | 'listeners' | 'routes' | 'endpoints';
export const SECTIONS: readonly Section[] = ['clusters', 'listeners', 'routes', 'endpoints'];

export interface Row {
  /** The name explain takes (cluster, listener, route configuration, or virtual host name). */
  readonly explainName: string;
  readonly explainType: 'cds' | 'lds' | 'rds' | 'eds' | 'vhost';
  /** Cells shown, in the section's column order. */
  readonly cells: readonly string[];
  /** Provenance paths (`/apis/.../virtual-service/reviews`). */
  readonly provenance: readonly string[];
}

export const COLUMNS: Readonly<Record<Section, readonly string[]>> = {
  clusters: ['NAME', 'TYPE', 'LB'],
  listeners: ['NAME', 'ADDRESS', 'FILTER CHAINS'],
  routes: ['ROUTE CONFIG', 'VIRTUAL HOST', 'ROUTE', 'MATCH', 'TO'],
  endpoints: ['CLUSTER', 'ENDPOINTS'],
};

const provenance = (m: unknown): string[] => {
  const c = obj(obj(obj(m)['filterMetadata'])['istio'])['config'];
  return typeof c === 'string' && c ? [c] : [];
};

const uniq = (xs: string[]): string[] => [...new Set(xs)].sort();

function section(dump: unknown, typeSuffix: string): J {
  return arr(obj(dump)['configs']).find((c) => str(c['@type']).endsWith(typeSuffix)) ?? {};
}

/** `= v`, `prefix v`, `~ re` for an envoy StringMatcher (as JSON). */
function stringMatch(m: J): string {
  const r =
    m['exact'] !== undefined
      ? `= ${str(m['exact'])}`
      : m['prefix'] !== undefined
        ? `prefix ${str(m['prefix'])}`
        : m['suffix'] !== undefined
          ? `suffix ${str(m['suffix'])}`
          : m['safeRegex']
            ? `~ ${str(obj(m['safeRegex'])['regex'])}`
            : m['contains'] !== undefined
              ? `contains ${str(m['contains'])}`
              : 'any';
  return m['ignoreCase'] ? `${r} (any case)` : r;
}

function match(m: J): string {
  const path =
    m['prefix'] !== undefined
      ? `prefix ${str(m['prefix'])}`
      : m['path'] !== undefined
        ? `path ${str(m['path'])}`
        : m['safeRegex']
          ? `regex ${str(obj(m['safeRegex'])['regex'])}`
          : m['pathSeparatedPrefix'] !== undefined
            ? `prefix ${str(m['pathSeparatedPrefix'])}`
            : '';
  const headers = arr(m['headers']).map(
    (h) =>
      `${h['invertMatch'] ? 'not ' : ''}header ${str(h['name'])} ${h['stringMatch'] ? stringMatch(obj(h['stringMatch'])) : h['presentMatch'] !== undefined ? 'present' : h['exactMatch'] !== undefined ? `= ${str(h['exactMatch'])}` : 'any'}`,
  );
  const query = arr(m['queryParameters']).map(
    (q) => `query ${str(q['name'])} ${q['stringMatch'] ? stringMatch(obj(q['stringMatch'])) : 'present'}`,
  );
  return [path, ...headers, ...query].filter(Boolean).join('; ');
}

function target(r: J): string {
  const a = obj(r['route']);
  if (a['cluster']) return str(a['cluster']);
  const w = arr(obj(a['weightedClusters'])['clusters']);
  if (w.length) return w.map((c) => `${str(c['name'])} (${str(obj(c)['weight'])})`).join(', ');
  if (r['redirect']) return 'redirect';
  if (r['directResponse']) return `direct response ${str(obj(r['directResponse'])['status'])}`;
  return '';
}

function address(l: J): string {
  const s = obj(obj(l['address'])['socketAddress']);
  return s['address'] ? `${str(s['address'])}:${str(s['portValue'])}` : l['apiListener'] ? '(api listener)' : '';
}

export function rows(dump: unknown, s: Section): Row[] {
  switch (s) {
    case 'clusters':
      return arr(section(dump, 'ClustersConfigDump')['dynamicActiveClusters']).map((e) => {
        const c = obj(e['cluster']);
        return {
          explainName: str(c['name']),
          explainType: 'cds',
          cells: [str(c['name']), str(c['type']) || 'EDS', str(c['lbPolicy']) || 'ROUND_ROBIN'],
          provenance: provenance(c['metadata']),
        };
      });
    case 'listeners':
      return arr(section(dump, 'ListenersConfigDump')['dynamicListeners']).map((e) => {
        const l = obj(obj(e['activeState'])['listener']);
        const chains = arr(l['filterChains']);
        return {
          explainName: str(l['name']),
          explainType: 'lds',
          cells: [str(l['name']), address(l), String(chains.length)],
          provenance: uniq([...provenance(l['metadata']), ...chains.flatMap((c) => provenance(c['metadata']))]),
        };
      });
    case 'routes':
      return arr(section(dump, 'RoutesConfigDump')['dynamicRouteConfigs']).flatMap((e) => {
        const rc = obj(e['routeConfig']);
        return arr(rc['virtualHosts']).flatMap((vh) =>
          arr(vh['routes']).map((r) => ({
            explainName: str(vh['name']),
            explainType: 'vhost' as const,
            cells: [str(rc['name']), str(vh['name']), str(r['name']), match(obj(r['match'])), target(r)],
            provenance: uniq([...provenance(r['metadata']), ...provenance(vh['metadata'])]),
          })),
        );
      });
    case 'endpoints':
      return arr(section(dump, 'EndpointsConfigDump')['dynamicEndpointConfigs']).map((e) => {
        const c = obj(e['endpointConfig']);
        const addrs = arr(c['endpoints']).flatMap((l) => arr(l['lbEndpoints']).map((le) => address(obj(obj(le['endpoint'])))));
        return {
          explainName: str(c['clusterName']),
          explainType: 'eds',
          cells: [str(c['clusterName']), addrs.join(', ') || '(none)'],
          provenance: [],
        };
      });
  }
}
