/**
 * @module proto/json-parse
 * proto3 JSON → canonical bytes (`fromProto3Json`), the inverse of proto/json.ts; the contract is
 * that module's (accepted spellings, errors with the JSON path, encoding like proto/encode.ts).
 */
import protobuf from 'protobufjs';
import { messageType } from './registry.js';
import {
  camelToSnake,
  fail,
  fieldByJsonKey,
  FLOAT_MAX,
  G,
  INT_RANGE,
  is64BitKey,
  isObject,
  join,
  MAX_DURATION_S,
  MAX_TS_S,
  MIN_TS_S,
  nameOf,
  own,
  resolveUrl,
  VALUE_FORM,
  valueNames,
  WRAPPERS,
  isDefaultScalar,
  type Plain,
} from './json-common.js';

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
