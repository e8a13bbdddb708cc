/**
 * @module proto/json
 * Canonical proto3 JSON (the mapping Go's protojson, and so istioctl, reads and writes), done by
 * reflection over the protobufjs types of `proto/registry.ts`.
 *
 * Contract:
 * - `toProto3Json(type, bytes)` / `messageToProto3Json(type, decoded)`: lowerCamelCase keys (the
 *   field's `json_name`), enums by name (unknown numbers stay numbers), 64-bit integers as strings,
 *   bytes as padded standard base64, NaN/±Infinity as strings, float32 printed with the shortest
 *   digits that round-trip in 32 bits. Well-known types: Any → `{"@type", ...fields}` (WKTs inside
 *   an Any → `{"@type", "value"}`), Duration → `"1.500s"` (0/3/6/9 fractional digits), Timestamp →
 *   RFC 3339 with `Z`, Struct/Value/ListValue → plain JSON, wrappers → bare value, FieldMask →
 *   comma-joined lowerCamelCase paths, Empty → `{}`.
 *   Defaults are omitted as protojson does: a scalar without presence (not a oneof member, not
 *   `optional`) at its default, empty lists and maps, unset messages. Output is deterministic: keys
 *   in declaration order (protojson's `order.IndexOrder`), `@type` first, map keys sorted.
 *   Throws `Proto3JsonError` where protojson would refuse to marshal (unresolvable Any type,
 *   Duration/Timestamp out of range, a Value with no kind or a non-finite number).
 * - `fromProto3Json(type, json)`: the inverse, to bytes. Accepts lowerCamelCase and the original
 *   snake_case names, integers as numbers or strings, NaN/Infinity strings, standard or URL-safe
 *   base64, enum names or numbers, `null` as "unset" (except for Value / NullValue). Encodes the
 *   way `proto/encode.ts` does (defaults dropped, map keys sorted, an Any's `value` always
 *   written), so bytes from `encodeMessage` survive bytes → JSON → bytes unchanged. Unknown fields,
 *   a field given twice, two members of one oneof, wrong JSON kinds and out-of-range numbers throw
 *   `Proto3JsonError` with the JSON path (`filterChains[0].filters[0].typedConfig.statPrefx`).
 * - Not supported (no Envoy message uses them): maps with 64-bit integer keys, proto2 groups,
 *   extensions. Negative zero in a float field is printed as 0.
 */
import protobuf from 'protobufjs';
import { messageType } from './registry.js';
import {
  b64,
  camelToSnake,
  fail,
  G,
  is64BitKey,
  join,
  jsonName,
  lowerCamel,
  MAX_DURATION_S,
  MAX_TS_S,
  MIN_TS_S,
  nameOf,
  own,
  resolveUrl,
  toBig,
  VALUE_FORM,
  valueNames,
  WRAPPERS,
  type JsonObject,
  isDefaultScalar,
  type JsonValue,
  type Plain,
} from './json-common.js';

export { lowerCamel, Proto3JsonError, type JsonValue } from './json-common.js';
export { fromProto3Json } from './json-parse.js';

/** Fraction for Duration/Timestamp: none, or 3, 6 or 9 digits (protojson's rule). */
function nanosSuffix(n: number): string {
  const s = String(n).padStart(9, '0');
  return n === 0 ? '' : '.' + (n % 1e6 === 0 ? s.slice(0, 3) : n % 1e3 === 0 ? s.slice(0, 6) : s);
}

function doubleJson(v: number): JsonValue {
  return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}
/** The shortest decimal that reads back as the same float32 (what protojson prints). */
function float32Json(v: number): JsonValue {
  for (let p = 1; p <= 9 && Number.isFinite(v); p++) if (Math.fround(Number(v.toPrecision(p))) === v) return Number(v.toPrecision(p));
  return doubleJson(v);
}

function scalarToJson(field: protobuf.Field, v: unknown): JsonValue {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum)
    return rt.fullName === '.google.protobuf.NullValue' ? null : typeof v === 'number' ? (rt.valuesById[v] ?? v) : String(v);
  if (field.long) return String(v);
  switch (field.type) {
    case 'double':
      return doubleJson(Number(v));
    case 'float':
      return float32Json(Number(v));
    case 'bytes':
      return v instanceof Uint8Array ? b64(v) : String(v);
    default:
      return v as JsonValue; // string, bool or a 32-bit integer as decoded by protobufjs
  }
}

function valueToJson(field: protobuf.Field, v: unknown, path: string): JsonValue {
  const rt = field.resolvedType;
  return rt instanceof protobuf.Type ? messageToProto3Json(rt, v as object, path) : scalarToJson(field, v);
}

/** Decodes `bytes` as `typeName` and renders it as proto3 JSON. */
export function toProto3Json(typeName: string, bytes: Uint8Array): JsonValue {
  const type = messageType(typeName);
  return messageToProto3Json(type, type.decode(bytes));
}

