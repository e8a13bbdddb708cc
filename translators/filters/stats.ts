/**
 * @module translators/filters/stats
 * `istio.stats`: the filter behind `istio_requests_total` and the other standard metrics, after
 * CORS and before the router as istiod places the Telemetry filters. One per Prometheus metrics
 * provider in scope (by default the built-in `prometheus`), configured by the Telemetry API's
 * metric overrides for the listener's mode (translators/telemetry); none where the Telemetries
 * disable all metrics for that mode. Not for proxyless gRPC (istiod sends it none).
 */
import { STATS_FILTER } from '../telemetry/istio-filters.js';
import { statsConfigs } from '../telemetry/index.js';
import { isGrpcClass, type HttpFilterFeature } from './types.js';
import { versionGates } from '../versions.js';

export const stats: HttpFilterFeature = {
  name: STATS_FILTER,
  filters: (ctx) =>
    isGrpcClass(ctx.listenerClass) || versionGates(ctx.proxy).noIstiodTelemetryFilters
      ? []
      : statsConfigs({ mesh: ctx.mesh, namespace: ctx.proxy.namespace, labels: ctx.labels, listenerClass: ctx.listenerClass }).map(
          (typed_config) => ({ name: STATS_FILTER, typed_config }),
        ),
};
