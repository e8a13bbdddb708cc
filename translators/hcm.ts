/**
 * @module translators/hcm
 * The HttpConnectionManager every generator puts in its listeners: RDS over ADS for a route config
 * name, and the HTTP filter chain from the filter registry (translators/filters), named
 * canonically (`envoy.filters.http.*`, which MOSN needs since it matches filters by name).
 * Envoy HCMs get istiod's connection settings (listener_builder.go buildHTTPConnectionManager):
 * codec AUTO, path normalization, WebSocket upgrades, no stream idle timeout, UUID request IDs
 * used for trace sampling, tracing at istiod's default sampling with its custom tags; per
 * listener class (listener_inbound.go buildSidecarInboundHTTPOpts, gateway.go
 * buildGatewayConnectionManager, util.GetProxyHeaders):
 * - sidecar outbound: `use_remote_address: false`, Envoy's own server name;
 * - sidecar inbound: `server_name: istio-envoy`, client certificates APPEND_FORWARD (subject, URI, DNS);
 * - gateway: `use_remote_address: true`, `server_name: istio-envoy`, XFCC SANITIZE_SET (or the
 *   ProxyConfig `gatewayTopology.forwardClientCertDetails`) with subject, cert, URI and DNS when
 *   that mode sets current details, `xff_num_trusted_hops` from `gatewayTopology.numTrustedProxies`.
 * Telemetry (translators/telemetry): access logs from the Telemetry API / mesh config and the
 * Telemetry tracing provider and sampling on top of istiod's default tracing.
 * Proxyless gRPC HCMs get only what gRPC reads.
 */
import type { MeshConfig } from '../model/config.js';
import type { Proxy } from '../model/proxy.js';
import type { HttpConnectionManager } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { httpFilters } from './filters/index.js';
import { isGrpcClass, type HttpListenerContext, type ListenerClass, type ListenerPort } from './filters/types.js';
import { proxyConfigOf } from './proxy-config.js';
import type { Scope } from './scope.js';
import { telemetryAccessLogs, telemetryTracing, type TelemetryTarget } from './telemetry/index.js';
import { applyTracing } from './telemetry/tracing.js';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
/** istiod's EnvoyServerName: the `server` header of inbound and gateway responses. */
export const ENVOY_SERVER_NAME = 'istio-envoy';

/** The filter registry's view of a listener of `scope`'s proxy. */
export function listenerContext(scope: Scope, listenerClass: ListenerClass, port: ListenerPort): HttpListenerContext {
  return { mesh: scope.mesh, proxy: scope.proxy, labels: scope.labels, listenerClass, port, policies: () => scope.policies() };
}

/** The values of istiod's literal tracing tags for a workload: canonical service and revision, mesh ID. */
export function tracingLiterals(
  mesh: MeshConfig,
  proxy: Proxy,
  l: Readonly<Record<string, string>>,
): { service: string; revision: string; meshId: string } {
  const md = proxy.metadata;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  return {
    service:
      l['service.istio.io/canonical-name'] ?? l['app.kubernetes.io/name'] ?? l['app'] ?? str(md['WORKLOAD_NAME']) ?? proxy.workloadName,
    revision: l['service.istio.io/canonical-revision'] ?? l['app.kubernetes.io/version'] ?? l['version'] ?? 'latest',
    meshId: str(md['MESH_ID']) ?? mesh.settings.trustDomain,
  };
}

/**
 * What of a proxy, beyond its class's labels and namespace, the HCMs depend on: the tracing tag
 * values and, for gateways, the effective gateway topology. Part of the proxy class key.
 */
export function hcmClassKey(mesh: MeshConfig, proxy: Proxy, labels: Readonly<Record<string, string>>): string {
  // Only what the labels and workload name (already in the key) don't determine, so ordinary
  // class names stay as they were: metadata MESH_ID, WORKLOAD_NAME when it names the service,
  // and a gateway's topology when one is set.
  const md = proxy.metadata;
  const parts: string[] = [];
  if (typeof md['MESH_ID'] === 'string' && md['MESH_ID']) parts.push(`mesh=${md['MESH_ID']}`);
  const byLabel = labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels['app'];
  // Without a naming label the service is WORKLOAD_NAME or the pod's name; with no labels at all the pod's name is the key already.
  if (!byLabel && ((typeof md['WORKLOAD_NAME'] === 'string' && md['WORKLOAD_NAME']) || Object.keys(labels).length))
    parts.push(`svc=${tracingLiterals(mesh, proxy, labels).service}`);
  if (proxy.type === 'router') {
    const gt = proxyConfigOf(mesh, proxy).gatewayTopology;
    if (gt && Object.keys(gt).length) parts.push(`gt=${JSON.stringify(gt)}`);
  }
  return parts.length ? `|hcm:${parts.join(',')}` : '';
}

