/**
 * @module model/gatewayapi
 * The Kubernetes Gateway API kinds (gateway.networking.k8s.io v1 / v1beta1 / v1alpha2), reduced
 * to the fields tspilot converts, with every defaulted field filled in by validation (weights,
 * allowedRoutes, match types), plus the status conditions the conversion computes for them.
 * The Gateway API `Gateway` is kind `KubernetesGateway` here (as istiod names it internally), so
 * its key never collides with Istio's own Gateway. Plain readonly data.
 */
import type { ObjectMeta } from './k8s.js';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** The controller istiod registers (and tspilot answers to) in GatewayClass.spec.controllerName. */
export const ISTIO_GATEWAY_CONTROLLER = 'istio.io/gateway-controller';

/** The config path a route converted from a Gateway API route carries as its provenance (istio.config, explain). */
export function gatewayApiRoutePath(kind: string, ns: string, name: string): string {
  return `/apis/${GATEWAY_API_GROUP}/v1/namespaces/${ns}/${kind.toLowerCase()}/${name}`;
}

export interface GwParentRef {
  readonly group: string;
  readonly kind: string;
  /** Defaults to the route's namespace. */
  readonly namespace: string;
  readonly name: string;
  readonly sectionName?: string;
  readonly port?: number;
}

export interface GwBackendRef {
  /** '' (core Service) or `networking.istio.io` (kind Hostname: a ServiceEntry host). */
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly port?: number;
  /** Defaults to 1. */
  readonly weight: number;
}

export interface GwHeaderMatch {
  readonly type: 'Exact' | 'RegularExpression';
  readonly name: string;
  readonly value: string;
}
export interface GwPathMatch {
  readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  readonly value: string;
}

export interface GwHTTPRouteMatch {
  readonly path: GwPathMatch;
  readonly headers: readonly GwHeaderMatch[];
  readonly queryParams: readonly GwHeaderMatch[];
  readonly method?: string;
}

export interface GwGRPCMethodMatch {
  readonly type: 'Exact' | 'RegularExpression';
  readonly service?: string;
  readonly method?: string;
}
export interface GwGRPCRouteMatch {
  readonly method?: GwGRPCMethodMatch;
  readonly headers: readonly GwHeaderMatch[];
}

export interface GwHeaderModifier {
  readonly set: readonly { readonly name: string; readonly value: string }[];
  readonly add: readonly { readonly name: string; readonly value: string }[];
  readonly remove: readonly string[];
}

export type GwPathModifier =
  { readonly type: 'ReplaceFullPath'; readonly value: string } | { readonly type: 'ReplacePrefixMatch'; readonly value: string };

export type GwFilter =
  | { readonly type: 'RequestHeaderModifier'; readonly modifier: GwHeaderModifier }
  | { readonly type: 'ResponseHeaderModifier'; readonly modifier: GwHeaderModifier }
  | {
      readonly type: 'RequestRedirect';
      readonly scheme?: string;
      readonly hostname?: string;
      readonly port?: number;
      readonly path?: GwPathModifier;
      readonly statusCode: number;
    }
  | { readonly type: 'URLRewrite'; readonly hostname?: string; readonly path?: GwPathModifier }
  | { readonly type: 'RequestMirror'; readonly backend: GwBackendRef; readonly percent?: number };

export interface GwTimeouts {
  readonly request?: string;
  readonly backendRequest?: string;
}

/** HTTPRoute rule `retry` (experimental channel, GEP-1731). */
export interface GwRetry {
  /** HTTP status codes (400–599) that are retried besides connection errors. */
  readonly codes: readonly number[];
  readonly attempts?: number;
  readonly backoff?: string;
}

export interface GwHTTPRouteRule {
  readonly matches: readonly GwHTTPRouteMatch[];
  readonly filters: readonly GwFilter[];
  readonly backendRefs: readonly GwBackendRef[];
  readonly timeouts?: GwTimeouts;
  readonly retry?: GwRetry;
}

export interface GwGRPCRouteRule {
  readonly matches: readonly GwGRPCRouteMatch[];
  readonly filters: readonly GwFilter[];
  readonly backendRefs: readonly GwBackendRef[];
}

export interface GwL4RouteRule {
  readonly backendRefs: readonly GwBackendRef[];
}

/** Fields every route kind shares. `created` is metadata.creationTimestamp ('' when unset), for precedence. */
interface GwRouteCommon {
  readonly meta: ObjectMeta;
  readonly created: string;
  readonly parentRefs: readonly GwParentRef[];
  readonly hostnames: readonly string[];
}

export interface GwHTTPRoute extends GwRouteCommon {
  readonly kind: 'HTTPRoute';
  readonly rules: readonly GwHTTPRouteRule[];
}
export interface GwGRPCRoute extends GwRouteCommon {
  readonly kind: 'GRPCRoute';
  readonly rules: readonly GwGRPCRouteRule[];
}
export interface GwTCPRoute extends GwRouteCommon {
  readonly kind: 'TCPRoute';
  readonly rules: readonly GwL4RouteRule[];
}
export interface GwTLSRoute extends GwRouteCommon {
  readonly kind: 'TLSRoute';
  readonly rules: readonly GwL4RouteRule[];
}
export type GwRoute = GwHTTPRoute | GwGRPCRoute | GwTCPRoute | GwTLSRoute;

