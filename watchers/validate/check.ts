/**
 * @module watchers/validate/check
 * A small path-tracking reader for untrusted YAML objects. Validators read fields through it;
 * every problem is recorded with its field path (`spec.http[0].route[1].weight`) so the rejection
 * names the field, and unknown fields are reported instead of silently ignored.
 */

export interface Problem {
  readonly field: string;
  readonly reason: string;
}

export type Raw = Record<string, unknown>;

export class Invalid extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(problems.map((p) => `${p.field}: ${p.reason}`).join('; '));
    this.name = 'Invalid';
  }
}

/** Collects problems while reading an object. */
export class Reader {
  readonly problems: Problem[] = [];

  fail(field: string, reason: string): void {
    this.problems.push({ field, reason });
  }

  isObject(v: unknown): v is Raw {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  /** An object at `path`, or undefined (recording a problem if present but not an object). */
  object(v: unknown, path: string, required = false): Raw | undefined {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required');
      return undefined;
    }
    if (!this.isObject(v)) {
      this.fail(path, `must be an object, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  /** Reports keys of `o` not in `known` as unknown fields. */
  known(o: Raw, path: string, known: readonly string[]): void {
    for (const k of Object.keys(o)) if (!known.includes(k)) this.fail(join(path, k), `unknown field (known: ${known.join(', ')})`);
  }

  string(v: unknown, path: string, required = false): string | undefined {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.fail(path, `must be a string, got ${describe(v)}`);
      return undefined;
    }
    if (required && v === '') {
      this.fail(path, 'must not be empty');
      return undefined;
    }
    return v;
  }

  int(v: unknown, path: string, opts: { min?: number; max?: number; required?: boolean } = {}): number | undefined {
    if (v === undefined || v === null) {
      if (opts.required) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.fail(path, `must be an integer, got ${describe(v)}`);
      return undefined;
    }
    if (opts.min !== undefined && v < opts.min) {
      this.fail(path, `must be ≥ ${opts.min}, got ${v}`);
      return undefined;
    }
    if (opts.max !== undefined && v > opts.max) {
      this.fail(path, `must be ≤ ${opts.max}, got ${v}`);
      return undefined;
    }
    return v;
  }

  number(v: unknown, path: string, opts: { min?: number; max?: number } = {}): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(path, `must be a number, got ${describe(v)}`);
      return undefined;
    }
    if (opts.min !== undefined && v < opts.min) {
      this.fail(path, `must be ≥ ${opts.min}, got ${v}`);
      return undefined;
    }
    if (opts.max !== undefined && v > opts.max) {
      this.fail(path, `must be ≤ ${opts.max}, got ${v}`);
      return undefined;
    }
    return v;
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.fail(path, `must be true or false, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  array(v: unknown, path: string, required = false): unknown[] | undefined {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required');
      return undefined;
    }
    if (!Array.isArray(v)) {
      this.fail(path, `must be a list, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  stringMap(v: unknown, path: string): Record<string, string> | undefined {
    const o = this.object(v, path);
    if (!o) return undefined;
    const out: Record<string, string> = {};
    for (const k of Object.keys(o).sort()) {
      const s = o[k];
      if (typeof s === 'string') out[k] = s;
      else if (typeof s === 'number' || typeof s === 'boolean') out[k] = String(s);
      else this.fail(join(path, k), `must be a string, got ${describe(s)}`);
    }
    return out;
  }

  stringList(v: unknown, path: string): string[] | undefined {
    const a = this.array(v, path);
    if (!a) return undefined;
    const out: string[] = [];
    a.forEach((s, i) => {
      const r = this.string(s, `${path}[${i}]`, true);
      if (r !== undefined) out.push(r);
    });
    return out;
  }
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export { parseDuration } from '../../model/duration.js';
