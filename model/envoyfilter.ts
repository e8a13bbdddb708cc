/**
 * @module model/envoyfilter
 * EnvoyFilter (networking.istio.io/v1alpha3), as validated by watchers/validate/envoyfilter.ts:
 * each patch's `value` is already decoded from proto3 JSON into the Envoy message its `applyTo`
 * names (object form: snake_case fields, Anys as `{"@type", ...}`), so the translators never
 * parse JSON. Plain readonly data.
 */
import type { ObjectMeta } from './k8s.js';
import type { WorkloadSelector } from './istio.js';

export const APPLY_TO = [
  'LISTENER',
  'FILTER_CHAIN',
  'NETWORK_FILTER',
  'HTTP_FILTER',
  'ROUTE_CONFIGURATION',
  'VIRTUAL_HOST',
  'HTTP_ROUTE',
  'CLUSTER',
  'EXTENSION_CONFIG',
  'BOOTSTRAP',
  'LISTENER_FILTER',
] as const;
export type ApplyTo = (typeof APPLY_TO)[number];
export const OPERATIONS = [
  'MERGE',
  'ADD',
  'REMOVE',
  'INSERT_BEFORE',
  'INSERT_AFTER',
  'INSERT_FIRST',
  'REPLACE',
  // Newer istiod: MERGE, except that a list the value sets replaces the existing one instead of being appended to.
  'MERGE_AND_REPLACE_LIST',
] as const;
export type PatchOperation = (typeof OPERATIONS)[number];
export const CONTEXTS = ['ANY', 'SIDECAR_INBOUND', 'SIDECAR_OUTBOUND', 'GATEWAY'] as const;
export type PatchContext = (typeof CONTEXTS)[number];
export const FILTER_CLASSES = ['UNSPECIFIED', 'AUTHN', 'AUTHZ', 'STATS'] as const;
export type FilterClass = (typeof FILTER_CLASSES)[number];

/** The Envoy message a patch value of each applyTo is decoded as (BOOTSTRAP: not served over xDS). */
export const VALUE_TYPE: Readonly<Record<ApplyTo, string>> = {
  LISTENER: 'envoy.config.listener.v3.Listener',
  FILTER_CHAIN: 'envoy.config.listener.v3.FilterChain',
  NETWORK_FILTER: 'envoy.config.listener.v3.Filter',
  HTTP_FILTER: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  ROUTE_CONFIGURATION: 'envoy.config.route.v3.RouteConfiguration',
  VIRTUAL_HOST: 'envoy.config.route.v3.VirtualHost',
  HTTP_ROUTE: 'envoy.config.route.v3.Route',
  CLUSTER: 'envoy.config.cluster.v3.Cluster',
  EXTENSION_CONFIG: 'envoy.config.core.v3.TypedExtensionConfig',
  BOOTSTRAP: 'envoy.config.bootstrap.v3.Bootstrap',
  LISTENER_FILTER: 'envoy.config.listener.v3.ListenerFilter',
};

export interface SubFilterMatch {
  readonly name?: string;
}
export interface FilterMatch {
  readonly name?: string;
  readonly subFilter?: SubFilterMatch;
}
export interface FilterChainMatch {
  readonly name?: string;
  readonly sni?: string;
  readonly transportProtocol?: string;
  readonly applicationProtocols?: string;
  readonly filter?: FilterMatch;
  readonly destinationPort?: number;
}
export interface ListenerMatch {
  readonly portNumber?: number;
  readonly name?: string;
  readonly filterChain?: FilterChainMatch;
  readonly listenerFilter?: string;
}
export interface RouteMatchSpec {
  readonly name?: string;
  readonly action?: 'ANY' | 'ROUTE' | 'REDIRECT' | 'DIRECT_RESPONSE';
}
export interface VirtualHostMatch {
  readonly name?: string;
  readonly route?: RouteMatchSpec;
}
export interface RouteConfigurationMatch {
  readonly portNumber?: number;
  readonly portName?: string;
  readonly gateway?: string;
  readonly vhost?: VirtualHostMatch;
  readonly name?: string;
}
export interface ClusterMatch {
  readonly portNumber?: number;
  readonly service?: string;
  readonly subset?: string;
  readonly name?: string;
}
export interface ProxyMatch {
  readonly proxyVersion?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ObjectMatch {
  readonly context: PatchContext;
  readonly proxy?: ProxyMatch;
  readonly listener?: ListenerMatch;
  readonly routeConfiguration?: RouteConfigurationMatch;
  readonly cluster?: ClusterMatch;
}

export interface ConfigPatch {
  readonly applyTo: ApplyTo;
  readonly match: ObjectMatch;
  readonly operation: PatchOperation;
  /** Decoded as `VALUE_TYPE[applyTo]`; absent for REMOVE. */
  readonly value?: Readonly<Record<string, unknown>>;
  readonly filterClass: FilterClass;
}

export interface TargetRef {
  readonly group?: string;
  readonly kind: string;
  readonly name: string;
}

export interface EnvoyFilterSpec {
  readonly workloadSelector?: WorkloadSelector;
  readonly targetRefs?: readonly TargetRef[];
  readonly priority: number;
  readonly configPatches: readonly ConfigPatch[];
}

export interface EnvoyFilter {
  readonly kind: 'EnvoyFilter';
  readonly meta: ObjectMeta;
  /** metadata.creationTimestamp (RFC 3339) or '' — istiod orders equal priorities by it. */
  readonly creationTimestamp: string;
  readonly spec: EnvoyFilterSpec;
}
