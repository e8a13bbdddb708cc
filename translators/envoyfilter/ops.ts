/**
 * @module translators/envoyfilter/ops
 * The shapes the EnvoyFilter stage works with: the protobuf operations it is handed (proto merge
 * and Envoy's validate.rules live in proto/, which translators may not import — the caller passes
 * `PROTO_PATCH_OPS` from proto/patch.ts), one patch as a unit of application (which EnvoyFilter,
 * which configPatch), and the record of a patch skipped for one resource because it would have
 * made that resource invalid.
 */
import type { ConfigPatch, EnvoyFilter, PatchContext } from '../../model/envoyfilter.js';

/** A message in the translators' object form (snake_case fields, Anys as `{"@type", ...}`). */
export type Obj = Record<string, unknown>;

export interface ProtoOps {
  /** istiod's proto merge of `src` into a copy of `dst`, both messages of `typeName` (Anys merged by type); `replaceLists`: MERGE_AND_REPLACE_LIST. */
  merge(typeName: string, dst: object, src: object, opts?: { readonly replaceLists?: boolean }): Obj;
  /** Envoy's validate.rules violations of `obj` as `typeName`; empty when valid. */
  violations(typeName: string, obj: object): string[];
}

/** One configPatch of one EnvoyFilter: what is applied, skipped and reported. */
export interface Unit {
  /** `namespace/name` of the EnvoyFilter. */
  readonly filter: string;
  readonly index: number;
  readonly patch: ConfigPatch;
}

export function unitsOf(filters: readonly EnvoyFilter[]): Unit[] {
  return filters.flatMap((f) =>
    f.spec.configPatches.map((patch, index) => ({ filter: `${f.meta.namespace}/${f.meta.name}`, index, patch })),
  );
}

/** MERGE and MERGE_AND_REPLACE_LIST (newer istiod): the operations that merge the value into what matches. */
export const isMerge = (u: Unit): boolean => u.patch.operation === 'MERGE' || u.patch.operation === 'MERGE_AND_REPLACE_LIST';

/** The unit's value merged into `dst` (a message of `typeName`) with the unit's list semantics. */
export const mergeUnit = (ops: ProtoOps, typeName: string, dst: Obj, u: Unit): Obj =>
  u.patch.value ? ops.merge(typeName, dst, u.patch.value, { replaceLists: u.patch.operation === 'MERGE_AND_REPLACE_LIST' }) : dst;

/** A patch not applied to one resource because the result failed Envoy's validate.rules. */
export interface PatchSkip {
  readonly filter: string;
  readonly patchIndex: number;
  readonly typeUrl: string;
  readonly resource: string;
  readonly reason: string;
  /** The patch does not apply to this kind of proxy at all (proxyless.ts), rather than making the resource invalid. */
  readonly notApplicable?: true;
}

/** Where the resource being patched sits, as EnvoyFilter `match.context` names it. */
export type ResourceContext = Exclude<PatchContext, 'ANY'>;

export const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
export const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
