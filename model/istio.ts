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

export interface PortSelector { readonly number?: number }

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
  readonly retryRemoteLocalities?: boolean;
}

export interface Percent { readonly value?: number }

export interface HTTPFaultInjection {
  readonly delay?: { readonly fixedDelay?: string; readonly percentage?: Percent; readonly percent?: number };
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: string; readonly percentage?: Percent };
}

export interface HTTPRewrite { readonly uri?: string; readonly authority?: string }
export interface HTTPRedirect { readonly uri?: string; readonly authority?: string; readonly redirectCode?: number; readonly port?: number; readonly scheme?: string }

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
}

export interface VirtualServiceSpec {
  readonly hosts: readonly string[];
  readonly gateways?: readonly string[];
  readonly http?: readonly HTTPRoute[];
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
  };
}

export interface TrafficPolicy {
  readonly loadBalancer?: LoadBalancerSettings;
  readonly connectionPool?: {
    readonly tcp?: { readonly maxConnections?: number; readonly connectTimeout?: string };
    readonly http?: { readonly http1MaxPendingRequests?: number; readonly http2MaxRequests?: number; readonly maxRequestsPerConnection?: number; readonly maxRetries?: number; readonly idleTimeout?: string };
  };
  readonly outlierDetection?: {
    readonly consecutive5xxErrors?: number; readonly consecutiveGatewayErrors?: number; readonly interval?: string;
    readonly baseEjectionTime?: string; readonly maxEjectionPercent?: number; readonly minHealthPercent?: number;
  };
  readonly tls?: { readonly mode?: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL'; readonly sni?: string; readonly subjectAltNames?: readonly string[]; readonly credentialName?: string };
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
