/**
 * @module server/http/v1/types
 * The Envoy v1 JSON shapes (Envoy ≤ 1.5 "v1 API": listeners, HTTP route configuration, cluster
 * manager, SDS registration) as Pilot's v1 REST API served them to nginmesh's agent, plus the
 * record of what a v3 → v1 rendering had to leave out. Plain data and small pure helpers.
 */

export interface V1Filter {
  readonly type: string;
  readonly name: string;
  readonly config: object;
}

export interface V1Listener {
  readonly address: string;
  readonly name: string;
  readonly filters: readonly V1Filter[];
  readonly bind_to_port: boolean;
  readonly use_original_dst?: boolean;
}

export interface V1HeaderMatch {
  readonly name: string;
  readonly value?: string;
  readonly regex?: boolean;
}

export interface V1Route {
  readonly prefix?: string;
  readonly path?: string;
  readonly regex?: string;
  readonly case_sensitive?: boolean;
  readonly cluster?: string;
  readonly weighted_clusters?: { readonly clusters: readonly { readonly name: string; readonly weight: number }[] };
  readonly headers?: readonly V1HeaderMatch[];
  readonly timeout_ms?: number;
  readonly retry_policy?: { readonly retry_on: string; readonly num_retries?: number; readonly per_try_timeout_ms?: number };
  readonly prefix_rewrite?: string;
  readonly host_rewrite?: string;
  readonly host_redirect?: string;
  readonly path_redirect?: string;
}

export interface V1VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly V1Route[];
}

export interface V1RouteConfig {
  readonly validate_clusters?: boolean;
  readonly virtual_hosts: readonly V1VirtualHost[];
}

export interface V1SslContext {
  readonly cert_chain_file?: string;
  readonly private_key_file?: string;
  readonly ca_cert_file?: string;
  readonly verify_subject_alt_name?: readonly string[];
  readonly sni?: string;
  readonly alpn_protocols?: string;
}

export interface V1Cluster {
  readonly name: string;
  readonly type: 'sds' | 'static' | 'strict_dns' | 'logical_dns' | 'original_dst';
  readonly service_name?: string;
  readonly lb_type: 'round_robin' | 'least_request' | 'random' | 'ring_hash' | 'original_dst_lb';
  readonly connect_timeout_ms: number;
  readonly hosts?: readonly { readonly url: string }[];
  readonly ssl_context?: V1SslContext;
  readonly circuit_breakers?: { readonly default: Readonly<Record<string, number>> };
  readonly outlier_detection?: Readonly<Record<string, number>>;
  readonly features?: string;
}

export interface V1Host {
  readonly ip_address: string;
  readonly port: number;
  readonly tags: { readonly az: string; readonly canary: boolean; readonly load_balancing_weight: number };
}

/**
 * Something of the v3 output a v1 answer does not carry. `level` says how much went: a whole
 * resource (`listener`, `route`, `cluster`, `host`, `virtual_host`) or one `field` whose absence
 * cannot change where traffic goes (it only narrows behaviour, e.g. fewer retry conditions).
 */
export interface Omission {
  readonly level: 'listener' | 'virtual_host' | 'route' | 'cluster' | 'host' | 'field';
  /** The v3 resource (and path inside it) that was affected. */
  readonly where: string;
  readonly reason: string;
}

export const omissionText = (o: Omission): string => `${o.level} ${o.where}: ${o.reason}`;

/** Milliseconds of a protobuf Duration as the translators build it (`{seconds, nanos}`; seconds may be a string). */
export function durationMs(d: object | null | undefined): number {
  if (!d) return 0;
  const { seconds, nanos } = d as { seconds?: unknown; nanos?: unknown };
  return Number(seconds ?? 0) * 1000 + Math.round(Number(nanos ?? 0) / 1e6);
}

/** `tcp://ip:port`, with IPv6 addresses in brackets. */
export function tcpUrl(ip: string, port: number): string {
  return ip.includes(':') ? `tcp://[${ip}]:${port}` : `tcp://${ip}:${port}`;
}

/** The v3 field names set on `obj` (own enumerable, value not undefined), for "anything else?" checks. */
export function setFields(obj: object): string[] {
  return Object.entries(obj)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k]) => k);
}
