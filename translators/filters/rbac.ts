/**
 * @module translators/filters/rbac
 * AUDIT, DENY and ALLOW AuthorizationPolicies → `envoy.filters.http.rbac` filters (one per action
 * present, in that order, as istiod) after authentication, on the listeners that receive the
 * workload's traffic, proxyless gRPC servers included (gRFC A41). Built in translators/authz/rbac.ts.
 */
import { httpAuthz, targetOf } from '../authz/workload.js';
import type { HttpFilter } from '../../proto/types.js';
import type { HttpFilterFeature } from './types.js';

export const rbac: HttpFilterFeature = {
  name: 'envoy.filters.http.rbac',
  filters: (ctx) => httpAuthz(targetOf(ctx), ctx.listenerClass).local as HttpFilter[],
};
