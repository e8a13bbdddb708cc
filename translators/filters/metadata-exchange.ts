/**
 * @module translators/filters/metadata-exchange
 * `istio.metadata_exchange` (istio-proxy's peer metadata filter): first in every Envoy HCM, as
 * istiod's appendMxFilter puts it, so RBAC and istio.stats see the peer's workload labels — what
 * Kiali's graph and the `source_*` / `destination_*` metric labels are built from. Inbound learns
 * the downstream peer, outbound and gateways the upstream peer (translators/telemetry). Proxyless
 * gRPC has no such filter and gets none.
 */
import { httpMxConfig, MX_FILTER } from '../telemetry/istio-filters.js';
import { isGrpcClass, type HttpFilterFeature } from './types.js';
import { versionGates } from '../versions.js';

export const metadataExchange: HttpFilterFeature = {
  name: MX_FILTER,
  filters: (ctx) =>
    isGrpcClass(ctx.listenerClass) || versionGates(ctx.proxy).noIstiodTelemetryFilters
      ? []
      : [{ name: MX_FILTER, typed_config: httpMxConfig(ctx.listenerClass) }],
};
