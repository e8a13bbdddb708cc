/**
 * @module model/istio
 * Istio networking kinds (networking.istio.io, any served version), reduced to the fields tspilot
 * translates. Field names follow the Istio API (camelCase as in YAML). Plain readonly data.
 */
import type { ObjectMeta } from './k8s.js';

export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

export interface HTTPMatchRequest {
  readonly name?: string;
  readonly uri?: StringMatch;
  readonly scheme?: StringMatch;
  readonly method?: StringMatch;
  readonly authority?: StringMatch;
  readonly headers?: Readonly<Record<string, StringMatch>>;
  readonly withoutHeaders?: Readonly<Record<string, StringMatch>>;
  readonly queryParams?: Readonly<Record<string, StringMatch>>;
  readonly port?: number;
  readonly sourceLabels?: Readonly<Record<string, string>>;
  readonly gateways?: readonly string[];
  readonly ignoreUriCase?: boolean;
}

export interface PortSelector {
  readonly number?: number;
}

export interface Destination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: PortSelector;
}

export interface HeaderOperations {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export interface Headers {
  readonly request?: HeaderOperations;
  readonly response?: HeaderOperations;
}

export interface HTTPRouteDestination {
  readonly destination: Destination;
  readonly weight?: number;
  readonly headers?: Headers;
}

export interface HTTPRetry {
  readonly attempts?: number;
  readonly perTryTimeout?: string;
  readonly retryOn?: string;
  /** Base interval between retries (Envoy's retry_back_off.base_interval). */
  readonly backoff?: string;
  readonly retryRemoteLocalities?: boolean;
}

export interface Percent {
  readonly value?: number;
}

export interface HTTPFaultInjection {
  readonly delay?: { readonly fixedDelay?: string; readonly percentage?: Percent; readonly percent?: number };
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: string; readonly percentage?: Percent };
}

export interface HTTPRewrite {
  readonly uri?: string;
  readonly authority?: string;
  readonly uriRegexRewrite?: { readonly match: string; readonly rewrite: string };
}
export interface HTTPDirectResponse {
  readonly status: number;
  readonly body?: { readonly string?: string; readonly bytes?: string };
}
export interface CorsPolicy {
  readonly allowOrigins?: readonly StringMatch[];
  readonly allowMethods?: readonly string[];
  readonly allowHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAge?: string;
  readonly allowCredentials?: boolean;
}
export interface HTTPRedirect {
  readonly uri?: string;
  readonly authority?: string;
  readonly redirectCode?: number;
  readonly port?: number;
  readonly scheme?: string;
  /** Replace the matched prefix only (Envoy's prefix_rewrite). Set by the Gateway API conversion (ReplacePrefixMatch), not readable from YAML. */
  readonly prefixRewrite?: string;
}

export interface HTTPRoute {
  readonly name?: string;
  readonly match?: readonly HTTPMatchRequest[];
  readonly route?: readonly HTTPRouteDestination[];
  readonly redirect?: HTTPRedirect;
  readonly rewrite?: HTTPRewrite;
  readonly timeout?: string;
  readonly retries?: HTTPRetry;
  readonly fault?: HTTPFaultInjection;
  readonly headers?: Headers;
  readonly directResponse?: HTTPDirectResponse;
  readonly mirror?: Destination;
  readonly mirrorPercentage?: Percent;
  readonly corsPolicy?: CorsPolicy;
  /**
   * Provenance of a route converted from another kind (the Gateway API's HTTPRoute/GRPCRoute
   * config path), used instead of the VirtualService's in `istio.config`. Not readable from YAML.
   */
  readonly provenance?: string;
}

export interface RouteDestination {
  readonly destination: Destination;
  readonly weight?: number;
}
export interface L4MatchAttributes {
  readonly destinationSubnets?: readonly string[];
  readonly port?: number;
  readonly sourceLabels?: Readonly<Record<string, string>>;
  readonly gateways?: readonly string[];
}
export interface TLSMatchAttributes extends L4MatchAttributes {
  readonly sniHosts: readonly string[];
}
export interface TCPRoute {
  readonly match?: readonly L4MatchAttributes[];
  readonly route: readonly RouteDestination[];
  /** Provenance of a route converted from the Gateway API (TCPRoute/TLSRoute config path), as on HTTPRoute. Not readable from YAML. */
  readonly provenance?: string;
}
export interface TLSRoute {
  readonly match: readonly TLSMatchAttributes[];
  readonly route: readonly RouteDestination[];
  readonly provenance?: string;
}

