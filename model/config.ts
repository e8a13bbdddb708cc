/**
 * @module model/config
 * What flows from the sources to the store (ConfigEvent) and what the store hands to the push
 * pipeline (MeshConfig: an immutable, indexed snapshot). Plain readonly data plus key helpers.
 */
import type { ConfigMap, EndpointSlice, Endpoints, Pod, Secret, Service, ServicePort } from './k8s.js';
import type { DestinationRule, Gateway, ServiceEntry, Sidecar, VirtualService, WorkloadEntry } from './istio.js';
import type { MeshSettings } from './meshconfig.js';
import type { GatewayApiObject, GwObjectStatus } from './gatewayapi.js';
import type { AuthorizationPolicy, JwksByUri, RequestAuthentication } from './security.js';
import type { PeerAuthentication } from './peerauth.js';
import type { EnvoyFilter } from './envoyfilter.js';
import type { Telemetry } from './telemetry.js';

export type ConfigObject =
  | Service
  | EndpointSlice
  | Endpoints
  | Pod
  | VirtualService
  | DestinationRule
  | ServiceEntry
  | WorkloadEntry
  | Sidecar
  | Gateway
  | Secret
  | ConfigMap
  | PeerAuthentication
  | AuthorizationPolicy
  | RequestAuthentication
  | EnvoyFilter
  | Telemetry
  | GatewayApiObject;
export type ConfigKind = ConfigObject['kind'];

/** `Kind/namespace/name`: the identity of a config object across versions and sources. */
export type ConfigKey = string;

export function configKey(kind: string, namespace: string, name: string): ConfigKey {
  return `${kind}/${namespace}/${name}`;
}

/** Where an object came from (a file path, or `kube:<resource>`), for logs, configz and explain. */
export interface Origin {
  readonly source: string;
}

/** A rejected object: kept out of the config with a reason naming the field. */
export interface Rejection {
  readonly key: ConfigKey;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly source: string;
  readonly field: string;
  readonly reason: string;
}

/** A document of a kind tspilot does not read, skipped: listed in configz with the reason. */
export interface IgnoredObject {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
  readonly source: string;
  readonly reason: string;
  /** `warn` when it probably matters (a typo, a mesh kind not translated yet), `info` for ordinary workload kinds. */
  readonly level: 'warn' | 'info';
}

/**
 * Events from a source. `sync` marks that a source has delivered its initial state; `replace`
 * states the complete set of keys one origin currently holds (a re-read file, a relist), so the
 * store can delete what disappeared without the source tracking it.
 */
export type ConfigEvent =
  | { readonly type: 'upsert'; readonly key: ConfigKey; readonly object: ConfigObject; readonly origin: Origin }
  | { readonly type: 'delete'; readonly key: ConfigKey; readonly origin: Origin }
  | { readonly type: 'reject'; readonly rejection: Rejection }
  | {
      readonly type: 'replace';
      readonly origin: Origin;
      readonly objects: readonly { key: ConfigKey; object: ConfigObject }[];
      readonly rejections: readonly Rejection[];
      readonly ignored?: readonly IgnoredObject[];
    }
  | { readonly type: 'sourceError'; readonly origin: Origin; readonly reason: string }
  | { readonly type: 'synced' };

/** An endpoint of a service port, resolved from EndpointSlices and Pods (istiod's ServiceInstance). */
export interface MeshEndpoint {
  readonly address: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly pod: string | null;
  readonly serviceAccount: string;
  readonly locality: string;
  readonly ready: boolean;
}

/** A service as the mesh sees it: one hostname with its ports (istiod's model.Service). */
export interface MeshService {
  readonly hostname: string;
  readonly namespace: string;
  readonly name: string;
  readonly clusterIP: string;
  readonly ports: readonly ServicePort[];
  readonly labels: Readonly<Record<string, string>>;
  readonly source: string;
  /** Namespaces the service is visible to (`*`, `.`, `~` or names); Service annotation or ServiceEntry exportTo. */
  readonly exportTo: readonly string[];
  /** Where it came from: a Kubernetes Service, or a ServiceEntry (with its resolution and location). */
  readonly origin: 'Service' | 'ServiceEntry';
  readonly resolution: 'EDS' | 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  readonly meshExternal: boolean;
  /** Which workloads back it (Service selector / ServiceEntry workloadSelector); null when none. */
  readonly selector: Readonly<Record<string, string>> | null;
}

