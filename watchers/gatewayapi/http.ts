/**
 * @module watchers/gatewayapi/http
 * HTTPRoute and GRPCRoute rules → Istio VirtualService HTTP routes, one per match, each with its
 * precedence key (precedence.ts sorts them across every route sharing a host):
 * - PathPrefix `/foo` has segment semantics (`/foo`, `/foo/…`, never `/foobar`): it becomes two
 *   adjacent routes, exact `/foo` and prefix `/foo/` (what proxyless gRPC clients understand too).
 * - Filters: Request/ResponseHeaderModifier → headers; RequestRedirect → redirect; URLRewrite →
 *   rewrite (ReplacePrefixMatch per half of the split; ReplaceFullPath as a whole-path regex
 *   rewrite); RequestMirror → mirror + percentage.
 * - retry and timeouts (request, backendRequest) → retries / timeout / perTryTimeout, as istiod.
 * - backendRefs → weighted destinations; a backend that cannot be resolved takes no traffic; a
 *   rule left with none (or only zero weights) answers 500, as the spec requires.
 * - GRPCRoute method matches → paths `/<service>/<method>`.
 * Provenance: each route is named `<ns>.<route>.<rule>` (istiod's name) and carries the route's
 * config path. Pure.
 */
import { gatewayApiRoutePath } from '../../model/gatewayapi.js';
import type { MeshService } from '../../model/config.js';
import type {
  GwBackendRef,
  GwFilter,
  GwGRPCRoute,
  GwGRPCRouteMatch,
  GwHTTPRoute,
  GwHTTPRouteMatch,
  GwHeaderMatch,
  GwHeaderModifier,
  GwRetry,
  GwTimeouts,
  ReferenceGrant,
} from '../../model/gatewayapi.js';
import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, HeaderOperations, StringMatch } from '../../model/istio.js';
import { percentWeights, resolveBackend } from './backends.js';
import type { PrecedenceKey } from './precedence.js';

export interface Entry {
  readonly route: HTTPRoute;
  readonly key: PrecedenceKey;
}

/** The first reason a rule's backends could not all be resolved (ResolvedRefs False), if any. */
export interface RuleResult {
  readonly entries: Entry[];
  readonly refProblem?: { readonly reason: string; readonly message: string };
}

export interface HttpContext {
  readonly services: ReadonlyMap<string, MeshService>;
  readonly grants: readonly ReferenceGrant[];
  readonly suffix: string;
}

export function routePath(kind: string, ns: string, name: string): string {
  return gatewayApiRoutePath(kind, ns, name);
}

const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function nameMatches(ms: readonly GwHeaderMatch[]): Record<string, StringMatch> | undefined {
  if (!ms.length) return undefined;
  const out: Record<string, StringMatch> = {};
  for (const m of ms) out[m.name] = m.type === 'Exact' ? { exact: m.value } : { regex: m.value };
  return out;
}

function headerOps(m: GwHeaderModifier): HeaderOperations {
  const set = Object.fromEntries(m.set.map((x) => [x.name, x.value]));
  const add = Object.fromEntries(m.add.map((x) => [x.name, x.value]));
  return { ...(m.set.length ? { set } : {}), ...(m.add.length ? { add } : {}), ...(m.remove.length ? { remove: [...m.remove] } : {}) };
}

/** A URI match and how a ReplacePrefixMatch applies to it: `whole` (the path is the prefix) or `prefix` (keep the rest). */
interface UriPart {
  readonly uri: StringMatch;
  readonly prefixPart: 'whole' | 'prefix' | 'none';
}

function uriParts(path: GwHTTPRouteMatch['path']): UriPart[] {
  if (path.type === 'Exact') return [{ uri: { exact: path.value }, prefixPart: 'none' }];
  if (path.type === 'RegularExpression') return [{ uri: { regex: path.value }, prefixPart: 'none' }];
  const p = path.value.replace(/\/+$/, '');
  if (!p) return [{ uri: { prefix: '/' }, prefixPart: 'prefix' }];
  return [
    { uri: { exact: p }, prefixPart: 'whole' },
    { uri: { prefix: `${p}/` }, prefixPart: 'prefix' },
  ];
}

/** The replacement for the matched prefix, on the `whole` or the `prefix/` half of a split PathPrefix match. */
function replacePrefix(value: string, part: UriPart['prefixPart']): string {
  if (part === 'whole') return value || '/';
  return value.endsWith('/') ? value : `${value}/`;
}

