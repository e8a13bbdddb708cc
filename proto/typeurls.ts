/**
 * @module proto/typeurls
 * The xDS type URLs and the message names behind them. Pure constants (translators may import).
 * Besides Envoy's four, tspilot serves what pilot-agent asks istiod for on the same ADS stream:
 * gateway secrets (SDS, `Secret`) and the DNS name table (NDS, `NameTable`, one unnamed resource).
 */
export const TYPE_PREFIX = 'type.googleapis.com/';

export const CLUSTER = 'envoy.config.cluster.v3.Cluster';
export const ENDPOINT = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LISTENER = 'envoy.config.listener.v3.Listener';
export const ROUTE = 'envoy.config.route.v3.RouteConfiguration';
export const SECRET = 'envoy.extensions.transport_sockets.tls.v3.Secret';
export const NAME_TABLE = 'istio.networking.nds.v1.NameTable';

export const CDS = TYPE_PREFIX + CLUSTER;
export const EDS = TYPE_PREFIX + ENDPOINT;
export const LDS = TYPE_PREFIX + LISTENER;
export const RDS = TYPE_PREFIX + ROUTE;
export const SDS = TYPE_PREFIX + SECRET;
export const NDS = TYPE_PREFIX + NAME_TABLE;

/** Envoy's own configuration types (what config_dump, explain and diff look at). */
export type EnvoyXdsType = typeof CDS | typeof EDS | typeof LDS | typeof RDS;
export type XdsType = EnvoyXdsType | typeof SDS | typeof NDS;

/**
 * Push order that makes before it breaks: clusters, their endpoints, listeners, their routes —
 * then, as istiod orders them, secrets and the name table.
 */
export const PUSH_ORDER: readonly XdsType[] = [CDS, EDS, LDS, RDS, SDS, NDS];

/** Short names as istiod and istioctl print them. */
export const SHORT: Readonly<Record<XdsType, 'cds' | 'eds' | 'lds' | 'rds' | 'sds' | 'nds'>> = {
  [CDS]: 'cds',
  [EDS]: 'eds',
  [LDS]: 'lds',
  [RDS]: 'rds',
  [SDS]: 'sds',
  [NDS]: 'nds',
};

/**
 * The same names for code that only handles Envoy's configuration types (config_dump, explain,
 * diff). The type URLs are plain `string`s to the compiler, so the narrower value type is a
 * promise the callers keep by passing only CDS, EDS, LDS or RDS (see isEnvoyXdsType).
 */
export const ENVOY_SHORT = SHORT as Readonly<Record<EnvoyXdsType, 'cds' | 'eds' | 'lds' | 'rds'>>;

/**
 * Types whose responses must name every resource (wildcard-capable, state of the world is total).
 * The name table is one unnamed resource that pilot-agent requests without names: a wildcard.
 */
export const isWildcardType = (t: string): boolean => t === CDS || t === LDS || t === NDS;

export const MESSAGE_OF: Readonly<Record<XdsType, string>> = {
  [CDS]: CLUSTER,
  [EDS]: ENDPOINT,
  [LDS]: LISTENER,
  [RDS]: ROUTE,
  [SDS]: SECRET,
  [NDS]: NAME_TABLE,
};

export function isEnvoyXdsType(t: string): t is EnvoyXdsType {
  return t === CDS || t === EDS || t === LDS || t === RDS;
}

export function isXdsType(t: string): t is XdsType {
  return t === CDS || t === EDS || t === LDS || t === RDS || t === SDS || t === NDS;
}
