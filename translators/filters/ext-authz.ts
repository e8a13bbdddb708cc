/**
 * @module translators/filters/ext-authz
 * CUSTOM AuthorizationPolicies: a shadow `envoy.filters.http.rbac` naming the CUSTOM policy a
 * request matches, then `envoy.filters.http.ext_authz` enabled only for those requests (or, when
 * the provider is missing or unresolvable, an RBAC DENY of what the policies match). istiod puts
 * them first, before authentication. Built in translators/authz/rbac.ts and extauthz.ts.
 */
import { httpAuthz, targetOf } from '../authz/workload.js';
import type { HttpFilter } from '../../proto/types.js';
import type { HttpFilterFeature } from './types.js';

export const extAuthz: HttpFilterFeature = {
  name: 'envoy.filters.http.ext_authz',
  filters: (ctx) => httpAuthz(targetOf(ctx), ctx.listenerClass).custom as HttpFilter[],
};
