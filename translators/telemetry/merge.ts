/**
 * @module translators/telemetry/merge
 * Merges the Telemetry objects that apply to a workload (model/telemetry: root → namespace →
 * workload) into what one listener needs, with istiod's rules (pilot/pkg/model/telemetry.go):
 * - metrics (mergeMetrics): the last level naming `providers` decides the providers in scope (a
 *   level without providers inherits its parent's); overrides apply in order per provider, per mode
 *   (CLIENT for sidecar outbound and gateways, SERVER for sidecar inbound) and per metric (a match
 *   without a metric means every metric); disabling ALL_METRICS drops the provider's filter for that
 *   mode until a later override of the mode re-enables it; no Telemetry = `defaultProviders.metrics`;
 * - access logging (mergeLogs): the same provider scoping, entries filtered by `match.mode`, a
 *   later `disabled` turning a provider off, the last `filter` kept; no Telemetry naming logging =
 *   `defaultProviders.accessLogging` (and when that is empty too, the mesh's legacy accessLogFile);
 * - tracing (Tracing): entries in order, each naming a provider switching to it and overriding
 *   sampling, custom tags, span reporting; no provider found = no spans reported.
 */
import type { MeshConfig } from '../../model/config.js';
import {
  ISTIO_METRICS,
  appliedTelemetries,
  telemetryChain,
  type AppliedTelemetries,
  type TagOverride,
  type Telemetry,
  type TracingCustomTag,
  type WorkloadMode,
} from '../../model/telemetry.js';
import type { ListenerClass } from '../filters/types.js';
import { defaultProviders } from './providers.js';

/** The mode a listener class reports as (istiod's workloadMode / MetricsForClass). */
export function modeOf(c: ListenerClass): 'CLIENT' | 'SERVER' {
  return c === 'sidecar-inbound' || c === 'grpc-inbound' ? 'SERVER' : 'CLIENT';
}

export interface MetricOverride {
  readonly name: string;
  readonly disabled: boolean;
  /** Tag name → CEL value (UPSERT) or null (REMOVE), sorted by name. */
  readonly tags: readonly (readonly [string, string | null])[];
}

export interface ProviderMetrics {
  /** Whether metrics are off for this mode (ALL_METRICS disabled). */
  readonly disabled: boolean;
  readonly overrides: readonly MetricOverride[];
  readonly reportingInterval?: string;
}

const names = (refs: readonly { name: string }[] | undefined): string[] => (refs ?? []).map((p) => p.name);
const ALL = ISTIO_METRICS.filter((m) => m !== 'ALL_METRICS');

/** Telemetries applying to a workload. */
export function telemetriesFor(mesh: MeshConfig, namespace: string, labels: Readonly<Record<string, string>>): AppliedTelemetries {
  return appliedTelemetries(mesh.telemetries ?? [], mesh.settings.rootNamespace, namespace, labels);
}

/** Metrics config per provider in scope for `mode`, providers sorted by name. */
export function mergeMetrics(mesh: MeshConfig, applied: readonly Telemetry[], mode: 'CLIENT' | 'SERVER'): Map<string, ProviderMetrics> {
  const metrics = applied.flatMap((t) => t.spec.metrics ?? []);
  const defaults = defaultProviders(mesh).metrics ?? [];
  const inScope = new Set(metrics.reduce<readonly string[]>((acc, m) => (m.providers?.length ? names(m.providers) : acc), defaults));
  const perProvider = new Map<string, Map<string, { disabled?: boolean; tags: Map<string, TagOverride> }>>();
  const disabledAll = new Set<string>();
  const interval = new Map<string, string>();
  if (!metrics.length) for (const p of defaults) perProvider.set(p, new Map());
  let parent: readonly string[] = defaults;
  for (const m of metrics) {
    const provs = m.providers?.length ? names(m.providers) : parent;
    parent = provs;
    for (const p of provs) {
      if (!inScope.has(p)) continue;
      if (m.reportingInterval) interval.set(p, m.reportingInterval);
      const mp = perProvider.get(p) ?? new Map();
      perProvider.set(p, mp);
      for (const o of m.overrides ?? []) {
        const applies = !o.match?.mode || o.match.mode === 'CLIENT_AND_SERVER' || o.match.mode === mode;
        const isAll = !o.match?.customMetric && (!o.match?.metric || o.match.metric === 'ALL_METRICS');
        if (isAll && o.disabled === true) {
          if (applies) disabledAll.add(p);
          continue;
        }
        if (!applies) continue;
        disabledAll.delete(p);
        const targets = o.match?.customMetric ? [o.match.customMetric] : isAll ? ALL : [o.match!.metric!];
        for (const metric of targets) {
          const cur = mp.get(metric) ?? { tags: new Map<string, TagOverride>() };
          if (o.disabled !== undefined) cur.disabled = o.disabled;
          for (const [k, v] of Object.entries(o.tagOverrides ?? {})) cur.tags.set(k, v);
          mp.set(metric, cur);
        }
      }
    }
  }
  const out = new Map<string, ProviderMetrics>();
  for (const p of [...perProvider.keys()].sort()) {
    const mp = perProvider.get(p)!;
    const overrides: MetricOverride[] = [...mp.keys()].sort().map((name) => {
      const o = mp.get(name)!;
      const tags = [...o.tags.keys()].sort().map((k): readonly [string, string | null] => {
        const t = o.tags.get(k)!;
        return [k, t.operation === 'REMOVE' ? null : (t.value ?? '')];
      });
      return { name, disabled: o.disabled === true, tags };
    });
    const iv = interval.get(p);
    out.set(p, { disabled: disabledAll.has(p), overrides, ...(iv ? { reportingInterval: iv } : {}) });
  }
  return out;
}

