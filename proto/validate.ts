/**
 * @module proto/validate
 * Envoy's own protoc-gen-validate rules (`(validate.rules)`, `(validate.required)`), checked by
 * reflection over the protobufjs Root of `proto/registry.ts`, so an emitted resource is known to
 * pass the checks Envoy runs before accepting it (design invariant 6).
 *
 * Contract:
 * - `validateMessage(typeName, bytesOrObject)` returns every violation, `[]` when valid. Bytes are
 *   decoded first; an object (a translator's snake_case form, Anys as `{"@type"}`) is encoded
 *   leniently (`canonicalMessage` + protobufjs `fromObject`, no type check — that is
 *   `encodeMessage`'s job) and decoded, so the rules always see what the wire carries, including
 *   enum numbers that no name stands for.
 * - A violation names the field path from the message root (`virtual_hosts[0].routes[1].match`,
 *   `typed_extension_protocol_options[key]`, and `typed_config<HttpConnectionManager>` for the
 *   message inside an Any), the rule (`string.min_len`, `oneof.required`, `any.resolvable`, …)
 *   and a message.
 * - Semantics follow PGV: proto3 scalars are checked even when absent (as their default) unless
 *   they are oneof members / `optional` and unset; `ignore_empty` skips a field's rules when it
 *   is empty; rules on wrapper fields (UInt32Value, …) apply to the wrapped value when the
 *   wrapper is set; `message.skip` and `(validate.disabled)` stop descent; gt/lt pairs with
 *   lt ≤ gt mean "outside the range", as in PGV. Deprecated fields are skipped entirely.
 * - Beyond PGV, like Envoy: nested messages inside an Any are validated (unknown type URL →
 *   `any.resolvable`, undecodable value → `any.decode`), and `RegexMatcher.regex` must compile
 *   under RE2 (`re2.compile`). `string.pattern` is matched with RE2 (re2-wasm), partially, as PGV.
 *
 * Not checked, deliberately: `timestamp.lt_now/gt_now/within` (time-dependent; no Envoy field
 * uses them), `map.no_sparse` (decoded maps cannot hold null values), `string.email/uri/uri_ref`
 * are approximations (no Envoy proto loaded here uses them), RE2 program-size limits that Envoy
 * enforces at run time (`re2.max_program_size`), and any rule that is not a `(validate.*)` option
 * (cross-resource checks such as unknown clusters belong to the snapshot consistency check).
 */
import protobuf from 'protobufjs';
import { isIP } from 'node:net';
import { RE2 } from 're2-wasm';
import { re2CompileError } from './re2.js';
import { envoyRoot, messageType } from './registry.js';
import { canonicalMessage, EncodeError } from './encode.js';

export interface Violation {
  /** Field path from the validated message, e.g. `filter_chains[0].filters[0].typed_config<HttpConnectionManager>.stat_prefix`. */
  readonly path: string;
  /** The PGV rule that failed (`string.min_len`, `duration.gt`, `oneof.required`, …). */
  readonly rule: string;
  readonly message: string;
}

/** One parsed `(validate.rules)` tree (protobufjs `parsedOptions`), or a sub-tree of it. */
type Rules = { readonly [k: string]: unknown };
/** A decoded protobufjs message: own properties are the fields that were on the wire. */
type Plain = Record<string, unknown>;
type Out = Violation[];

interface FieldPlan {
  readonly field: protobuf.Field;
  readonly rules: Rules | undefined;
}
interface TypePlan {
  readonly disabled: boolean;
  readonly oneofs: readonly protobuf.OneOf[];
  readonly fields: readonly FieldPlan[];
}

const ANY = '.google.protobuf.Any';
const DURATION = '.google.protobuf.Duration';
const TIMESTAMP = '.google.protobuf.Timestamp';
const REGEX_MATCHER = '.envoy.type.matcher.v3.RegexMatcher';
const NUMERIC = new Set([
  'float',
  'double',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
]);
const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((n) => `.google.protobuf.${n}Value`),
);
const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~\x60]+$/; // PGV's strict HTTP_HEADER_NAME, verbatim
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/; // strict HTTP_HEADER_VALUE
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/; // strict: false (what Envoy's protos ask for)
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const isRules = (v: unknown): v is Rules => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const show = (v: unknown): string => (typeof v === 'string' || isRules(v) ? JSON.stringify(v) : String(v));
const showRule = (v: unknown): string => (Array.isArray(v) ? `[${v.map(show).join(', ')}]` : show(v));
/** A Duration/Timestamp rule bound as seconds (`0.001s`). */
const showTime = (v: unknown): string => (Array.isArray(v) ? `[${v.map(showTime).join(', ')}]` : `${Number(timeNanos(v)) / 1e9}s`);

