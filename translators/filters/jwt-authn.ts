/**
 * @module translators/filters/jwt-authn
 * RequestAuthentication → `envoy.filters.http.jwt_authn` on the listeners that receive the
 * workload's traffic (sidecar inbound, gateways; not proxyless gRPC, which has no JWT filter).
 * Keys for `jwksUri` come from the server's fetcher through `mesh.jwks`. Built in
 * translators/authz/jwt.ts.
 */
import { jwtAuthnFilter } from '../authz/jwt.js';
import { appliedFor, targetOf } from '../authz/workload.js';
import type { HttpFilter } from '../../proto/types.js';
import type { HttpFilterFeature } from './types.js';

export const jwtAuthn: HttpFilterFeature = {
  name: 'envoy.filters.http.jwt_authn',
  filters: (ctx) => {
    if (ctx.listenerClass === 'grpc-inbound') return [];
    const ras = appliedFor(targetOf(ctx), ctx.listenerClass).requestAuthentications;
    const f = ras.length ? jwtAuthnFilter(ras, ctx.mesh.jwks) : null;
    return f ? [f as HttpFilter] : [];
  },
};
