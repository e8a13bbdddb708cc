/**
 * @module model/meshconfig
 * The mesh-wide settings istiod reads from the `mesh` key of its ConfigMap (MeshConfig), reduced
 * to what tspilot translates: trust domain, root namespace (where mesh-wide Sidecars live),
 * outbound traffic policy (ALLOW_ANY → PassthroughCluster, REGISTRY_ONLY → BlackHoleCluster),
 * default connect timeout, default HTTP retry policy, auto mTLS, extension providers (ext_authz and
 * telemetry: Prometheus, file/OpenTelemetry access logs, OpenTelemetry/Zipkin tracing) with the
 * default providers and the legacy access log settings,
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
  /**
   * `defaultProviders` (absent = istiod's default: metrics by `prometheus`). The built-in providers
   * `prometheus` and `envoy` (file access log to /dev/stdout) exist unless `extensionProviders`
   * defines the name (translators/telemetry/providers.ts).
   */
  readonly defaultProviders?: DefaultProviders;
  /** The legacy mesh-wide access log (`accessLogFile`, `accessLogFormat`, `accessLogEncoding` TEXT|JSON). */
  readonly accessLogFile?: string;
  readonly accessLogFormat?: string;
  readonly accessLogEncoding?: 'TEXT' | 'JSON';
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
  /** Metrics by istio.stats (Prometheus scrape of the proxy). */
  readonly prometheus?: Record<string, never>;
  /** Envoy's file access log (`path`, `/dev/stdout` by default; text or JSON-label format). */
  readonly envoyFileAccessLog?: { readonly path?: string; readonly logFormat?: AccessLogFormat };
  /** OpenTelemetry access log service (gRPC ALS to `service:port`). */
  readonly envoyOtelAls?: TelemetryService & { readonly logName?: string; readonly logFormat?: AccessLogFormat };
  /** Tracing to an OpenTelemetry collector over gRPC. */
  readonly opentelemetry?: TelemetryService & { readonly maxTagLength?: number };
  /** Tracing to a Zipkin collector. */
  readonly zipkin?: TelemetryService & { readonly maxTagLength?: number };
}

/** An access log format: a text line or JSON with these labels (name → Envoy command operator). */
export interface AccessLogFormat {
  readonly text?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A telemetry backend: `host` or `namespace/host` of a service in the registry, and its port. */
export interface TelemetryService {
  readonly service: string;
  readonly port: number;
}

/** MeshConfig `defaultProviders`: the providers used where no Telemetry names one. */
export interface DefaultProviders {
  readonly metrics?: readonly string[];
  readonly accessLogging?: readonly string[];
  readonly tracing?: readonly string[];
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
