/**
 * @module proto/typeurls
 * The xDS type URLs and the message names behind them. Pure constants (translators may import).
 */
export const TYPE_PREFIX = 'type.googleapis.com/';

export const CLUSTER = 'envoy.config.cluster.v3.Cluster';
export const ENDPOINT = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LISTENER = 'envoy.config.listener.v3.Listener';
export const ROUTE = 'envoy.config.route.v3.RouteConfiguration';

export const CDS = TYPE_PREFIX + CLUSTER;
export const EDS = TYPE_PREFIX + ENDPOINT;
export const LDS = TYPE_PREFIX + LISTENER;
export const RDS = TYPE_PREFIX + ROUTE;

export type XdsType = typeof CDS | typeof EDS | typeof LDS | typeof RDS;

/** Push order that makes before it breaks: clusters, their endpoints, listeners, their routes. */
export const PUSH_ORDER: readonly XdsType[] = [CDS, EDS, LDS, RDS];

/** Short names as istiod and istioctl print them. */
export const SHORT: Readonly<Record<XdsType, 'cds' | 'eds' | 'lds' | 'rds'>> = { [CDS]: 'cds', [EDS]: 'eds', [LDS]: 'lds', [RDS]: 'rds' };

/** Types whose responses must name every resource (wildcard-capable, state of the world is total). */
export const isWildcardType = (t: string): boolean => t === CDS || t === LDS;

export const MESSAGE_OF: Readonly<Record<XdsType, string>> = { [CDS]: CLUSTER, [EDS]: ENDPOINT, [LDS]: LISTENER, [RDS]: ROUTE };

export function isXdsType(t: string): t is XdsType {
  return t === CDS || t === EDS || t === LDS || t === RDS;
}
