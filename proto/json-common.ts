/**
 * @module proto/json-common
 * What proto/json's two directions (json.ts: bytes → proto3 JSON, json-parse.ts: proto3 JSON →
 * bytes) share: the error type with its JSON path, the well-known-type tables and integer ranges,
 * json_name lookup, Any type-URL resolution and small value helpers. No behaviour of its own.
 */
import protobuf from 'protobufjs';
import { envoyRoot, messageType } from './registry.js';
import type { Json } from './struct.js';

export type JsonValue = Json;
export type JsonObject = { [k: string]: JsonValue };
/** A decoded protobufjs message or the plain object handed to `Type.encode`: fields by proto name. */
export type Plain = Record<string, unknown>;

export class Proto3JsonError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path || '<root>'}: ${reason}`);
    this.name = 'Proto3JsonError';
  }
}

export const G = 'google.protobuf.';
export const WRAPPERS = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map(
    (n) => G + n,
  ),
);
/** Types whose JSON is not "an object of their fields": inside an Any they go under `"value"`. */
export const VALUE_FORM = new Set([
  ...WRAPPERS,
  ...['Any', 'Duration', 'Timestamp', 'Struct', 'Value', 'ListValue', 'FieldMask', 'Empty'].map((n) => G + n),
]);
export const MAX_DURATION_S = 315_576_000_000n;
export const MIN_TS_S = -62_135_596_800n; // 0001-01-01T00:00:00Z
export const MAX_TS_S = 253_402_300_799n; // 9999-12-31T23:59:59Z
export const FLOAT_MAX = 3.4028234663852886e38;
export const S32 = [-(2n ** 31n), 2n ** 31n - 1n] as const,
  U32 = [0n, 2n ** 32n - 1n] as const;
export const S64 = [-(2n ** 63n), 2n ** 63n - 1n] as const,
  U64 = [0n, 2n ** 64n - 1n] as const;
export const INT_RANGE: Readonly<Record<string, readonly [bigint, bigint]>> = {
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
export const is64BitKey = (keyType: string): boolean => keyType !== 'string' && keyType.endsWith('64');

export function fail(path: string, reason: string): never {
  throw new Proto3JsonError(path, reason);
}
export const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
export const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
export const nameOf = (t: protobuf.Type): string => t.fullName.slice(1);
export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** protoc's ToJsonName: drop `_`, upper-case the character after it. */
export const lowerCamel = (name: string): string => name.replace(/_+(.?)/g, (_m, c: string) => c.toUpperCase());

export const jsonName = (f: protobuf.Field): string =>
  typeof f.options?.['json_name'] === 'string' ? f.options['json_name'] : lowerCamel(f.name);

export const keyIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
export function fieldByJsonKey(type: protobuf.Type, key: string): protobuf.Field | undefined {
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

export function resolveUrl(url: string, path: string): protobuf.Type {
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
export const valueNames = (): readonly string[] =>
  (valueNamesCache ??= [1, 2, 3, 4, 5, 6].map((id) => (messageType(G + 'Value').fieldsById[id] as protobuf.Field).name));

export const toBig = (v: unknown): bigint => BigInt(String(v ?? 0)); // Long#toString, number, decimal string
export const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
export const camelToSnake = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

export function isDefaultScalar(field: protobuf.Field, v: unknown): boolean {
  if (field.long) return String(v) === '0';
  if (v instanceof Uint8Array) return v.length === 0;
  return v === 0 || v === '' || v === false;
}
