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
import { envoyRoot, messageType } from './registry.js';
import type { Json } from './struct.js';

export type JsonValue = Json;
type JsonObject = { [k: string]: JsonValue };
/** A decoded protobufjs message or the plain object handed to `Type.encode`: fields by proto name. */
type Plain = Record<string, unknown>;

export class Proto3JsonError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path || '<root>'}: ${reason}`);
    this.name = 'Proto3JsonError';
  }
}

const G = 'google.protobuf.';
const WRAPPERS = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map(
    (n) => G + n,
  ),
);
/** Types whose JSON is not "an object of their fields": inside an Any they go under `"value"`. */
const VALUE_FORM = new Set([
  ...WRAPPERS,
  ...['Any', 'Duration', 'Timestamp', 'Struct', 'Value', 'ListValue', 'FieldMask', 'Empty'].map((n) => G + n),
]);
const MAX_DURATION_S = 315_576_000_000n;
const MIN_TS_S = -62_135_596_800n; // 0001-01-01T00:00:00Z
const MAX_TS_S = 253_402_300_799n; // 9999-12-31T23:59:59Z
const FLOAT_MAX = 3.4028234663852886e38;
const S32 = [-(2n ** 31n), 2n ** 31n - 1n] as const,
  U32 = [0n, 2n ** 32n - 1n] as const;
const S64 = [-(2n ** 63n), 2n ** 63n - 1n] as const,
  U64 = [0n, 2n ** 64n - 1n] as const;
const INT_RANGE: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: S32,
  sint32: S32,
  sfixed32: S32,
  uint32: U32,
  fixed32: U32,
  int64: S64,
  sint64: S64,
  sfixed64: S64,
  uint64: U64,
  fixed64: U64,
};
const is64BitKey = (keyType: string): boolean => keyType !== 'string' && keyType.endsWith('64');

function fail(path: string, reason: string): never {
  throw new Proto3JsonError(path, reason);
}
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const nameOf = (t: protobuf.Type): string => t.fullName.slice(1);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** protoc's ToJsonName: drop `_`, upper-case the character after it. */
export const lowerCamel = (name: string): string => name.replace(/_+(.?)/g, (_m, c: string) => c.toUpperCase());

const jsonName = (f: protobuf.Field): string =>
  typeof f.options?.['json_name'] === 'string' ? f.options['json_name'] : lowerCamel(f.name);

const keyIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
function fieldByJsonKey(type: protobuf.Type, key: string): protobuf.Field | undefined {
  let idx = keyIndex.get(type);
  if (!idx)
    keyIndex.set(
      type,
      (idx = new Map(
        type.fieldsArray.flatMap((f) => [
          [f.name, f],
          [jsonName(f), f],
        ]),
      )),
    );
  return idx.get(key);
}

function resolveUrl(url: string, path: string): protobuf.Type {
  try {
    return envoyRoot().lookupType('.' + url.slice(url.lastIndexOf('/') + 1)); // absolute: no fuzzy search of nested namespaces
  } catch {
    return fail(join(path, '@type'), `cannot resolve Any type ${JSON.stringify(url)}`);
  }
}

/**
 * Field names of google.protobuf.Value by number (null, number, string, bool, struct, list).
 * Looked up rather than spelled: protobufjs serves struct.proto from its bundled camelCase copy
 * (`nullValue`), ignoring keepCase, so the names depend on how registry.ts loads it.
 */
let valueNamesCache: readonly string[] | undefined;
const valueNames = (): readonly string[] =>
  (valueNamesCache ??= [1, 2, 3, 4, 5, 6].map((id) => (messageType(G + 'Value').fieldsById[id] as protobuf.Field).name));

const toBig = (v: unknown): bigint => BigInt(String(v ?? 0)); // Long#toString, number, decimal string
const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

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

function isDefaultScalar(field: protobuf.Field, v: unknown): boolean {
  if (field.long) return String(v) === '0';
  if (v instanceof Uint8Array) return v.length === 0;
  return v === 0 || v === '' || v === false;
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

const camelToSnake = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

// ---------------------------------------------------------------------------------------------
// JSON → bytes

/** Parses proto3 JSON as `typeName` and returns its canonical bytes. */
export function fromProto3Json(typeName: string, json: unknown): Uint8Array {
  const type = messageType(typeName);
  return type.encode(messageFromJson(type, json, '')).finish();
}

function messageFromJson(type: protobuf.Type, json: unknown, path: string): Plain {
  const name = nameOf(type);
  switch (name) {
    case G + 'Any':
      return anyFromJson(json, path);
    case G + 'Duration':
      return durationFromJson(json, path);
    case G + 'Timestamp':
      return timestampFromJson(json, path);
    case G + 'Struct':
      return structFromJson(json, path);
    case G + 'Value':
      return valueFromJson(json, path);
    case G + 'ListValue':
      return Array.isArray(json)
        ? { values: json.map((e, i) => valueFromJson(e, `${path}[${i}]`)) }
        : fail(path, 'expected a JSON array for google.protobuf.ListValue');
    case G + 'FieldMask':
      if (typeof json !== 'string') return fail(path, 'expected a string for google.protobuf.FieldMask');
      return {
        paths:
          json === ''
            ? []
            : json
                .split(',')
                .map((p) => (p.includes('_') ? fail(path, `FieldMask path ${JSON.stringify(p)} must be lowerCamelCase`) : camelToSnake(p))),
      };
  }
  if (WRAPPERS.has(name)) {
    const f = type.fields['value'] as protobuf.Field;
    const v = scalarFromJson(f, json, path);
    return isDefaultScalar(f, v) ? {} : { value: v };
  }
  if (!isObject(json)) fail(path, `expected a JSON object for ${name}`);
  const out: Plain = {};
  const seen = new Map<protobuf.Field, string>();
  const oneofs = new Map<protobuf.OneOf, string>();
  for (const key of Object.keys(json)) {
    const fp = join(path, key);
    const field = fieldByJsonKey(type, key);
    if (!field) fail(fp, `unknown field ${JSON.stringify(key)} in ${name}`);
    const prev = seen.get(field);
    if (prev !== undefined) fail(fp, `field ${field.name} given twice (also as ${JSON.stringify(prev)})`);
    seen.set(field, key);
    const v = json[key];
    const rtName = field.resolvedType?.fullName;
    if (v === null && (field.repeated || field.map || (rtName !== '.google.protobuf.Value' && rtName !== '.google.protobuf.NullValue')))
      continue;
    if (field.partOf && oneofs.has(field.partOf))
      fail(fp, `oneof ${field.partOf.name} already set by ${JSON.stringify(oneofs.get(field.partOf))}`);
    if (field.partOf) oneofs.set(field.partOf, key);
    if (field.map) {
      if (!isObject(v)) fail(fp, 'expected a JSON object for a map');
      const keyType = (field as unknown as { keyType: string }).keyType; // fieldsArray holds MapFields too
      if (is64BitKey(keyType)) fail(fp, '64-bit map keys are not supported');
      const m: Plain = {};
      for (const k of Object.keys(v).sort()) {
        if (keyType === 'bool' && k !== 'true' && k !== 'false') fail(`${fp}[${k}]`, 'map key must be "true" or "false"');
        const mk = INT_RANGE[keyType] ? String(intFromJson(keyType, k, `${fp}[${k}]`)) : k;
        m[mk] = elementFromJson(field, v[k], `${fp}[${k}]`);
      }
      if (Object.keys(m).length) out[field.name] = m;
    } else if (field.repeated) {
      if (!Array.isArray(v)) fail(fp, 'expected a JSON array');
      if (v.length) out[field.name] = v.map((e, i) => elementFromJson(field, e, `${fp}[${i}]`));
    } else if (field.resolvedType instanceof protobuf.Type) {
      out[field.name] = messageFromJson(field.resolvedType, v, fp);
    } else {
      const sv = scalarFromJson(field, v, fp);
      if (field.hasPresence || !isDefaultScalar(field, sv)) out[field.name] = sv;
    }
  }
  return out;
}

function elementFromJson(field: protobuf.Field, v: unknown, path: string): unknown {
  const rt = field.resolvedType;
  if (v === null && rt?.fullName !== '.google.protobuf.Value') fail(path, 'null is not allowed here');
  return rt instanceof protobuf.Type ? messageFromJson(rt, v, path) : scalarFromJson(field, v, path);
}

function scalarFromJson(field: protobuf.Field, v: unknown, path: string): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) {
    if (v === null && rt.fullName === '.google.protobuf.NullValue') return 0;
    if (typeof v !== 'string') return intFromJson('int32', v, path);
    return rt.values[v] ?? fail(path, `${JSON.stringify(v)} is not a value of ${rt.fullName.slice(1)}`);
  }
  switch (field.type) {
    case 'string':
      return typeof v === 'string' ? v : fail(path, 'expected a string');
    case 'bool':
      return typeof v === 'boolean' ? v : fail(path, 'expected true or false');
    case 'bytes':
      return typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v)
        ? new Uint8Array(Buffer.from(v, 'base64'))
        : fail(path, 'expected base64 bytes');
    case 'double':
    case 'float':
      return floatFromJson(field.type, v, path);
    default:
      return intFromJson(field.type, v, path);
  }
}

/** A 32-bit integer as a number, a 64-bit one as a decimal string (protobufjs writers take both). */
function intFromJson(kind: string, v: unknown, path: string): number | string {
  let big: bigint;
  if (typeof v === 'number' && Number.isInteger(v)) big = BigInt(v);
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) big = BigInt(v);
  else if (typeof v === 'string' && v.trim() === v && v !== '' && Number.isInteger(Number(v))) big = BigInt(Number(v));
  else fail(path, `expected an integer (${kind}), got ${JSON.stringify(v)}`);
  const range = INT_RANGE[kind];
  if (!range) fail(path, `unsupported scalar type ${kind}`);
  if (big < range[0] || big > range[1]) fail(path, `${big} is out of range for ${kind}`);
  return kind.endsWith('64') ? big.toString() : Number(big);
}

const SPECIAL_FLOATS: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
function floatFromJson(kind: 'float' | 'double', v: unknown, path: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && own(SPECIAL_FLOATS, v)) n = SPECIAL_FLOATS[v] as number;
  else if (typeof v === 'string' && v.trim() === v && v !== '' && !Number.isNaN(Number(v))) n = Number(v);
  else fail(path, `expected a number (${kind}), got ${JSON.stringify(v)}`);
  if (kind === 'float' && Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) fail(path, `${n} is out of range for float`);
  return n;
}

function anyFromJson(json: unknown, path: string): Plain {
  if (!isObject(json)) fail(path, 'expected a JSON object for google.protobuf.Any');
  if (Object.keys(json).length === 0) return {};
  const url = json['@type'];
  if (typeof url !== 'string' || !url) fail(join(path, '@type'), 'an Any needs an "@type" string');
  const inner = resolveUrl(url, path);
  let plain: Plain;
  if (VALUE_FORM.has(nameOf(inner))) {
    for (const k of Object.keys(json))
      if (k !== '@type' && k !== 'value') fail(join(path, k), `unknown field ${JSON.stringify(k)} in an Any holding ${nameOf(inner)}`);
    if (!own(json, 'value')) fail(join(path, 'value'), `an Any holding ${nameOf(inner)} needs "value"`);
    plain = messageFromJson(inner, json['value'], join(path, 'value'));
  } else {
    const rest: Record<string, unknown> = { ...json };
    delete rest['@type'];
    plain = messageFromJson(inner, rest, path);
  }
  // The value is always written, even when empty: that is what encode.ts (protobufjs's Any) emits.
  return { type_url: url, value: inner.encode(plain).finish() };
}

function durationFromJson(json: unknown, path: string): Plain {
  const m = typeof json === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
  if (!m) fail(path, `expected a duration like "1.5s", got ${JSON.stringify(json)}`);
  const s = BigInt(m[2] as string);
  const n = Number((m[3] ?? '').padEnd(9, '0'));
  if (s > MAX_DURATION_S) fail(path, `duration ${json} out of range`);
  return m[1] ? secondsNanos(-s, -n) : secondsNanos(s, n);
}

/** A Duration/Timestamp body with proto3 defaults dropped, as encode.ts would leave it. */
function secondsNanos(s: bigint, n: number): Plain {
  return { ...(s !== 0n ? { seconds: String(s) } : {}), ...(n !== 0 ? { nanos: n } : {}) };
}

function timestampFromJson(json: unknown, path: string): Plain {
  const re = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
  const m = typeof json === 'string' ? re.exec(json) : null;
  if (!m) fail(path, `expected an RFC 3339 timestamp, got ${JSON.stringify(json)}`);
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which maps years 0-99 to 19xx
  date.setUTCHours(h, mi, se, 0);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59)
    fail(path, `invalid timestamp ${json}`);
  const offset = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60);
  const s = BigInt(date.getTime() / 1000 - offset);
  if (s < MIN_TS_S || s > MAX_TS_S) fail(path, `timestamp ${json} out of range`);
  return secondsNanos(s, Number((m[7] ?? '').padEnd(9, '0')));
}

function structFromJson(json: unknown, path: string): Plain {
  if (!isObject(json)) fail(path, 'expected a JSON object for google.protobuf.Struct');
  const fields: Plain = {};
  for (const k of Object.keys(json).sort()) fields[k] = valueFromJson(json[k], join(path, k));
  return { fields };
}

function valueFromJson(json: unknown, path: string): Plain {
  const [nul, num, str, bool, struct, list] = valueNames() as [string, string, string, string, string, string];
  if (json === null) return { [nul]: 0 };
  switch (typeof json) {
    case 'number':
      if (!Number.isFinite(json)) fail(path, `google.protobuf.Value cannot hold ${json}`);
      return { [num]: json };
    case 'string':
      return { [str]: json };
    case 'boolean':
      return { [bool]: json };
    case 'object':
      if (Array.isArray(json)) return { [list]: { values: json.map((e, i) => valueFromJson(e, `${path}[${i}]`)) } };
      return { [struct]: structFromJson(json, path) };
    default:
      fail(path, `not a JSON value: ${typeof json}`);
  }
}
