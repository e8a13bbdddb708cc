/**
 * @module translators/envoyfilter/listener
 * Patches one Listener as istiod's listener_patch.go does, in its order: LISTENER MERGE/REMOVE,
 * then LISTENER_FILTERs, then for each filter chain (and the default chain) FILTER_CHAIN
 * MERGE/REMOVE, its NETWORK_FILTERs (list operations in patch order, then MERGE on each matching
 * filter, listops.ts) and, inside every HTTP connection manager, its HTTP_FILTERs the same way; then FILTER_CHAIN ADDs (INSERT_* on a filter chain
 * behave as ADD, as istiod converts them). HTTP filters with a `filterClass` go after Istio's
 * authentication (AUTHN) or authorization (AUTHZ) filters or before its stats filter (STATS),
 * ignoring the operation. The units passed are already narrowed to the proxy and context.
 * Returns the patched listener, the same object when nothing applied, or null when removed.
 */
import { VALUE_TYPE } from '../../model/envoyfilter.js';
import { isMerge, list, mergeUnit, obj, type Obj, type ProtoOps, type Unit } from './ops.js';
import { insertOps, mergeOps } from './listops.js';
import {
  filterChainMatches,
  filterMatches,
  HCM,
  hasFilterMatch,
  hasListenerFilterMatch,
  hasSubFilterMatch,
  httpFilters,
  listenerFilterMatches,
  listenerMatches,
  subFilterMatches,
} from './match.js';

const AUTHN = ['istio_authn', 'envoy.filters.http.jwt_authn'];
const AUTHZ = ['envoy.filters.http.rbac', 'envoy.filters.http.ext_authz'];
const STATS = ['istio.stats'];

const of = (units: readonly Unit[], applyTo: Unit['patch']['applyTo']): Unit[] => units.filter((u) => u.patch.applyTo === applyTo);

/** Index after the last filter named in `names`, or -1. */
const afterLast = (fs: readonly Obj[], names: readonly string[]): number => {
  for (let i = fs.length - 1; i >= 0; i--) if (names.includes(String(fs[i]!['name']))) return i + 1;
  return -1;
};

function classPosition(fs: readonly Obj[], cls: string): number {
  const authn = afterLast(fs, AUTHN);
  if (cls === 'AUTHN') return authn >= 0 ? authn : 0;
  if (cls === 'AUTHZ') {
    const z = afterLast(fs, AUTHZ);
    return z >= 0 ? z : Math.max(authn, 0);
  }
  const s = fs.findIndex((f) => STATS.includes(String(f['name'])));
  if (s >= 0) return s;
  const router = fs.findIndex((f) => f['name'] === 'envoy.filters.http.router');
  return router >= 0 ? router : fs.length;
}

function patchHttpFilters(fs: readonly Obj[], units: readonly Unit[], ops: ProtoOps): readonly Obj[] {
  const T = VALUE_TYPE.HTTP_FILTER;
  const lo = {
    hasMatch: (u: Unit) => hasSubFilterMatch(u.patch),
    matches: (u: Unit, e: Obj) => subFilterMatches(u.patch, e),
    merge: (e: Obj, u: Unit) => mergeUnit(ops, T, e, u),
  };
  let out = fs;
  for (const u of units) {
    if (u.patch.filterClass !== 'UNSPECIFIED' && u.patch.value) {
      const i = classPosition(out, u.patch.filterClass);
      out = [...out.slice(0, i), u.patch.value as Obj, ...out.slice(i)];
    } else {
      out = insertOps(out, [u], lo);
    }
  }
  return mergeOps(out, units, lo);
}

