/**
 * @module translators/envoyfilter/route
 * Patches one RouteConfiguration as istiod's rc_patch.go does, in its order: ROUTE_CONFIGURATION
 * MERGE; then for each virtual host VIRTUAL_HOST MERGE/REMOVE/REPLACE and its HTTP_ROUTEs (MERGE/REMOVE
 * on each matching route first, then ADD, INSERT_FIRST, INSERT_BEFORE, INSERT_AFTER relative to
 * the first matching route — without a route match they prepend / append); then VIRTUAL_HOST ADDs. Returns the same object when nothing applied.
 */
import { VALUE_TYPE } from '../../model/envoyfilter.js';
import { isMerge, list, mergeUnit, type Obj, type ProtoOps, type ResourceContext, type Unit } from './ops.js';
import { insertOps, mergeOps } from './listops.js';
import { routeConfigMatches, routeMatches, vhostMatches } from './match.js';

function patchRoutes(routes: readonly Obj[], units: readonly Unit[], ops: ProtoOps): readonly Obj[] {
  const lo = {
    hasMatch: (u: Unit) => u.patch.match.routeConfiguration?.vhost?.route !== undefined,
    matches: (u: Unit, e: Obj) => routeMatches(u.patch, e),
    merge: (e: Obj, u: Unit) => mergeUnit(ops, VALUE_TYPE.HTTP_ROUTE, e, u),
  };
  const merged = mergeOps(routes, units, lo, true);
  let out = merged;
  for (const u of units) {
    // INSERT_FIRST with a route match inserts at the top only when some route matches, as istiod; REPLACE is not a route operation there.
    if (
      u.patch.operation === 'REPLACE' ||
      (u.patch.operation === 'INSERT_FIRST' && lo.hasMatch(u) && !out.some((r) => routeMatches(u.patch, r)))
    )
      continue;
    out = insertOps(out, [u], lo, true);
  }
  return out;
}

export function patchRouteConfiguration(rc: Obj, ctx: ResourceContext, units: readonly Unit[], ops: ProtoOps): Obj {
  const mine = units.filter((u) => routeConfigMatches(u.patch, rc, ctx));
  if (!mine.length) return rc;
  let out = rc;
  for (const u of mine)
    if (u.patch.applyTo === 'ROUTE_CONFIGURATION' && isMerge(u)) out = mergeUnit(ops, VALUE_TYPE.ROUTE_CONFIGURATION, out, u);
  const vhu = mine.filter((u) => u.patch.applyTo === 'VIRTUAL_HOST');
  const ru = mine.filter((u) => u.patch.applyTo === 'HTTP_ROUTE');
  const before = list(out['virtual_hosts']);
  let vhosts: readonly Obj[] = before;
  if (vhu.some((u) => isMerge(u) || ['REMOVE', 'REPLACE'].includes(u.patch.operation))) {
    const next: Obj[] = [];
    for (const vh of before) {
      let cur: Obj | null = vh;
      for (const u of vhu) {
        if (!cur || !vhostMatches(u.patch, cur)) continue;
        if (u.patch.operation === 'REMOVE') cur = null;
        else if (isMerge(u)) cur = mergeUnit(ops, VALUE_TYPE.VIRTUAL_HOST, cur, u);
        else if (u.patch.operation === 'REPLACE' && u.patch.value) cur = u.patch.value as Obj;
      }
      if (cur) next.push(cur);
    }
    if (next.length !== before.length || next.some((v, i) => v !== before[i])) vhosts = next;
  }
  if (ru.length) {
    vhosts = vhosts.map((vh) => {
      const rs = ru.filter((u) => vhostMatches(u.patch, vh));
      const r0 = list(vh['routes']);
      const r1 = rs.length ? patchRoutes(r0, rs, ops) : r0;
      return r1 === r0 ? vh : { ...vh, routes: r1 };
    });
  }
  // INSERT_* on a virtual host behave as ADD (istiod converts them).
  const adds = vhu
    .filter((u) => ['ADD', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'].includes(u.patch.operation) && u.patch.value)
    .map((u) => u.patch.value as Obj);
  if (adds.length) vhosts = [...vhosts, ...adds];
  return vhosts === before ? out : { ...out, virtual_hosts: vhosts };
}
