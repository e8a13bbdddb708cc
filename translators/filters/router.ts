/**
 * @module translators/filters/router
 * `envoy.filters.http.router`, the terminal filter of every HCM (Envoy and proxyless gRPC alike).
 * It must stay last in the registry.
 */
import { typedAny } from '../../proto/any.js';
import type { HttpFilterFeature } from './types.js';

export const ROUTER_FILTER = 'envoy.filters.http.router';
export const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';

export const router: HttpFilterFeature = {
  name: ROUTER_FILTER,
  filters: () => [{ name: ROUTER_FILTER, typed_config: typedAny(ROUTER_TYPE, {}) }],
};
