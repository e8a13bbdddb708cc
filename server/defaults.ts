/**
 * @module server/defaults
 * istiod's well-known ports, the defaults of `tspilot serve`. One place, so the CLI, the
 * Kubernetes manifests' consistency test and the docs agree.
 */
export const DEFAULT_PORTS = {
  /** gRPC xDS, plaintext. */
  xds: 15010,
  /** gRPC xDS over TLS (istiod; exposed by the Service for proxies' defaults). */
  xdsTls: 15012,
  /** HTTP monitoring: /ready, /metrics, /debug/*. */
  monitoring: 15014,
  /** Admission webhook (/validate, /ready). */
  webhook: 15017,
  /** HTTP debug: /ready, /debug/*. */
  http: 8080,
} as const;

/** istiod's namespace and mesh ConfigMap. */
export const DEFAULT_ISTIO_NAMESPACE = 'istio-system';
export const DEFAULT_MESH_CONFIGMAP = 'istio';
