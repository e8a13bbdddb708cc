/**
 * @module server/gwstatus/rbac
 * The Kubernetes permissions the Gateway API status writer needs, least privilege — the source of
 * truth deploy/base/rbac.yaml is tested against: `update` on the `/status` subresource of each kind it
 * writes (reading the objects is the watchers' get/list/watch), and its election Lease by name in
 * tspilot's namespace (create cannot be limited by name).
 */
import type { PolicyRule } from '../ca/rbac.js';
import { GATEWAY_STATUS_LEASE, STATUS_RESOURCES } from './writer.js';

export const GATEWAY_STATUS_CLUSTER_RULES: readonly PolicyRule[] = [
  {
    apiGroups: ['gateway.networking.k8s.io'],
    resources: Object.values(STATUS_RESOURCES)
      .map((r) => `${r.resource}/status`)
      .sort(),
    verbs: ['update'],
  },
];

export const GATEWAY_STATUS_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [GATEWAY_STATUS_LEASE], verbs: ['get', 'update'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
];
