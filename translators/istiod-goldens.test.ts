/**
 * @module translators/istiod-goldens.test
 * Compares tspilot with real istiod output (../shared/reference/istio-goldens, config_dumps kept
 * in istio's repository) for the Bookinfo inputs there: the productpage sidecar (istio 1.4 dump)
 * and the ingress gateway's route config (2022 dump), and the HttpConnectionManagers of a modern
 * sidecar (httpbin, 2023 LDS dump: outbound 0.0.0.0_9080 and an inbound chain) field by field.
 * Compared: names of clusters, listeners, route configs, virtual hosts with their domains, routes
 * (name, match, cluster, tracing operation), HCM fields and HTTP filter names. The old
 * dumps are first brought to the current conventions the README there lists (inbound cluster
 * names, per-IP inbound listeners → chains of virtualInbound, no `:port` domain variants, one
 * InboundPassthroughCluster). Every remaining difference must be in ALLOWED with its reason, and
 * every ALLOWED entry must still occur: a new difference, or a fixed one, fails the test.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { meshFrom, proxy, snapshot } from './harness.test.js';

// The repository sits beside ../shared (dist/translators → repo → ..).
const GOLDENS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/reference/istio-goldens');
const have = fs.existsSync(GOLDENS);

type J = Record<string, unknown>;

/** Differences tspilot keeps on purpose, with the reason. */
const ALLOWED: Readonly<Record<string, string>> = {
  'productpage: cluster only in tspilot: outbound|9080||ratings.default.svc.cluster.local':
    'the 1.4 capture comes from a mesh without the ratings Service; the inputs define it',
  'productpage: cluster only in tspilot: outbound|9080|v1|ratings.default.svc.cluster.local':
    'same: ratings is in the inputs (destination-rule-all.yaml has its subsets)',
  'productpage: cluster only in tspilot: outbound|9080|v2|ratings.default.svc.cluster.local': 'same',
  'productpage: cluster only in tspilot: outbound|9080|v2-mysql|ratings.default.svc.cluster.local': 'same',
  'productpage: cluster only in tspilot: outbound|9080|v2-mysql-vm|ratings.default.svc.cluster.local': 'same',
  'productpage: vhost only in tspilot: ratings.default.svc.cluster.local:9080': 'same',
  'productpage: cluster only in golden: inbound|15020|mgmt-15020|mgmtCluster':
    'istio 1.4 health-check port of the old agent; current istiod has no management inbound cluster',
  'productpage: listener only in golden: 0.0.0.0_15020':
    'the same 1.4 management port (per-IP listener 172.30.144.174_15020 before normalising)',
  'productpage: vhost productpage.default.svc.cluster.local:9080 domains: golden has productpage.default.svc.cluster, tspilot not':
    'dropped by current istiod (only name, name.ns, name.ns.svc and the FQDN forms remain)',
  'productpage: vhost details.default.svc.cluster.local:9080 domains: golden has details.default.svc.cluster, tspilot not': 'same',
  'productpage: vhost reviews.default.svc.cluster.local:9080 domains: golden has reviews.default.svc.cluster, tspilot not': 'same',
  'productpage: vhost productpage.default.svc.cluster.local:9080 domains: tspilot has productpage.default.svc.cluster.local., golden not':
    'current istiod adds the absolute FQDN (README drift note)',
  'productpage: vhost details.default.svc.cluster.local:9080 domains: tspilot has details.default.svc.cluster.local., golden not': 'same',
  'productpage: vhost reviews.default.svc.cluster.local:9080 domains: tspilot has reviews.default.svc.cluster.local., golden not': 'same',
  'productpage: vhost productpage.default.svc.cluster.local:9080 domains: golden has 172.21.79.13, tspilot not':
    "cluster IPs are assigned by the capture's cluster; the input Services have none",
  'productpage: vhost details.default.svc.cluster.local:9080 domains: golden has 172.21.132.142, tspilot not': 'same',
  'productpage: vhost reviews.default.svc.cluster.local:9080 domains: golden has 172.21.208.0, tspilot not': 'same',
  'productpage: route config only in tspilot: inbound|9080||':
    'the 1.4 dump has it inline in the inbound listener under the old name inbound|9080|http|productpage…; current istiod names it after the cluster and tspilot sends it over RDS',
  'productpage: vhost allow_any routes: golden ["prefix / → PassthroughCluster"], tspilot ["prefix / \\"allow_any\\" → PassthroughCluster"]':
    'current istiod names the passthrough route allow_any (networking/util PassthroughRouteName); the 1.4 capture predates it',
  'hcm inbound: http filters: golden [istio.metadata_exchange,envoy.filters.http.rbac,envoy.filters.http.rbac,envoy.filters.http.ext_authz,envoy.filters.http.grpc_stats,envoy.filters.http.fault,envoy.filters.http.cors,istio.stats,envoy.filters.http.router], tspilot [istio.metadata_exchange,envoy.filters.http.grpc_stats,envoy.filters.http.fault,envoy.filters.http.cors,istio.stats,envoy.filters.http.router]':
    "the capture's namespace had an ALLOW and a CUSTOM AuthorizationPolicy (RBAC, ext_authz); the inputs have none. The telemetry filters around them match",
  'hcm inbound: field routeConfig: golden set, tspilot not':
    'istiod inlines the inbound route config; tspilot sends it over RDS as inbound|<port>|| (same routes; one RDS resource per inbound port)',
  'hcm inbound: field rds: golden not set, tspilot set': 'same',
  'gateway: vhost only in golden: *:80':
    "the 2022 capture's Gateway server used port 80 (container 8080); the current bookinfo-gateway.yaml declares port 8080, so the vhost is *:8080",
  'gateway: vhost only in tspilot: *:8080': 'same',
};

