/**
 * @module server/ca/rbac
 * The Kubernetes permissions the mesh CA needs, least privilege — the single source of truth the
 * deploy/ manifests are tested against (e2e/kube-mode-manifests.test.ts):
 * - cluster-wide ConfigMaps get/list/watch/create/update: istio-ca-root-cert in every namespace
 *   (RBAC cannot limit create by name, and list/watch across namespaces needs the cluster scope);
 * - cluster-wide TokenReview create: the TLS port's authentication of Kubernetes tokens;
 * - in tspilot's namespace: Secrets get on exactly `istio-ca-secret` and `cacerts` (read by
 *   periodic GET, so no list/watch), Secrets create (the self-signed root; RBAC has no name to
 *   check on create), the election Lease get/update by name and Lease create.
 */
import { ROOT_LEASE } from './publisher.js';
import { CACERTS_SECRET, CA_SECRET } from './kube-secrets.js';

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

export const CA_CLUSTER_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'update', 'watch'] },
  // The TLS xDS/CA port authenticates pilot-agent's bearer tokens by TokenReview (server/security/tokenreview.ts).
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
];

export const CA_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['secrets'], resourceNames: [CA_SECRET, CACERTS_SECRET], verbs: ['get'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [ROOT_LEASE], verbs: ['get', 'update'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
];