/** Tracing as istiod configures it with the default mesh config (1% random sampling) and its custom tags. */
function tracing(ctx: HttpListenerContext): NonNullable<HttpConnectionManager['tracing']> {
  const { service, revision, meshId } = tracingLiterals(ctx.mesh, ctx.proxy, ctx.labels);
  const rbacTag = (tag: string, key: string) => ({
    tag,
    metadata: { kind: { request: {} }, metadata_key: { key: 'envoy.filters.http.rbac', path: [{ key }] } },
  });
  return {
    client_sampling: { value: 100 },
    random_sampling: { value: 1 },
    overall_sampling: { value: 100 },
    custom_tags: [
      rbacTag('istio.authorization.dry_run.allow_policy.name', 'istio_dry_run_allow_shadow_effective_policy_id'),
      rbacTag('istio.authorization.dry_run.allow_policy.result', 'istio_dry_run_allow_shadow_engine_result'),
      rbacTag('istio.authorization.dry_run.deny_policy.name', 'istio_dry_run_deny_shadow_effective_policy_id'),
      rbacTag('istio.authorization.dry_run.deny_policy.result', 'istio_dry_run_deny_shadow_engine_result'),
      { tag: 'istio.canonical_revision', literal: { value: revision } },
      { tag: 'istio.canonical_service', literal: { value: service } },
      { tag: 'istio.mesh_id', literal: { value: meshId } },
      { tag: 'istio.namespace', literal: { value: ctx.proxy.namespace } },
    ],
  };
}

/** The class-specific connection settings (use_remote_address, server name, XFCC). */
function classSettings(ctx: HttpListenerContext): Partial<HttpConnectionManager> {
  if (ctx.listenerClass === 'sidecar-inbound') {
    return {
      use_remote_address: { value: false },
      server_name: ENVOY_SERVER_NAME,
      forward_client_cert_details: 'APPEND_FORWARD',
      set_current_client_cert_details: { subject: { value: true }, uri: true, dns: true },
    };
  }
  if (ctx.listenerClass === 'gateway') {
    const topology = proxyConfigOf(ctx.mesh, ctx.proxy).gatewayTopology;
    const xfcc = topology?.forwardClientCertDetails ?? 'SANITIZE_SET';
    return {
      use_remote_address: { value: true },
      server_name: ENVOY_SERVER_NAME,
      ...(topology?.numTrustedProxies ? { xff_num_trusted_hops: topology.numTrustedProxies } : {}),
      forward_client_cert_details: xfcc,
      ...(xfcc === 'APPEND_FORWARD' || xfcc === 'SANITIZE_SET'
        ? { set_current_client_cert_details: { subject: { value: true }, cert: true, dns: true, uri: true } }
        : {}),
      http_protocol_options: {},
    };
  }
  return { use_remote_address: { value: false } };
}

export function rdsHcm(statPrefix: string, routeConfigName: string, ctx: HttpListenerContext): HttpConnectionManager {
  const grpc = isGrpcClass(ctx.listenerClass);
  const hcm: HttpConnectionManager = {
    stat_prefix: statPrefix,
    rds: {
      config_source: { ads: {}, resource_api_version: 'V3', ...(grpc ? {} : { initial_fetch_timeout: { seconds: 0 } }) },
      route_config_name: routeConfigName,
    },
    http_filters: httpFilters(ctx),
  };
  if (!grpc) {
    const target: TelemetryTarget = {
      mesh: ctx.mesh,
      namespace: ctx.proxy.namespace,
      labels: ctx.labels,
      listenerClass: ctx.listenerClass,
    };
    const logs = telemetryAccessLogs(target);
    const service = `${tracingLiterals(ctx.mesh, ctx.proxy, ctx.labels).service}.${ctx.proxy.namespace}`;
    Object.assign(hcm, {
      // AccessLog's generated type spells the filter oneof out; the entries carry it as built.
      ...(logs.length ? { access_log: logs as unknown as HttpConnectionManager['access_log'] } : {}),
      codec_type: 'AUTO',
      ...classSettings(ctx),
      normalize_path: { value: true },
      path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
      upgrade_configs: [{ upgrade_type: 'websocket' }],
      stream_idle_timeout: { seconds: 0 },
      request_id_extension: {
        typed_config: typedAny('envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig', {
          use_request_id_for_trace_sampling: { value: true },
        }),
      },
      tracing: applyTracing(ctx.mesh, tracing(ctx), telemetryTracing(target), service),
    } satisfies Partial<HttpConnectionManager>);
  }
  return hcm;
}