function readDump(file: string): J[] {
  return (JSON.parse(fs.readFileSync(path.join(GOLDENS, file), 'utf8')) as J)['configs'] as J[];
}

function goldenNames(file: string): { clusters: Set<string>; listeners: Set<string>; routes: Map<string, J> } {
  const clusters = new Set<string>();
  const listeners = new Set<string>();
  const routes = new Map<string, J>();
  for (const c of readDump(file)) {
    for (const x of (c['dynamic_active_clusters'] as J[] | undefined) ?? []) clusters.add((x['cluster'] as J)['name'] as string);
    for (const x of (c['dynamic_listeners'] as J[] | undefined) ?? []) {
      const l = ((x['active_state'] as J | undefined)?.['listener'] ?? x['listener']) as J | undefined;
      if (l) listeners.add(l['name'] as string);
    }
    for (const x of (c['dynamic_route_configs'] as J[] | undefined) ?? []) {
      const r = x['route_config'] as J;
      routes.set(r['name'] as string, r);
    }
  }
  return { clusters, listeners, routes };
}

/** Brings a 1.x dump to the current conventions the goldens README lists. */
function normaliseCluster(n: string): string {
  if (n.startsWith('InboundPassthroughCluster')) return 'InboundPassthroughCluster';
  const m = /^inbound\|(\d+)\|[^|]*\|[^|]*\.svc\.cluster\.local$/.exec(n);
  return m ? `inbound|${m[1]}||` : n;
}
function normaliseListener(n: string): string {
  const m = /^(?:[0-9.]+|[0-9a-f:]+)_(\d+)$/i.exec(n);
  return m && !n.startsWith('0.0.0.0_') ? `0.0.0.0_${m[1]}` : n;
}

interface Vh {
  domains: string[];
  routes: string[];
}
function vhostsOf(rc: J | undefined): Map<string, Vh> {
  const out = new Map<string, Vh>();
  for (const v of ((rc?.['virtual_hosts'] ?? rc?.['virtualHosts']) as J[] | undefined) ?? []) {
    const routes = ((v['routes'] as J[]) ?? []).map((r) => {
      const m = r['match'] as J;
      const route = r['route'] as J | undefined;
      const match = m['path'] !== undefined ? `path ${m['path']}` : m['prefix'] !== undefined ? `prefix ${m['prefix']}` : JSON.stringify(m);
      const name = r['name'] ? ` "${r['name']}"` : '';
      const op = (r['decorator'] as J | undefined)?.['operation'];
      return `${match}${name} → ${route?.['cluster'] ?? (route?.['weighted_clusters'] || route?.['weightedClusters'] ? 'weighted' : '-')}${op ? ` (${op})` : ''}`;
    });
    out.set(v['name'] as string, { domains: (v['domains'] as string[]).filter((d) => !/:\d+$/.test(d) || d.startsWith('[')), routes });
  }
  return out;
}

function diffSets(label: string, what: string, golden: Set<string>, ours: Set<string>, out: string[]): void {
  for (const g of golden) if (!ours.has(g)) out.push(`${label}: ${what} only in golden: ${g}`);
  for (const o of ours) if (!golden.has(o)) out.push(`${label}: ${what} only in tspilot: ${o}`);
}

