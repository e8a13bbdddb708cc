/**
 * @module proto/patch
 * The protobuf operations EnvoyFilter patches need, by reflection over the Root of registry.ts,
 * on the translators' object form (snake_case fields, enums by name, Anys as `{"@type", ...}`):
 *
 * - `objectFromProto3Json(type, json)`: an EnvoyFilter `value` (proto3 JSON, as istiod reads it)
 *   → that object form. Parsing is proto3 JSON's (json.ts: unknown fields, bad kinds and an
 *   unresolvable `@type` throw `Proto3JsonError` naming the path and the type).
 * - `mergeObject(type, dst, src, opts)`: istiod's `pkg/proto/merge` (Go's `proto.Merge` with a
 *   Duration replaced whole) — set scalars replace, messages merge field by field, repeated fields
 *   append (with `replaceLists`, MERGE_AND_REPLACE_LIST: a list the source sets replaces the
 *   destination's, at every depth, inside Anys too), map entries replace by key, setting one member
 *   of a oneof clears the others, a Duration replaces the destination's — except that an Any merges with an Any of the same `@type` by merging the
 *   messages inside (istiod does this for filter `typed_config`; tspilot does it wherever an Any
 *   meets an Any, so a MERGE never turns a typed config into opaque bytes). Different types:
 *   the source replaces.
 * - `violations(type, obj)`: Envoy's `validate.rules` (validate.ts), as `path: message` lines.
 *
 * `PROTO_PATCH_OPS` bundles them for the pure EnvoyFilter stage (translators/envoyfilter), which
 * may not import the registry itself (invariant 1): the caller hands it these functions.
 */
import protobuf from 'protobufjs';
import { messageType } from './registry.js';
import { fromProto3Json } from './json.js';
import { validateMessage } from './validate.js';
import { typeOfUrl } from './encode.js';

type Obj = Record<string, unknown>;
const ANY = '.google.protobuf.Any';
const DURATION = '.google.protobuf.Duration';
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);

function scalarToObject(field: protobuf.Field, v: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Enum) return typeof v === 'number' ? (field.resolvedType.valuesById[v] ?? v) : v;
  if (protobuf.util.isObject(v) && typeof (v as { toNumber?: unknown }).toNumber === 'function')
    return (v as { toNumber(): number }).toNumber(); // a Long
  return v;
}

function valueToObject(field: protobuf.Field, v: unknown): unknown {
  field.resolve();
  return field.resolvedType instanceof protobuf.Type ? decodedToObject(field.resolvedType, v as Obj) : scalarToObject(field, v);
}

/** A decoded protobufjs message → the translators' object form (Anys unpacked into `@type` form). */
function decodedToObject(type: protobuf.Type, msg: Obj): Obj {
  if (type.fullName === ANY) {
    const url = msg['type_url'];
    if (typeof url !== 'string' || !url) return {};
    const inner = typeOfUrl(url);
    const bytes = msg['value'] instanceof Uint8Array ? msg['value'] : new Uint8Array();
    return { '@type': url, ...decodedToObject(inner, inner.decode(bytes) as unknown as Obj) };
  }
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    const v = msg[field.name];
    if (field.map) {
      const m: Obj = {};
      for (const k of Object.keys(v as Obj).sort()) m[k] = valueToObject(field, (v as Obj)[k]);
      if (Object.keys(m).length) out[field.name] = m;
    } else if (field.repeated) {
      if ((v as unknown[]).length) out[field.name] = (v as unknown[]).map((e) => valueToObject(field, e));
    } else {
      out[field.name] = valueToObject(field, v);
    }
  }
  return out;
}

/** Parses proto3 JSON as message `typeName` into the translators' object form. */
export function objectFromProto3Json(typeName: string, json: unknown): Obj {
  const type = messageType(typeName);
  return decodedToObject(type, type.decode(fromProto3Json(typeName, json)) as unknown as Obj);
}

/** How a merge treats repeated fields: MERGE appends, MERGE_AND_REPLACE_LIST replaces a list the source sets. */
export interface MergeOptions {
  readonly replaceLists?: boolean;
}

function mergeField(field: protobuf.Field, d: unknown, s: unknown, o: MergeOptions): unknown {
  field.resolve();
  const rt = field.resolvedType;
  if (field.map) return { ...(isObj(d) ? d : {}), ...(s as Obj) };
  if (field.repeated) {
    // An empty source list is "not set" in proto3: it leaves the destination alone either way.
    if (o.replaceLists) return (s as unknown[]).length ? s : d;
    return [...(Array.isArray(d) ? d : []), ...(s as unknown[])];
  }
  // istiod's merge replaces a Duration whole (pkg/proto/merge): field-wise, `5s` over `1.5s` would keep the nanos and give 5.5s.
  if (rt instanceof protobuf.Type && rt.fullName === DURATION) return s;
  if (rt instanceof protobuf.Type && isObj(s)) return isObj(d) ? mergeMessage(rt, d, s, o) : s;
  return s;
}

function mergeMessage(type: protobuf.Type, dst: Obj, src: Obj, o: MergeOptions): Obj {
  if (type.fullName === ANY) {
    const du = dst['@type'],
      su = src['@type'];
    if (typeof su !== 'string' || du !== su) return Object.keys(src).length ? src : dst;
    const inner = typeOfUrl(su);
    const { '@type': _d, ...dr } = dst;
    const { '@type': _s, ...sr } = src;
    return { '@type': su, ...mergeMessage(inner, dr, sr, o) };
  }
  const out: Obj = { ...dst };
  for (const key of Object.keys(src)) {
    const s = src[key];
    if (s === undefined || s === null) continue;
    const field = type.fields[key];
    if (!field) {
      out[key] = s;
      continue;
    } // encode will name the unknown field
    if (field.partOf) for (const other of field.partOf.fieldsArray) if (other.name !== key) delete out[other.name];
    out[key] = mergeField(field, out[key], s, o);
  }
  return out;
}

/** istiod's merge of `src` into a copy of `dst` (see the module comment); neither is changed. */
export function mergeObject(typeName: string, dst: object, src: object, opts: MergeOptions = {}): Obj {
  return mergeMessage(messageType(typeName), dst as Obj, src as Obj, opts);
}

/** Envoy's validate.rules violations of `obj` as message `typeName`, as `path: message` lines. */
export function violations(typeName: string, obj: object): string[] {
  return validateMessage(typeName, obj).map((v) => `${v.path || '<root>'}: ${v.message}`);
}

/** What the pure EnvoyFilter stage is given (translators/envoyfilter/ops.ts declares the shape). */
export const PROTO_PATCH_OPS = { merge: mergeObject, violations } as const;