/**
 * A VirtualService host claimed by more than one mesh-bound VirtualService: sidecars take the
 * first (by namespace/name), the others are reported here (configz, metrics) instead of dropped silently.
 */
export interface VirtualServiceConflict {
  readonly host: string;
  readonly winner: string;
  readonly ignored: readonly string[];
}

/** A part of an accepted object tspilot cannot serve and ignores (shown in /debug/configz), e.g. a Service's UDP port. */
export interface ConfigNotice {
  readonly key: ConfigKey;
  readonly field: string;
  readonly reason: string;
}

/** The store's immutable snapshot. Lists are sorted; maps are for lookup only (never iterated for output). */
export interface MeshConfig {
  /** Increments on every change; not part of any output (outputs are content-hashed). */
  readonly generation: number;
  readonly domainSuffix: string;
  readonly services: readonly MeshService[];
  readonly serviceByHost: ReadonlyMap<string, MeshService>;
  /** hostname → service port → endpoints, sorted by address then port. */
  readonly endpoints: ReadonlyMap<string, ReadonlyMap<number, readonly MeshEndpoint[]>>;
  readonly pods: ReadonlyMap<string, Pod>;
  readonly virtualServices: readonly VirtualService[];
  readonly destinationRules: readonly DestinationRule[];
  /** hostname → the DestinationRule that applies (oldest wins on duplicates, as istiod). */
  readonly destinationRuleByHost: ReadonlyMap<string, DestinationRule>;
  /** Every accepted object with its origin, for configz. */
  readonly objects: ReadonlyMap<ConfigKey, { readonly object: ConfigObject; readonly origin: Origin }>;
  readonly rejected: readonly Rejection[];
  /** Mesh-wide settings (--mesh-config), istiod's defaults when not given. */
  readonly settings: MeshSettings;
  readonly serviceEntries: readonly ServiceEntry[];
  readonly workloadEntries: readonly WorkloadEntry[];
  readonly sidecars: readonly Sidecar[];
  readonly gateways: readonly Gateway[];
  readonly conflicts: readonly VirtualServiceConflict[];
  /** Parts of accepted objects that are ignored, with the reason (absent = none). */
  readonly notices?: readonly ConfigNotice[];
  /** Secrets with TLS material by `namespace/name` (gateway credentialName over SDS). Never shown in debug views. */
  readonly secrets: ReadonlyMap<string, Secret>;
  /**
   * Status of every Gateway API object (conditions, per-listener and per-parent), computed with the
   * conversion that put their Istio Gateways and VirtualServices into `gateways`/`virtualServices`.
   */
  readonly gatewayApiStatus?: readonly GwObjectStatus[];
  /** Accepted AuthorizationPolicies, by namespace/name. */
  readonly authorizationPolicies: readonly AuthorizationPolicy[];
  /** Accepted RequestAuthentications, by namespace/name. */
  readonly requestAuthentications: readonly RequestAuthentication[];
  /**
   * Keys fetched for RequestAuthentication `jwksUri`s (server/security/jwks.ts), joined to the
   * snapshot by the server before translation; absent in offline translation (keys then count as
   * not fetched, as istiod's output when the fetch fails).
   */
  readonly jwks?: JwksByUri;
  /** PeerAuthentications by namespace/name (model/peerauth composes them per workload). */
  readonly peerAuthentications: readonly PeerAuthentication[];
  /** Accepted policies that apply to nothing (a selector matching no workload), reported rather than kept silently. */
  readonly policyNotices: readonly PolicyNotice[];
  /** EnvoyFilters sorted by namespace/name (translators/envoyfilter orders them as istiod per proxy); absent = none. */
  readonly envoyFilters?: readonly EnvoyFilter[];
  /** Telemetry objects sorted by namespace/name (model/telemetry selects them per workload); absent = none. */
  readonly telemetries?: readonly Telemetry[];
}

/** An accepted policy worth an operator's attention (it selects no workload): listed in /debug/configz (policyNotices). */
export interface PolicyNotice {
  readonly key: ConfigKey;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly reason: string;
}
