/**
 * @module server/cli/proxyconfig
 * `tspilot proxy-config <section> <pod>` as istioctl spells it: sections cluster, listener, route,
 * endpoint, secret, bootstrap, all (singular, plural or istioctl's short aliases), istioctl's
 * filters (`--fqdn --port --subset --direction` for clusters, `--address --port --type` for
 * listeners, `--name` for routes, `--address --port --cluster --status` for endpoints) and
 * outputs (`-o short` tables in istioctl's columns; `-o json|yaml` the filtered resources, or the
 * whole dump for `all`/`bootstrap`). Works on a `/debug/config_dump` (proto3 JSON of
 * envoy.admin.v3.ConfigDump). The provenance istiod puts in `metadata.filterMetadata.istio.config`
 * becomes the DESTINATION RULE / VIRTUAL SERVICE column.
 */
import { table } from './table.js';
import { parseClusterName } from '../../translators/names.js';

export type ConfigSection = 'cluster' | 'listener' | 'route' | 'endpoint' | 'secret' | 'bootstrap' | 'all';

/** Every spelling istioctl accepts, to the section. */
export const SECTION_ALIASES: Readonly<Record<string, ConfigSection>> = {
  cluster: 'cluster',
  clusters: 'cluster',
  c: 'cluster',
  listener: 'listener',
  listeners: 'listener',
  l: 'listener',
  route: 'route',
  routes: 'route',
  r: 'route',
  endpoint: 'endpoint',
  endpoints: 'endpoint',
  ep: 'endpoint',
  eps: 'endpoint',
  secret: 'secret',
  secrets: 'secret',
  s: 'secret',
  bootstrap: 'bootstrap',
  b: 'bootstrap',
  all: 'all',
  a: 'all',
};

/** The `types=` of /debug/config_dump each section needs. */
export const SECTION_TYPES: Readonly<Record<ConfigSection, string>> = {
  cluster: 'cds',
  listener: 'lds',
  route: 'rds',
  endpoint: 'eds',
  secret: 'sds',
  bootstrap: 'bootstrap',
  all: 'cds,lds,rds,eds,sds,bootstrap',
};

/** istioctl's filters; each section reads its own. */
export interface ConfigFilter {
  readonly fqdn?: string;
  readonly port?: number;
  readonly subset?: string;
  readonly direction?: string;
  readonly address?: string;
  /** Listener type: HTTP, TCP or HTTP+TCP. */
  readonly type?: string;
  readonly name?: string;
  readonly cluster?: string;
  readonly status?: string;
}

type J = { readonly [k: string]: unknown };
const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
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

/** `direction|port|subset|fqdn` → its parts (istiod's BuildSubsetKey); other names keep the name as FQDN. */
function clusterParts(name: string): { fqdn: string; port: string; subset: string; direction: string } {
  const k = parseClusterName(name); // a remote config dump: the name is all there is
  return k
    ? { direction: k.direction, port: String(k.port), subset: k.subset, fqdn: k.host }
    : { fqdn: name, port: '-', subset: '-', direction: '-' };
}

/** The clusters a filter keeps, as proto3 JSON. */
export function clusterItems(dump: unknown, f: ConfigFilter = {}): J[] {
  return arr(dumpOf(dump, 'ClustersConfigDump')['dynamicActiveClusters'])
    .map((e) => obj(e['cluster']))
    .filter((c) => {
      const p = clusterParts(str(c['name']));
      return (
        (!f.fqdn || p.fqdn === f.fqdn || p.fqdn.startsWith(f.fqdn + '.')) &&
        (f.port === undefined || p.port === String(f.port)) &&
        (f.subset === undefined || p.subset === f.subset) &&
        (!f.direction || p.direction === f.direction.toLowerCase())
      );
    });
}

function clusters(items: readonly J[]): string {
  const rows = items.map((c) => {
    const p = clusterParts(str(c['name']));
    return [
      p.fqdn,
      p.port,
      p.subset || '-',
      p.direction,
      str(c['type']) || (c['clusterType'] ? 'CUSTOM' : 'STATIC'),
      provenance(c['metadata']) || '-',
    ];
  });
  // istioctl's order: FQDN, then port, subset, direction.
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  rows.sort((a, b) => cmp(a[0]!, b[0]!) || (Number(a[1]) || 0) - (Number(b[1]) || 0) || cmp(a[2]!, b[2]!) || cmp(a[3]!, b[3]!));
  return table(['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'], rows);
}

