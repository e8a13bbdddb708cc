/**
 * @module translators/authz/extauthz
 * The ext_authz filters istiod builds for a CUSTOM provider (pilot/pkg/security/authz/builder/
 * extauthz.go): the provider's service resolved in the registry (`host` or `namespace/host`) to
 * the cluster `outbound|<port>||<host>`; an HTTP filter for `envoyExtAuthzHttp` (HttpService with
 * path prefix, server URI, header lists) or `envoyExtAuthzGrpc` (EnvoyGrpc with authority), and a
 * network filter for gRPC providers only (an HTTP authorizer cannot check a TCP stream). Both are
 * enabled only for requests the shadow RBAC filter before them marked with a CUSTOM policy name
 * (`filter_enabled_metadata` on `istio_ext_authz_shadow_effective_policy_id` starting
 * `istio-ext-authz`). Default timeout 600 s, as istiod. Pure.
 */
import type { MeshConfig, MeshService } from '../../model/config.js';
import type { ExtensionProvider } from '../../model/meshconfig.js';
import { durationOf } from '../../model/duration.js';
import { typedAny } from '../../proto/any.js';
import { clusterName } from '../names.js';
import { stringMatcher, type Json } from './matchers.js';

export const EXT_AUTHZ_HTTP_FILTER = 'envoy.filters.http.ext_authz';
export const EXT_AUTHZ_TCP_FILTER = 'envoy.filters.network.ext_authz';
const HTTP_TYPE = 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const TCP_TYPE = 'envoy.extensions.filters.network.ext_authz.v3.ExtAuthz';
/** Prefix of CUSTOM policy names, which the shadow RBAC result must start with to enable ext_authz. */
export const EXT_AUTHZ_POLICY_PREFIX = 'istio-ext-authz';
export const EXT_AUTHZ_SHADOW_PREFIX = 'istio_ext_authz_';
const DEFAULT_TIMEOUT = '600s';

export interface BuiltExtAuthz {
  readonly http: { readonly name: string; readonly typed_config: unknown };
  /** Null for an HTTP provider: it cannot check TCP connections. */
  readonly tcp: { readonly name: string; readonly typed_config: unknown } | null;
}

function enabledBy(rbacFilter: string): Json {
  return {
    filter: rbacFilter,
    path: [{ key: `${EXT_AUTHZ_SHADOW_PREFIX}shadow_effective_policy_id` }],
    value: { string_match: { prefix: EXT_AUTHZ_POLICY_PREFIX } },
  };
}

function headerList(list: readonly string[] | undefined): Json | undefined {
  return list?.length ? { patterns: list.map((h) => stringMatcher(h.toLowerCase(), '', true)) } : undefined;
}

/** The registry service a provider names, or why it cannot be used. */
export function providerService(mesh: MeshConfig, service: string): MeshService | string {
  const slash = service.indexOf('/');
  const ns = slash >= 0 ? service.slice(0, slash) : '';
  const host = slash >= 0 ? service.slice(slash + 1) : service;
  const svc = mesh.serviceByHost.get(host) ?? mesh.services.find((s) => s.name === host && (!ns || s.namespace === ns));
  if (!svc || (ns && svc.namespace !== ns)) return `could not find service ${service} in the registry`;
  return svc;
}

/** The ext_authz filters for `provider`, or why it cannot be built (then istiod denies what the policies match). */
export function buildExtAuthz(mesh: MeshConfig, provider: ExtensionProvider | undefined, name: string): BuiltExtAuthz | string {
  if (!provider) return `no extension provider named "${name}" in the mesh config (extensionProviders)`;
  const p = provider.envoyExtAuthzHttp ?? provider.envoyExtAuthzGrpc;
  if (!p) return `extension provider "${name}" is not an ext_authz provider`;
  const svc = providerService(mesh, p.service);
  if (typeof svc === 'string') return `extension provider "${name}": ${svc}`;
  const cluster = clusterName('outbound', p.port, '', svc.hostname);
  const timeout = durationOf(p.timeout ?? DEFAULT_TIMEOUT);
  const common = {
    ...(p.statusOnError ? { status_on_error: { code: Number(p.statusOnError) } } : {}),
    ...(p.failOpen ? { failure_mode_allow: true } : {}),
    transport_api_version: 'V3',
  };
  const h = provider.envoyExtAuthzHttp;
  if (h) {
    const allowedUp = headerList(h.headersToUpstreamOnAllow);
    const allowedDown = headerList(h.headersToDownstreamOnDeny);
    const add = h.includeAdditionalHeadersInCheck;
    const service = {
      server_uri: { uri: `http://${svc.hostname}`, cluster, timeout },
      ...(h.pathPrefix ? { path_prefix: h.pathPrefix } : {}),
      ...(add
        ? {
            authorization_request: {
              headers_to_add: Object.keys(add)
                .sort()
                .map((key) => ({ key, value: add[key] })),
            },
          }
        : {}),
      ...(allowedUp || allowedDown
        ? {
            authorization_response: {
              ...(allowedUp ? { allowed_upstream_headers: allowedUp } : {}),
              ...(allowedDown ? { allowed_client_headers: allowedDown } : {}),
            },
          }
        : {}),
    };
    const allowed = headerList(h.includeRequestHeadersInCheck);
    return {
      http: {
        name: EXT_AUTHZ_HTTP_FILTER,
        typed_config: typedAny(HTTP_TYPE, {
          ...common,
          http_service: service,
          filter_enabled_metadata: enabledBy('envoy.filters.http.rbac'),
          ...(allowed ? { allowed_headers: allowed } : {}),
        }),
      },
      tcp: null,
    };
  }
  const grpc = { envoy_grpc: { cluster_name: cluster, authority: svc.hostname }, timeout };
  return {
    http: {
      name: EXT_AUTHZ_HTTP_FILTER,
      typed_config: typedAny(HTTP_TYPE, { ...common, grpc_service: grpc, filter_enabled_metadata: enabledBy('envoy.filters.http.rbac') }),
    },
    tcp: {
      name: EXT_AUTHZ_TCP_FILTER,
      typed_config: typedAny(TCP_TYPE, {
        stat_prefix: 'tcp.',
        grpc_service: grpc,
        ...(p.failOpen ? { failure_mode_allow: true } : {}),
        transport_api_version: 'V3',
        filter_enabled_metadata: enabledBy('envoy.filters.network.rbac'),
      }),
    },
  };
}
