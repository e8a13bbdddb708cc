/**
 * @module translators/filters/alpn
 * `istio.alpn` (istio-proxy's ALPN override) in sidecar outbound and gateway HCMs, as istiod adds it
 * (features.ALPNFilter, on by default): an upstream istio mTLS connection then offers
 * `istio-http/1.0`, `istio-http/1.1` or `istio-h2` (with `istio` and the plain protocol), so the
 * server sidecar's inbound chains recognise it as HTTP — HTTP metrics and policies even on ports
 * the server did not declare. Clusters with a DestinationRule's own TLS (SIMPLE, MUTUAL) carry
 * `istio.alpn_override: "false"` metadata (translators/cluster.ts) and keep their ALPN. The config
 * is istio-proxy's, sent as a TypedStruct (translators/telemetry/istio-filters.ts).
 */
import { typedStruct } from '../telemetry/istio-filters.js';
import type { HttpFilterFeature } from './types.js';

export const ALPN_FILTER = 'istio.alpn';

const override = (upstream_protocol: string, alpn: string) => ({
  upstream_protocol,
  alpn_override: [alpn, 'istio', alpn.replace('istio-', '')],
});

const CONFIG = typedStruct('istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig', {
  alpn_override: [override('HTTP10', 'istio-http/1.0'), override('HTTP11', 'istio-http/1.1'), override('HTTP2', 'istio-h2')],
});

export const alpn: HttpFilterFeature = {
  name: ALPN_FILTER,
  filters: (ctx) =>
    ctx.listenerClass === 'sidecar-outbound' || ctx.listenerClass === 'gateway' ? [{ name: ALPN_FILTER, typed_config: CONFIG }] : [],
};
