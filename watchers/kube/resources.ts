/**
 * @module watchers/kube/resources
 * What the Kubernetes source watches: one entry per API resource, with the versions tspilot can
 * read (preferred first; discovery picks the first one the server serves). This list is the single
 * source of truth for the informers AND for the RBAC tspilot needs: deploy/'s ClusterRole is tested
 * to grant exactly `WATCH_VERBS` on exactly these resources.
 */

export interface WatchedResource {
  /** API group; '' for the core API. */
  readonly group: string;
  /** Plural resource name as in URLs and RBAC rules. */
  readonly resource: string;
  readonly kind: string;
  /** Versions tspilot reads, preferred first. */
  readonly versions: readonly string[];
  readonly namespaced: boolean;
  /**
   * Custom resource: may not be installed (404 → warn and poll discovery until it appears).
   * Built-ins are always expected.
   */
  readonly optional: boolean;
  /** Server-side filter for every list and watch of this resource. */
  readonly fieldSelector?: string;
  /** Watched only when the server serves no `discovery.k8s.io` EndpointSlices (older clusters). */
  readonly fallbackFor?: string;
  /**
   * Only objects in one namespace with one name: the mesh config ConfigMap, or a ConfigMap a
   * BackendTLSPolicy names in caCertificateRefs (one loop per referenced ConfigMap, see below).
   */
  readonly only?: 'meshConfigMap' | 'referencedConfigMap';
}

/** The verbs an informer needs (list + watch) plus get, which kubectl-style tooling expects. */
export const WATCH_VERBS: readonly string[] = ['get', 'list', 'watch'];

const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];
const istio = (resource: string, kind: string): WatchedResource => ({
  group: 'networking.istio.io',
  resource,
  kind,
  versions: ISTIO_VERSIONS,
  namespaced: true,
  optional: true,
});

const gwapi = (resource: string, kind: string, versions: readonly string[], namespaced = true): WatchedResource => ({
  group: 'gateway.networking.k8s.io',
  resource,
  kind,
  versions,
  namespaced,
  optional: true,
});

/** Secret types that never hold a gateway credential, excluded by the API server itself. */
export const SECRET_FIELD_SELECTOR = 'type!=helm.sh/release.v1,type!=kubernetes.io/service-account-token';

const security = (resource: string, kind: string): WatchedResource => ({
  group: 'security.istio.io',
  resource,
  kind,
  versions: ['v1', 'v1beta1'],
  namespaced: true,
  optional: true,
});

export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  { group: '', resource: 'services', kind: 'Service', versions: ['v1'], namespaced: true, optional: false },
  { group: 'discovery.k8s.io', resource: 'endpointslices', kind: 'EndpointSlice', versions: ['v1'], namespaced: true, optional: false },
  {
    group: '',
    resource: 'endpoints',
    kind: 'Endpoints',
    versions: ['v1'],
    namespaced: true,
    optional: false,
    fallbackFor: 'endpointslices',
  },
  { group: '', resource: 'pods', kind: 'Pod', versions: ['v1'], namespaced: true, optional: false },
  { group: '', resource: 'namespaces', kind: 'Namespace', versions: ['v1'], namespaced: false, optional: false },
  { group: '', resource: 'configmaps', kind: 'ConfigMap', versions: ['v1'], namespaced: true, optional: false, only: 'meshConfigMap' },
  // Gateway credentialName secrets. RBAC cannot narrow secrets by type; a field selector can exclude
  // the two types that are never TLS credentials and are the bulk of a cluster's Secret bytes (Helm
  // release blobs, up to 1 MiB each, and service-account tokens), so their values never reach
  // tspilot's memory, not even while a list page is being read. Validation keeps only the TLS keys
  // of what remains and drops Secrets without any (registry auth, Opaque app config…).
  {
    group: '',
    resource: 'secrets',
    kind: 'Secret',
    versions: ['v1'],
    namespaced: true,
    optional: false,
    fieldSelector: SECRET_FIELD_SELECTOR,
  },
  istio('virtualservices', 'VirtualService'),
  istio('destinationrules', 'DestinationRule'),
  istio('gateways', 'Gateway'),
  istio('serviceentries', 'ServiceEntry'),
  istio('workloadentries', 'WorkloadEntry'),
  istio('sidecars', 'Sidecar'),
  {
    group: 'security.istio.io',
    resource: 'peerauthentications',
    kind: 'PeerAuthentication',
    versions: ['v1', 'v1beta1'],
    namespaced: true,
    optional: true,
  },
  security('authorizationpolicies', 'AuthorizationPolicy'),
  security('requestauthentications', 'RequestAuthentication'),
  { group: 'networking.istio.io', resource: 'envoyfilters', kind: 'EnvoyFilter', versions: ['v1alpha3'], namespaced: true, optional: true },
  {
    group: 'telemetry.istio.io',
    resource: 'telemetries',
    kind: 'Telemetry',
    versions: ['v1', 'v1alpha1'],
    namespaced: true,
    optional: true,
  },
  // The Gateway API (optional CRDs, like Istio's: absent → warn and poll discovery).
  gwapi('gatewayclasses', 'GatewayClass', ['v1', 'v1beta1'], false),
  gwapi('gateways', 'Gateway', ['v1', 'v1beta1']),
  gwapi('httproutes', 'HTTPRoute', ['v1', 'v1beta1']),
  gwapi('grpcroutes', 'GRPCRoute', ['v1', 'v1alpha2']),
  gwapi('tcproutes', 'TCPRoute', ['v1alpha2']),
  gwapi('tlsroutes', 'TLSRoute', ['v1alpha3', 'v1alpha2']),
  gwapi('referencegrants', 'ReferenceGrant', ['v1', 'v1beta1', 'v1alpha2']),
  gwapi('backendtlspolicies', 'BackendTLSPolicy', ['v1', 'v1alpha3']),
];

/**
 * ConfigMaps named by BackendTLSPolicy caCertificateRefs. Not in WATCHED_RESOURCES: the Kubernetes
 * source starts one list+watch per referenced `<namespace>/<name>` (fieldSelector
 * `metadata.name=<name>`) while some policy references it and stops it when none does, so only
 * those ConfigMaps ever reach tspilot. Their names are not known when RBAC is written, so this needs
 * get/list/watch on configmaps cluster-wide (deploy/'s ClusterRole; a test keeps it granted).
 */
export const REFERENCED_CONFIGMAPS: WatchedResource = {
  group: '',
  resource: 'configmaps',
  kind: 'ConfigMap',
  versions: ['v1'],
  namespaced: true,
  optional: false,
  only: 'referencedConfigMap',
};

/** `services`, `virtualservices.networking.istio.io`: the name kubectl and RBAC errors use. */
export function resourceName(r: { group: string; resource: string }): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

export function apiVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Collection path for a served version, all namespaces or one. */
export function collectionPath(r: WatchedResource, version: string, namespace?: string): string {
  const prefix = r.group ? `/apis/${r.group}/${version}` : `/api/${version}`;
  return namespace && r.namespaced ? `${prefix}/namespaces/${namespace}/${r.resource}` : `${prefix}/${r.resource}`;
}
