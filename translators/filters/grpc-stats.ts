/**
 * @module translators/filters/grpc-stats
 * `envoy.filters.http.grpc_stats` in every Envoy HCM, as istiod adds it (emitting filter state,
 * no per-method stats): istio.stats reads its message counts for `istio_request_messages_total` /
 * `istio_response_messages_total`. Not for proxyless gRPC.
 */
import { typedAny } from '../../proto/any.js';
import { isGrpcClass, type HttpFilterFeature } from './types.js';
import { versionGates } from '../versions.js';

export const GRPC_STATS_FILTER = 'envoy.filters.http.grpc_stats';

export const grpcStats: HttpFilterFeature = {
  name: GRPC_STATS_FILTER,
  filters: (ctx) =>
    isGrpcClass(ctx.listenerClass) || versionGates(ctx.proxy).noIstiodTelemetryFilters
      ? []
      : [
          {
            name: GRPC_STATS_FILTER,
            typed_config: typedAny('envoy.extensions.filters.http.grpc_stats.v3.FilterConfig', {
              emit_filter_state: true,
              stats_for_all_methods: { value: false },
            }),
          },
        ],
};
