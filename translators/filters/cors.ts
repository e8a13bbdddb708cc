/**
 * @module translators/filters/cors
 * `envoy.filters.http.cors`: an empty filter in every Envoy HCM (istiod puts it in all of them so
 * routes can enable it), and VirtualService `corsPolicy` as its per-route CorsPolicy. Proxyless
 * gRPC has no CORS filter: neither the filter nor the per-route config goes to gRPC listeners.
 */
import type { CorsPolicy, StringMatch } from '../../model/istio.js';
import { parseDuration } from '../../model/duration.js';
import { typedAny } from '../../proto/any.js';
import { isGrpcClass, type HttpFilterFeature } from './types.js';

export const CORS_FILTER = 'envoy.filters.http.cors';
export const CORS_TYPE = 'envoy.extensions.filters.http.cors.v3.Cors';
export const CORS_POLICY_TYPE = 'envoy.extensions.filters.http.cors.v3.CorsPolicy';

function matcher(m: StringMatch): Record<string, unknown> {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  return { safe_regex: { regex: m.regex ?? '' } };
}

export function corsPolicy(c: CorsPolicy): Record<string, unknown> {
  return {
    ...(c.allowOrigins?.length ? { allow_origin_string_match: c.allowOrigins.map(matcher) } : {}),
    ...(c.allowMethods?.length ? { allow_methods: c.allowMethods.join(',') } : {}),
    ...(c.allowHeaders?.length ? { allow_headers: c.allowHeaders.join(',') } : {}),
    ...(c.exposeHeaders?.length ? { expose_headers: c.exposeHeaders.join(',') } : {}),
    ...(c.maxAge ? { max_age: String(Math.floor((parseDuration(c.maxAge) ?? 0) / 1000)) } : {}),
    ...(c.allowCredentials !== undefined ? { allow_credentials: { value: c.allowCredentials } } : {}),
    filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
  };
}

export const cors: HttpFilterFeature = {
  name: CORS_FILTER,
  filters: (ctx) => (isGrpcClass(ctx.listenerClass) ? [] : [{ name: CORS_FILTER, typed_config: typedAny(CORS_TYPE, {}) }]),
  routeConfig: ({ route, listenerClass }) =>
    route.corsPolicy && !isGrpcClass(listenerClass) ? typedAny(CORS_POLICY_TYPE, corsPolicy(route.corsPolicy)) : undefined,
};
