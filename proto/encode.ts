/**
 * @module proto/encode
 * Encode-once: turns a translator's plain message object into canonical protobuf bytes and a
 * content version. Canonical means: proto3 scalars equal to their default are dropped (protobufjs
 * would otherwise encode an explicit `0`, giving equal configs different bytes), map entries are
 * sorted by key, and an unknown field is an error (a translator bug, caught in tests) instead of
 * being silently lost. Any values in `{"@type": …}` form are canonicalised against their own type.
 */
import protobuf from 'protobufjs';
import { envoyRoot, messageType } from './registry.js';
import { TYPE_PREFIX } from './typeurls.js';
import { contentHash, resourceVersion } from './version.js';

const ANY = '.google.protobuf.Any';

/** Why a message could not be encoded, with the field path (`filter_chains[0].filters[1]...`). */
export class EncodeError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'EncodeError';
  }
}

function isDefaultScalar(field: protobuf.Field, v: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum) {
    return v === 0 || (typeof v === 'string' && field.resolvedType.values[v] === 0);
  }
  switch (field.type) {
    case 'string':
      return v === '';
    case 'bool':
      return v === false;
    case 'bytes':
      return (v instanceof Uint8Array && v.length === 0) || v === '';
    case 'double':
    case 'float':
    case 'int32':
    case 'uint32':
    case 'sint32':
    case 'fixed32':
    case 'sfixed32':
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return v === 0 || v === '0';
    default:
      return false;
  }
}

/** Resolves the message type an `@type` URL names. */
export function typeOfUrl(url: string, at = '@type'): protobuf.Type {
  const name = url.slice(url.lastIndexOf('/') + 1);
  try {
    return envoyRoot().lookupType(name);
  } catch {
    throw new EncodeError(at, `unknown type ${url}`);
  }
}

function canonicalValue(field: protobuf.Field, v: unknown, path: string): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return canonicalMessage(rt, v, path);
  return v;
}

/** Returns a canonical copy of `obj` as message `type` (see module comment). */
export function canonicalMessage(type: protobuf.Type, obj: unknown, path = type.name): Record<string, unknown> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new EncodeError(path, `expected a ${type.fullName.slice(1)} object, got ${Array.isArray(obj) ? 'array' : typeof obj}`);
  }
  const src = obj as Record<string, unknown>;
  if (type.fullName === ANY && typeof src['@type'] === 'string') {
    const inner = typeOfUrl(src['@type'], `${path}.@type`);
    const { '@type': url, ...rest } = src;
    return { '@type': url, ...canonicalMessage(inner, rest, `${path}<${inner.name}>`) };
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(src)) {
    const v = src[key];
    if (v === undefined || v === null) continue;
    const field = type.fields[key];
    if (!field) throw new EncodeError(`${path}.${key}`, `no such field in ${type.fullName.slice(1)}`);
    field.resolve();
    const fp = `${path}.${key}`;
    if (field.map) {
      const m = v as Record<string, unknown>;
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(m).sort()) sorted[k] = canonicalValue(field, m[k], `${fp}[${k}]`);
      if (Object.keys(sorted).length) out[key] = sorted;
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw new EncodeError(fp, 'expected a list');
      if (v.length) out[key] = v.map((e, i) => canonicalValue(field, e, `${fp}[${i}]`));
    } else if (field.resolvedType instanceof protobuf.Type) {
      out[key] = canonicalMessage(field.resolvedType, v, fp);
    } else {
      if (field.resolvedType instanceof protobuf.Enum && typeof v === 'string' && field.resolvedType.values[v] === undefined) {
        throw new EncodeError(fp, `"${v}" is not a value of ${field.resolvedType.fullName.slice(1)}`);
      }
      const keepsPresence = field.partOf !== null || field.options?.proto3_optional === true;
      if (!keepsPresence && isDefaultScalar(field, v)) continue;
      out[key] = v;
    }
  }
  return out;
}

/** Canonical bytes of `obj` as the message `typeName` (`envoy.config.cluster.v3.Cluster`). */
export function encodeMessage(typeName: string, obj: unknown, path?: string): Uint8Array {
  const type = messageType(typeName);
  return type.encode(type.fromObject(canonicalMessage(type, obj, path))).finish();
}

/**
 * The same bytes as `encodeMessage(typeName, obj)`, with the elements of the repeated message
 * field `field` encoded by `part` (which may answer from a cache): protobufjs writes fields in
 * field-number order and a repeated message field is just its elements one after another, so the
 * message without them is split where that field belongs and each element's bytes are spliced in.
 * A RouteConfiguration with a virtual host per service then costs one encode per changed virtual
 * host, not one of the whole config (issue 18).
 */
