/**
 * @module translators/telemetry
 * What a workload's telemetry config (istio.stats filters, access logs, tracing) is on one
 * listener class — the entry points the HTTP filter registry (filters/stats.ts,
 * filters/metadata-exchange.ts), hcm.ts and the network post-pass (./network.ts) call — and the
 * proxy class key part naming the Telemetry objects that select the workload. Pure.
 */
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { telemetryKey } from '../../model/telemetry.js';
import type { Any } from '../../proto/types.js';
import type { ListenerClass } from '../filters/types.js';
import { accessLogs, type AccessLogEntry } from './accesslog.js';
import { statsConfig } from './istio-filters.js';
import { chainFor, mergeLogs, mergeMetrics, mergeTracing, modeOf, telemetriesFor, type TracingSpec } from './merge.js';
import { findProvider } from './providers.js';

export interface TelemetryTarget {
  readonly mesh: MeshConfig;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly listenerClass: ListenerClass;
}

/** The `istio.stats` configs (one per Prometheus provider in scope whose metrics are on for this class). */
export function statsConfigs(t: TelemetryTarget): Any[] {
  const merged = mergeMetrics(t.mesh, chainFor(t.mesh, t.namespace, t.labels), modeOf(t.listenerClass));
  const out: Any[] = [];
  for (const [name, m] of merged) if (!m.disabled && findProvider(t.mesh, name)?.prometheus) out.push(statsConfig(t.listenerClass, m));
  return out;
}

/** The `access_log` entries of an HCM or tcp_proxy on this class. */
export function telemetryAccessLogs(t: TelemetryTarget): AccessLogEntry[] {
  return accessLogs(t.mesh, mergeLogs(t.mesh, chainFor(t.mesh, t.namespace, t.labels), modeOf(t.listenerClass)));
}

/** The Telemetry tracing for this class; undefined = istiod's defaults. */
export function telemetryTracing(t: TelemetryTarget): TracingSpec | undefined {
  return mergeTracing(t.mesh, chainFor(t.mesh, t.namespace, t.labels), modeOf(t.listenerClass));
}

/** The proxy class key part: the Telemetries that apply to the workload ('' when none). */
export function telemetryClassKey(mesh: MeshConfig, proxy: Proxy, labels: Readonly<Record<string, string>>): string {
  const k = telemetryKey(telemetriesFor(mesh, proxy.namespace, labels));
  return k ? `|telemetry:${k}` : '';
}
