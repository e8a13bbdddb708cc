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
import { re2CompileError } from './re2.js';
import { envoyRoot, messageType } from './registry.js';
import { canonicalMessage, EncodeError } from './encode.js';
import { checkOrdered, checkScalar, isRules, list, showTime, timeNanos, type Out, type Rules } from './validate-rules.js';

export interface Violation {
  /** Field path from the validated message, e.g. `filter_chains[0].filters[0].typed_config<HttpConnectionManager>.stat_prefix`. */
  readonly path: string;
  /** The PGV rule that failed (`string.min_len`, `duration.gt`, `oneof.required`, …). */
  readonly rule: string;
  readonly message: string;
}

/** A decoded protobufjs message: own properties are the fields that were on the wire. */
type Plain = Record<string, unknown>;

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
const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((n) => `.google.protobuf.${n}Value`),
);

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
/** A Duration/Timestamp rule bound as seconds (`0.001s`). */

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
