/**
 * @module proto/typeurls
 * The xDS type URLs and the message names behind them. Pure constants (translators may import).
 * Besides Envoy's four, tspilot serves what pilot-agent asks istiod for on the same ADS stream:
 * gateway secrets (SDS, `Secret`) and the DNS name table (NDS, `NameTable`, one unnamed resource);
 * and what EnvoyFilter EXTENSION_CONFIG patches define (ECDS, `TypedExtensionConfig`, by name).
 */
export const TYPE_PREFIX = 'type.googleapis.com/';

export const CLUSTER = 'envoy.config.cluster.v3.Cluster';
export const ENDPOINT = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LISTENER = 'envoy.config.listener.v3.Listener';
export const ROUTE = 'envoy.config.route.v3.RouteConfiguration';
export const SECRET = 'envoy.extensions.transport_sockets.tls.v3.Secret';
export const NAME_TABLE = 'istio.networking.nds.v1.NameTable';
export const EXTENSION_CONFIG = 'envoy.config.core.v3.TypedExtensionConfig';

export const CDS = TYPE_PREFIX + CLUSTER;
export const EDS = TYPE_PREFIX + ENDPOINT;
export const LDS = TYPE_PREFIX + LISTENER;
export const RDS = TYPE_PREFIX + ROUTE;
export const SDS = TYPE_PREFIX + SECRET;
export const NDS = TYPE_PREFIX + NAME_TABLE;
export const ECDS = TYPE_PREFIX + EXTENSION_CONFIG;

/** Envoy's own configuration types (what config_dump, explain and diff look at). */
export type EnvoyXdsType = typeof CDS | typeof EDS | typeof LDS | typeof RDS;
export type XdsType = EnvoyXdsType | typeof SDS | typeof NDS | typeof ECDS;

/**
 * Push order that makes before it breaks: clusters, their endpoints, listeners, their routes —
 * then, as istiod orders them, secrets and the name table; extension configs last (istiod pushes
 * ECDS after its ordered types: Envoy shares one ECDS subscription per name across listeners, so a
 * listener naming a config it already holds does not wait for a resend).
 */
export const PUSH_ORDER: readonly XdsType[] = [CDS, EDS, LDS, RDS, SDS, NDS, ECDS];

/** Short names as istiod and istioctl print them. */
export const SHORT: Readonly<Record<XdsType, 'cds' | 'eds' | 'lds' | 'rds' | 'sds' | 'nds' | 'ecds'>> = {
  [CDS]: 'cds',
  [EDS]: 'eds',
  [LDS]: 'lds',
  [RDS]: 'rds',
  [SDS]: 'sds',
  [NDS]: 'nds',
  [ECDS]: 'ecds',
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
 * ECDS: Envoy always names the configs its listeners reference; a wildcard subscription (a
 * debugging client) gets every config the proxy's EnvoyFilters define (istiod sends nothing).
 */
export const isWildcardType = (t: string): boolean => t === CDS || t === LDS || t === NDS || t === ECDS;

export const MESSAGE_OF: Readonly<Record<XdsType, string>> = {
  [CDS]: CLUSTER,
  [EDS]: ENDPOINT,
  [LDS]: LISTENER,
  [RDS]: ROUTE,
  [SDS]: SECRET,
  [NDS]: NAME_TABLE,
  [ECDS]: EXTENSION_CONFIG,
};

export function isEnvoyXdsType(t: string): t is EnvoyXdsType {
  return t === CDS || t === EDS || t === LDS || t === RDS;
}

export function isXdsType(t: string): t is XdsType {
  return t === CDS || t === EDS || t === LDS || t === RDS || t === SDS || t === NDS || t === ECDS;
}
