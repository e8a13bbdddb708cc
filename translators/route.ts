/**
 * @module translators/route
 * VirtualService HTTP routes → Envoy routes for one virtual host (host:port). A sidecar uses the
 * one VirtualService its scope picks for the host (the first, as istiod; the others are reported
 * as conflicts in the MeshConfig); a gateway passes the VirtualServices bound to it, concatenated.
 * A host with none gets istiod's default route to its own cluster. Features: matches (incl.
 * port, gateways, sourceLabels), weighted subsets/ports, timeout, retries (the mesh default when
 * unset), fault, mirror, rewrite, redirect, directResponse, headers, CORS, consistent-hash
 * hash_policy. `RouteFlavor` captures the differences between Envoy and proxyless gRPC.
 */
import type { HTTPMatchRequest, HTTPRetry, HTTPRoute, HTTPRouteDestination, HeaderOperations, VirtualService } from '../model/istio.js';
import type { Route, RouteAction, RetryPolicy } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { durationOf, parseDuration, msToDuration } from '../model/duration.js';
import { resolveShortName } from '../model/hosts.js';
import { selectorMatches } from '../model/labels.js';
import { clusterKey, clusterKeyName, configPath, type ClusterKey } from './names.js';
import { istioMetadata } from './metadata.js';

/** The filter_metadata key of the VirtualService rule index on unnamed routes (read by server/explain). */
export const RULE_METADATA = 'tspilot.rule';
import { routeMatch, type HeaderStyle } from './match.js';
import { perFilterConfig } from './filters/index.js';
import type { ListenerClass } from './filters/types.js';
import type { Scope } from './scope.js';

export interface RouteFlavor {
  readonly headerStyle: HeaderStyle;
  /** istiod's default retry policy when a route sets none (Envoy sidecars; not proxyless gRPC). */
  readonly defaultRetries: boolean;
  /** Where a VirtualService timeout goes: Envoy's route timeout, or gRPC's max_stream_duration. */
  readonly timeoutAs: 'timeout' | 'max_stream_duration';
  /** The gateway name (`ns/name`) routes are built for, or `mesh` for sidecars and gRPC. */
  readonly gateway?: string;
  /** The listeners these routes serve, for per-route HTTP filter config (translators/filters). */
  readonly listenerClass: ListenerClass;
}

function destinationCluster(
  scope: Scope,
  d: { destination: HTTPRouteDestination['destination'] },
  vs: VirtualService,
  port: number,
): ClusterKey {
  const host = resolveShortName(d.destination.host, vs.meta.namespace, scope.mesh.domainSuffix);
  const svc = scope.meshService(host);
  const p = d.destination.port?.number ?? (svc?.ports.length === 1 ? svc.ports[0]!.port : port);
  return clusterKey('outbound', p, d.destination.subset ?? '', host);
}

const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/** istiod's default retry policy (retry.DefaultPolicy): 2 retries, previous-hosts predicate, 5 host selections. */
function defaultRetryPolicy(): RetryPolicy {
  return {
    retry_on: DEFAULT_RETRY_ON,
    num_retries: { value: 2 },
    retriable_status_codes: [503],
    retry_host_predicate: [
      {
        name: 'envoy.retry_host_predicates.previous_hosts',
        typed_config: typedAny('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate', {}),
      },
    ],
    host_selection_retry_max_attempts: '5',
  };
}

/** The retry conditions proxyless gRPC acts on (gRFC A44: status names only). */
const GRPC_RETRY_ON: readonly string[] = ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'];

/** Splits Istio's retryOn: integers are HTTP status codes for retriable_status_codes, the rest Envoy conditions. */
function parseRetryOn(retryOn: string): { on: string; codes: number[] } {
  const parts = retryOn
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const codes = parts.filter((x) => /^\d+$/.test(x)).map(Number);
  const on = parts.filter((x) => !/^\d+$/.test(x));
  if (codes.length && !on.includes('retriable-status-codes')) on.push('retriable-status-codes');
  return { on: on.join(','), codes };
}

/**
 * Like istiod's retry.ConvertPolicy: no policy → the mesh default or istiod's default; attempts ≤ 0
 * → no retries; otherwise istiod's default with the attempts, retryOn (status codes split out) and
 * per-try timeout the VirtualService gives. gRPC clients honour only status-name conditions.
 */