function destinations(
  refs: readonly GwBackendRef[],
  kind: string,
  ns: string,
  ctx: HttpContext,
): { dests: HTTPRouteDestination[]; problem?: { reason: string; message: string } } {
  const dests: HTTPRouteDestination[] = [];
  let problem: { reason: string; message: string } | undefined;
  for (const ref of refs) {
    const r = resolveBackend(ref, kind, ns, ctx.services, ctx.grants, ctx.suffix);
    if (!r.ok) {
      problem ??= { reason: r.reason, message: r.message };
      continue;
    }
    if (r.weight <= 0) continue;
    dests.push({ destination: { host: r.host, ...(r.port !== undefined ? { port: { number: r.port } } : {}) }, weight: r.weight });
  }
  const pct = percentWeights(dests.map((d) => d.weight ?? 0));
  return { dests: dests.map((d, i) => ({ ...d, weight: pct[i]! })).filter((d) => d.weight > 0), ...(problem ? { problem } : {}) };
}

/** The parts of an Istio HTTP route a rule's filters and backends give, for one URI part. */
/**
 * A rule's retry and timeouts as istiod converts them: `retry` → retries on connection errors
 * (connect-failure, refused-stream, unavailable, cancelled) plus its status codes, attempts
 * defaulting to 2 (0: none), backoff as the base interval; `timeouts.request` → the route timeout;
 * `timeouts.backendRequest` → the per-try timeout when the rule retries, else the route timeout
 * (validation keeps it ≤ request). `0s` sets nothing.
 */
function retryAndTimeouts(rule: { timeouts?: GwTimeouts; retry?: GwRetry }): Partial<HTTPRoute> {
  const out: { timeout?: string; retries?: HTTPRoute['retries'] } = {};
  if (rule.retry) {
    const attempts = rule.retry.attempts ?? 2;
    const retryOn = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', ...rule.retry.codes.map(String)].join(',');
    out.retries = { attempts, ...(attempts > 0 ? { retryOn } : {}), ...(rule.retry.backoff ? { backoff: rule.retry.backoff } : {}) };
  }
  const request = rule.timeouts?.request;
  const backend = rule.timeouts?.backendRequest;
  if (request && request !== '0s') out.timeout = request;
  if (backend && backend !== '0s') {
    if (out.retries) out.retries = { ...out.retries, perTryTimeout: backend };
    else out.timeout = backend;
  }
  return out;
}

function actionOf(
  filters: readonly GwFilter[],
  part: UriPart,
  dests: HTTPRouteDestination[],
  policy: Partial<HTTPRoute>,
  kind: string,
  ns: string,
  ctx: HttpContext,
): Partial<HTTPRoute> {
  const out: Record<string, unknown> = {};
  const req = filters.find((f) => f.type === 'RequestHeaderModifier');
  const resp = filters.find((f) => f.type === 'ResponseHeaderModifier');
  if (req || resp)
    out['headers'] = { ...(req ? { request: headerOps(req.modifier) } : {}), ...(resp ? { response: headerOps(resp.modifier) } : {}) };
  const redirect = filters.find((f) => f.type === 'RequestRedirect');
  if (redirect) {
    const r: Record<string, unknown> = { redirectCode: redirect.statusCode };
    if (redirect.scheme) r['scheme'] = redirect.scheme;
    if (redirect.hostname) r['authority'] = redirect.hostname;
    if (redirect.port) r['port'] = redirect.port;
    if (redirect.path?.type === 'ReplaceFullPath') r['uri'] = redirect.path.value;
    else if (redirect.path?.type === 'ReplacePrefixMatch') {
      if (part.prefixPart === 'whole') r['uri'] = replacePrefix(redirect.path.value, 'whole');
      else r['prefixRewrite'] = replacePrefix(redirect.path.value, 'prefix');
    }
    out['redirect'] = r;
    return out as Partial<HTTPRoute>;
  }
  const rewrite = filters.find((f) => f.type === 'URLRewrite');
  if (rewrite) {
    const r: Record<string, unknown> = {};
    if (rewrite.hostname) r['authority'] = rewrite.hostname;
    if (rewrite.path?.type === 'ReplaceFullPath') r['uriRegexRewrite'] = { match: '^/.*$', rewrite: rewrite.path.value };
    else if (rewrite.path?.type === 'ReplacePrefixMatch' && part.prefixPart !== 'none')
      r['uri'] = replacePrefix(rewrite.path.value, part.prefixPart);
    if (Object.keys(r).length) out['rewrite'] = r;
  }
  const mirror = filters.find((f) => f.type === 'RequestMirror');
  if (mirror) {
    const m = resolveBackend(mirror.backend, kind, ns, ctx.services, ctx.grants, ctx.suffix);
    if (m.ok) {
      out['mirror'] = { host: m.host, ...(m.port !== undefined ? { port: { number: m.port } } : {}) };
      if (mirror.percent !== undefined) out['mirrorPercentage'] = { value: mirror.percent };
    }
  }
  if (dests.length) out['route'] = dests;
  else out['directResponse'] = { status: 500 };
  return { ...(out as Partial<HTTPRoute>), ...policy };
}

