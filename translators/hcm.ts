/**
 * @module translators/hcm
 * The HttpConnectionManager both generators put in listeners: RDS over ADS for a route config
 * name, and the HTTP filter chain (filters named canonically, `envoy.filters.http.*`, which MOSN
 * needs since it matches filters by name).
 */
import type { HttpConnectionManager, HttpFilter } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { FAULT_FILTER, FAULT_TYPE } from './route.js';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_FILTER = 'envoy.filters.http.router';
const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
const CORS_FILTER = 'envoy.filters.http.cors';
const CORS_TYPE = 'envoy.extensions.filters.http.cors.v3.Cors';

export type FilterSet = 'grpc' | 'envoy';

function httpFilters(set: FilterSet): HttpFilter[] {
  const fault: HttpFilter = { name: FAULT_FILTER, typed_config: typedAny(FAULT_TYPE, {}) };
  const router: HttpFilter = { name: ROUTER_FILTER, typed_config: typedAny(ROUTER_TYPE, {}) };
  if (set === 'grpc') return [fault, router];
  return [fault, { name: CORS_FILTER, typed_config: typedAny(CORS_TYPE, {}) }, router];
}

export function rdsHcm(statPrefix: string, routeConfigName: string, set: FilterSet): HttpConnectionManager {
  const hcm: HttpConnectionManager = {
    stat_prefix: statPrefix,
    rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: routeConfigName },
    http_filters: httpFilters(set),
  };
  if (set === 'envoy') {
    hcm.codec_type = 'AUTO';
    hcm.use_remote_address = { value: false };
    hcm.normalize_path = { value: true };
    hcm.path_with_escaped_slashes_action = 'KEEP_UNCHANGED';
    hcm.stream_idle_timeout = { seconds: 0 };
  }
  return hcm;
}
