/**
 * @module model/k8s
 * The Kubernetes kinds tspilot reads, reduced to the fields it uses. Plain readonly data: the
 * watchers validate raw objects into these shapes; translators read them.
 */

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly generation: number;
  readonly resourceVersion: string;
}

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  /** Number, or a named container port (resolved against the pod's ports). */
  readonly targetPort: number | string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly appProtocol: string;
}

export interface Service {
  readonly kind: 'Service';
  readonly meta: ObjectMeta;
  readonly clusterIP: string;
  readonly selector: Readonly<Record<string, string>> | null;
  readonly ports: readonly ServicePort[];
  readonly type: string;
  readonly externalName: string;
}

export interface EndpointAddress {
  readonly ip: string;
  readonly ready: boolean;
  /** Pod the address belongs to (namespace/name), if the controller recorded it. */
  readonly targetPod: string | null;
  readonly nodeName: string;
  readonly zone: string;
}

export interface EndpointPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
}

/** An EndpointSlice, or one subset of a core Endpoints object converted to the same shape. */
export interface EndpointSlice {
  readonly kind: 'EndpointSlice';
  readonly meta: ObjectMeta;
  /** The Service this slice belongs to (label kubernetes.io/service-name). */
  readonly serviceName: string;
  readonly addressType: string;
  readonly endpoints: readonly EndpointAddress[];
  readonly ports: readonly EndpointPort[];
}

/** Core v1 Endpoints: kept as slices, one per subset, so the registry has one path. */
export interface Endpoints {
  readonly kind: 'Endpoints';
  readonly meta: ObjectMeta;
  readonly slices: readonly EndpointSlice[];
}

export interface ContainerPort {
  readonly name: string;
  readonly containerPort: number;
  readonly protocol: string;
}

export interface Pod {
  readonly kind: 'Pod';
  readonly meta: ObjectMeta;
  readonly podIP: string;
  readonly podIPs: readonly string[];
  readonly serviceAccount: string;
  readonly nodeName: string;
  readonly containerPorts: readonly ContainerPort[];
  readonly phase: string;
  /** spec.hostname / spec.subdomain: a pod's own DNS name `<hostname>.<subdomain>.<ns>.svc…` (StatefulSets). */
  readonly hostname?: string;
  readonly subdomain?: string;
}

/** What the debug views may show of a certificate in a Secret: never key material. */
export interface SecretCertInfo {
  /** The data key it came from (`tls.crt`, `ca.crt`, `cert`, `cacert`). */
  readonly key: string;
  readonly subject: string;
  readonly issuer: string;
  /** ISO-8601 expiry of the first (leaf) certificate. */
  readonly notAfter: string;
  readonly certificates: number;
}

/**
 * A Kubernetes Secret reduced to what gateways need over SDS: the PEM values of the TLS keys
 * (`tls.crt`, `tls.key`, `ca.crt`, `ca.crl` and the generic `cert`, `key`, `cacert`, `crl`);
 * every other key is dropped on the way in. `data` is key material: it is never logged, dumped
 * or shown — debug views use `meta`, `type` and `certs` (its JSON form is "[redacted]").
 */
export interface Secret {
  readonly kind: 'Secret';
  readonly meta: ObjectMeta;
  readonly type: string;
  readonly data: Readonly<Record<string, string>>;
  readonly certs: readonly SecretCertInfo[];
  /** A hash of `data`, so change detection that serializes objects (kube source) sees a rotation. */
  readonly digest: string;
}

/**
 * A ConfigMap, reduced to what tspilot reads from it: the CA bundle `ca.crt` a BackendTLSPolicy
 * names (PEM, kept only when it parses; `caProblem` says why not), and the names of its keys.
 */
export interface ConfigMap {
  readonly kind: 'ConfigMap';
  readonly meta: ObjectMeta;
  readonly caCert?: string;
  readonly caProblem?: string;
  readonly keys: readonly string[];
}
