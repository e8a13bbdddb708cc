/**
 * @module translators/cors
 * VirtualService corsPolicy → the per-route CorsPolicy of `envoy.filters.http.cors` (the filter
 * itself sits in every sidecar HCM, as istiod puts it there).
 */
import type { CorsPolicy, StringMatch } from '../model/istio.js';
import { parseDuration } from '../model/duration.js';

export const CORS_FILTER = 'envoy.filters.http.cors';
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