/** Deep-merges the `(validate.rules)` entries of a parsedOptions array. */
function merge(a: Rules | undefined, b: Rules): Rules {
  if (!a) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : isRules(prev) && isRules(v) ? merge(prev, v) : [...list(prev), ...list(v)];
  }
  return out;
}

function optionOf(parsed: unknown, name: string): unknown[] {
  return Array.isArray(parsed) ? parsed.filter((o) => isRules(o) && o[name] !== undefined).map((o) => (o as Rules)[name]) : [];
}

const plans = new WeakMap<protobuf.Type, TypePlan>();
function planOf(type: protobuf.Type): TypePlan {
  let plan = plans.get(type);
  if (plan) return plan;
  const disabled = [...optionOf(type.parsedOptions, '(validate.disabled)'), ...optionOf(type.parsedOptions, '(validate.ignored)')].includes(
    true,
  );
  const oneofs = type.oneofsArray.filter((o) => o.options?.['(validate.required)'] === true);
  const fields: FieldPlan[] = [];
  for (const field of type.fieldsArray) {
    if (field.options?.['deprecated'] === true) continue;
    let rules: Rules | undefined;
    for (const r of optionOf(field.parsedOptions, '(validate.rules)')) if (isRules(r)) rules = merge(rules, r);
    const rt = field.resolvedType;
    const descends = rt instanceof protobuf.Type && (rt.fullName === ANY || !rt.fullName.startsWith('.google.protobuf.'));
    if (rules || descends) fields.push({ field, rules });
  }
  plan = { disabled, oneofs, fields };
  plans.set(type, plan);
  return plan;
}

/**
 * Compiled `pattern` rules of Envoy's own protos (a fixed set of a few dozen, so kept for the
 * process's life: re2-wasm never frees a compiled RE2). User regexes are only compile-checked,
 * through proto/re2, which frees them.
 */
const re2Cache = new Map<string, RE2 | string>();
/** Compiles a proto rule pattern with RE2 semantics; a string result is the compile error. */
function re2(pattern: string): RE2 | string {
  let r = re2Cache.get(pattern);
  if (r !== undefined) return r;
  try {
    r = new RE2(pattern, 'u');
  } catch (e) {
    r = e instanceof Error ? e.message : String(e);
  }
  re2Cache.set(pattern, r);
  return r;
}

/** Validates a message given as bytes (decoded first) or as a translator object (encoded first). */
export function validateMessage(typeName: string, input: Uint8Array | object): Violation[] {
  const type = messageType(typeName);
  let msg: Plain;
  try {
    const bytes = input instanceof Uint8Array ? input : type.encode(type.fromObject(canonicalMessage(type, input))).finish();
    msg = type.decode(bytes) as unknown as Plain;
  } catch (e) {
    const path = e instanceof EncodeError ? e.path.replace(new RegExp(`^${type.name}\\.?`), '') : '';
    return [{ path, rule: e instanceof EncodeError ? 'encode' : 'decode', message: e instanceof Error ? e.message : String(e) }];
  }
  const out: Out = [];
  visit(type, msg, '', out);
  return out;
}

/** Validates an already-decoded protobufjs message of `type`, appending to `out`. */
export function validateDecoded(type: protobuf.Type, msg: object, path = '', out: Violation[] = []): Violation[] {
  visit(type, msg as Plain, path, out);
  return out;
}

function visit(type: protobuf.Type, m: Plain, path: string, out: Out): void {
  const plan = planOf(type);
  if (plan.disabled) return;
  for (const o of plan.oneofs) {
    if (!o.oneof.some((n) => own(m, n) && m[n] != null)) {
      out.push({ path: join(path, o.name), rule: 'oneof.required', message: `one of ${o.oneof.join(', ')} is required` });
    }
  }
  if (type.fullName === REGEX_MATCHER && typeof m['regex'] === 'string') {
    const err = re2CompileError(m['regex']);
    if (err !== null) out.push({ path: join(path, 'regex'), rule: 're2.compile', message: err });
  }
  for (const { field, rules } of plan.fields) {
    const p = join(path, field.name);
    const present = own(m, field.name) && m[field.name] != null;
    if (field.map) checkMap(field, rules, (present ? m[field.name] : {}) as Plain, p, out);
    else if (field.repeated) checkRepeated(field, rules, (present ? m[field.name] : []) as unknown[], p, out);
    else if (field.resolvedType instanceof protobuf.Type) {
      if (present) checkMessage(field.resolvedType, rules, m[field.name] as Plain, p, out);
      else if (!field.partOf) {
        // an unset oneof member carries no rules (PGV checks only the set case)
        const kind = ['message', 'duration', 'timestamp', 'any'].find(
          (k) => isRules(rules?.[k]) && (rules?.[k] as Rules)['required'] === true,
        );
        if (kind) out.push({ path: p, rule: `${kind}.required`, message: 'value is required' });
      }
    } else if (rules && (present || !field.hasPresence)) {
      checkScalar(field, rules, present ? m[field.name] : defaultOf(field), p, out);
    }
  }
}