function retryPolicy(given: HTTPRetry | undefined, scope: Scope, flavor: RouteFlavor): RetryPolicy | undefined {
  const r = given ?? (flavor.defaultRetries ? scope.mesh.settings.defaultHttpRetryPolicy : undefined);
  if (!r) return flavor.defaultRetries ? defaultRetryPolicy() : undefined;
  if (!r.attempts || r.attempts <= 0) return undefined;
  const perTry = {
    ...(r.perTryTimeout ? { per_try_timeout: durationOf(r.perTryTimeout) } : {}),
    ...(r.backoff ? { retry_back_off: { base_interval: durationOf(r.backoff) } } : {}),
  };
  if (flavor.timeoutAs === 'max_stream_duration') {
    // grpc-js splits retry_on on ',' without trimming and both clients skip unknown names: keep
    // only the gRPC status conditions, and no policy at all when none is left.
    const on = r.retryOn
      ? r.retryOn
          .split(',')
          .map((x) => x.trim())
          .filter((x) => GRPC_RETRY_ON.includes(x))
      : GRPC_RETRY_ON;
    return on.length ? { retry_on: [...new Set(on)].join(','), num_retries: { value: r.attempts }, ...perTry } : undefined;
  }
  const out: RetryPolicy = { ...defaultRetryPolicy(), num_retries: { value: r.attempts }, ...perTry };
  if (r.retryOn) {
    const { on, codes } = parseRetryOn(r.retryOn);
    out.retry_on = on;
    if (codes.length) out.retriable_status_codes = codes;
    else delete out.retriable_status_codes;
  }
  return out;
}

function percent(v: number): { numerator: number; denominator: 'MILLION' } {
  return { numerator: Math.round(v * 10000), denominator: 'MILLION' };
}

function headerOps(ops: HeaderOperations | undefined): { add: NonNullable<Route['request_headers_to_add']>; remove: string[] } {
  const add: NonNullable<Route['request_headers_to_add']> = [];
  for (const k of Object.keys(ops?.set ?? {}).sort())
    add.push({ header: { key: k, value: ops!.set![k]! }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });
  for (const k of Object.keys(ops?.add ?? {}).sort())
    add.push({ header: { key: k, value: ops!.add![k]! }, append_action: 'APPEND_IF_EXISTS_OR_ADD' });
  return { add, remove: [...(ops?.remove ?? [])] };
}

/** Route hash_policy for a consistent-hash cluster; proxyless gRPC hashes on headers only (what grpc-js implements). */
function hashPolicy(scope: Scope, cluster: ClusterKey, flavor: RouteFlavor): RouteAction['hash_policy'] {
  const ch = scope.routeLoadBalancer(cluster.host, cluster.subset)?.consistentHash;
  if (!ch) return undefined;
  if (ch.httpHeaderName) return [{ header: { header_name: ch.httpHeaderName } }];
  if (flavor.timeoutAs !== 'timeout') return undefined;
  if (ch.httpCookie)
    return [
      {
        cookie: {
          name: ch.httpCookie.name,
          ...(ch.httpCookie.path ? { path: ch.httpCookie.path } : {}),
          ...(ch.httpCookie.ttl ? { ttl: durationOf(ch.httpCookie.ttl) } : {}),
        },
      },
    ];
  if (ch.useSourceIp) return [{ connection_properties: { source_ip: true } }];
  if (ch.httpQueryParameterName) return [{ query_parameter: { name: ch.httpQueryParameterName } }];
  return undefined;
}