export interface LoggingSpec {
  readonly disabled: boolean;
  readonly filter?: string;
}

/** Access logging per provider for `mode`; undefined = no Telemetry or default provider configures logging. */
export function mergeLogs(
  mesh: MeshConfig,
  applied: readonly Telemetry[],
  mode: 'CLIENT' | 'SERVER',
): Map<string, LoggingSpec> | undefined {
  const levels = applied.map((t) => t.spec.accessLogging ?? []).filter((l) => l.length);
  const defaults = defaultProviders(mesh).accessLogging ?? [];
  if (!levels.length && !defaults.length) return undefined;
  const out = new Map<string, LoggingSpec>();
  if (!levels.length) {
    for (const p of defaults) out.set(p, { disabled: false });
    return out;
  }
  const matches = (m: { mode?: WorkloadMode } | undefined): boolean => !m?.mode || m.mode === 'CLIENT_AND_SERVER' || m.mode === mode;
  let scoped: readonly string[] = defaults;
  const filters = new Map<string, string | undefined>();
  for (const level of levels) {
    const here = new Set<string>();
    for (const l of level) {
      if (!matches(l.match)) continue;
      for (const p of names(l.providers)) {
        here.add(p);
        filters.set(p, l.filter?.expression);
      }
    }
    if (here.size) scoped = [...here];
  }
  const inScope = new Set(scoped);
  let parent: readonly string[] = defaults;
  for (const level of levels)
    for (const l of level) {
      const provs = l.providers?.length ? names(l.providers) : parent;
      parent = provs;
      for (const p of provs) {
        if (!inScope.has(p) || !matches(l.match)) continue;
        const f = filters.get(p);
        out.set(p, l.disabled === true ? { disabled: true } : { disabled: false, ...(f ? { filter: f } : {}) });
      }
    }
  return out;
}

export interface TracingSpec {
  readonly provider: string;
  readonly disabled: boolean;
  readonly randomSamplingPercentage?: number;
  readonly customTags?: Readonly<Record<string, TracingCustomTag>>;
  readonly useRequestIdForTraceSampling: boolean;
}

/**
 * The tracing a workload's Telemetries configure for `mode` (istiod's Tracing): start from
 * `defaultProviders.tracing[0]`; each entry for this mode, in order, may name a provider (its first)
 * and override span reporting, custom tags, sampling. Undefined = no Telemetry tracing and no
 * default provider (istiod's built-in tracing stays).
 */
export function mergeTracing(mesh: MeshConfig, applied: readonly Telemetry[], mode: 'CLIENT' | 'SERVER'): TracingSpec | undefined {
  const entries = applied
    .flatMap((t) => t.spec.tracing ?? [])
    .filter((t) => !t.match?.mode || t.match.mode === 'CLIENT_AND_SERVER' || t.match.mode === mode);
  const def = defaultProviders(mesh).tracing?.[0];
  if (!entries.length && !def) return undefined;
  let spec: { -readonly [K in keyof TracingSpec]: TracingSpec[K] } = {
    provider: def ?? '',
    disabled: false,
    useRequestIdForTraceSampling: true,
  };
  for (const t of entries) {
    const n = names(t.providers);
    spec = {
      ...spec,
      ...(n.length ? { provider: n[0]! } : {}),
      ...(t.disableSpanReporting !== undefined ? { disabled: t.disableSpanReporting } : {}),
      ...(t.customTags ? { customTags: t.customTags } : {}),
      ...(t.randomSamplingPercentage !== undefined ? { randomSamplingPercentage: t.randomSamplingPercentage } : {}),
      ...(t.useRequestIdForTraceSampling !== undefined ? { useRequestIdForTraceSampling: t.useRequestIdForTraceSampling } : {}),
    };
  }
  return spec;
}

/** The applied Telemetries of a workload, root first. */
export function chainFor(mesh: MeshConfig, namespace: string, labels: Readonly<Record<string, string>>): Telemetry[] {
  return telemetryChain(telemetriesFor(mesh, namespace, labels));
}
