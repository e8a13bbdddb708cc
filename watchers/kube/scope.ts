/**
 * @module watchers/kube/scope
 * istiod's `discoverySelectors` (MeshConfig): a list of Kubernetes LabelSelectors over Namespace
 * labels. A namespace is in scope when ANY selector matches it (each selector ANDs its matchLabels
 * and matchExpressions: In, NotIn, Exists, DoesNotExist); no selectors = every namespace. Also
 * reads the selectors out of the istio ConfigMap's `mesh` text, with field-path errors. Pure.
 */
import { parse as parseYaml } from 'yaml';
import { Reader, type Problem } from '../validate/check.js';
import { selectorMatches as labelsSubset } from '../../model/labels.js';

export interface Requirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: readonly string[];
}
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly Requirement[];
}

const OPS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function selectorMatches(s: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (!labelsSubset(s.matchLabels, labels)) return false;
  for (const e of s.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** In scope: no selectors, or one of them matches the namespace's labels. */
export function namespaceSelected(selectors: readonly LabelSelector[], labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!selectors.length) return true;
  if (!labels) return false;
  return selectors.some((s) => selectorMatches(s, labels));
}

export function readSelectors(r: Reader, v: unknown, path: string): LabelSelector[] {
  const out: LabelSelector[] = [];
  (r.array(v, path) ?? []).forEach((item, i) => {
    const p = `${path}[${i}]`;
    const o = r.object(item, p, true);
    if (!o) return;
    const matchLabels = r.stringMap(o['matchLabels'], `${p}.matchLabels`) ?? {};
    const matchExpressions: Requirement[] = [];
    (r.array(o['matchExpressions'], `${p}.matchExpressions`) ?? []).forEach((e, j) => {
      const ep = `${p}.matchExpressions[${j}]`;
      const eo = r.object(e, ep, true);
      if (!eo) return;
      const key = r.string(eo['key'], `${ep}.key`, true) ?? '';
      const op = r.string(eo['operator'], `${ep}.operator`, true) ?? '';
      if (!OPS.includes(op)) {
        r.fail(`${ep}.operator`, `"${op}" is not one of ${OPS.join(', ')}`);
        return;
      }
      const values = r.stringList(eo['values'], `${ep}.values`) ?? [];
      if ((op === 'In' || op === 'NotIn') && !values.length) r.fail(`${ep}.values`, `must be non-empty for ${op}`);
      if ((op === 'Exists' || op === 'DoesNotExist') && values.length) r.fail(`${ep}.values`, `must be empty for ${op}`);
      matchExpressions.push({ key, operator: op as Requirement['operator'], values });
    });
    out.push({ matchLabels, matchExpressions });
  });
  return out;
}

/** The discoverySelectors of a MeshConfig YAML text (the ConfigMap's `mesh` key). */
export function discoverySelectorsOf(meshText: string): { selectors: LabelSelector[]; problems: readonly Problem[] } {
  let doc: unknown;
  try {
    doc = parseYaml(meshText);
  } catch (e) {
    return { selectors: [], problems: [{ field: 'data.mesh', reason: `not YAML: ${(e as Error).message}` }] };
  }
  const r = new Reader();
  const o = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const selectors = readSelectors(r, o['discoverySelectors'], 'discoverySelectors');
  return { selectors: r.problems.length ? [] : selectors, problems: r.problems };
}