export interface VirtualServiceSpec {
  readonly hosts: readonly string[];
  readonly gateways?: readonly string[];
  readonly http?: readonly HTTPRoute[];
  readonly tcp?: readonly TCPRoute[];
  readonly tls?: readonly TLSRoute[];
  readonly exportTo?: readonly string[];
}

export interface VirtualService {
  readonly kind: 'VirtualService';
  readonly meta: ObjectMeta;
  readonly spec: VirtualServiceSpec;
}

export interface LoadBalancerSettings {
  readonly simple?: 'UNSPECIFIED' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_REQUEST';
  readonly consistentHash?: {
    readonly httpHeaderName?: string;
    readonly useSourceIp?: boolean;
    readonly httpQueryParameterName?: string;
    readonly minimumRingSize?: number;
    readonly ringHash?: { readonly minimumRingSize?: number };
    readonly maglev?: { readonly tableSize?: number };
    readonly httpCookie?: { readonly name: string; readonly path?: string; readonly ttl?: string };
  };
  readonly localityLbSetting?: LocalityLbSetting;
}

/**
 * Locality-aware load balancing (Istio's LocalityLoadBalancerSetting). Localities are
 * `region/zone/subzone` strings; `*` may end one. `distribute` weights apply to proxies in `from`;
 * `failover` (region → region) and `failoverPriority` (label names, or `label=value` overrides)
 * order endpoints into priorities and need outlier detection to take effect.
 */
export interface LocalityLbSetting {
  readonly enabled?: boolean;
  readonly distribute?: readonly { readonly from: string; readonly to: Readonly<Record<string, number>> }[];
  readonly failover?: readonly { readonly from: string; readonly to: string }[];
  readonly failoverPriority?: readonly string[];
}

export interface ConnectionPoolSettings {
  readonly tcp?: { readonly maxConnections?: number; readonly connectTimeout?: string };
  readonly http?: {
    readonly http1MaxPendingRequests?: number;
    readonly http2MaxRequests?: number;
    readonly maxRequestsPerConnection?: number;
    readonly maxRetries?: number;
    readonly idleTimeout?: string;
  };
}

export interface TrafficPolicy {
  readonly loadBalancer?: LoadBalancerSettings;
  readonly connectionPool?: ConnectionPoolSettings;
  readonly outlierDetection?: {
    readonly consecutive5xxErrors?: number;
    readonly consecutiveGatewayErrors?: number;
    readonly interval?: string;
    readonly baseEjectionTime?: string;
    readonly maxEjectionPercent?: number;
    readonly minHealthPercent?: number;
  };
  readonly tls?: ClientTLSSettings;
  readonly portLevelSettings?: readonly PortTrafficPolicy[];
}

export interface ClientTLSSettings {
  readonly mode?: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  readonly sni?: string;
  readonly subjectAltNames?: readonly string[];
  readonly credentialName?: string;
  readonly clientCertificate?: string;
  readonly privateKey?: string;
  readonly caCertificates?: string;
  /** CA certificates as PEM (a BackendTLSPolicy's ConfigMap, resolved at the store). Not readable from YAML. */
  readonly caCertificatesPem?: string;
}

/** A traffic policy for one port (DestinationRule portLevelSettings). */
export interface PortTrafficPolicy extends Omit<TrafficPolicy, 'portLevelSettings'> {
  readonly port: PortSelector;
}

export interface Subset {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicy;
  readonly subsets?: readonly Subset[];
  readonly exportTo?: readonly string[];
}

export interface DestinationRule {
  readonly kind: 'DestinationRule';
  readonly meta: ObjectMeta;
  readonly spec: DestinationRuleSpec;
}

/** Selects workloads (pods, WorkloadEntries) by labels. */
export interface WorkloadSelector {
  readonly labels: Readonly<Record<string, string>>;
}

export interface ServiceEntryPort {
  readonly number: number;
  readonly protocol?: string;
  readonly name: string;
  readonly targetPort?: number;
}

