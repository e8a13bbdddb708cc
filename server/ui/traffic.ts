/**
 * @module server/ui/traffic
 * The console's traffic view of one service, as data: the mesh VirtualService rules that route to
 * its host (each match, its destinations with weights and subsets, and what else the rule does),
 * the DestinationRule in force (its policy and subsets, with how many endpoints each subset
 * selects), and the conflicts on the host. Read from the served MeshConfig; nothing is decided
 * here that the translators decide differently — it is a summary for people, not an input.
 */
import type { MeshConfig } from '../../model/config.js';
import { resolveShortName as qualify } from '../../model/hosts.js';
import type { TrafficDestination, TrafficRoute, TrafficView } from './web/traffic-view.js';
import type { HTTPMatchRequest, RouteDestination, StringMatch, TrafficPolicy, VirtualService } from '../../model/istio.js';

export type { TrafficDestination, TrafficRoute, TrafficSubset, TrafficView } from './web/traffic-view.js';

const sm = (m: StringMatch | undefined): string =>
  !m
    ? ''
    : m.exact !== undefined
      ? `= ${m.exact}`
      : m.prefix !== undefined
        ? `prefix ${m.prefix}`
        : m.regex !== undefined
          ? `~ ${m.regex}`
          : 'any';

function matchLine(m: HTTPMatchRequest): string {
  const parts: string[] = [];
  if (m.uri) parts.push(`uri ${sm(m.uri)}`);
  if (m.method) parts.push(`method ${sm(m.method)}`);
  if (m.authority) parts.push(`authority ${sm(m.authority)}`);
  for (const [k, v] of Object.entries(m.headers ?? {}).sort()) parts.push(`header ${k} ${sm(v)}`);
  for (const [k, v] of Object.entries(m.withoutHeaders ?? {}).sort()) parts.push(`no header ${k} ${sm(v)}`);
  for (const [k, v] of Object.entries(m.queryParams ?? {}).sort()) parts.push(`query ${k} ${sm(v)}`);
  if (m.port) parts.push(`port ${m.port}`);
  if (m.sourceLabels)
    parts.push(
      `from ${Object.entries(m.sourceLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`,
    );
  return parts.join(', ') || 'any request';
}

/** Short lines for a DestinationRule traffic policy. */
export function policyLines(p: TrafficPolicy | undefined): string[] {
  if (!p) return [];
  const out: string[] = [];
  const lb = p.loadBalancer;
  if (lb?.simple) out.push(`load balancer ${lb.simple}`);
  if (lb?.consistentHash) {
    const h = lb.consistentHash;
    const key = h.httpHeaderName
      ? `header ${h.httpHeaderName}`
      : h.httpQueryParameterName
        ? `query ${h.httpQueryParameterName}`
        : h.useSourceIp
          ? 'source IP'
          : 'cookie';
    out.push(`consistent hash (${h.maglev ? 'MAGLEV' : 'RING_HASH'}) on ${key}`);
  }
  const cp = p.connectionPool;
  if (cp?.tcp?.maxConnections !== undefined) out.push(`max connections ${cp.tcp.maxConnections}`);
  if (cp?.tcp?.connectTimeout) out.push(`connect timeout ${cp.tcp.connectTimeout}`);
  if (cp?.http?.http1MaxPendingRequests !== undefined) out.push(`max pending requests ${cp.http.http1MaxPendingRequests}`);
  if (cp?.http?.http2MaxRequests !== undefined) out.push(`max requests ${cp.http.http2MaxRequests}`);
  if (cp?.http?.maxRetries !== undefined) out.push(`max retries ${cp.http.maxRetries}`);
  const od = p.outlierDetection;
  if (od)
    out.push(
      `outlier detection: ${od.consecutive5xxErrors ?? od.consecutiveGatewayErrors ?? 5} errors, every ${od.interval ?? '10s'}, eject ${od.baseEjectionTime ?? '30s'}`,
    );
  if (p.tls?.mode) out.push(`TLS ${p.tls.mode}`);
  if (p.portLevelSettings?.length) out.push(`${p.portLevelSettings.length} port-level setting(s)`);
  return out;
}

