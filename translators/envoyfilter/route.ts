/**
 * @module translators/envoyfilter/route
 * Patches one RouteConfiguration as istiod's rc_patch.go does, in its order: ROUTE_CONFIGURATION
 * MERGE; then for each virtual host VIRTUAL_HOST MERGE/REMOVE and its HTTP_ROUTEs (MERGE/REMOVE
 * on each matching route first, then ADD, INSERT_FIRST, INSERT_BEFORE, INSERT_AFTER relative to
 * the first matching route); then VIRTUAL_HOST ADDs. Returns the same object when nothing applied.
 */
import { VALUE_TYPE } from '../../model/envoyfilter.js';
import { list, type Obj, type ProtoOps, type ResourceContext, type Unit } from './ops.js';
import { insertOps, mergeRemoveOps } from './listops.js';
import { routeConfigMatches, routeMatches, vhostMatches } from './match.js';

function patchRoutes(routes: readonly Obj[], units: readonly Unit[], ops: ProtoOps): readonly Obj[] {
  const lo = { matches: (u: Unit, e: Obj) => routeMatches(u.patch, e), merge: (e: Obj, v: Obj) => ops.merge(VALUE_TYPE.HTTP_ROUTE, e, v) };
  const merged = mergeRemoveOps(routes, units, lo);
  // INSERT_FIRST with a route match needs a matching route in the vhost, as istiod.
  const ins = units.filter((u) => u.patch.operation !== 'INSERT_FIRST' || !u.patch.match.routeConfiguration?.vhost?.route || merged.some((r) => routeMatches(u.patch, r)));
  return insertOps(merged, ins.filter((u) => u.patch.operation !== 'REPLACE'), lo);
}

export function patchRouteConfiguration(rc: Obj, ctx: ResourceContext, units: readonly Unit[], ops: ProtoOps): Obj {
  const mine = units.filter((u) => routeConfigMatches(u.patch, rc, ctx));
  if (!mine.length) return rc;
  let out = rc;
  for (const u of mine) if (u.patch.applyTo === 'ROUTE_CONFIGURATION' && u.patch.operation === 'MERGE' && u.patch.value) out = ops.merge(VALUE_TYPE.ROUTE_CONFIGURATION, out, u.patch.value);
  const vhu = mine.filter((u) => u.patch.applyTo === 'VIRTUAL_HOST');
  const ru = mine.filter((u) => u.patch.applyTo === 'HTTP_ROUTE');
  const before = list(out['virtual_hosts']);
  let vhosts = mergeRemoveOps(before, vhu, { matches: (u, e) => vhostMatches(u.patch, e), merge: (e, v) => ops.merge(VALUE_TYPE.VIRTUAL_HOST, e, v) });
  if (ru.length) {
    vhosts = vhosts.map((vh) => {
      const rs = ru.filter((u) => vhostMatches(u.patch, vh));
      const r0 = list(vh['routes']);
      const r1 = rs.length ? patchRoutes(r0, rs, ops) : r0;
      return r1 === r0 ? vh : { ...vh, routes: r1 };
    });
  }
  const adds = vhu.filter((u) => u.patch.operation === 'ADD' && u.patch.value).map((u) => u.patch.value as Obj);
  if (adds.length) vhosts = [...vhosts, ...adds];
  return vhosts === before ? out : { ...out, virtual_hosts: vhosts };
}