function diffVhosts(label: string, golden: Map<string, Vh>, ours: Map<string, Vh>, out: string[]): void {
  diffSets(label, 'vhost', new Set(golden.keys()), new Set(ours.keys()), out);
  for (const [name, g] of golden) {
    const o = ours.get(name);
    if (!o) continue;
    for (const d of g.domains) if (!o.domains.includes(d)) out.push(`${label}: vhost ${name} domains: golden has ${d}, tspilot not`);
    for (const d of o.domains) if (!g.domains.includes(d)) out.push(`${label}: vhost ${name} domains: tspilot has ${d}, golden not`);
    if (JSON.stringify(g.routes) !== JSON.stringify(o.routes))
      out.push(`${label}: vhost ${name} routes: golden ${JSON.stringify(g.routes)}, tspilot ${JSON.stringify(o.routes)}`);
  }
}

const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
/** snake_case keys (config_dump as captured) → proto3 JSON's camelCase; `@type` values untouched. */
function camelize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelize);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v as J).map(([k, x]) => [k.startsWith('@') ? k : camel(k), camelize(x)]));
  return v;
}

/** An HCM reduced to what must match across workloads: no stat prefix, route name, filter configs or tag values. */
function hcmShape(h: J): { fields: Map<string, string>; filters: string[] } {
  const fields = new Map<string, string>();
  for (const [k, v] of Object.entries(h)) {
    if (k === '@type' || k === 'statPrefix' || k === 'httpFilters') continue;
    if (k === 'rds') {
      const src = (v as J)['configSource'];
      fields.set(k, JSON.stringify(src));
      continue;
    }
    if (k === 'routeConfig') {
      fields.set(k, 'set');
      continue;
    }
    if (k === 'tracing') {
      const t = { ...(v as J), customTags: (((v as J)['customTags'] as J[]) ?? []).map((c) => c['tag']) };
      fields.set(k, JSON.stringify(t));
      continue;
    }
    fields.set(k, JSON.stringify(v));
  }
  return { fields, filters: ((h['httpFilters'] as J[] | undefined) ?? []).map((f) => f['name'] as string) };
}

function diffHcm(label: string, golden: J, ours: J, out: string[]): void {
  const g = hcmShape(golden);
  const o = hcmShape(ours);
  // codec AUTO and defaults are omitted from a config_dump; compare only set values.
  if (o.fields.get('codecType') === '"AUTO"' && !g.fields.has('codecType')) o.fields.delete('codecType');
  for (const k of new Set([...g.fields.keys(), ...o.fields.keys()])) {
    const a = g.fields.get(k);
    const b = o.fields.get(k);
    if (a === b) continue;
    if (a === undefined) out.push(`${label}: field ${k}: golden not set, tspilot set`);
    else if (b === undefined) out.push(`${label}: field ${k}: golden set, tspilot not`);
    else out.push(`${label}: field ${k}: golden ${a}, tspilot ${b}`);
  }
  if (g.filters.join() !== o.filters.join())
    out.push(`${label}: http filters: golden [${g.filters.join()}], tspilot [${o.filters.join()}]`);
}

/** The HCM of a listener's filter chain (the first chain, or the one named `chain`). */
function hcmOf(listener: J, chain?: string): J {
  const chains = (listener['filterChains'] ?? listener['filter_chains']) as J[];
  const c = chain === undefined ? chains[0]! : chains.find((x) => x['name'] === chain)!;
  const f = (c['filters'] as J[]).find((x) => x['name'] === 'envoy.filters.network.http_connection_manager')!;
  return (f['typedConfig'] ?? f['typed_config']) as J;
}

function inputs(...files: string[]): string {
  return files.map((f) => fs.readFileSync(path.join(GOLDENS, 'inputs', f), 'utf8')).join('\n---\n');
}

