/**
 * @module translators/hcm
 * The HttpConnectionManager every generator puts in its listeners: RDS over ADS for a route config
 * name, and the HTTP filter chain from the filter registry (translators/filters), named
 * canonically (`envoy.filters.http.*`, which MOSN needs since it matches filters by name).
 * Envoy HCMs get istiod's connection settings; proxyless gRPC ones only what gRPC reads.
 */
import type { HttpConnectionManager } from '../proto/types.js';
import { httpFilters } from './filters/index.js';
import { isGrpcClass, type HttpListenerContext, type ListenerClass, type ListenerPort } from './filters/types.js';
import type { Scope } from './scope.js';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** The filter registry's view of a listener of `scope`'s proxy. */
export function listenerContext(scope: Scope, listenerClass: ListenerClass, port: ListenerPort): HttpListenerContext {
  return { mesh: scope.mesh, proxy: scope.proxy, labels: scope.labels, listenerClass, port };
}

export function rdsHcm(statPrefix: string, routeConfigName: string, ctx: HttpListenerContext): HttpConnectionManager {
  const hcm: HttpConnectionManager = {
    stat_prefix: statPrefix,
    rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: routeConfigName },
    http_filters: httpFilters(ctx),
  };
  if (!isGrpcClass(ctx.listenerClass)) {
    hcm.codec_type = 'AUTO';
    hcm.use_remote_address = { value: false };
    hcm.normalize_path = { value: true };
    hcm.path_with_escaped_slashes_action = 'KEEP_UNCHANGED';
    hcm.stream_idle_timeout = { seconds: 0 };
  }
  return hcm;
}