function patchNetworkFilters(l: Obj, fc: Obj, units: readonly Unit[], ops: ProtoOps): Obj {
  const applies = (u: Unit): boolean => listenerMatches(u, l) && filterChainMatches(u.patch, l, fc);
  const nf = of(units, 'NETWORK_FILTER').filter(applies);
  const hf = of(units, 'HTTP_FILTER').filter(applies);
  if (!nf.length && !hf.length) return fc;
  const T = VALUE_TYPE.NETWORK_FILTER;
  const lo = {
    hasMatch: (u: Unit) => hasFilterMatch(u.patch),
    matches: (u: Unit, e: Obj) => filterMatches(u.patch, e),
    merge: (e: Obj, u: Unit) => mergeUnit(ops, T, e, u),
  };
  let filters = insertOps(list(fc['filters']), nf, lo);
  filters = mergeOps(filters, nf, lo);
  if (hf.length) {
    filters = filters.map((f) => {
      if (f['name'] !== HCM) return f;
      const mine = hf.filter((u) => filterMatches(u.patch, f));
      if (!mine.length) return f;
      const before = httpFilters(f);
      const after = patchHttpFilters(before, mine, ops);
      return after === before ? f : { ...f, typed_config: { ...obj(f['typed_config']), http_filters: after } };
    });
  }
  return filters === fc['filters'] ? fc : { ...fc, filters };
}

function patchFilterChain(l: Obj, fc: Obj, units: readonly Unit[], ops: ProtoOps): Obj | null {
  let cur = fc;
  for (const u of of(units, 'FILTER_CHAIN')) {
    if (!listenerMatches(u, l) || !filterChainMatches(u.patch, l, cur)) continue;
    if (u.patch.operation === 'REMOVE') return null;
    if (isMerge(u)) cur = mergeUnit(ops, VALUE_TYPE.FILTER_CHAIN, cur, u);
  }
  return patchNetworkFilters(l, cur, units, ops);
}

export function patchListener(listener: Obj, units: readonly Unit[], ops: ProtoOps): Obj | null {
  let l = listener;
  for (const u of of(units, 'LISTENER')) {
    if (!listenerMatches(u, l)) continue;
    if (u.patch.operation === 'REMOVE') return null;
    if (isMerge(u)) l = mergeUnit(ops, VALUE_TYPE.LISTENER, l, u);
  }
  const lfu = of(units, 'LISTENER_FILTER').filter((u) => listenerMatches(u, l));
  if (lfu.length) {
    const T = VALUE_TYPE.LISTENER_FILTER;
    const lo = {
      hasMatch: (u: Unit) => hasListenerFilterMatch(u.patch),
      matches: (u: Unit, e: Obj) => listenerFilterMatches(u.patch, e),
      merge: (e: Obj, u: Unit) => mergeUnit(ops, T, e, u),
    };
    const before = list(l['listener_filters']);
    const after = mergeOps(insertOps(before, lfu, lo), lfu, lo);
    if (after !== before) l = { ...l, listener_filters: after };
  }
  const chains = list(l['filter_chains']);
  const patched = chains.map((fc) => (fc['filters'] ? patchFilterChain(l, fc, units, ops) : fc));
  const dfc = obj(l['default_filter_chain']);
  const dfcPatched = dfc?.['filters'] ? patchFilterChain(l, dfc, units, ops) : dfc;
  const added = of(units, 'FILTER_CHAIN').filter(
    (u) => !isMerge(u) && u.patch.operation !== 'REMOVE' && u.patch.value && listenerMatches(u, l),
  );
  if (added.length || patched.some((p, i) => p !== chains[i])) {
    l = { ...l, filter_chains: [...patched.filter((p): p is Obj => p !== null), ...added.map((u) => u.patch.value as Obj)] };
  }
  if (dfcPatched !== dfc) {
    const { default_filter_chain: _drop, ...rest } = l;
    l = dfcPatched ? { ...rest, default_filter_chain: dfcPatched } : rest;
  }
  return l;
}

/** LISTENER ADDs (INSERT_* behave as ADD). */
export function addedListeners(units: readonly Unit[]): { unit: Unit; value: Obj }[] {
  return of(units, 'LISTENER')
    .filter((u) => !isMerge(u) && u.patch.operation !== 'REMOVE' && u.patch.value)
    .map((u) => ({ unit: u, value: u.patch.value as Obj }));
}