(have ? describe : describe.skip)('istiod goldens (Bookinfo) vs tspilot', () => {
  const diffs: string[] = [];

  it('productpage sidecar (istio 1.4 dump): clusters, listeners, route configs, vhosts, domains, routes', () => {
    const { mesh, rejected } = meshFrom(inputs('bookinfo.yaml', 'destination-rule-all.yaml'));
    assert.deepEqual(rejected, []);
    const { snap, problems } = snapshot(
      mesh,
      proxy('sidecar~172.30.144.174~productpage-v1-c7765c886-v99jb.default~default.svc.cluster.local', {
        LABELS: { app: 'productpage', version: 'v1' },
      }),
    );
    assert.deepEqual(problems, []);
    const g = goldenNames('bookinfo-productpage-sidecar-istio1.4-config_dump.json');
    diffSets('productpage', 'cluster', new Set([...g.clusters].map(normaliseCluster)), new Set(Object.keys(snap.clusters)), diffs);
    // Current istiod: inbound per-IP listeners became chains of virtualInbound, named 0.0.0.0_<port>.
    const ourListeners = new Set(Object.keys(snap.listeners));
    for (const c of (snap.listeners['virtualInbound'] as J)['filterChains'] as J[])
      if (/^0\.0\.0\.0_\d+$/.test(c['name'] as string)) ourListeners.add(c['name'] as string);
    diffSets('productpage', 'listener', new Set([...g.listeners].map(normaliseListener)), ourListeners, diffs);
    diffSets('productpage', 'route config', new Set(g.routes.keys()), new Set(Object.keys(snap.routes)), diffs);
    diffVhosts('productpage', vhostsOf(g.routes.get('9080')), vhostsOf(snap.routes['9080'] as J), diffs);
  });

  it('ingress gateway (2022 dump, route config http.8080): listener, vhosts, domains, routes of the bookinfo VirtualService', () => {
    const gw =
      'apiVersion: v1\nkind: Service\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\nspec: {selector: {istio: ingressgateway}, ports: [{name: http2, port: 8080, targetPort: 8080}]}';
    const { mesh, rejected } = meshFrom(`${inputs('bookinfo.yaml', 'bookinfo-gateway.yaml')}\n---\n${gw}`);
    assert.deepEqual(rejected, []);
    const { snap, problems } = snapshot(
      mesh,
      proxy('router~10.0.0.9~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local', { LABELS: { istio: 'ingressgateway' } }),
    );
    assert.deepEqual(problems, []);
    const g = goldenNames('bookinfo-ingressgateway-http8080-2022-config_dump.json');
    diffSets('gateway', 'route config', new Set(g.routes.keys()), new Set(Object.keys(snap.routes)), diffs);
    assert.ok(snap.listeners['0.0.0.0_8080'], 'the listener carrying http.8080');
    const ours = vhostsOf(snap.routes['http.8080'] as J);
    const golden = vhostsOf(g.routes.get('http.8080'));
    diffVhosts('gateway', golden, ours, diffs);
    // Route lists are compared even though the vhost names differ by port (see ALLOWED).
    assert.deepEqual(ours.get('*:8080')?.routes, golden.get('*:80')?.routes);
    assert.deepEqual(ours.get('*:8080')?.domains, golden.get('*:80')?.domains);
  });

  it('HttpConnectionManagers (2023 httpbin sidecar dump): outbound and inbound, field by field', () => {
    const dump = readDump('httpbin-sidecar-lds-2023-config_dump.json');
    const listeners = new Map<string, J>();
    for (const c of dump)
      for (const x of (c['dynamic_listeners'] as J[] | undefined) ?? []) {
        const l = (x['active_state'] as J | undefined)?.['listener'] as J | undefined;
        if (l) listeners.set(l['name'] as string, camelize(l) as J);
      }
    const { mesh, rejected } = meshFrom(inputs('bookinfo.yaml', 'destination-rule-all.yaml'));
    assert.deepEqual(rejected, []);
    const { snap } = snapshot(
      mesh,
      proxy('sidecar~172.30.144.174~productpage-v1-c7765c886-v99jb.default~default.svc.cluster.local', {
        LABELS: { app: 'productpage', version: 'v1' },
      }),
    );
    diffHcm('hcm outbound', hcmOf(listeners.get('0.0.0.0_9080')!), hcmOf(snap.listeners['0.0.0.0_9080'] as J), diffs);
    diffHcm(
      'hcm inbound',
      hcmOf(listeners.get('virtualInbound')!, '0.0.0.0_80'),
      hcmOf(snap.listeners['virtualInbound'] as J, '0.0.0.0_9080'),
      diffs,
    );
  });

  it('every difference is listed with its reason, and every listed difference still exists', () => {
    const unexpected = diffs.filter((d) => !ALLOWED[d]);
    assert.deepEqual(unexpected, [], 'new differences from istiod');
    const gone = Object.keys(ALLOWED).filter((d) => !diffs.includes(d));
    assert.deepEqual(gone, [], 'allowed differences that no longer occur: remove them from ALLOWED');
  });
});
