/**
 * @module server/explain/patches
 * The EnvoyFilter part of `explain`: for a resource EnvoyFilter patches touched, the resource as
 * translated, then after each patch (EnvoyFilter, patch index, applyTo and operation) the
 * resulting resource as proto3 JSON and its field diff from the step before, and the patches
 * skipped for it with their reason. The steps come from the EnvoyFilter stage's own traced apply
 * (translators/envoyfilter/trace.ts) on the proxy's output, so the last one is what is served.
 */
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { encodeResource } from '../../proto/encode.js';
import type { JsonValue } from '../../proto/json.js';
import { PROTO_PATCH_OPS } from '../../proto/patch.js';
import { MESSAGE_OF, type XdsType } from '../../proto/typeurls.js';
import { generate, type Generated } from '../../translators/index.js';
import { fieldDiff } from './diff.js';
import { resourceJson } from './translate.js';

export interface PatchStepView {
  readonly filter: string;
  readonly patchIndex: number;
  readonly applyTo: string;
  readonly operation: string;
  /** The resource after this patch, as served would show it; null: the patch removed it. */
  readonly resource: JsonValue | null;
  /** What this patch changed, `path: old → new` (see diff.ts fieldDiff). */
  readonly changes: readonly string[];
}

export interface PatchTraceView {
  /** The resource as translated, before any patch; null when an EnvoyFilter ADD created it. */
  readonly generated: JsonValue | null;
  readonly steps: readonly PatchStepView[];
  readonly skipped: readonly { filter: string; patchIndex: number; reason: string }[];
}

/** The proxy's output (lazily translated: only what a trace looks at is computed). */
export const proxyOutput = (mesh: MeshConfig, proxy: Proxy): Generated => generate(mesh, proxy, PROTO_PATCH_OPS);

/** The trace of resource `name` of type `t`, or undefined when no EnvoyFilter patch applied to it. */
export function patchTrace(g: Generated, t: XdsType, name: string): PatchTraceView | undefined {
  const tr = g.envoyFilters?.trace(t, name);
  if (!tr) return undefined;
  const json = (o: object | null): JsonValue | null => (o ? resourceJson(encodeResource(MESSAGE_OF[t], name, o)) : null);
  const generated = json(tr.generated);
  let prev: JsonValue | null = generated;
  const steps = tr.steps.map((s) => {
    const resource = json(s.after);
    const changes = resource === null ? ['(removed)'] : fieldDiff(prev ?? undefined, resource);
    prev = resource;
    return { filter: s.filter, patchIndex: s.patchIndex, applyTo: s.applyTo, operation: s.operation, resource, changes };
  });
  return { generated, steps, skipped: tr.skipped.map((s) => ({ filter: s.filter, patchIndex: s.patchIndex, reason: s.reason })) };
}

/** The trace as explain lines. */
export function patchLines(p: PatchTraceView): string[] {
  const out = [
    p.generated ? 'EnvoyFilter patches, in order of application, starting from the translated resource:' : 'EnvoyFilter patches:',
  ];
  for (const s of p.steps) {
    const head = `${p.generated || s !== p.steps[0] ? 'after' : 'added by'} EnvoyFilter ${s.filter} patch ${s.patchIndex} (${s.applyTo} ${s.operation})`;
    out.push(s.resource === null ? `${head}: removed` : `${head}: ${s.changes.length ? s.changes.join('; ') : 'no change'}`);
  }
  for (const s of p.skipped) out.push(`skipped EnvoyFilter ${s.filter} patch ${s.patchIndex}: ${s.reason}`);
  return out;
}

/**
 * Who set a served cluster's `field` (proto3 JSON name) beyond translation: the last EnvoyFilter
 * patch that changed it (from the trace), or, without a trace, the EnvoyFilters of the cluster's
 * `provenance` as a possibility; '' when no EnvoyFilter touched the cluster or, per the trace, that field.
 */
export function setBy(pt: PatchTraceView | undefined, provenance: readonly string[], field: string): string {
  if (pt) {
    const step = [...pt.steps].reverse().find((s) => s.changes.some((ch) => ch.startsWith(`${field}: `) || ch.startsWith(`${field}.`)));
    return step ? `set by EnvoyFilter ${step.filter} patch ${step.patchIndex}` : '';
  }
  return provenance.length ? `as served: EnvoyFilter ${provenance.join(', ')} patched this cluster and may have set it` : '';
}