function defaultOf(field: protobuf.Field): unknown {
  if (field.resolvedType instanceof protobuf.Enum) return 0;
  switch (field.type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return new Uint8Array(0);
    default:
      return 0;
  }
}

/** A present message value (singular, list element or map value) with its field's rules. */
function checkMessage(type: protobuf.Type, rules: Rules | undefined, v: Plain, path: string, out: Out): void {
  const name = type.fullName;
  if (rules) {
    if (name === DURATION && isRules(rules['duration']))
      checkOrdered('duration', rules['duration'], timeNanos(v), timeNanos, path, out, showTime);
    else if (name === TIMESTAMP && isRules(rules['timestamp']))
      checkOrdered('timestamp', rules['timestamp'], timeNanos(v), timeNanos, path, out, showTime);
    else if (name === ANY && isRules(rules['any'])) {
      const r = rules['any'];
      const url = String(v['type_url'] ?? '');
      if (r['in'] !== undefined && !list(r['in']).includes(url))
        out.push({ path, rule: 'any.in', message: `type URL ${url} is not allowed` });
      if (list(r['not_in']).includes(url)) out.push({ path, rule: 'any.not_in', message: `type URL ${url} is not allowed` });
    } else if (WRAPPERS.has(name)) {
      const f = type.fields['value'] as protobuf.Field;
      checkScalar(f, rules, own(v, 'value') ? v['value'] : defaultOf(f), path, out);
    }
    if (isRules(rules['message']) && rules['message']['skip'] === true) return;
  }
  if (name === ANY) visitAny(v, path, out);
  else if (!name.startsWith('.google.protobuf.')) visit(type, v, path, out);
}

const anyTypes = new Map<string, protobuf.Type | null>();
function visitAny(m: Plain, path: string, out: Out): void {
  const url = String(m['type_url'] ?? '');
  let inner = anyTypes.get(url);
  if (inner === undefined) {
    try {
      inner = url ? envoyRoot().lookupType('.' + url.slice(url.lastIndexOf('/') + 1)) : null;
    } catch {
      inner = null;
    }
    anyTypes.set(url, inner);
  }
  if (!inner) {
    out.push({ path, rule: 'any.resolvable', message: url ? `unknown type ${url}` : 'Any has no type_url' });
    return;
  }
  let decoded: Plain;
  try {
    decoded = inner.decode((m['value'] ?? new Uint8Array(0)) as Uint8Array) as unknown as Plain;
  } catch (e) {
    out.push({ path, rule: 'any.decode', message: `cannot decode ${url}: ${e instanceof Error ? e.message : String(e)}` });
    return;
  }
  checkMessage(inner, undefined, decoded, `${path}<${inner.name}>`, out);
}

function checkRepeated(field: protobuf.Field, rules: Rules | undefined, items: unknown[], path: string, out: Out): void {
  const r = isRules(rules?.['repeated']) ? (rules['repeated'] as Rules) : undefined;
  if (r && !(r['ignore_empty'] === true && items.length === 0)) {
    if (r['min_items'] !== undefined && items.length < Number(r['min_items']))
      out.push({ path, rule: 'repeated.min_items', message: `value must contain at least ${r['min_items']} item(s)` });
    if (r['max_items'] !== undefined && items.length > Number(r['max_items']))
      out.push({ path, rule: 'repeated.max_items', message: `value must contain no more than ${r['max_items']} item(s)` });
    if (r['unique'] === true && !(field.resolvedType instanceof protobuf.Type)) {
      const seen = new Set<string>();
      items.forEach((e, i) => {
        const k = e instanceof Uint8Array ? Buffer.from(e).toString('latin1') : String(e);
        if (seen.has(k)) out.push({ path: `${path}[${i}]`, rule: 'repeated.unique', message: 'repeated value must contain unique items' });
        seen.add(k);
      });
    }
  }
  const each = isRules(r?.['items']) ? (r['items'] as Rules) : undefined;
  const rt = field.resolvedType;
  items.forEach((e, i) => {
    if (rt instanceof protobuf.Type) checkMessage(rt, each, e as Plain, `${path}[${i}]`, out);
    else if (each) checkScalar(field, each, e, `${path}[${i}]`, out);
  });
}