export interface GwLabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values: readonly string[];
  }[];
}

export interface GwListener {
  readonly name: string;
  readonly hostname?: string;
  readonly port: number;
  readonly protocol: string;
  readonly tls?: {
    readonly mode: 'Terminate' | 'Passthrough';
    readonly certificateRefs: readonly {
      readonly group: string;
      readonly kind: string;
      readonly name: string;
      readonly namespace: string;
    }[];
  };
  readonly allowedRoutes: {
    readonly from: 'Same' | 'All' | 'Selector';
    readonly selector?: GwLabelSelector;
    /** Empty: the kinds the protocol supports. */
    readonly kinds: readonly { readonly group: string; readonly kind: string }[];
  };
}

export interface KubernetesGateway {
  readonly kind: 'KubernetesGateway';
  readonly meta: ObjectMeta;
  readonly created: string;
  readonly gatewayClassName: string;
  readonly listeners: readonly GwListener[];
  readonly addresses: readonly { readonly type: string; readonly value: string }[];
}

export interface GatewayClass {
  readonly kind: 'GatewayClass';
  readonly meta: ObjectMeta;
  readonly controllerName: string;
}

export interface ReferenceGrant {
  readonly kind: 'ReferenceGrant';
  readonly meta: ObjectMeta;
  readonly from: readonly { readonly group: string; readonly kind: string; readonly namespace: string }[];
  readonly to: readonly { readonly group: string; readonly kind: string; readonly name?: string }[];
}

/**
 * BackendTLSPolicy (v1alpha3, and v1 since the API's v1.4): TLS from the proxy to a Service (or one
 * of its ports, by sectionName), validated against `hostname` (also the SNI) with CA certificates
 * from ConfigMaps (`ca.crt`) or the system's well-known CAs.
 */
export interface BackendTLSPolicy {
  readonly kind: 'BackendTLSPolicy';
  readonly meta: ObjectMeta;
  readonly created: string;
  readonly targetRefs: readonly { readonly group: string; readonly kind: string; readonly name: string; readonly sectionName?: string }[];
  readonly hostname: string;
  readonly caCertificateRefs: readonly { readonly group: string; readonly kind: string; readonly name: string }[];
  readonly wellKnownCACertificates?: 'System';
  /** Extra names the certificate may carry instead of `hostname` (v1alpha3 subjectAltNames: Hostname/URI values). */
  readonly subjectAltNames: readonly string[];
}

export type GatewayApiObject = GatewayClass | KubernetesGateway | GwRoute | ReferenceGrant | BackendTLSPolicy;

export interface GwCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

export interface GwRouteParentStatus {
  readonly parentRef: GwParentRef;
  readonly controllerName: string;
  readonly conditions: readonly GwCondition[];
}
export interface GwListenerStatus {
  readonly name: string;
  readonly attachedRoutes: number;
  readonly conditions: readonly GwCondition[];
  readonly supportedKinds: readonly { readonly group: string; readonly kind: string }[];
}

/**
 * The status tspilot computes for one Gateway API object (folder mode shows it in configz;
 * Kubernetes mode writes it from the leader). `generation` is the spec generation it describes.
 */
export interface GwObjectStatus {
  readonly kind: GatewayApiObject['kind'];
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly conditions?: readonly GwCondition[];
  readonly listeners?: readonly GwListenerStatus[];
  readonly parents?: readonly GwRouteParentStatus[];
  /** A policy's status per target (BackendTLSPolicy): `parentRef` is written as `ancestorRef`. */
  readonly ancestors?: readonly GwRouteParentStatus[];
}

/**
 * One line per condition that says something is wrong (Accepted/ResolvedRefs/Programmed False,
 * Conflicted True) in a Gateway API object's status: what `tspilot translate` warns and logs show.
 */
export function statusProblems(s: GwObjectStatus): string[] {
  const kind = s.kind === 'KubernetesGateway' ? 'Gateway' : s.kind;
  const who = `${kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`;
  const bad = (c: GwCondition): boolean => (c.type === 'Conflicted' ? c.status === 'True' : c.status === 'False');
  const line = (where: string, c: GwCondition): string =>
    `${who}${where}: ${c.type}=${c.status} ${c.reason}${c.message ? `: ${c.message}` : ''}`;
  return [
    ...(s.conditions ?? []).filter(bad).map((c) => line('', c)),
    ...(s.listeners ?? []).flatMap((l) => l.conditions.filter(bad).map((c) => line(` listener ${l.name}`, c))),
    ...[...(s.parents ?? []), ...(s.ancestors ?? [])].flatMap((p) =>
      p.conditions
        .filter(bad)
        .map((c) =>
          line(
            ` parent ${p.parentRef.kind} ${p.parentRef.namespace}/${p.parentRef.name}${p.parentRef.sectionName ? `/${p.parentRef.sectionName}` : ''}`,
            c,
          ),
        ),
    ),
  ];
}