export interface WorkloadEntrySpec {
  readonly address: string;
  readonly ports?: Readonly<Record<string, number>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly network?: string;
  readonly locality?: string;
  readonly weight?: number;
  readonly serviceAccount?: string;
}

export interface ServiceEntrySpec {
  readonly hosts: readonly string[];
  readonly addresses?: readonly string[];
  readonly ports: readonly ServiceEntryPort[];
  readonly location?: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  readonly resolution?: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  readonly endpoints?: readonly WorkloadEntrySpec[];
  readonly workloadSelector?: WorkloadSelector;
  readonly exportTo?: readonly string[];
  readonly subjectAltNames?: readonly string[];
}

export interface ServiceEntry {
  readonly kind: 'ServiceEntry';
  readonly meta: ObjectMeta;
  readonly spec: ServiceEntrySpec;
}
export interface WorkloadEntry {
  readonly kind: 'WorkloadEntry';
  readonly meta: ObjectMeta;
  readonly spec: WorkloadEntrySpec;
}

/** Sidecar listener capture: DEFAULT follows the proxy's interception mode; NONE binds a real listener; IPTABLES is captured. */
export type CaptureMode = 'DEFAULT' | 'IPTABLES' | 'NONE';
export interface IstioEgressListener {
  readonly hosts: readonly string[];
  /** Port 0 with a `unix://` bind is a Unix domain socket listener. */
  readonly port?: { readonly number: number; readonly protocol?: string; readonly name?: string };
  /** The listener address (an IP, or `unix://path` for port 0). */
  readonly bind?: string;
  readonly captureMode?: CaptureMode;
}
/** A Sidecar ingress listener: the port the proxy accepts on and where it forwards (`127.0.0.1:P`, `0.0.0.0:P`, `unix://path`). */
export interface IstioIngressListener {
  readonly port: { readonly number: number; readonly protocol: string; readonly name: string };
  readonly defaultEndpoint?: string;
  /** The IP a bound (captureMode NONE) listener binds; default the workload's IP. */
  readonly bind?: string;
  readonly captureMode?: CaptureMode;
  /** TLS the sidecar terminates on this port (file-mounted certificates; SIMPLE, MUTUAL, OPTIONAL_MUTUAL). */
  readonly tls?: ServerTLSSettings;
  /** Circuit breakers and timeouts of this port's inbound cluster (over the Sidecar's inboundConnectionPool). */
  readonly connectionPool?: ConnectionPoolSettings;
}
export interface SidecarSpec {
  readonly workloadSelector?: WorkloadSelector;
  readonly ingress?: readonly IstioIngressListener[];
  readonly egress?: readonly IstioEgressListener[];
  readonly outboundTrafficPolicy?: {
    readonly mode?: 'ALLOW_ANY' | 'REGISTRY_ONLY';
    /** ALLOW_ANY only: where traffic to unknown destinations goes instead of PassthroughCluster. */
    readonly egressProxy?: { readonly host: string; readonly subset?: string; readonly port: { readonly number: number } };
  };
  /** Connection pool of every inbound cluster of the workload (an ingress listener's own wins). */
  readonly inboundConnectionPool?: ConnectionPoolSettings;
}
export interface Sidecar {
  readonly kind: 'Sidecar';
  readonly meta: ObjectMeta;
  readonly spec: SidecarSpec;
}

export interface ServerTLSSettings {
  readonly mode?: 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';
  readonly credentialName?: string;
  readonly httpsRedirect?: boolean;
  readonly subjectAltNames?: readonly string[];
  /** File-mounted certificate, key and CA paths in the gateway pod (used when there is no credentialName). */
  readonly serverCertificate?: string;
  readonly privateKey?: string;
  readonly caCertificates?: string;
}
export interface GatewayServer {
  readonly port: { readonly number: number; readonly protocol: string; readonly name: string; readonly targetPort?: number };
  readonly hosts: readonly string[];
  readonly tls?: ServerTLSSettings;
  readonly name?: string;
}
export interface GatewaySpec {
  readonly selector?: Readonly<Record<string, string>>;
  readonly servers: readonly GatewayServer[];
}
export interface Gateway {
  readonly kind: 'Gateway';
  readonly meta: ObjectMeta;
  readonly spec: GatewaySpec;
}