function checkMap(field: protobuf.Field, rules: Rules | undefined, m: Plain, path: string, out: Out): void {
  const r = isRules(rules?.['map']) ? (rules['map'] as Rules) : undefined;
  const keys = Object.keys(m);
  if (r && !(r['ignore_empty'] === true && keys.length === 0)) {
    if (r['min_pairs'] !== undefined && keys.length < Number(r['min_pairs']))
      out.push({ path, rule: 'map.min_pairs', message: `value must contain at least ${r['min_pairs']} pair(s)` });
    if (r['max_pairs'] !== undefined && keys.length > Number(r['max_pairs']))
      out.push({ path, rule: 'map.max_pairs', message: `value must contain no more than ${r['max_pairs']} pair(s)` });
  }
  const keyRules = isRules(r?.['keys']) ? (r['keys'] as Rules) : undefined;
  const valueRules = isRules(r?.['values']) ? (r['values'] as Rules) : undefined;
  const keyType = (field as unknown as { keyType: string }).keyType; // fieldsArray holds MapFields too
  const rt = field.resolvedType;
  for (const k of keys) {
    const p = `${path}[${k}]`;
    if (keyRules) checkScalar(field, keyRules, keyType === 'string' ? k : keyType === 'bool' ? k === 'true' : k, p, out);
    if (rt instanceof protobuf.Type) checkMessage(rt, valueRules, m[k] as Plain, p, out);
    else if (valueRules) checkScalar(field, valueRules, m[k], p, out);
  }
}

function isEmpty(v: unknown): boolean {
  if (v instanceof Uint8Array) return v.length === 0;
  return v === '' || v === false || v === 0 || (v !== null && typeof v === 'object' && String(v) === '0');
}

/** Scalar rules (string, bytes, enum, bool, numbers) on one value; `field` supplies the enum type. */
function checkScalar(field: protobuf.Field, rules: Rules, v: unknown, path: string, out: Out): void {
  for (const kind of Object.keys(rules)) {
    const r = rules[kind];
    if (!isRules(r) || (r['ignore_empty'] === true && isEmpty(v))) continue;
    if (kind === 'string') checkString(r, String(v), path, out);
    else if (kind === 'bytes') checkBytes(r, v instanceof Uint8Array ? v : new Uint8Array(0), path, out);
    else if (kind === 'enum') checkEnum(field.resolvedType, r, Number(v), path, out);
    else if (kind === 'bool' && r['const'] !== undefined && v !== r['const'])
      out.push({ path, rule: 'bool.const', message: `value must equal ${r['const']}` });
    else if (NUMERIC.has(kind)) {
      if (kind.endsWith('64')) checkOrdered(kind, r, BigInt(String(v)), (x) => BigInt(String(x)), path, out);
      else if (kind === 'float') checkOrdered(kind, r, Number(v), (x) => Math.fround(Number(x)), path, out);
      else checkOrdered(kind, r, Number(v), Number, path, out);
    }
  }
}

/** const / lt / lte / gt / gte / in / not_in, PGV style, over numbers or bigints. */
function checkOrdered<T extends number | bigint>(
  kind: string,
  r: Rules,
  val: T,
  conv: (x: unknown) => T,
  path: string,
  out: Out,
  show = showRule,
): void {
  const push = (rule: string, message: string): void => {
    out.push({ path, rule: `${kind}.${rule}`, message });
  };
  if (r['const'] !== undefined && val !== conv(r['const'])) push('const', `value must equal ${show(r['const'])}`);
  const lo = r['gt'] !== undefined ? 'gt' : r['gte'] !== undefined ? 'gte' : undefined;
  const hi = r['lt'] !== undefined ? 'lt' : r['lte'] !== undefined ? 'lte' : undefined;
  const loV = lo ? conv(r[lo]) : undefined;
  const hiV = hi ? conv(r[hi]) : undefined;
  const aboveLo = loV === undefined || (lo === 'gt' ? val > loV : val >= loV);
  const belowHi = hiV === undefined || (hi === 'lt' ? val < hiV : val <= hiV);
  const words: Record<string, string> = {
    gt: 'greater than',
    gte: 'greater than or equal to',
    lt: 'less than',
    lte: 'less than or equal to',
  };
  if (lo && hi && loV !== undefined && hiV !== undefined && hiV <= loV) {
    if (!aboveLo && !belowHi) push(lo, `value must be ${words[hi]} ${show(r[hi])} or ${words[lo]} ${show(r[lo])}`);
  } else {
    if (lo && !aboveLo) push(lo, `value must be ${words[lo]} ${show(r[lo])}`);
    if (hi && !belowHi) push(hi, `value must be ${words[hi]} ${show(r[hi])}`);
  }
  if (r['in'] !== undefined && !list(r['in']).some((x) => conv(x) === val)) push('in', `value must be in ${show(r['in'])}`);
  if (list(r['not_in']).some((x) => conv(x) === val)) push('not_in', `value must not be in ${show(r['not_in'])}`);
}