export function httpRouteEntries(route: GwHTTPRoute, ctx: HttpContext): RuleResult {
  const entries: Entry[] = [];
  let refProblem: RuleResult['refProblem'];
  const provenance = routePath('HTTPRoute', route.meta.namespace, route.meta.name);
  route.rules.forEach((rule, ri) => {
    const { dests, problem } = destinations(rule.backendRefs, 'HTTPRoute', route.meta.namespace, ctx);
    refProblem ??= problem;
    rule.matches.forEach((m, mi) => {
      for (const part of uriParts(m.path)) {
        const match: HTTPMatchRequest = {
          uri: part.uri,
          ...(m.method ? { method: { exact: m.method } } : {}),
          ...(nameMatches(m.headers) ? { headers: nameMatches(m.headers)! } : {}),
          ...(nameMatches(m.queryParams) ? { queryParams: nameMatches(m.queryParams)! } : {}),
        };
        const r: HTTPRoute = {
          name: `${route.meta.namespace}.${route.meta.name}.${ri}`,
          match: [match],
          provenance,
          ...actionOf(rule.filters, part, dests, retryAndTimeouts(rule), 'HTTPRoute', route.meta.namespace, ctx),
        };
        entries.push({
          route: r,
          key: {
            path: m.path,
            method: !!m.method,
            headers: m.headers.length,
            query: m.queryParams.length,
            created: route.created,
            ns: route.meta.namespace,
            name: route.meta.name,
            rule: ri,
            match: mi,
          },
        });
      }
    });
  });
  return { entries, ...(refProblem ? { refProblem } : {}) };
}

/** A GRPCRoute method match as a path match. */
function grpcPath(m: GwGRPCRouteMatch): GwHTTPRouteMatch['path'] {
  const mm = m.method;
  if (!mm) return { type: 'PathPrefix', value: '/' };
  if (mm.type === 'Exact') {
    if (mm.service && mm.method) return { type: 'Exact', value: `/${mm.service}/${mm.method}` };
    if (mm.service) return { type: 'PathPrefix', value: `/${mm.service}` };
    return { type: 'RegularExpression', value: `/[^/]+/${regexEscape(mm.method ?? '')}` };
  }
  return { type: 'RegularExpression', value: `/${mm.service ?? '[^/]+'}/${mm.method ?? '[^/]+'}` };
}

export function grpcRouteEntries(route: GwGRPCRoute, ctx: HttpContext): RuleResult {
  const entries: Entry[] = [];
  let refProblem: RuleResult['refProblem'];
  const provenance = routePath('GRPCRoute', route.meta.namespace, route.meta.name);
  route.rules.forEach((rule, ri) => {
    const { dests, problem } = destinations(rule.backendRefs, 'GRPCRoute', route.meta.namespace, ctx);
    refProblem ??= problem;
    const matches: GwGRPCRouteMatch[] = rule.matches.length ? [...rule.matches] : [{ headers: [] }];
    matches.forEach((m, mi) => {
      const path = grpcPath(m);
      // A service prefix `/pkg.Svc/` already ends at a segment boundary: no split needed.
      const part: UriPart =
        path.type === 'PathPrefix'
          ? { uri: { prefix: path.value === '/' ? '/' : `${path.value}/` }, prefixPart: 'prefix' }
          : path.type === 'Exact'
            ? { uri: { exact: path.value }, prefixPart: 'none' }
            : { uri: { regex: path.value }, prefixPart: 'none' };
      const match: HTTPMatchRequest = { uri: part.uri, ...(nameMatches(m.headers) ? { headers: nameMatches(m.headers)! } : {}) };
      const r: HTTPRoute = {
        name: `${route.meta.namespace}.${route.meta.name}.${ri}`,
        match: [match],
        provenance,
        ...actionOf(rule.filters, part, dests, {}, 'GRPCRoute', route.meta.namespace, ctx),
      };
      entries.push({
        route: r,
        key: {
          path,
          method: false,
          headers: m.headers.length,
          query: 0,
          created: route.created,
          ns: route.meta.namespace,
          name: route.meta.name,
          rule: ri,
          match: mi,
        },
      });
    });
  });
  return { entries, ...(refProblem ? { refProblem } : {}) };
}
