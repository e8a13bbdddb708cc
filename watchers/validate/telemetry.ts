/**
 * @module watchers/validate/telemetry
 * Validates a Telemetry (telemetry.istio.io v1/v1alpha1) with istiod's rules (validateTelemetry):
 * a workload selector of valid labels without wildcards; provider references with a name; metrics
 * overrides whose `match` names an Istio metric or a custom one (not both) and a mode CLIENT,
 * SERVER or CLIENT_AND_SERVER; tag overrides UPSERT with a value or REMOVE without one; a
 * reportingInterval that is a duration; access logging `match.mode` and `filter.expression`;
 * tracing with at most one provider, `randomSamplingPercentage` within 0–100 and custom tags of
 * exactly one kind (literal, environment, header). Every problem names the field. Provider names
 * are not checked against the mesh config here: istiod accepts them and ignores unknown ones at
 * translation, and so does tspilot (docs/telemetry.md).
 */
import {
  ISTIO_METRICS,
  WORKLOAD_MODES,
  type IstioMetric,
  type MetricsOverride,
  type ProviderRef,
  type TagOverride,
  type Telemetry,
  type TelemetryAccessLogging,
  type TelemetryMetrics,
  type TelemetryTracing,
  type TracingCustomTag,
  type WorkloadMode,
} from '../../model/telemetry.js';
import { type Raw, Reader } from './check.js';
import { readDuration } from './common-istio.js';
import { readMeta } from './meta.js';
import { readMatchLabelsSelector } from './peerauthentication.js';

function readProviders(r: Reader, v: unknown, path: string): ProviderRef[] | undefined {
  const list = r.array(v, path);
  if (!list) return undefined;
  const out: ProviderRef[] = [];
  list.forEach((e, i) => {
    const o = r.object(e, `${path}[${i}]`, true);
    if (!o) return;
    const name = r.string(o['name'], `${path}[${i}].name`, true);
    if (name) out.push({ name });
  });
  return out;
}

function readMode(r: Reader, v: unknown, path: string): WorkloadMode | undefined {
  const m = r.string(v, path);
  if (m === undefined) return undefined;
  if (!(WORKLOAD_MODES as readonly string[]).includes(m)) {
    r.fail(path, `"${m}" is not one of ${WORKLOAD_MODES.join(', ')}`);
    return undefined;
  }
  return m as WorkloadMode;
}

function readModeMatch(r: Reader, v: unknown, path: string): { mode?: WorkloadMode } | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  const mode = readMode(r, o['mode'], `${path}.mode`);
  return mode ? { mode } : {};
}

function readOverride(r: Reader, v: unknown, path: string): MetricsOverride | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, ['match', 'disabled', 'tagOverrides']);
  let match: { metric?: IstioMetric; customMetric?: string; mode?: WorkloadMode } | undefined;
  const m = r.object(o['match'], `${path}.match`);
  if (m) {
    r.known(m, `${path}.match`, ['metric', 'customMetric', 'mode']);
    const metric = r.string(m['metric'], `${path}.match.metric`);
    const customMetric = r.string(m['customMetric'], `${path}.match.customMetric`);
    if (metric !== undefined && customMetric !== undefined) r.fail(`${path}.match`, 'set either metric or customMetric, not both');
    if (metric !== undefined && !(ISTIO_METRICS as readonly string[]).includes(metric))
      r.fail(`${path}.match.metric`, `"${metric}" is not one of ${ISTIO_METRICS.join(', ')}`);
    if (customMetric === '') r.fail(`${path}.match.customMetric`, 'must not be empty');
    const mode = readMode(r, m['mode'], `${path}.match.mode`);
    match = {
      ...(metric && (ISTIO_METRICS as readonly string[]).includes(metric) ? { metric: metric as IstioMetric } : {}),
      ...(customMetric ? { customMetric } : {}),
      ...(mode ? { mode } : {}),
    };
  }
  const disabled = r.bool(o['disabled'], `${path}.disabled`);
  const tags: Record<string, TagOverride> = {};
  const to = r.object(o['tagOverrides'], `${path}.tagOverrides`);
  for (const [k, tv] of Object.entries(to ?? {})) {
    const tp = `${path}.tagOverrides.${k}`;
    const t = r.object(tv, tp, true);
    if (!t) continue;
    const op = r.string(t['operation'], `${tp}.operation`) ?? 'UPSERT';
    const value = r.string(t['value'], `${tp}.value`);
    if (op !== 'UPSERT' && op !== 'REMOVE') r.fail(`${tp}.operation`, `"${op}" is not UPSERT or REMOVE`);
    else if (op === 'REMOVE' && value !== undefined) r.fail(`${tp}.value`, 'must not be set when operation is REMOVE');
    else if (op === 'UPSERT' && !value) r.fail(`${tp}.value`, 'must be set when operation is UPSERT');
    else tags[k] = { operation: op, ...(value ? { value } : {}) };
  }
  return {
    ...(match ? { match } : {}),
    ...(disabled !== undefined ? { disabled } : {}),
    ...(Object.keys(tags).length ? { tagOverrides: tags } : {}),
  };
}

