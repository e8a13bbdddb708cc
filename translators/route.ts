/**
 * @module translators/route
 * VirtualService HTTP routes → Envoy routes for one virtual host (host:port). Routes of every
 * VirtualService for the host are concatenated in config order; a host with none gets istiod's
 * default route to its own cluster. Features: matches, weighted subsets/ports, timeout, retries,
 * fault injection, header operations, rewrite, redirect. `RouteFlavor` captures the differences
 * between Envoy sidecars and proxyless gRPC.
 */
import type { MeshConfig } from '../model/config.js';
import type { HTTPRetry, HTTPRoute, HTTPRouteDestination, HeaderOperations, VirtualService } from '../model/istio.js';
import type { HTTPFault, Route, RouteAction, RetryPolicy } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { durationOf, parseDuration, msToDuration } from '../model/duration.js';
import { clusterName, configPath } from './names.js';
import { istioMetadata } from './metadata.js';
import { routeMatch, type HeaderStyle } from './match.js';

export interface RouteFlavor {
  readonly headerStyle: HeaderStyle;
  /** istiod's default retry policy when a route sets none (Envoy sidecars; not proxyless gRPC). */
  readonly defaultRetries: boolean;
  /** Where a VirtualService timeout goes: Envoy's route timeout, or gRPC's max_stream_duration. */
  readonly timeoutAs: 'timeout' | 'max_stream_duration';
}

export const FAULT_FILTER = 'envoy.filters.http.fault';
export const FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

/** Resolves a destination host the way istiod does (short names in the VirtualService's namespace). */
export function destinationHost(host: string, vsNamespace: string, suffix: string): string {
  return host.includes('.') ? host : `${host}.${vsNamespace}.svc.${suffix}`;
}

function destinationCluster(mesh: MeshConfig, d: HTTPRouteDestination, vs: VirtualService, port: number): string {
  const host = destinationHost(d.destination.host, vs.meta.namespace, mesh.domainSuffix);
  const svc = mesh.serviceByHost.get(host);
  const p = d.destination.port?.number ?? (svc?.ports.length === 1 ? svc.ports[0]!.port : port);
  return clusterName('outbound', p, d.destination.subset ?? '', host);
}

function retryPolicy(r: HTTPRetry | undefined, flavor: RouteFlavor): RetryPolicy | undefined {
  if (r?.attempts === 0) return undefined;
  if (!r) {
    if (!flavor.defaultRetries) return undefined;
    return {
      retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
      num_retries: { value: 2 },
      retriable_status_codes: [503],
      retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: typedAny('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate', {}) }],
      host_selection_retry_max_attempts: '5',
    };
  }
  const grpcOnly = flavor.timeoutAs === 'max_stream_duration';
  const retryOn = r.retryOn ?? (grpcOnly ? 'cancelled,deadline-exceeded,internal,resource-exhausted,unavailable' : 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
  return {
    retry_on: retryOn,
    num_retries: { value: r.attempts ?? 2 },
    ...(r.perTryTimeout ? { per_try_timeout: durationOf(r.perTryTimeout) } : {}),
  };
}

function percent(v: number | undefined): { numerator: number; denominator: 'MILLION' } {
  return { numerator: Math.round((v ?? 100) * 10000), denominator: 'MILLION' };
}

const GRPC_CODES: Readonly<Record<string, number>> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

export function faultConfig(f: NonNullable<HTTPRoute['fault']>): HTTPFault {
  const out: HTTPFault = {};
  if (f.delay?.fixedDelay) out.delay = { fixed_delay: durationOf(f.delay.fixedDelay), percentage: percent(f.delay.percentage?.value) };
  if (f.abort) {
    const code = f.abort.grpcStatus !== undefined ? { grpc_status: GRPC_CODES[f.abort.grpcStatus] ?? Number(f.abort.grpcStatus) } : { http_status: f.abort.httpStatus ?? 503 };
    out.abort = { ...code, percentage: percent(f.abort.percentage?.value) };
  }
  return out;
}

function headerOps(ops: HeaderOperations | undefined): { add: NonNullable<Route['request_headers_to_add']>; remove: string[] } {
  const add: NonNullable<Route['request_headers_to_add']> = [];
  for (const k of Object.keys(ops?.set ?? {}).sort()) add.push({ header: { key: k, value: ops!.set![k]! }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });
  for (const k of Object.keys(ops?.add ?? {}).sort()) add.push({ header: { key: k, value: ops!.add![k]! }, append_action: 'APPEND_IF_EXISTS_OR_ADD' });
  return { add, remove: [...(ops?.remove ?? [])] };
}

