/**
 * @module translators/envoyfilter/trace
 * A traced apply, for `explain`: how one resource went from what the translators generated to
 * what is served, one EnvoyFilter patch at a time. Computed from the same record the stage
 * serves from (index.ts keeps, per resource, the generated value, the patches that applied and
 * the function that applies them), so the last step is the served resource by construction.
 *
 * Step i is the resource with the first i applicable patches applied, in istiod's order of
 * application for its kind (list operations before MERGEs, see listener.ts / route.ts) — so a
 * step shows what that patch adds to the ones before it. Patches that change nothing are left
 * out; patches skipped for this resource (they would make it invalid, or an ADD's name was taken)
 * are listed with their reason. Pure.
 */
import type { Obj, PatchSkip, Unit } from './ops.js';

export interface PatchStep {
  /** `namespace/name` of the EnvoyFilter. */
  readonly filter: string;
  readonly patchIndex: number;
  readonly applyTo: string;
  readonly operation: string;
  /** The resource after this patch (and the ones before it); null: the patch removed it. */
  readonly after: Obj | null;
}

export interface PatchTrace {
  readonly typeUrl: string;
  readonly name: string;
  /** What the translators generated; null when an EnvoyFilter ADD created the resource. */
  readonly generated: Obj | null;
  readonly steps: readonly PatchStep[];
  readonly skipped: readonly PatchSkip[];
}

/** How index.ts remembers one patched resource. */
export interface Patching {
  readonly base: Obj | null;
  /** The patches applied to it, in order (skipped ones left out). */
  readonly enabled: readonly Unit[];
  /** Applies a prefix of `enabled` to `base` (unused when `base` is null). */
  readonly apply: (units: readonly Unit[]) => Obj | null;
}

const same = (a: Obj | null, b: Obj | null): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The trace of one resource: `served` is what the stage serves for it (null: removed), `decorate`
 * adds the provenance the stage adds to a step's result (given the filters of the steps so far).
 */
export function traceOf(
  typeUrl: string,
  name: string,
  p: Patching,
  served: Obj | null,
  skips: readonly PatchSkip[],
  decorate: (r: Obj, filters: readonly string[]) => Obj,
): PatchTrace | undefined {
  const skipped = skips.filter((s) => s.typeUrl === typeUrl && s.resource === name);
  const steps: PatchStep[] = [];
  const step = (u: Unit, after: Obj | null): PatchStep => ({
    filter: u.filter,
    patchIndex: u.index,
    applyTo: u.patch.applyTo,
    operation: u.patch.operation,
    after,
  });
  if (p.base === null) {
    // Added by an ADD: one step, the resource as served.
    const u = p.enabled[0];
    if (u) steps.push(step(u, served));
  } else {
    let prev: Obj | null = p.base;
    const filters: string[] = [];
    p.enabled.forEach((u, i) => {
      const r = p.apply(p.enabled.slice(0, i + 1));
      if (same(r, prev)) return;
      if (!filters.includes(u.filter)) filters.push(u.filter);
      prev = r;
      steps.push(step(u, r && decorate(r, [...filters].sort())));
    });
    // The last step is what is served (its provenance names the filters the result depends on).
    const last = steps[steps.length - 1];
    if (last) steps[steps.length - 1] = { ...last, after: served };
  }
  if (!steps.length && !skipped.length) return undefined;
  return { typeUrl, name, generated: p.base, steps, skipped };
}