function action(scope: Scope, h: HTTPRoute, vs: VirtualService, port: number, flavor: RouteFlavor): RouteAction {
  const dests = (h.route ?? []).filter((d) => h.route!.length === 1 || (d.weight ?? 0) > 0);
  const a: RouteAction = {};
  const single = dests.length === 1 ? destinationCluster(scope, dests[0]!, vs, port) : undefined;
  if (single) a.cluster = clusterKeyName(single);
  else {
    a.weighted_clusters = {
      clusters: dests.map((d) => {
        const ops = headerOps(d.headers?.request);
        const rops = headerOps(d.headers?.response);
        return {
          name: clusterKeyName(destinationCluster(scope, d, vs, port)),
          weight: { value: d.weight ?? 0 },
          ...(ops.add.length ? { request_headers_to_add: ops.add } : {}),
          ...(ops.remove.length ? { request_headers_to_remove: ops.remove } : {}),
          ...(rops.add.length ? { response_headers_to_add: rops.add } : {}),
          ...(rops.remove.length ? { response_headers_to_remove: rops.remove } : {}),
        };
      }),
    };
  }
  const timeoutMs = h.timeout ? (parseDuration(h.timeout) ?? 0) : 0;
  if (flavor.timeoutAs === 'timeout') a.timeout = msToDuration(timeoutMs);
  else if (timeoutMs > 0) a.max_stream_duration = { max_stream_duration: msToDuration(timeoutMs) };
  const retry = retryPolicy(h.retries, scope, flavor);
  if (retry) a.retry_policy = retry;
  if (h.rewrite?.uri !== undefined) a.prefix_rewrite = h.rewrite.uri;
  if (h.rewrite?.uriRegexRewrite)
    a.regex_rewrite = { pattern: { regex: h.rewrite.uriRegexRewrite.match }, substitution: h.rewrite.uriRegexRewrite.rewrite };
  if (h.rewrite?.authority) a.host_rewrite_literal = h.rewrite.authority;
  if (h.mirror && flavor.timeoutAs === 'timeout') {
    a.request_mirror_policies = [
      {
        cluster: clusterKeyName(destinationCluster(scope, { destination: h.mirror }, vs, port)),
        runtime_fraction: { default_value: percent(h.mirrorPercentage?.value ?? 100) },
        trace_sampled: { value: false },
      },
    ];
  }
  if (single) {
    const hp = hashPolicy(scope, single, flavor);
    if (hp) a.hash_policy = hp;
  }
  return a;
}

const REDIRECT_CODES = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
} as const;

/** Whether a match applies to this proxy: its port, its gateway (or `mesh`), its source labels. */
function applies(scope: Scope, m: HTTPMatchRequest | undefined, port: number, flavor: RouteFlavor): boolean {
  if (!m) return true;
  if (m.port && m.port !== port) return false;
  if (m.gateways && !m.gateways.includes(flavor.gateway ?? 'mesh')) return false;
  if (!selectorMatches(m.sourceLabels, scope.labels)) return false;
  return true;
}

/**
 * The tracing operation of a route, as istiod's getRouteOperation (route/route.go): the path
 * pattern (`<prefix>*`, the exact path or the regex; `/*` without one) after `<host>:<port>` of the
 * route's single destination cluster, or after `<VirtualService name>:<listener port>` when the
 * route splits traffic, redirects or responds directly.
 */
export function routeOperation(r: Route, vsName: string, port: number): string {
  const m = r.match ?? {};
  const path = m.prefix !== undefined && m.prefix !== null ? `${m.prefix}*` : (m.path ?? m.safe_regex?.regex ?? '/*');
  const parts = r.route?.cluster?.split('|');
  if (parts?.length === 4 && /^\d+$/.test(parts[1]!)) return `${parts[3]}:${parts[1]}${path}`;
  return `${vsName}:${port}${path}`;
}