/** Duration or Timestamp (`{seconds, nanos}`, from the wire or from a rule) as nanoseconds. */
function timeNanos(v: unknown): bigint {
  const o = isRules(v) ? v : {};
  return BigInt(String(o['seconds'] ?? 0)) * 1_000_000_000n + BigInt(Number(o['nanos'] ?? 0));
}

function checkEnum(rt: protobuf.Enum | protobuf.Type | null, r: Rules, v: number, path: string, out: Out): void {
  const push = (rule: string, message: string): void => {
    out.push({ path, rule: `enum.${rule}`, message });
  };
  if (r['const'] !== undefined && v !== Number(r['const'])) push('const', `value must equal ${r['const']}`);
  if (r['defined_only'] === true && rt instanceof protobuf.Enum && rt.valuesById[v] === undefined)
    push('defined_only', `value ${v} must be one of the defined enum values of ${rt.name}`);
  if (r['in'] !== undefined && !list(r['in']).map(Number).includes(v)) push('in', `value must be in ${show(r['in'])}`);
  if (list(r['not_in']).map(Number).includes(v)) push('not_in', `value must not be in ${show(r['not_in'])}`);
}

function isHostname(s: string): boolean {
  const h = s.endsWith('.') ? s.slice(0, -1) : s;
  return h.length > 0 && h.length <= 253 && h.split('.').every((l) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l));
}

