/**
 * @module translators/envoyfilter/listops
 * istiod's operations on an ordered list of named things (listener filters, network filters, HTTP
 * filters, routes), in patch order: ADD appends; INSERT_FIRST prepends; INSERT_BEFORE /
 * INSERT_AFTER go next to the first element the patch matches — without an element match in the
 * patch they prepend / append, with one that matches nothing they do nothing; REPLACE swaps the
 * first match and REMOVE drops every match (both need an element match in the patch). MERGE
 * applies to every match, after the list operations. Pure: returns a new list, or the same one
 * when nothing changed.
 */
import { isMerge, type Obj, type Unit } from './ops.js';

export interface ListOps {
  /** Whether the patch names an element at this level (a filter name, a sub-filter, a route). */
  readonly hasMatch: (u: Unit) => boolean;
  /** The element matches the patch (true for every element when `hasMatch` is false). */
  readonly matches: (u: Unit, e: Obj) => boolean;
  /** The unit's value merged into the element (MERGE or MERGE_AND_REPLACE_LIST). */
  readonly merge: (e: Obj, u: Unit) => Obj;
}

/** List operations (everything but MERGE) in patch order; REMOVE too unless `skipRemove`. */
export function insertOps(items: readonly Obj[], units: readonly Unit[], o: ListOps, skipRemove = false): readonly Obj[] {
  let out = items;
  for (const u of units) {
    const v = u.patch.value as Obj | undefined;
    const at = (): number => out.findIndex((e) => o.matches(u, e));
    const has = o.hasMatch(u);
    switch (u.patch.operation) {
      case 'ADD':
        if (v) out = [...out, v];
        break;
      case 'INSERT_FIRST':
        if (v) out = [v, ...out];
        break;
      case 'INSERT_BEFORE': {
        const i = has ? at() : 0;
        if (v && i >= 0) out = [...out.slice(0, i), v, ...out.slice(i)];
        break;
      }
      case 'INSERT_AFTER': {
        const i = has ? at() : out.length - 1;
        if (v && (i >= 0 || !has)) out = [...out.slice(0, i + 1), v, ...out.slice(i + 1)];
        break;
      }
      case 'REPLACE': {
        const i = has ? at() : -1;
        if (v && i >= 0) out = [...out.slice(0, i), v, ...out.slice(i + 1)];
        break;
      }
      case 'REMOVE':
        if (has && !skipRemove && out.some((e) => o.matches(u, e))) out = out.filter((e) => !o.matches(u, e));
        break;
      default:
        break;
    }
  }
  return out;
}

/** MERGE (and REMOVE, when `withRemove`) on every element each patch matches, in patch order. */
export function mergeOps(items: readonly Obj[], units: readonly Unit[], o: ListOps, withRemove = false): readonly Obj[] {
  const ours = units.filter((u) => isMerge(u) || (withRemove && u.patch.operation === 'REMOVE'));
  if (!ours.length) return items;
  let changed = false;
  const out: Obj[] = [];
  for (const e of items) {
    let cur: Obj | null = e;
    for (const u of ours) {
      if (!cur || !o.matches(u, cur)) continue;
      if (u.patch.operation === 'REMOVE') cur = null;
      else if (u.patch.value) cur = o.merge(cur, u);
    }
    if (cur !== e) changed = true;
    if (cur) out.push(cur);
  }
  return changed ? out : items;
}