/** Envoy routes for one VirtualService HTTP route: one per applicable match (or one catch-all). */
function routesOf(scope: Scope, vs: VirtualService, index: number, h: HTTPRoute, port: number, flavor: RouteFlavor, host = ''): Route[] {
  const matches = (h.match ?? [undefined]).filter((m) => applies(scope, m, port, flavor));
  const meta = istioMetadata({ config: h.provenance ?? configPath('VirtualService', vs.meta.namespace, vs.meta.name) });
  // An unnamed rule's route carries its index beside istiod's provenance, so `tspilot explain` can still name http[i].
  if (!h.name)
    meta.filter_metadata = { ...meta.filter_metadata, [RULE_METADATA]: istioMetadata({ http: index }).filter_metadata!['istio']! };
  const req = headerOps(h.headers?.request);
  const resp = headerOps(h.headers?.response);
  return matches.map((m) => {
    // istiod leaves an unnamed VirtualService route unnamed (the route's metadata names its VirtualService).
    const r: Route = { ...(h.name ? { name: h.name } : {}), match: routeMatch(m, flavor.headerStyle), metadata: meta };
    if (h.redirect) {
      r.redirect = {
        ...(h.redirect.uri ? { path_redirect: h.redirect.uri } : {}),
        ...(h.redirect.prefixRewrite ? { prefix_rewrite: h.redirect.prefixRewrite } : {}),
        ...(h.redirect.authority ? { host_redirect: h.redirect.authority } : {}),
        ...(h.redirect.port ? { port_redirect: h.redirect.port } : {}),
        ...(h.redirect.scheme ? { scheme_redirect: h.redirect.scheme } : {}),
        response_code: REDIRECT_CODES[(h.redirect.redirectCode ?? 301) as 301] ?? 'MOVED_PERMANENTLY',
      };
    } else if (h.directResponse && flavor.timeoutAs === 'max_stream_duration' && host) {
      // Proxyless gRPC clients accept only route actions (grpc-js NACKs the whole RouteConfiguration
      // for a direct_response): the same answer as an abort fault on the host's own cluster.
      r.route = { cluster: clusterKeyName(clusterKey('outbound', port, '', host)) };
    } else if (h.directResponse) {
      const b = h.directResponse.body;
      r.direct_response = {
        status: h.directResponse.status,
        ...(b?.string !== undefined
          ? { body: { inline_string: b.string } }
          : b?.bytes !== undefined
            ? { body: { inline_bytes: b.bytes } }
            : {}),
      };
    } else r.route = action(scope, h, vs, port, flavor);
    // A direct response turned into a route for proxyless gRPC (above) answers with an abort fault of the same status.
    const asFault =
      r.route && h.directResponse && !h.fault
        ? { ...h, fault: { abort: { httpStatus: h.directResponse.status, percentage: { value: 100 } } } }
        : h;
    const perFilter = perFilterConfig({ listenerClass: flavor.listenerClass, route: asFault, virtualService: vs });
    if (perFilter) r.typed_per_filter_config = perFilter;
    if (req.add.length) r.request_headers_to_add = req.add;
    if (req.remove.length) r.request_headers_to_remove = req.remove;
    if (resp.add.length) r.response_headers_to_add = resp.add;
    if (resp.remove.length) r.response_headers_to_remove = resp.remove;
    r.decorator = { operation: routeOperation(r, vs.meta.name, port) };
    return r;
  });
}

/** The default route istiod gives a host no VirtualService routes: everything to its own cluster. */
export function defaultRoute(scope: Scope, host: string, port: number, flavor: RouteFlavor): Route {
  const key = clusterKey('outbound', port, '', host);
  const a: RouteAction = { cluster: clusterKeyName(key) };
  if (flavor.timeoutAs === 'timeout') a.timeout = { seconds: 0 };
  const retry = retryPolicy(undefined, scope, flavor);
  if (retry) a.retry_policy = retry;
  const hp = hashPolicy(scope, key, flavor);
  if (hp) a.hash_policy = hp;
  // istiod's TraceOperation(host, port) for the default route.
  return { name: 'default', match: { prefix: '/' }, route: a, decorator: { operation: `${host}:${port}/*` } };
}

/** Routes of the given VirtualServices (in order) for one host:port; the default route when none apply. */
export function vsRoutes(
  scope: Scope,
  vss: readonly VirtualService[],
  host: string,
  port: number,
  flavor: RouteFlavor,
  withDefault = true,
): Route[] {
  const out: Route[] = [];
  for (const vs of vss) (vs.spec.http ?? []).forEach((h, i) => out.push(...routesOf(scope, vs, i, h, port, flavor, host)));
  if (!out.length && withDefault) return [defaultRoute(scope, host, port, flavor)];
  return out;
}

/** Routes for the virtual host `host:port` of a sidecar or gRPC client. */
export function hostRoutes(scope: Scope, host: string, port: number, flavor: RouteFlavor): Route[] {
  const vs = scope.vsFor(host);
  return vsRoutes(scope, vs ? [vs] : [], host, port, flavor);
}
