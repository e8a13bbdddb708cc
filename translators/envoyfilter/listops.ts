/**
 * @module translators/envoyfilter/listops
 * istiod's list operations on an ordered list of named things (network filters, HTTP filters,
 * listener filters, routes): ADD appends, INSERT_FIRST prepends, INSERT_BEFORE / INSERT_AFTER go
 * next to the first element the patch matches (nothing when none does), REPLACE swaps the first
 * match; MERGE and REMOVE apply to every match. Pure: returns a new list, or the same one untouched.
 */
import type { Obj, Unit } from './ops.js';

export interface ListOps {
  readonly matches: (u: Unit, e: Obj) => boolean;
  readonly merge: (e: Obj, value: Obj) => Obj;
}

/** Inserting operations (ADD, INSERT_*, REPLACE) in patch order. */
export function insertOps(items: readonly Obj[], units: readonly Unit[], o: ListOps): readonly Obj[] {
  let out = items;
  for (const u of units) {
    const v = u.patch.value as Obj | undefined;
    if (!v) continue;
    const at = (): number => out.findIndex((e) => o.matches(u, e));
    switch (u.patch.operation) {
      case 'ADD': out = [...out, v]; break;
      case 'INSERT_FIRST': out = [v, ...out]; break;
      case 'INSERT_BEFORE': { const i = at(); if (i >= 0) out = [...out.slice(0, i), v, ...out.slice(i)]; break; }
      case 'INSERT_AFTER': { const i = at(); if (i >= 0) out = [...out.slice(0, i + 1), v, ...out.slice(i + 1)]; break; }
      case 'REPLACE': { const i = at(); if (i >= 0) out = [...out.slice(0, i), v, ...out.slice(i + 1)]; break; }
      default: break;
    }
  }
  return out;
}

/** MERGE and REMOVE on every element each patch matches, in patch order. */
export function mergeRemoveOps(items: readonly Obj[], units: readonly Unit[], o: ListOps): readonly Obj[] {
  const ours = units.filter((u) => u.patch.operation === 'MERGE' || u.patch.operation === 'REMOVE');
  if (!ours.length) return items;
  let changed = false;
  const out: Obj[] = [];
  for (const e of items) {
    let cur: Obj | null = e;
    for (const u of ours) {
      if (!cur || !o.matches(u, cur)) continue;
      if (u.patch.operation === 'REMOVE') cur = null;
      else if (u.patch.value) cur = o.merge(cur, u.patch.value as Obj);
    }
    if (cur !== e) changed = true;
    if (cur) out.push(cur);
  }
  return changed ? out : items;
}