function actions(h: NonNullable<VirtualService['spec']['http']>[number]): string[] {
  const out: string[] = [];
  if (h.timeout) out.push(`timeout ${h.timeout}`);
  if (h.retries)
    out.push(
      `retries ${h.retries.attempts ?? 2}${h.retries.perTryTimeout ? ` × ${h.retries.perTryTimeout}` : ''}${h.retries.retryOn ? ` on ${h.retries.retryOn}` : ''}`,
    );
  if (h.fault?.delay) out.push('fault: delay');
  if (h.fault?.abort) out.push('fault: abort');
  if (h.mirror) out.push(`mirror to ${h.mirror.host}${h.mirror.subset ? ` (${h.mirror.subset})` : ''}`);
  if (h.rewrite)
    out.push(`rewrite${h.rewrite.uri ? ` uri ${h.rewrite.uri}` : ''}${h.rewrite.authority ? ` authority ${h.rewrite.authority}` : ''}`);
  if (h.redirect) out.push(`redirect ${h.redirect.uri ?? ''}${h.redirect.authority ? ` to ${h.redirect.authority}` : ''}`.trim());
  if (h.directResponse) out.push(`direct response ${h.directResponse.status}`);
  if (h.corsPolicy) out.push('CORS policy');
  return out;
}

const weights = (ds: readonly { weight?: number }[]): number[] => (ds.length === 1 ? [ds[0]!.weight ?? 100] : ds.map((d) => d.weight ?? 0));

export function trafficView(mesh: MeshConfig, host: string): TrafficView {
  const sfx = mesh.domainSuffix;
  const svc = mesh.serviceByHost.get(host) ?? null;
  const eps = mesh.endpoints.get(host);
  const all = eps ? [...eps.values()].flat() : [];
  const addrs = (sel: Readonly<Record<string, string>> | undefined): number =>
    new Set(all.filter((e) => Object.entries(sel ?? {}).every(([k, v]) => e.labels[k] === v)).map((e) => `${e.address}:${e.port}`)).size;
  const conflict = mesh.conflicts.find((c) => c.host === host);
  const ignored = new Set(conflict?.ignored ?? []);
  const routes: TrafficRoute[] = [];
  for (const vs of mesh.virtualServices) {
    const ns = vs.meta.namespace;
    const id = `${ns}/${vs.meta.name}`;
    if (vs.spec.gateways?.length && !vs.spec.gateways.includes('mesh')) continue;
    if (!vs.spec.hosts.some((h) => qualify(h, ns, sfx) === host) || ignored.has(id)) continue;
    const dest = (d: { destination: { host: string; subset?: string; port?: { number?: number } } }, w: number): TrafficDestination => ({
      host: qualify(d.destination.host, ns, sfx),
      subset: d.destination.subset ?? '',
      port: d.destination.port?.number ?? null,
      weight: w,
    });
    (vs.spec.http ?? []).forEach((h, i) => {
      const ds = h.route ?? [];
      const w = weights(ds);
      routes.push({
        id: `${id} http[${i}]`,
        virtualService: id,
        rule: `http[${i}]`,
        name: h.name ?? '',
        match: (h.match ?? []).map(matchLine).concat(h.match?.length ? [] : ['any request']),
        destinations: ds.map((d, j) => dest(d, w[j]!)).filter((d) => d.weight > 0),
        actions: actions(h),
      });
    });
    const l4 = (kind: 'tcp' | 'tls', i: number, match: readonly string[], ds: readonly RouteDestination[]): void => {
      const w = weights(ds);
      const any = `any ${kind.toUpperCase()} connection`;
      routes.push({
        id: `${id} ${kind}[${i}]`,
        virtualService: id,
        rule: `${kind}[${i}]`,
        name: '',
        match: match.length ? match.map((m) => m || any) : [any],
        destinations: ds.map((d, j) => dest(d, w[j]!)).filter((d) => d.weight > 0),
        actions: [],
      });
    };
    (vs.spec.tcp ?? []).forEach((r, i) =>
      l4(
        'tcp',
        i,
        (r.match ?? []).map((m) => (m.port ? `port ${m.port}` : '')),
        r.route,
      ),
    );
    (vs.spec.tls ?? []).forEach((r, i) =>
      l4(
        'tls',
        i,
        r.match.map((m) => [m.port ? `port ${m.port}` : '', `SNI ${m.sniHosts.join(',')}`].filter(Boolean).join(', ')),
        r.route,
      ),
    );
  }
  const dr = mesh.destinationRuleByHost.get(host);
  return {
    host,
    service: svc
      ? {
          namespace: svc.namespace,
          name: svc.name,
          ports: svc.ports.map((p) => `${p.port}${p.name ? `/${p.name}` : ''}`),
          endpoints: addrs(undefined),
        }
      : null,
    routes,
    destinationRule: dr
      ? {
          name: `${dr.meta.namespace}/${dr.meta.name}`,
          policy: policyLines(dr.spec.trafficPolicy),
          subsets: (dr.spec.subsets ?? []).map((s) => ({
            name: s.name,
            labels: s.labels ?? {},
            endpoints: addrs(s.labels),
            policy: policyLines(s.trafficPolicy),
          })),
        }
      : null,
    ignoredVirtualServices: [...ignored].sort(),
  };
}
