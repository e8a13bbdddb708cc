/**
 * @module model/telemetry
 * The Telemetry API (`telemetry.istio.io` v1/v1alpha1 Telemetry): metrics overrides, access
 * logging and tracing, each naming mesh config `extensionProviders`, and the pure function that
 * says which Telemetry objects apply to one workload, as istiod's applicableTelemetries:
 *
 * 1. the root namespace's namespace-wide Telemetry (no selector) — mesh-wide;
 * 2. the workload namespace's namespace-wide Telemetry (when that is not the root namespace);
 * 3. every Telemetry in the workload's namespace whose `selector.matchLabels` match its labels (current
 *    istiod appends them all, in creation order; older releases took only the first).
 *
 * Later levels override earlier ones (the merge rules live in translators/telemetry). Where istiod
 * orders by creation time (the namespace-wide one is the oldest), objects carry no creation time
 * here, so name order stands in (as for PeerAuthentication and DestinationRule). Plain data and pure functions.
 */
import type { ObjectMeta } from './k8s.js';
import { selectorMatches } from './labels.js';

/** Traffic direction a setting applies to (telemetry.v1alpha1.WorkloadMode). */
export type WorkloadMode = 'CLIENT_AND_SERVER' | 'CLIENT' | 'SERVER';
export const WORKLOAD_MODES: readonly WorkloadMode[] = ['CLIENT_AND_SERVER', 'CLIENT', 'SERVER'];

/** Istio's standard metrics (MetricSelector.IstioMetric). */
export const ISTIO_METRICS = [
  'ALL_METRICS',
  'REQUEST_COUNT',
  'REQUEST_DURATION',
  'REQUEST_SIZE',
  'RESPONSE_SIZE',
  'TCP_OPENED_CONNECTIONS',
  'TCP_CLOSED_CONNECTIONS',
  'TCP_SENT_BYTES',
  'TCP_RECEIVED_BYTES',
  'GRPC_REQUEST_MESSAGES',
  'GRPC_RESPONSE_MESSAGES',
] as const;
export type IstioMetric = (typeof ISTIO_METRICS)[number];

export interface ProviderRef {
  readonly name: string;
}

export interface TagOverride {
  readonly operation: 'UPSERT' | 'REMOVE';
  /** A CEL expression (UPSERT only). */
  readonly value?: string;
}

export interface MetricsOverride {
  /** Absent = every metric in both modes. `metric` and `customMetric` are exclusive. */
  readonly match?: { readonly metric?: IstioMetric; readonly customMetric?: string; readonly mode?: WorkloadMode };
  readonly disabled?: boolean;
  readonly tagOverrides?: Readonly<Record<string, TagOverride>>;
}

export interface TelemetryMetrics {
  readonly providers?: readonly ProviderRef[];
  readonly overrides?: readonly MetricsOverride[];
  /** TCP reporting interval (a duration string). */
  readonly reportingInterval?: string;
}

export interface TelemetryAccessLogging {
  readonly providers?: readonly ProviderRef[];
  readonly disabled?: boolean;
  readonly match?: { readonly mode?: WorkloadMode };
  /** A CEL expression selecting which requests are logged. */
  readonly filter?: { readonly expression: string };
}

export interface TracingCustomTag {
  readonly literal?: { readonly value: string };
  readonly environment?: { readonly name: string; readonly defaultValue?: string };
  readonly header?: { readonly name: string; readonly defaultValue?: string };
}

export interface TelemetryTracing {
  readonly providers?: readonly ProviderRef[];
  readonly match?: { readonly mode?: WorkloadMode };
  /** 0–100. */
  readonly randomSamplingPercentage?: number;
  readonly disableSpanReporting?: boolean;
  readonly customTags?: Readonly<Record<string, TracingCustomTag>>;
  readonly useRequestIdForTraceSampling?: boolean;
}

export interface TelemetrySpec {
  /** `selector.matchLabels`; absent (or empty) = namespace-wide (mesh-wide in the root namespace). */
  readonly selector?: { readonly matchLabels: Readonly<Record<string, string>> };
  readonly metrics?: readonly TelemetryMetrics[];
  readonly accessLogging?: readonly TelemetryAccessLogging[];
  readonly tracing?: readonly TelemetryTracing[];
}

export interface Telemetry {
  readonly kind: 'Telemetry';
  readonly meta: ObjectMeta;
  readonly spec: TelemetrySpec;
}

/** The Telemetry objects that apply to one workload, from least to most specific. */
export interface AppliedTelemetries {
  readonly root?: Telemetry;
  readonly namespace?: Telemetry;
  /** Workload-selecting Telemetries matching the workload, in name order. */
  readonly workloads?: readonly Telemetry[];
}

const namespaceWide = (t: Telemetry): boolean => !t.spec.selector || Object.keys(t.spec.selector.matchLabels).length === 0;
const byName = (a: Telemetry, b: Telemetry): number => (a.meta.name < b.meta.name ? -1 : a.meta.name > b.meta.name ? 1 : 0);

/** Which Telemetries apply to a workload in `namespace` with `labels` (see the module comment). */
export function appliedTelemetries(
  telemetries: readonly Telemetry[],
  rootNamespace: string,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): AppliedTelemetries {
  if (!telemetries.length) return {};
  const inNs = (ns: string): Telemetry[] => telemetries.filter((t) => t.meta.namespace === ns).sort(byName);
  const root = rootNamespace ? inNs(rootNamespace).find(namespaceWide) : undefined;
  const own = inNs(namespace);
  const ns = namespace !== rootNamespace ? own.find(namespaceWide) : undefined;
  const workloads = own.filter((t) => !namespaceWide(t) && selectorMatches(t.spec.selector?.matchLabels, labels));
  return { ...(root ? { root } : {}), ...(ns ? { namespace: ns } : {}), ...(workloads.length ? { workloads } : {}) };
}

/** The applied Telemetries in override order (root, namespace, workload). */
export function telemetryChain(a: AppliedTelemetries): Telemetry[] {
  return [a.root, a.namespace, ...(a.workloads ?? [])].filter((t): t is Telemetry => t !== undefined);
}

/** `ns/name` of each applied Telemetry, for the proxy class key; '' when none applies. */
export function telemetryKey(a: AppliedTelemetries): string {
  return telemetryChain(a)
    .map((t) => `${t.meta.namespace}/${t.meta.name}`)
    .join(',');
}