function listenerDestinations(l: J): string[] {
  const api = obj(obj(l['apiListener'])['apiListener']);
  const rds = obj(api['rds']);
  if (str(rds['routeConfigName'])) return [`Route: ${str(rds['routeConfigName'])}`];
  const dests: string[] = [];
  for (const ch of arr(l['filterChains'])) {
    for (const f of arr(ch['filters'])) {
      const tc = obj(f['typedConfig']);
      const route = str(obj(tc['rds'])['routeConfigName']);
      if (route) dests.push(`Route: ${route}`);
      else if (str(tc['cluster'])) dests.push(`Cluster: ${str(tc['cluster'])}`);
    }
  }
  return [...new Set(dests)];
}

/** HTTP, TCP or HTTP+TCP: which network filters the listener's chains end in. */
function listenerType(l: J): string {
  if (l['apiListener']) return 'HTTP';
  const kinds = new Set<string>();
  for (const ch of arr(l['filterChains'])) {
    for (const f of arr(ch['filters'])) {
      const n = str(f['name']);
      if (n.includes('http_connection_manager')) kinds.add('HTTP');
      else if (n.includes('tcp_proxy')) kinds.add('TCP');
    }
  }
  return kinds.size === 2 ? 'HTTP+TCP' : ([...kinds][0] ?? '-');
}

const socket = (l: J): J => obj(obj(l['address'])['socketAddress']);

export function listenerItems(dump: unknown, f: ConfigFilter = {}): J[] {
  return arr(dumpOf(dump, 'ListenersConfigDump')['dynamicListeners'])
    .map((e) => obj(obj(e['activeState'])['listener']))
    .filter(
      (l) =>
        (!f.address || str(socket(l)['address']) === f.address) &&
        (f.port === undefined || str(socket(l)['portValue']) === String(f.port)) &&
        (!f.type || listenerType(l) === f.type.toUpperCase()),
    );
}

function listeners(items: readonly J[]): string {
  const rows = items.map((l) => [
    str(l['name']),
    str(socket(l)['address']) || '-',
    str(socket(l)['portValue']) || '-',
    l['apiListener'] ? 'API' : 'SOCKET',
    listenerType(l),
    listenerDestinations(l).join(', ') || '-',
  ]);
  return table(['NAME', 'ADDRESS', 'PORT', 'KIND', 'TYPE', 'DESTINATION'], rows);
}

function matchText(m: J): string {
  if (str(m['prefix'])) return `${str(m['prefix'])}*`;
  if (str(m['path'])) return str(m['path']);
  const re = str(obj(m['safeRegex'])['regex']);
  if (re) return `~${re}`;
  return '/*';
}

export function routeItems(dump: unknown, f: ConfigFilter = {}): J[] {
  return arr(dumpOf(dump, 'RoutesConfigDump')['dynamicRouteConfigs'])
    .map((e) => obj(e['routeConfig']))
    .filter((rc) => !f.name || str(rc['name']) === f.name);
}

function routes(items: readonly J[]): string {
  const rows: string[][] = [];
  for (const rc of items) {
    for (const vh of arr(rc['virtualHosts'])) {
      const domains = (Array.isArray(vh['domains']) ? (vh['domains'] as unknown[]) : []).map(str);
      const shown = domains.length > 2 ? `${domains[0]} +${domains.length - 1} more...` : domains.join(', ');
      for (const r of arr(vh['routes'])) {
        const extra = arr(obj(r['match'])['headers']).length ? ' (+headers)' : '';
        rows.push([str(rc['name']), str(vh['name']), shown, matchText(obj(r['match'])) + extra, provenance(r['metadata']) || '-']);
      }
    }
  }
  return table(['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'], rows);
}

interface EndpointRow {
  readonly address: string;
  readonly port: string;
  readonly status: string;
  readonly cluster: string;
}

