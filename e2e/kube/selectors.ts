// Contract: parse and evaluate Kubernetes label selectors (k8s.io/apimachinery/pkg/labels grammar:
// `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k>n`, `k<n`, comma = AND) and
// field selectors (`f=v`, `f==v`, `f!=v`, comma = AND; `\` escapes). Semantics follow the real
// server: `!=` and `notin` also match objects WITHOUT the key; an empty selector matches everything.
// Parse failures throw SelectorError whose message is what the API server puts in its 400
// BadRequest. Which field labels are allowed is decided by the caller (`allowedFields`). Pure.

export class SelectorError extends Error {}

type LabelOp = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | '>' | '<';
export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function tokenize(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      out.push(two);
      i += 2;
      continue;
    }
    if ('=!(),<>'.includes(c)) {
      out.push(c);
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && !' \t\n=!(),<>'.includes(s[j])) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

const isWord = (t: string | undefined): t is string => t !== undefined && !['=', '==', '!=', '!', '(', ')', ',', '<', '>'].includes(t);

function checkKey(k: string): void {
  if (!KEY_RE.test(k) || k.length > 317) {
    throw new SelectorError(
      `unable to parse requirement: invalid label key "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}
function checkValue(v: string): void {
  if (v.length > 63 || !VALUE_RE.test(v)) {
    throw new SelectorError(
      `unable to parse requirement: invalid label value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

/** Parses a label selector; '' (or only whitespace) yields [] which matches everything. */
export function parseLabelSelector(src: string): LabelRequirement[] {
  const t = tokenize(src);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const expect = (what: string): never => {
    throw new SelectorError(`found '${t[i] ?? ''}', expected: ${what}`);
  };
  while (i < t.length) {
    if (t[i] === '!') {
      i++;
      if (!isWord(t[i])) expect("identifier after '!'");
      checkKey(t[i]);
      reqs.push({ key: t[i], op: '!', values: [] });
      i++;
    } else {
      if (!isWord(t[i])) expect("!, identifier, or 'end of string'");
      const key = t[i];
      checkKey(key);
      i++;
      const op = t[i];
      if (op === undefined || op === ',') {
        reqs.push({ key, op: 'exists', values: [] });
      } else if (op === '=' || op === '==' || op === '!=') {
        i++;
        let v = '';
        if (isWord(t[i])) {
          v = t[i];
          i++;
        }
        checkValue(v);
        reqs.push({ key, op: op === '!=' ? '!=' : '=', values: [v] });
      } else if (op === '>' || op === '<') {
        i++;
        if (!isWord(t[i]) || !/^-?\d+$/.test(t[i])) expect('an integer value');
        reqs.push({ key, op, values: [t[i]] });
        i++;
      } else if (op === 'in' || op === 'notin') {
        i++;
        if (t[i] !== '(') expect("'('");
        i++;
        const values: string[] = [];
        for (;;) {
          let v = '';
          if (isWord(t[i])) {
            v = t[i];
            i++;
          }
          checkValue(v);
          values.push(v);
          if (t[i] === ',') {
            i++;
            continue;
          }
          if (t[i] === ')') {
            i++;
            break;
          }
          expect("',' or ')'");
        }
        reqs.push({ key, op, values });
      } else {
        expect("=, !=, ==, in, notin, <, > or ','");
      }
    }
    if (i < t.length) {
      if (t[i] !== ',') expect("',' or 'end of string'");
      i++;
      if (i >= t.length) expect('!, identifier');
    }
  }
  return reqs;
}

export function matchLabels(reqs: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case '=':
      case 'in':
        if (!has || !r.values.includes(v)) return false;
        break;
      case '!=':
      case 'notin':
        if (has && r.values.includes(v)) return false;
        break;
      case '>':
      case '<': {
        if (!has || !/^-?\d+$/.test(v)) return false;
        const n = Number(v),
          ref = Number(r.values[0]);
        if (r.op === '>' ? !(n > ref) : !(n < ref)) return false;
        break;
      }
    }
  }
  return true;
}

/** Splits on unescaped `sep`. */
function splitEscaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i] + s[i + 1];
      i++;
      continue;
    }
    if (s[i] === sep) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += s[i];
  }
  parts.push(cur);
  return parts;
}
const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Parses a field selector, rejecting fields outside `allowedFields` like the API server does. */
export function parseFieldSelector(src: string, allowedFields: readonly string[]): FieldRequirement[] {
  if (src.trim() === '') return [];
  return splitEscaped(src, ',').map((term) => {
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/s.exec(term.trim());
    if (!m) throw new SelectorError(`invalid selector: '${src}'; can't understand '${term}'`);
    const field = m[1].trim();
    if (!allowedFields.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    return { field, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]) };
  });
}

/** Reads a dotted path (`metadata.name`, `spec.nodeName`) as a string; missing -> ''. */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export function matchFields(reqs: readonly FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='));
}

/** A compiled label+field selector over stored objects. */
export interface Selector {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export function matches(sel: Selector, obj: { metadata?: { labels?: Record<string, string> } }): boolean {
  return matchLabels(sel.labels, obj.metadata?.labels) && matchFields(sel.fields, obj);
}

export const isEmptySelector = (sel: Selector): boolean => sel.labels.length === 0 && sel.fields.length === 0;