export function encodeSpliced(
  typeName: string,
  obj: Readonly<Record<string, unknown>>,
  field: string,
  part: (element: unknown, index: number) => Uint8Array,
): Uint8Array {
  const elements = obj[field];
  if (!Array.isArray(elements)) return encodeMessage(typeName, obj);
  const { head, split, tag } = encodeShell(typeName, obj, field);
  const w = protobuf.Writer.create();
  elements.forEach((e, i) => w.uint32(tag).bytes(part(e, i)));
  const mid = w.finish();
  const out = new Uint8Array(head.length + mid.length);
  out.set(head.subarray(0, split), 0);
  out.set(mid, split);
  out.set(head.subarray(split), split + mid.length);
  return out;
}

/**
 * Canonical bytes of `obj` with its repeated message field `field` left empty, the offset where
 * that field's elements belong (field-number order), and the tag each element is written with
 * (length-delimited). An element's bytes are `tag`, its length and its own encoding.
 */
export function encodeShell(
  typeName: string,
  obj: Readonly<Record<string, unknown>>,
  field: string,
): { readonly head: Uint8Array; readonly split: number; readonly tag: number } {
  const type = messageType(typeName);
  const f = type.fields[field];
  if (!f?.repeated || f.map || !(f.resolve().resolvedType instanceof protobuf.Type))
    throw new Error(`${typeName}.${field} is not a repeated message field`);
  const head = encodeMessage(typeName, { ...obj, [field]: [] });
  const r = protobuf.Reader.create(head);
  let split = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 > f.id) break;
    r.skipType(tag & 7);
    split = r.pos;
  }
  return { head, split, tag: (f.id << 3) | 2 };
}

/** The message type (`envoy.config.route.v3.VirtualHost`) of the repeated message field `field` of `typeName`. */
export function elementType(typeName: string, field: string): string {
  const f = messageType(typeName).fields[field];
  const t = f?.resolve().resolvedType;
  if (!f?.repeated || !(t instanceof protobuf.Type)) throw new Error(`${typeName}.${field} is not a repeated message field`);
  return t.fullName.slice(1);
}

/** An EncodedResource from message bytes already encoded (see encodeResource). */
export function resourceOfBytes(typeName: string, name: string, bytes: Uint8Array): EncodedResource {
  const typeUrl = TYPE_PREFIX + typeName;
  return { name, typeUrl, bytes, any: wrapAny(typeUrl, bytes), version: resourceVersion(typeName, bytes) };
}

export { contentHash };

/** One resource, encoded once and shared by every stream that sends it. */
export interface EncodedResource {
  readonly name: string;
  readonly typeUrl: string;
  /** The resource message itself. */
  readonly bytes: Uint8Array;
  /** The same message wrapped in google.protobuf.Any, ready to be spliced into a response. */
  readonly any: Uint8Array;
  /** Content hash of `bytes` (proto/version.ts). */
  readonly version: string;
}

/**
 * A google.protobuf.Any of `typeName` with room for `size` bytes of message: the message is to be
 * written at `any[offset..]` (so a message assembled from pieces is wrapped without a second copy).
 */
export function anyFrame(typeName: string, size: number): { readonly any: Uint8Array; readonly offset: number } {
  const w = protobuf.Writer.create();
  w.uint32(10).string(TYPE_PREFIX + typeName);
  w.uint32(18).uint32(size);
  const head = w.finish();
  // Not zero-filled (every byte is written by the caller); unpooled, so it holds no shared slab.
  const any = new Uint8Array(Buffer.allocUnsafeSlow(head.length + size).buffer, 0, head.length + size);
  any.set(head, 0);
  return { any, offset: head.length };
}

/** An EncodedResource from a message written into an Any frame (anyFrame), without copying it. */
export function resourceOfAny(typeName: string, name: string, any: Uint8Array, bytes: Uint8Array, version: string): EncodedResource {
  return { name, typeUrl: TYPE_PREFIX + typeName, bytes, any, version };
}

/** Wraps message bytes in an Any without re-encoding them. */
export function wrapAny(typeUrl: string, bytes: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(10).string(typeUrl);
  w.uint32(18).bytes(bytes);
  return w.finish();
}

export function encodeResource(typeName: string, name: string, obj: unknown): EncodedResource {
  const bytes = encodeMessage(typeName, obj);
  const typeUrl = TYPE_PREFIX + typeName;
  return { name, typeUrl, bytes, any: wrapAny(typeUrl, bytes), version: resourceVersion(typeName, bytes) };
}
