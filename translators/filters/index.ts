/**
 * @module translators/filters
 * The HTTP filter registry: every HTTP feature of an HttpConnectionManager is one file in this
 * folder implementing `HttpFilterFeature` (types.ts), and `HTTP_FILTERS` lists them in the order
 * Envoy runs them. `hcm.ts` builds every HCM's `http_filters` from it, and translators/route.ts
 * every VirtualService route's `typed_per_filter_config`; neither names a filter.
 *
 * ## Adding a filter
 * 1. Write `translators/filters/<feature>.ts` exporting an `HttpFilterFeature`: `name` (the
 *    canonical `envoy.filters.http.*` name), `filters(ctx)` (the HttpFilters for this listener —
 *    return `[]` where the feature doesn't apply: by `ctx.listenerClass`, or because no policy
 *    selects `ctx.labels` in `ctx.proxy.namespace` on `ctx.port`), and, if routes carry config
 *    for it, `routeConfig(ctx)`. Build `typed_config` with `typedAny(<full proto type name>, …)`;
 *    a test (translators/typed-any.test.ts) fails if the type name is unknown to the proto registry.
 * 2. Add it to `HTTP_FILTERS` below at its phase (one import, one line).
 * 3. Add or extend a golden case (translators/testdata/<case>.in.yaml, `UPDATE_GOLDENS=1`) that
 *    shows its output, and unit-test its config function beside it.
 * Proxyless gRPC listeners (`grpc-*` classes) reject filters they don't know unless marked
 * `is_optional`: gRPC implements only fault, rbac and router (gRFC A39/A41).
 *
 * ## Order (istiod's buildHTTPConnectionManager, pilot/pkg/networking/core/listener_builder.go)
 * metadata exchange → CUSTOM authorization (ext_authz, with its shadow RBAC) → authentication
 * (jwt_authn, istio_authn) → local authorization (RBAC: DENY then ALLOW; AUDIT) → grpc-web →
 * grpc stats → istio.alpn (outbound, gateways) → fault → cors → telemetry (istio.stats) → router. The router is
 * always last. `istio.*` filters are istio-proxy's, not Envoy's (translators/telemetry).
 */
import type { Any, HttpFilter } from '../../proto/types.js';
import type { HttpFilterFeature, HttpListenerContext, HttpRouteContext } from './types.js';
import { fault } from './fault.js';
import { cors } from './cors.js';
import { router } from './router.js';
import { extAuthz } from './ext-authz.js';
import { jwtAuthn } from './jwt-authn.js';
import { rbac } from './rbac.js';
import { metadataExchange } from './metadata-exchange.js';
import { grpcStats } from './grpc-stats.js';
import { stats } from './stats.js';
import { alpn } from './alpn.js';

export type { HttpFilterFeature, HttpListenerContext, HttpRouteContext, ListenerClass, ListenerPort } from './types.js';

/** Every HTTP feature, in filter-chain order. */
export const HTTP_FILTERS: readonly HttpFilterFeature[] = [
  metadataExchange,
  extAuthz,
  jwtAuthn,
  rbac,
  grpcStats,
  alpn,
  fault,
  cors,
  stats,
  router,
];

/** The `http_filters` of an HCM for this listener. */
export function httpFilters(ctx: HttpListenerContext, features: readonly HttpFilterFeature[] = HTTP_FILTERS): HttpFilter[] {
  return features.flatMap((f) => f.filters(ctx));
}

/** A VirtualService route's `typed_per_filter_config` (filter name → config), or undefined when empty. */
export function perFilterConfig(
  ctx: HttpRouteContext,
  features: readonly HttpFilterFeature[] = HTTP_FILTERS,
): Record<string, Any> | undefined {
  const out: Record<string, Any> = {};
  for (const f of features) {
    const c = f.routeConfig?.(ctx);
    if (c) out[f.name] = c;
  }
  return Object.keys(out).length ? out : undefined;
}
