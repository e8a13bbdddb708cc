/**
 * @module model/meshconfig
 * The mesh-wide settings istiod reads from the `mesh` key of its ConfigMap (MeshConfig), reduced
 * to what tspilot translates: trust domain, root namespace (where mesh-wide Sidecars live),
 * outbound traffic policy (ALLOW_ANY → PassthroughCluster, REGISTRY_ONLY → BlackHoleCluster),
 * default connect timeout, default HTTP retry policy, auto mTLS and ext_authz extension providers,
 * and from `defaultConfig` (ProxyConfig) the gateway topology. Plain readonly data with istiod's defaults.
 */
import type { HTTPRetry } from './istio.js';

export type OutboundTrafficPolicy = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** How a gateway forwards client certificates (MeshConfig ForwardClientCertDetails; Envoy's names). */
export type ForwardClientCertDetails = 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';
export const FORWARD_CLIENT_CERT_DETAILS: readonly ForwardClientCertDetails[] = [
  'SANITIZE',
  'FORWARD_ONLY',
  'APPEND_FORWARD',
  'SANITIZE_SET',
  'ALWAYS_FORWARD_ONLY',
];

/** ProxyConfig.gatewayTopology: where a gateway sits (trusted proxies in front of it, XFCC handling). */
export interface GatewayTopology {
  readonly numTrustedProxies?: number;
  readonly forwardClientCertDetails?: ForwardClientCertDetails;
}

/** The part of ProxyConfig (mesh `defaultConfig`, pod annotation `proxy.istio.io/config`) tspilot translates. */
export interface ProxyConfigSettings {
  readonly gatewayTopology?: GatewayTopology;
}

export interface MeshSettings {
  readonly trustDomain: string;
  readonly rootNamespace: string;
  readonly outboundTrafficPolicy: OutboundTrafficPolicy;
  /** Cluster connect timeout when no DestinationRule sets one (istiod: 10s). */
  readonly connectTimeout: string;
  /** Retry policy for routes that set none; undefined = istiod's built-in default (2 attempts). */
  readonly defaultHttpRetryPolicy?: HTTPRetry;
  /** MeshConfig `defaultConfig` (ProxyConfig), the parts tspilot reads. */
  readonly defaultConfig?: ProxyConfigSettings;
  /**
   * Auto mTLS (istiod's `enableAutoMtls`, default on): clusters without a DestinationRule TLS
   * setting send istio mTLS to endpoints labelled `security.istio.io/tlsMode: istio`.
   */
  readonly enableAutoMtls: boolean;
  /** External authorizers CUSTOM AuthorizationPolicies name (`extensionProviders`, ext_authz only). */
  readonly extensionProviders?: readonly ExtensionProvider[];
}

/** An `extensionProviders` entry of the mesh config: an ext_authz service over HTTP or gRPC. */
export interface ExtensionProvider {
  readonly name: string;
  readonly envoyExtAuthzHttp?: ExtAuthzProvider & {
    readonly pathPrefix?: string;
    readonly includeRequestHeadersInCheck?: readonly string[];
    readonly includeAdditionalHeadersInCheck?: Readonly<Record<string, string>>;
    readonly headersToUpstreamOnAllow?: readonly string[];
    readonly headersToDownstreamOnDeny?: readonly string[];
  };
  readonly envoyExtAuthzGrpc?: ExtAuthzProvider;
}

export interface ExtAuthzProvider {
  /** `host` or `namespace/host` of a service in the registry. */
  readonly service: string;
  readonly port: number;
  readonly timeout?: string;
  readonly failOpen?: boolean;
  /** HTTP status to answer when the authorizer is unreachable (e.g. "503"). */
  readonly statusOnError?: string;
}

export const DEFAULT_MESH_SETTINGS: MeshSettings = {
  trustDomain: 'cluster.local',
  rootNamespace: 'istio-system',
  outboundTrafficPolicy: 'ALLOW_ANY',
  connectTimeout: '10s',
  enableAutoMtls: true,
};