function readMetrics(r: Reader, v: unknown, path: string): TelemetryMetrics | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, ['providers', 'overrides', 'reportingInterval']);
  const providers = readProviders(r, o['providers'], `${path}.providers`);
  const overrides = (r.array(o['overrides'], `${path}.overrides`) ?? [])
    .map((x, i) => readOverride(r, x, `${path}.overrides[${i}]`))
    .filter((x): x is MetricsOverride => x !== undefined);
  const reportingInterval = readDuration(r, o['reportingInterval'], `${path}.reportingInterval`);
  return {
    ...(providers ? { providers } : {}),
    ...(overrides.length ? { overrides } : {}),
    ...(reportingInterval ? { reportingInterval } : {}),
  };
}

function readAccessLogging(r: Reader, v: unknown, path: string): TelemetryAccessLogging | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, ['providers', 'disabled', 'match', 'filter']);
  const providers = readProviders(r, o['providers'], `${path}.providers`);
  const disabled = r.bool(o['disabled'], `${path}.disabled`);
  const match = readModeMatch(r, o['match'], `${path}.match`);
  const f = r.object(o['filter'], `${path}.filter`);
  const expression = f ? r.string(f['expression'], `${path}.filter.expression`, true) : undefined;
  return {
    ...(providers ? { providers } : {}),
    ...(disabled !== undefined ? { disabled } : {}),
    ...(match?.mode ? { match } : {}),
    ...(expression ? { filter: { expression } } : {}),
  };
}

function readCustomTag(r: Reader, v: unknown, path: string): TracingCustomTag | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  const kinds = ['literal', 'environment', 'header'].filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) {
    r.fail(path, 'set exactly one of literal, environment, header');
    return undefined;
  }
  const k = kinds[0]!;
  const t = r.object(o[k], `${path}.${k}`, true);
  if (!t) return undefined;
  if (k === 'literal') {
    const value = r.string(t['value'], `${path}.literal.value`, true);
    return value !== undefined ? { literal: { value } } : undefined;
  }
  const name = r.string(t['name'], `${path}.${k}.name`, true);
  const defaultValue = r.string(t['defaultValue'], `${path}.${k}.defaultValue`);
  if (!name) return undefined;
  const body = { name, ...(defaultValue !== undefined ? { defaultValue } : {}) };
  return k === 'environment' ? { environment: body } : { header: body };
}

function readTracing(r: Reader, v: unknown, path: string): TelemetryTracing | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, [
    'providers',
    'match',
    'randomSamplingPercentage',
    'disableSpanReporting',
    'customTags',
    'useRequestIdForTraceSampling',
  ]);
  const providers = readProviders(r, o['providers'], `${path}.providers`);
  if (providers && providers.length > 1) r.fail(`${path}.providers`, 'at most one tracing provider may be set, as istiod requires');
  const match = readModeMatch(r, o['match'], `${path}.match`);
  const pct = r.number(o['randomSamplingPercentage'], `${path}.randomSamplingPercentage`, { min: 0, max: 100 });
  const disableSpanReporting = r.bool(o['disableSpanReporting'], `${path}.disableSpanReporting`);
  const useRequestId = r.bool(o['useRequestIdForTraceSampling'], `${path}.useRequestIdForTraceSampling`);
  const tags: Record<string, TracingCustomTag> = {};
  const ct = r.object(o['customTags'], `${path}.customTags`);
  for (const [k, tv] of Object.entries(ct ?? {})) {
    const t = readCustomTag(r, tv, `${path}.customTags.${k}`);
    if (t) tags[k] = t;
  }
  return {
    ...(providers ? { providers } : {}),
    ...(match?.mode ? { match } : {}),
    ...(pct !== undefined ? { randomSamplingPercentage: pct } : {}),
    ...(disableSpanReporting !== undefined ? { disableSpanReporting } : {}),
    ...(useRequestId !== undefined ? { useRequestIdForTraceSampling: useRequestId } : {}),
    ...(ct ? { customTags: tags } : {}),
  };
}

export function readTelemetry(r: Reader, raw: Raw, ns: string): Telemetry {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec') ?? {};
  r.known(spec, 'spec', ['selector', 'metrics', 'accessLogging', 'tracing', 'targetRef', 'targetRefs']);
  if (spec['targetRef'] !== undefined || spec['targetRefs'] !== undefined)
    r.fail(
      spec['targetRef'] !== undefined ? 'spec.targetRef' : 'spec.targetRefs',
      'policy attachment by targetRef is not supported by tspilot; use selector',
    );
  const selector = readMatchLabelsSelector(r, spec['selector'], 'spec.selector');
  const list = <T>(key: string, read: (r: Reader, v: unknown, path: string) => T | undefined): T[] =>
    (r.array(spec[key], `spec.${key}`) ?? []).map((x, i) => read(r, x, `spec.${key}[${i}]`)).filter((x): x is T => x !== undefined);
  const metrics = list('metrics', readMetrics);
  const accessLogging = list('accessLogging', readAccessLogging);
  const tracing = list('tracing', readTracing);
  return {
    kind: 'Telemetry',
    meta,
    spec: {
      ...(selector && Object.keys(selector.matchLabels).length ? { selector } : {}),
      ...(metrics.length ? { metrics } : {}),
      ...(accessLogging.length ? { accessLogging } : {}),
      ...(tracing.length ? { tracing } : {}),
    },
  };
}
