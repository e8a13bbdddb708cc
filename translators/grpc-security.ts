/**
 * @module translators/grpc-security
 * The security inputs of proxyless gRPC server listeners (`InboundSecurity`): the effective
 * PeerAuthentication mode of a workload port (model/peerauth.ts, istiod's composition: mesh →
 * namespace → workload → port) and the AuthorizationPolicy RBAC filters. Until the
 * AuthorizationPolicy model exists there are no RBAC filters. Everything here depends only on the
 * workload's namespace and labels (and the port), which the proxy class key holds. Pure.
 */
import { effectiveMtls, mtlsModeForPort, type PeerAuthentication } from '../model/peerauth.js';
import type { InboundSecurity } from './grpc-inbound.js';
import type { Scope } from './scope.js';

const paPath = (p: PeerAuthentication): string => `/apis/security.istio.io/v1/namespaces/${p.meta.namespace}/peer-authentication/${p.meta.name}`;

function mtls(scope: Scope) {
  return effectiveMtls(scope.mesh.peerAuthentications, scope.mesh.settings.rootNamespace, scope.namespace, scope.labels);
}

export const grpcInboundSecurity: InboundSecurity = {
  mtlsMode: (scope, port) => mtlsModeForPort(mtls(scope), port),
  rbacFilters: () => [],
  sources: (scope) => {
    const l = mtls(scope).levels;
    return [l.mesh, l.namespace, l.workload].filter((p): p is PeerAuthentication => p !== undefined).map(paPath);
  },
};