function endpointRows(dump: unknown, f: ConfigFilter): { rows: EndpointRow[]; items: J[] } {
  const rows: EndpointRow[] = [];
  const items: J[] = [];
  for (const e of arr(dumpOf(dump, 'EndpointsConfigDump')['dynamicEndpointConfigs'])) {
    const cla = obj(e['endpointConfig']);
    const cluster = str(cla['clusterName']);
    if (f.cluster && cluster !== f.cluster) continue;
    let kept = false;
    for (const le of arr(cla['endpoints'])) {
      for (const lb of arr(le['lbEndpoints'])) {
        const sa = obj(obj(obj(lb['endpoint'])['address'])['socketAddress']);
        const row = { address: str(sa['address']), port: str(sa['portValue']), status: str(lb['healthStatus']) || 'HEALTHY', cluster };
        if (
          (f.address && row.address !== f.address) ||
          (f.port !== undefined && row.port !== String(f.port)) ||
          (f.status && row.status !== f.status.toUpperCase())
        )
          continue;
        rows.push(row);
        kept = true;
      }
    }
    if (kept || (!f.address && f.port === undefined && !f.status)) items.push(cla);
  }
  return { rows, items };
}

function endpoints(rows: readonly EndpointRow[]): string {
  // Envoy reports an endpoint with no health status from EDS as HEALTHY; outlier detection is Envoy's own state (OK here).
  return table(
    ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'],
    rows.map((r) => [`${r.address}:${r.port}`, r.status, 'OK', r.cluster]),
  );
}

export function secretItems(dump: unknown): J[] {
  return arr(dumpOf(dump, 'SecretsConfigDump')['dynamicActiveSecrets']);
}

function secrets(items: readonly J[]): string {
  const rows = items.map((s) => {
    const sec = obj(s['secret']);
    const type = sec['tlsCertificate'] ? 'Cert Chain' : sec['validationContext'] ? 'CA' : '-';
    return [str(s['name']), type, 'ACTIVE', str(s['versionInfo']) || '-'];
  });
  return table(['RESOURCE NAME', 'TYPE', 'STATUS', 'VERSION'], rows);
}

export function bootstrapItem(dump: unknown): J {
  return obj(dumpOf(dump, 'BootstrapConfigDump')['bootstrap']);
}

function bootstrap(b: J): string {
  const node = obj(b['node']);
  const md = obj(node['metadata']);
  const loc = obj(node['locality']);
  const rows: string[][] = [
    ['Node ID', str(node['id'])],
    ['Cluster', str(node['cluster']) || '-'],
    ['User agent', [str(node['userAgentName']), str(node['userAgentVersion'])].filter(Boolean).join(' ') || '-'],
    ['Locality', [str(loc['region']), str(loc['zone']), str(loc['subZone'])].filter(Boolean).join('/') || '-'],
    ['ISTIO_VERSION', str(md['ISTIO_VERSION']) || '-'],
    ['GENERATOR', str(md['GENERATOR']) || '-'],
    ['CLUSTER_ID', str(md['CLUSTER_ID']) || '-'],
  ];
  return table(['NODE', 'VALUE'], rows) + '(tspilot knows the node the proxy presented, not the rest of its bootstrap)\n';
}

/** The value `-o json|yaml` prints: the filtered resources of a section, the whole dump for `all`. */
export function proxyConfigValue(section: ConfigSection, dump: unknown, f: ConfigFilter = {}): unknown {
  switch (section) {
    case 'cluster':
      return clusterItems(dump, f);
    case 'listener':
      return listenerItems(dump, f);
    case 'route':
      return routeItems(dump, f);
    case 'endpoint':
      return endpointRows(dump, f).items;
    case 'secret':
      return dumpOf(dump, 'SecretsConfigDump');
    case 'bootstrap':
      return dumpOf(dump, 'BootstrapConfigDump');
    case 'all':
      return dump;
  }
}

/** `-o short`: istioctl's tables. */
export function proxyConfigTable(section: ConfigSection, dump: unknown, f: ConfigFilter = {}): string {
  switch (section) {
    case 'cluster':
      return clusters(clusterItems(dump, f));
    case 'listener':
      return listeners(listenerItems(dump, f));
    case 'route':
      return routes(routeItems(dump, f));
    case 'endpoint':
      return endpoints(endpointRows(dump, f).rows);
    case 'secret':
      return secrets(secretItems(dump));
    case 'bootstrap':
      return bootstrap(bootstrapItem(dump));
    case 'all':
      return [
        clusters(clusterItems(dump, f)),
        listeners(listenerItems(dump, f)),
        routes(routeItems(dump, f)),
        endpoints(endpointRows(dump, f).rows),
        secrets(secretItems(dump)),
      ].join('\n');
  }
}