function action(mesh: MeshConfig, h: HTTPRoute, vs: VirtualService, port: number, flavor: RouteFlavor): RouteAction {
  const dests = (h.route ?? []).filter((d) => h.route!.length === 1 || (d.weight ?? 0) > 0);
  const a: RouteAction = {};
  if (dests.length === 1) a.cluster = destinationCluster(mesh, dests[0]!, vs, port);
  else {
    a.weighted_clusters = {
      clusters: dests.map((d) => {
        const ops = headerOps(d.headers?.request);
        const rops = headerOps(d.headers?.response);
        return {
          name: destinationCluster(mesh, d, vs, port), weight: { value: d.weight ?? 0 },
          ...(ops.add.length ? { request_headers_to_add: ops.add } : {}), ...(ops.remove.length ? { request_headers_to_remove: ops.remove } : {}),
          ...(rops.add.length ? { response_headers_to_add: rops.add } : {}), ...(rops.remove.length ? { response_headers_to_remove: rops.remove } : {}),
        };
      }),
    };
  }
  const timeoutMs = h.timeout ? parseDuration(h.timeout) ?? 0 : 0;
  if (flavor.timeoutAs === 'timeout') a.timeout = msToDuration(timeoutMs);
  else if (timeoutMs > 0) a.max_stream_duration = { max_stream_duration: msToDuration(timeoutMs) };
  const retry = retryPolicy(h.retries, flavor);
  if (retry) a.retry_policy = retry;
  if (h.rewrite?.uri !== undefined) a.prefix_rewrite = h.rewrite.uri;
  if (h.rewrite?.authority) a.host_rewrite_literal = h.rewrite.authority;
  return a;
}

/** Envoy routes for one VirtualService HTTP route: one per match (or one catch-all). */
function routesOf(mesh: MeshConfig, vs: VirtualService, index: number, h: HTTPRoute, port: number, flavor: RouteFlavor): Route[] {
  const matches = (h.match ?? [undefined]).filter((m) => !m?.port || m.port === port);
  const meta = istioMetadata({ config: configPath('VirtualService', vs.meta.namespace, vs.meta.name) });
  const req = headerOps(h.headers?.request);
  const resp = headerOps(h.headers?.response);
  return matches.map((m) => {
    const r: Route = { name: h.name ?? `${vs.meta.namespace}/${vs.meta.name}.http[${index}]`, match: routeMatch(m, flavor.headerStyle), metadata: meta, decorator: { operation: `${vs.meta.name}:${port}/*` } };
    if (h.redirect) {
      r.redirect = {
        ...(h.redirect.uri ? { path_redirect: h.redirect.uri } : {}), ...(h.redirect.authority ? { host_redirect: h.redirect.authority } : {}),
        ...(h.redirect.port ? { port_redirect: h.redirect.port } : {}), ...(h.redirect.scheme ? { scheme_redirect: h.redirect.scheme } : {}),
        response_code: ({ 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' } as const)[h.redirect.redirectCode as 301] ?? 'MOVED_PERMANENTLY',
      };
    } else r.route = action(mesh, h, vs, port, flavor);
    if (h.fault) r.typed_per_filter_config = { [FAULT_FILTER]: typedAny(FAULT_TYPE, faultConfig(h.fault)) };
    if (req.add.length) r.request_headers_to_add = req.add;
    if (req.remove.length) r.request_headers_to_remove = req.remove;
    if (resp.add.length) r.response_headers_to_add = resp.add;
    if (resp.remove.length) r.response_headers_to_remove = resp.remove;
    return r;
  });
}

/** The default route istiod gives a host no VirtualService routes: everything to its own cluster. */
export function defaultRoute(host: string, port: number, flavor: RouteFlavor): Route {
  const a: RouteAction = { cluster: clusterName('outbound', port, '', host) };
  if (flavor.timeoutAs === 'timeout') a.timeout = { seconds: 0 };
  const retry = retryPolicy(undefined, flavor);
  if (retry) a.retry_policy = retry;
  return { name: 'default', match: { prefix: '/' }, route: a, decorator: { operation: `${host.split('.')[0]}:${port}/*` } };
}

/** VirtualServices (in config order) whose hosts name `host`, as seen from the proxy's namespace. */
export function virtualServicesFor(mesh: MeshConfig, host: string): VirtualService[] {
  return mesh.virtualServices.filter((vs) => vs.spec.gateways === undefined || vs.spec.gateways.includes('mesh'))
    .filter((vs) => vs.spec.hosts.some((h) => destinationHost(h, vs.meta.namespace, mesh.domainSuffix) === host));
}

/** Routes for the virtual host `host:port`. */
export function hostRoutes(mesh: MeshConfig, host: string, port: number, flavor: RouteFlavor): Route[] {
  const out: Route[] = [];
  for (const vs of virtualServicesFor(mesh, host)) {
    (vs.spec.http ?? []).forEach((h, i) => out.push(...routesOf(mesh, vs, i, h, port, flavor)));
  }
  if (!out.length) return [defaultRoute(host, port, flavor)];
  return out;
}
