/**
 * @module translators/filters/types
 * The contract every HTTP filter feature implements (after Envoy Gateway's `httpFilter` in
 * `httpfilters.go`): given the listener an HttpConnectionManager is being built for, the filters it
 * contributes (zero or more, in its own order); given a VirtualService HTTP route, its per-route
 * config (`typed_per_filter_config`). The registry (`./index.ts`) owns the order of features.
 */
import type { MeshConfig } from '../../model/config.js';
import type { HTTPRoute, VirtualService } from '../../model/istio.js';
import type { Proxy } from '../../model/proxy.js';
import type { Any, HttpFilter } from '../../proto/types.js';
import type { Protocol } from '../protocol.js';
import type { AppliedPolicies } from '../authz/select.js';

/**
 * Which kind of listener an HCM is for — istiod's ListenerClass plus the two proxyless gRPC
 * sides. `grpc-*` listeners are read by gRPC's xDS client, which supports few filters (gRFC A39:
 * fault, rbac, router; it rejects a listener naming an unknown filter that is not optional).
 */
export type ListenerClass = 'sidecar-inbound' | 'sidecar-outbound' | 'gateway' | 'grpc-outbound' | 'grpc-inbound';

/** The port an HCM serves: its number, and where known its name and protocol. */
export interface ListenerPort {
  readonly number: number;
  /** The service (or gateway server) port name, when one port name applies. */
  readonly name?: string;
  readonly protocol?: Protocol;
}

/** Everything a filter may use to decide its config for one workload and one port. */
export interface HttpListenerContext {
  readonly mesh: MeshConfig;
  /** The proxy the listener is for (namespace, metadata, node ID). */
  readonly proxy: Proxy;
  /** The workload's labels, resolved as translators/scope `proxyLabels` does (metadata, else registry pod). */
  readonly labels: Readonly<Record<string, string>>;
  readonly listenerClass: ListenerClass;
  readonly port: ListenerPort;
  /** The AuthorizationPolicies and RequestAuthentications of the workload: its scope's `policies()` (recorded, translators/policy-deps.ts). */
  readonly policies: () => AppliedPolicies;
}

/** One VirtualService HTTP route, for per-route filter config. */
export interface HttpRouteContext {
  /** The listener class whose route config this is (`sidecar-outbound`, `gateway` or `grpc-outbound`). */
  readonly listenerClass: ListenerClass;
  readonly route: HTTPRoute;
  readonly virtualService: VirtualService;
}

export interface HttpFilterFeature {
  /** The canonical Envoy filter name (`envoy.filters.http.*`): the key of its per-route config. */
  readonly name: string;
  /** The filters this feature puts in the HCM of this listener, in order; none when it doesn't apply. */
  filters(ctx: HttpListenerContext): readonly HttpFilter[];
  /** The per-route config (`typed_per_filter_config[name]`) of a VirtualService route, if any. */
  routeConfig?(ctx: HttpRouteContext): Any | undefined;
}

/** Whether the listener is read by proxyless gRPC rather than Envoy. */
export function isGrpcClass(c: ListenerClass): boolean {
  return c === 'grpc-outbound' || c === 'grpc-inbound';
}
