/**
 * @module translators/telemetry/tracing
 * Telemetry API tracing onto an HCM's `tracing`, as istiod's configureTracingFromTelemetry
 * (pilot/pkg/networking/core/tracing.go): the provider named by the Telemetries (or
 * `defaultProviders.tracing`) becomes `tracing.provider` — `zipkin` → `envoy.tracers.zipkin`
 * (collector `/api/v2/spans`, HTTP JSON, 128-bit trace IDs, no shared span context),
 * `opentelemetry` → `envoy.tracers.opentelemetry` over gRPC, both to the outbound cluster of the
 * provider's service; `randomSamplingPercentage` sets `random_sampling` (istiod's default 1% when
 * unset); Telemetry custom tags (literal, environment, request header) follow istiod's built-in tags;
 * `maxTagLength` sets `max_path_tag_length`. A provider name that resolves to no provider, or
 * `disableSpanReporting`, leaves tracing without a provider: no spans are reported.
 */
import type { MeshConfig } from '../../model/config.js';
import type { HttpConnectionManager } from '../../proto/types.js';
import { typedAny } from '../../proto/any.js';
import { findProvider, providerBackend } from './providers.js';
import type { TracingSpec } from './merge.js';

type Tracing = NonNullable<HttpConnectionManager['tracing']>;

function providerConfig(mesh: MeshConfig, name: string, serviceName: string): { provider?: object; maxTag?: number } {
  const p = findProvider(mesh, name);
  if (p?.zipkin) {
    const b = providerBackend(mesh, p.zipkin);
    if (typeof b === 'string') return {};
    return {
      provider: {
        name: 'envoy.tracers.zipkin',
        typed_config: typedAny('envoy.config.trace.v3.ZipkinConfig', {
          collector_cluster: b.cluster,
          collector_endpoint: '/api/v2/spans',
          collector_endpoint_version: 'HTTP_JSON',
          trace_id_128bit: true,
          shared_span_context: { value: false },
          collector_hostname: b.authority,
        }),
      },
      ...(p.zipkin.maxTagLength ? { maxTag: p.zipkin.maxTagLength } : {}),
    };
  }
  if (p?.opentelemetry) {
    const b = providerBackend(mesh, p.opentelemetry);
    if (typeof b === 'string') return {};
    return {
      provider: {
        name: 'envoy.tracers.opentelemetry',
        typed_config: typedAny('envoy.config.trace.v3.OpenTelemetryConfig', {
          grpc_service: { envoy_grpc: { cluster_name: b.cluster, authority: b.authority } },
          service_name: serviceName,
        }),
      },
      ...(p.opentelemetry.maxTagLength ? { maxTag: p.opentelemetry.maxTagLength } : {}),
    };
  }
  return {};
}

/** `base` (istiod's default HCM tracing) with the Telemetry tracing `spec` applied; `serviceName` = `<canonical service>.<namespace>`. */
export function applyTracing(mesh: MeshConfig, base: Tracing, spec: TracingSpec | undefined, serviceName: string): Tracing {
  if (!spec) return base;
  const { provider, maxTag } = spec.disabled || !spec.provider ? {} : providerConfig(mesh, spec.provider, serviceName);
  const tags = Object.keys(spec.customTags ?? {})
    .sort()
    .map((tag) => {
      const t = spec.customTags![tag]!;
      if (t.literal) return { tag, literal: { value: t.literal.value } };
      if (t.environment) return { tag, environment: { name: t.environment.name, default_value: t.environment.defaultValue ?? '' } };
      return { tag, request_header: { name: t.header!.name, default_value: t.header!.defaultValue ?? '' } };
    });
  return {
    ...base,
    random_sampling: { value: spec.randomSamplingPercentage ?? base.random_sampling?.value ?? 1 },
    custom_tags: [...(base.custom_tags ?? []), ...tags],
    ...(provider ? { provider } : {}),
    ...(maxTag ? { max_path_tag_length: { value: maxTag } } : {}),
  } as Tracing;
}