function checkString(r: Rules, s: string, path: string, out: Out): void {
  const push = (rule: string, message: string): void => {
    out.push({ path, rule: `string.${rule}`, message });
  };
  let runeCount: number | undefined;
  const runes = (): number => (runeCount ??= [...s].length);
  const bytes = (): number => Buffer.byteLength(s, 'utf8');
  if (r['const'] !== undefined && s !== r['const']) push('const', `value must equal ${show(r['const'])}`);
  if (r['len'] !== undefined && runes() !== Number(r['len'])) push('len', `value length must be ${r['len']} characters`);
  if (r['min_len'] !== undefined && runes() < Number(r['min_len']))
    push('min_len', `value length must be at least ${r['min_len']} characters`);
  if (r['max_len'] !== undefined && runes() > Number(r['max_len']))
    push('max_len', `value length must be at most ${r['max_len']} characters`);
  if (r['len_bytes'] !== undefined && bytes() !== Number(r['len_bytes'])) push('len_bytes', `value length must be ${r['len_bytes']} bytes`);
  if (r['min_bytes'] !== undefined && bytes() < Number(r['min_bytes']))
    push('min_bytes', `value length must be at least ${r['min_bytes']} bytes`);
  if (r['max_bytes'] !== undefined && bytes() > Number(r['max_bytes']))
    push('max_bytes', `value length must be at most ${r['max_bytes']} bytes`);
  if (typeof r['pattern'] === 'string') {
    const re = re2(r['pattern']);
    if (typeof re === 'string') push('pattern', `rule pattern does not compile under RE2: ${re}`);
    else if (!re.test(s)) push('pattern', `value does not match regex pattern ${show(r['pattern'])}`);
  }
  if (typeof r['prefix'] === 'string' && !s.startsWith(r['prefix'])) push('prefix', `value does not have prefix ${show(r['prefix'])}`);
  if (typeof r['suffix'] === 'string' && !s.endsWith(r['suffix'])) push('suffix', `value does not have suffix ${show(r['suffix'])}`);
  if (typeof r['contains'] === 'string' && !s.includes(r['contains'])) push('contains', `value does not contain ${show(r['contains'])}`);
  if (typeof r['not_contains'] === 'string' && s.includes(r['not_contains']))
    push('not_contains', `value contains ${show(r['not_contains'])}`);
  if (r['in'] !== undefined && !list(r['in']).includes(s)) push('in', `value must be in list ${show(list(r['in']))}`);
  if (list(r['not_in']).includes(s)) push('not_in', `value must not be in list ${show(list(r['not_in']))}`);
  const wkr = r['well_known_regex'];
  if (wkr !== undefined) {
    const strict = r['strict'] !== false;
    const name = wkr === 1 || wkr === 'HTTP_HEADER_NAME';
    const value = wkr === 2 || wkr === 'HTTP_HEADER_VALUE';
    const re = !strict ? HEADER_LOOSE : name ? HEADER_NAME : value ? HEADER_VALUE : undefined;
    if ((name || value) && re && !re.test(s))
      push(
        'well_known_regex',
        `value does not match ${name ? 'HTTP_HEADER_NAME' : 'HTTP_HEADER_VALUE'}${strict ? '' : ' (non-strict)'}: no NUL, CR or LF${strict ? ' and only RFC 7230 characters' : ''}`,
      );
  }
  const wk = (k: string): boolean => r[k] === true;
  if (wk('hostname') && !isHostname(s)) push('hostname', 'value must be a valid hostname');
  if (wk('ip') && isIP(s) === 0) push('ip', 'value must be a valid IP address');
  if (wk('ipv4') && isIP(s) !== 4) push('ipv4', 'value must be a valid IPv4 address');
  if (wk('ipv6') && isIP(s) !== 6) push('ipv6', 'value must be a valid IPv6 address');
  if (wk('address') && isIP(s) === 0 && !isHostname(s)) push('address', 'value must be a valid hostname or IP address');
  if (wk('uuid') && !UUID.test(s)) push('uuid', 'value must be a valid UUID');
  if (wk('email') && !(/^[^@\s]{1,64}@[^@\s]+$/.test(s) && isHostname(s.slice(s.indexOf('@') + 1))))
    push('email', 'value must be a valid email address');
  if (wk('uri') && !URL.canParse(s)) push('uri', 'value must be a valid absolute URI');
  if (wk('uri_ref') && !URL.canParse(s, 'http://x/')) push('uri_ref', 'value must be a valid URI reference');
}

function checkBytes(r: Rules, b: Uint8Array, path: string, out: Out): void {
  const push = (rule: string, message: string): void => {
    out.push({ path, rule: `bytes.${rule}`, message });
  };
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  const lit = (x: unknown): string => String(x); // text-format bytes literals arrive as latin1 strings
  if (r['const'] !== undefined && text !== lit(r['const'])) push('const', `value must equal ${show(r['const'])}`);
  if (r['len'] !== undefined && b.length !== Number(r['len'])) push('len', `value length must be ${r['len']} bytes`);
  if (r['min_len'] !== undefined && b.length < Number(r['min_len'])) push('min_len', `value length must be at least ${r['min_len']} bytes`);
  if (r['max_len'] !== undefined && b.length > Number(r['max_len'])) push('max_len', `value length must be at most ${r['max_len']} bytes`);
  if (typeof r['pattern'] === 'string') {
    const re = re2(r['pattern']);
    if (typeof re === 'string' || !re.test(Buffer.from(b).toString('utf8')))
      push('pattern', `value does not match regex pattern ${show(r['pattern'])}`);
  }
  if (r['prefix'] !== undefined && !text.startsWith(lit(r['prefix']))) push('prefix', `value does not have prefix ${show(r['prefix'])}`);
  if (r['suffix'] !== undefined && !text.endsWith(lit(r['suffix']))) push('suffix', `value does not have suffix ${show(r['suffix'])}`);
  if (r['contains'] !== undefined && !text.includes(lit(r['contains']))) push('contains', `value does not contain ${show(r['contains'])}`);
  if (r['in'] !== undefined && !list(r['in']).map(lit).includes(text)) push('in', 'value must be in the allowed list');
  if (list(r['not_in']).map(lit).includes(text)) push('not_in', 'value must not be in the forbidden list');
  if (r['ip'] === true && b.length !== 4 && b.length !== 16) push('ip', 'value must be a valid IP address in byte format');
  if (r['ipv4'] === true && b.length !== 4) push('ipv4', 'value must be a valid IPv4 address in byte format');
  if (r['ipv6'] === true && b.length !== 16) push('ipv6', 'value must be a valid IPv6 address in byte format');
}