/** Proto3 JSON of a message decoded by protobufjs (own properties = fields present on the wire). */
export function messageToProto3Json(type: protobuf.Type, decoded: object, path = ''): JsonValue {
  const m = decoded as Plain;
  switch (nameOf(type)) {
    case G + 'Any':
      return anyToJson(m, path);
    case G + 'Duration':
      return durationToJson(m, path);
    case G + 'Timestamp':
      return timestampToJson(m, path);
    case G + 'Struct':
      return structToJson(m, path);
    case G + 'ListValue':
      return ((m['values'] ?? []) as Plain[]).map((e, i) => valueMsgToJson(e, `${path}[${i}]`));
    case G + 'Value':
      return valueMsgToJson(m, path);
    case G + 'FieldMask':
      return fieldMaskToJson(m, path);
  }
  if (WRAPPERS.has(nameOf(type))) {
    const f = type.fields['value'] as protobuf.Field;
    return scalarToJson(f, own(m, 'value') ? m['value'] : f.long ? '0' : f.type === 'bytes' ? new Uint8Array(0) : f.typeDefault);
  }
  const out: JsonObject = {};
  for (const field of type.fieldsArray) {
    if (!own(m, field.name) || m[field.name] == null) continue;
    const v = m[field.name];
    const key = jsonName(field);
    const fp = join(path, key);
    if (field.map) {
      const entries = v as Plain;
      const keys = Object.keys(entries);
      if (!keys.length) continue;
      const keyType = (field as unknown as { keyType: string }).keyType; // fieldsArray holds MapFields too
      if (is64BitKey(keyType)) fail(fp, '64-bit map keys are not supported');
      if (keyType !== 'string' && keyType !== 'bool') keys.sort((a, b) => Number(a) - Number(b));
      else keys.sort();
      const o: JsonObject = {};
      for (const k of keys) o[k] = valueToJson(field, entries[k], `${fp}[${k}]`);
      out[key] = o;
    } else if (field.repeated) {
      const list = v as unknown[];
      if (list.length) out[key] = list.map((e, i) => valueToJson(field, e, `${fp}[${i}]`));
    } else if (field.resolvedType instanceof protobuf.Type) {
      out[key] = messageToProto3Json(field.resolvedType, v as object, fp);
    } else if (field.hasPresence || !isDefaultScalar(field, v)) {
      out[key] = scalarToJson(field, v);
    }
  }
  return out;
}

function anyToJson(m: Plain, path: string): JsonValue {
  const url = String(m['type_url'] ?? '');
  const value = (m['value'] ?? new Uint8Array(0)) as Uint8Array;
  if (!url) return value.length ? fail(path, 'Any has a value but no type_url') : {};
  const inner = resolveUrl(url, path);
  const json = messageToProto3Json(inner, inner.decode(value), `${path}<${inner.name}>`);
  if (VALUE_FORM.has(nameOf(inner))) return { '@type': url, value: json };
  return { '@type': url, ...(json as JsonObject) };
}

function durationToJson(m: Plain, path: string): string {
  const s = toBig(m['seconds']);
  const n = Number(m['nanos'] ?? 0);
  const bad = s > MAX_DURATION_S || s < -MAX_DURATION_S || Math.abs(n) >= 1e9 || (s > 0n && n < 0) || (s < 0n && n > 0);
  if (bad) fail(path, `Duration out of range (seconds ${s}, nanos ${n})`);
  const neg = s < 0n || n < 0;
  return `${neg ? '-' : ''}${neg ? -s : s}${nanosSuffix(Math.abs(n))}s`;
}

function timestampToJson(m: Plain, path: string): string {
  const s = toBig(m['seconds']);
  const n = Number(m['nanos'] ?? 0);
  if (s < MIN_TS_S || s > MAX_TS_S || n < 0 || n >= 1e9) fail(path, `Timestamp out of range (seconds ${s}, nanos ${n})`);
  return new Date(Number(s) * 1000).toISOString().slice(0, 19) + nanosSuffix(n) + 'Z';
}

function structToJson(m: Plain, path: string): JsonObject {
  const fields = (m['fields'] ?? {}) as Record<string, Plain>;
  const out: JsonObject = {};
  for (const k of Object.keys(fields).sort()) out[k] = valueMsgToJson(fields[k] as Plain, `${path}.${k}`);
  return out;
}

function valueMsgToJson(m: Plain, path: string): JsonValue {
  const [nul, num, str, bool, struct, list] = valueNames() as [string, string, string, string, string, string];
  if (own(m, nul)) return null;
  if (own(m, num))
    return Number.isFinite(Number(m[num])) ? Number(m[num]) : fail(path, `google.protobuf.Value cannot hold ${m[num]} in JSON`);
  if (own(m, str)) return String(m[str]);
  if (own(m, bool)) return Boolean(m[bool]);
  if (own(m, struct)) return structToJson(m[struct] as Plain, path);
  if (own(m, list)) return (((m[list] as Plain)['values'] as Plain[]) ?? []).map((e, i) => valueMsgToJson(e, `${path}[${i}]`));
  fail(path, 'google.protobuf.Value has no kind set');
}

function fieldMaskToJson(m: Plain, path: string): string {
  return ((m['paths'] ?? []) as string[])
    .map((p) => {
      const camel = p.split('.').map(lowerCamel).join('.');
      if (camelToSnake(camel) !== p) fail(path, `FieldMask path ${JSON.stringify(p)} has no JSON form`);
      return camel;
    })
    .join(',');
}
