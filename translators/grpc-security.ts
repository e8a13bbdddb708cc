/**
 * @module translators/grpc-security
 * The security inputs of proxyless gRPC server listeners (`InboundSecurity`): the effective
 * PeerAuthentication mode of a workload port and the AuthorizationPolicy RBAC filters. Until the
 * PeerAuthentication and AuthorizationPolicy models exist, no policy applies: every port is UNSET
 * (the mesh default, PERMISSIVE) and there are no RBAC filters. Pure.
 */
import type { InboundSecurity } from './grpc-inbound.js';

export const grpcInboundSecurity: InboundSecurity = {
  mtlsMode: () => 'UNSET',
  rbacFilters: () => [],
  sources: () => [],
};
