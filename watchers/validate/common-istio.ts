/**
 * @module watchers/validate/common-istio
 * Pieces shared by the Istio kinds' validators: hosts, string matches (regexes checked under RE2,
 * the engine Envoy uses), durations and header operations.
 */
import type { Headers, HeaderOperations, StringMatch } from '../../model/istio.js';
import { re2CompileError } from '../../proto/re2.js';
import { type Raw, Reader, parseDuration } from './check.js';

const HOST = /^(\*|(\*\.)?[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?)*)$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/;

/** A host as Istio accepts it: FQDN, short name, `*`, or `*.suffix`; optionally `namespace/` prefixed when allowed. */
export function validHost(h: string): boolean {
  return h.length > 0 && h.length <= 255 && HOST.test(h);
}

/** Returns the RE2 compile error for `pattern`, or null when RE2 accepts it (nothing stays allocated: see proto/re2). */
export function re2Error(pattern: string): string | null {
  return re2CompileError(pattern);
}

export function readStringMatch(r: Reader, v: unknown, path: string): StringMatch | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['exact', 'prefix', 'regex']);
  const set = ['exact', 'prefix', 'regex'].filter((k) => o[k] !== undefined);
  if (set.length !== 1) {
    r.fail(path, `must set exactly one of exact, prefix, regex (got ${set.length ? set.join(', ') : 'none'})`);
    return undefined;
  }
  const k = set[0] as 'exact' | 'prefix' | 'regex';
  const s = r.string(o[k], `${path}.${k}`);
  if (s === undefined) return undefined;
  if (k === 'regex') {
    const err = re2Error(s);
    if (err) {
      r.fail(`${path}.regex`, `"${s}" is not a valid RE2 regular expression: ${err}`);
      return undefined;
    }
  }
  return { [k]: s };
}

export function readMatchMap(r: Reader, v: unknown, path: string, headerNames: boolean): Record<string, StringMatch> | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  const out: Record<string, StringMatch> = {};
  for (const k of Object.keys(o).sort()) {
    if (headerNames && !HEADER_NAME.test(k)) {
      r.fail(`${path}.${k}`, `"${k}" is not a valid HTTP header name`);
      continue;
    }
    if (headerNames && k !== k.toLowerCase()) {
      r.fail(`${path}.${k}`, `header names must be lower case, got "${k}"`);
      continue;
    }
    // An empty match object `{}` means "present with any value" for headers, as in Istio.
    const m = r.isObject(o[k]) && Object.keys(o[k] as Raw).length === 0 ? {} : readStringMatch(r, o[k], `${path}.${k}`);
    if (m) out[k] = m;
  }
  return out;
}

/** A duration string Istio accepts (≥ 1 ms); returns it unchanged when valid. */
export function readDuration(r: Reader, v: unknown, path: string): string | undefined {
  const s = r.string(v, path);
  if (s === undefined) return undefined;
  const ms = parseDuration(s);
  if (ms === null) {
    r.fail(path, `"${s}" is not a duration (e.g. 10s, 250ms, 1h)`);
    return undefined;
  }
  if (ms < 1) {
    r.fail(path, `must be at least 1ms, got "${s}"`);
    return undefined;
  }
  return s;
}

function readHeaderOps(r: Reader, v: unknown, path: string): HeaderOperations | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['set', 'add', 'remove']);
  const set = r.stringMap(o['set'], `${path}.set`);
  const add = r.stringMap(o['add'], `${path}.add`);
  const remove = r.stringList(o['remove'], `${path}.remove`);
  return { ...(set ? { set } : {}), ...(add ? { add } : {}), ...(remove ? { remove } : {}) };
}

export function readHeaders(r: Reader, v: unknown, path: string): Headers | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['request', 'response']);
  const request = readHeaderOps(r, o['request'], `${path}.request`);
  const response = readHeaderOps(r, o['response'], `${path}.response`);
  return { ...(request ? { request } : {}), ...(response ? { response } : {}) };
}

/** `exportTo` entries: `.`, `*`, `~` or a namespace name. */
export function readExportTo(r: Reader, v: unknown, path: string): string[] | undefined {
  const list = r.stringList(v, path);
  list?.forEach((e, i) => {
    if (!/^(\.|\*|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.test(e)) r.fail(`${path}[${i}]`, `"${e}" is not ".", "*", "~" or a namespace`);
  });
  return list;
}
