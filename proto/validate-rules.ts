/**
 * @module proto/validate-rules
 * The leaf rules of proto/validate: PGV's scalar checks on one value — string (lengths, RE2
 * patterns, well-known formats such as hostnames, IPs and HTTP header names), bytes, enum, bool and
 * the ordered numeric/duration/timestamp rules (const, lt/lte/gt/gte with PGV's "outside the range"
 * reading, in/not_in) — and the small rule-tree readers both files share. The walk over messages,
 * repeated fields, maps and Anys stays in validate.ts; the contract is that module's.
 */
import protobuf from 'protobufjs';
import { isIP } from 'node:net';
import { RE2 } from 're2-wasm';
import type { Violation } from './validate.js';

export type Out = Violation[];
/** One parsed `(validate.rules)` tree (protobufjs `parsedOptions`), or a sub-tree of it. */
export type Rules = { readonly [k: string]: unknown };
export const NUMERIC = new Set([
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
export const isRules = (v: unknown): v is Rules => v !== null && typeof v === 'object' && !Array.isArray(v);
export const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
export const show = (v: unknown): string => (typeof v === 'string' || isRules(v) ? JSON.stringify(v) : String(v));
export const showRule = (v: unknown): string => (Array.isArray(v) ? `[${v.map(show).join(', ')}]` : show(v));
export const showTime = (v: unknown): string => (Array.isArray(v) ? `[${v.map(showTime).join(', ')}]` : `${Number(timeNanos(v)) / 1e9}s`);

const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~\x60]+$/; // PGV's strict HTTP_HEADER_NAME, verbatim
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/; // strict HTTP_HEADER_VALUE
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/; // strict: false (what Envoy's protos ask for)
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

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

function isEmpty(v: unknown): boolean {
  if (v instanceof Uint8Array) return v.length === 0;
  return v === '' || v === false || v === 0 || (v !== null && typeof v === 'object' && String(v) === '0');
}

/** Scalar rules (string, bytes, enum, bool, numbers) on one value; `field` supplies the enum type. */
export function checkScalar(field: protobuf.Field, rules: Rules, v: unknown, path: string, out: Out): void {
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
export function checkOrdered<T extends number | bigint>(
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
export function timeNanos(v: unknown): bigint {
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
