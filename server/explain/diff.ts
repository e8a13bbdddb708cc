/**
 * @module server/explain/diff
 * Dry-run diff: what a change (YAML, applied like `kubectl apply -f`) would push, before anyone
 * applies it. Both sides go through the serving path (store → buildMesh → generator → encoder),
 * on copies, so nothing served changes. For every proxy class: the resources added, removed and
 * changed per type — changed ones with a compact field-level diff of their proto3 JSON — and
 * the classes whose output would not change listed as unaffected.
 */
import type { MeshConfig, Rejection } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { CDS, EDS, LDS, RDS, ENVOY_SHORT as SHORT, type XdsType } from '../../proto/typeurls.js';
import { proxyClass } from '../../translators/index.js';
import { SnapshotCache, type ClassSnapshot } from '../cache/snapshot.js';
import { resourceJson } from './translate.js';

/** What a proxy subscribes to per type (a connected stream's state; offline: wildcard everything). */
export interface Subscription {
  readonly wildcard: boolean;
  readonly names: readonly string[];
}

export interface DiffTarget {
  readonly proxy: Proxy;
  /** By short type; absent = wildcard on every type. */
  readonly subscriptions?: Readonly<Partial<Record<'cds' | 'eds' | 'lds' | 'rds', Subscription>>>;
}

export interface ResourceChange {
  readonly name: string;
  readonly fields: string[];
  readonly fieldsOmitted?: number;
}
export interface TypeDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: ResourceChange[];
}

export interface ClassDiff {
  readonly proxyClass: string;
  readonly proxies: string[];
  readonly types: Partial<Record<'cds' | 'eds' | 'lds' | 'rds', TypeDiff>>;
}

/** One changed resource, listed once with every proxy class (and how many proxies) it reaches the same way. */
export interface ResourceDiff {
  readonly type: 'cds' | 'eds' | 'lds' | 'rds';
  readonly op: 'added' | 'removed' | 'changed';
  readonly name: string;
  readonly fields?: string[];
  readonly fieldsOmitted?: number;
  readonly proxyClasses: string[];
  readonly proxies: number;
}

export interface DiffReport {
  /** Objects in the change that would be accepted (`Kind/namespace/name`). */
  readonly applied: string[];
  /** Objects in the change that would be rejected, with the reason (they would push nothing). */
  readonly rejected: Rejection[];
  readonly affected: ClassDiff[];
  /** The same changes by resource: each once, with the classes it reaches (`affected` is per class). */
  readonly changes: ResourceDiff[];
  readonly unaffected: { readonly proxyClass: string; readonly proxies: string[] }[];
}

const MAX_FIELDS = 40;

function show(v: unknown): string {
  return v === undefined ? '(unset)' : JSON.stringify(v);
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Paths where two JSON values differ, `path: old → new`, always down to the leaves: an object
 * that appears or disappears is listed field by field (never cut), lists of named things are
 * matched by name.
 */
export function fieldDiff(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if ((isObj(a) || a === undefined) && (isObj(b) || b === undefined)) {
    const ka = isObj(a) ? a : {};
    const kb = isObj(b) ? b : {};
    for (const k of [...new Set([...Object.keys(ka), ...Object.keys(kb)])].sort()) fieldDiff(ka[k], kb[k], path ? `${path}.${k}` : k, out);
  } else if (Array.isArray(a) && Array.isArray(b) && named(a) && named(b)) {
    // Lists of named things (routes, virtual hosts, filters): match by name, not position.
    const bn = new Map(b.map((x) => [x['name'], x]));
    const an = new Set(a.map((x) => x['name']));
    for (const x of a) {
      const at = `${path}[name=${String(x['name'])}]`;
      if (bn.has(x['name'])) fieldDiff(x, bn.get(x['name']), at, out);
      else out.push(`${at}: removed`);
    }
    for (const x of b) if (!an.has(x['name'])) fieldDiff(undefined, x, `${path}[name=${String(x['name'])}]`, out);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => fieldDiff(x, b[i], `${path}[${i}]`, out));
  } else out.push(`${path || '(root)'}: ${show(a)} → ${show(b)}`);
  return out;
}

/** Every element an object with a unique string `name`. */
function named(xs: unknown[]): xs is Record<string, unknown>[] {
  const names = xs.map((x) => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>)['name'] : undefined));
  return xs.length > 0 && names.every((n) => typeof n === 'string') && new Set(names).size === names.length;
}

const TYPES: readonly XdsType[] = [CDS, EDS, LDS, RDS];

function namesOf(t: XdsType, sub: Subscription | undefined, before: ClassSnapshot, after: ClassSnapshot): string[] {
  const s = sub ?? { wildcard: true, names: [] };
  const out = new Set(s.names);
  if (s.wildcard) for (const n of [...before.names(t), ...after.names(t)]) out.add(n);
  return [...out].sort();
}

function typeDiff(t: XdsType, names: readonly string[], before: ClassSnapshot, after: ClassSnapshot): TypeDiff | null {
  const d: TypeDiff = { added: [], removed: [], changed: [] };
  for (const n of names) {
    const b = before.get(t, n);
    const a = after.get(t, n);
    if (!b && a) d.added.push(n);
    else if (b && !a) d.removed.push(n);
    else if (a && b && a.version !== b.version) {
      const fields = fieldDiff(resourceJson(b), resourceJson(a));
      d.changed.push({
        name: n,
        fields: fields.slice(0, MAX_FIELDS),
        ...(fields.length > MAX_FIELDS ? { fieldsOmitted: fields.length - MAX_FIELDS } : {}),
      });
    }
  }
  return d.added.length || d.removed.length || d.changed.length ? d : null;
}

/** Merges the subscriptions of the proxies of one class (any wildcard → wildcard; names unioned). */
function mergeSubs(targets: readonly DiffTarget[]): Partial<Record<'cds' | 'eds' | 'lds' | 'rds', Subscription>> | undefined {
  if (targets.some((t) => !t.subscriptions)) return undefined;
  const out: Partial<Record<'cds' | 'eds' | 'lds' | 'rds', Subscription>> = {};
  for (const short of ['cds', 'eds', 'lds', 'rds'] as const) {
    const subs = targets.map((t) => t.subscriptions![short]).filter((s): s is Subscription => !!s);
    out[short] = { wildcard: subs.some((s) => s.wildcard), names: [...new Set(subs.flatMap((s) => s.names))] };
  }
  return out;
}

/**
 * `beforeFor` may hand out the served snapshots (already encoded, shared with the streams: only
 * read here), so only the "after" side is generated and encoded.
 */
export function diffMeshes(
  before: MeshConfig,
  after: MeshConfig,
  targets: readonly DiffTarget[],
  change: { applied: string[]; rejected: Rejection[] },
  beforeFor?: (p: Proxy) => ClassSnapshot,
): DiffReport {
  const classes = new Map<string, DiffTarget[]>();
  for (const t of targets) {
    const k = proxyClass(t.proxy);
    classes.set(k, [...(classes.get(k) ?? []), t]);
  }
  const cb = new SnapshotCache(before);
  const ca = new SnapshotCache(after);
  const affected: ClassDiff[] = [];
  const unaffected: DiffReport['unaffected'] = [];
  for (const k of [...classes.keys()].sort()) {
    const ts = classes.get(k)!;
    const proxies = [...new Set(ts.map((t) => t.proxy.id))].sort();
    const sb = beforeFor ? beforeFor(ts[0]!.proxy) : cb.forProxy(ts[0]!.proxy);
    const sa = ca.forProxy(ts[0]!.proxy);
    const subs = mergeSubs(ts);
    const types: ClassDiff['types'] = {};
    for (const t of TYPES) {
      const short = SHORT[t];
      if (subs && !subs[short]?.wildcard && !subs[short]?.names.length) continue;
      const d = typeDiff(t, namesOf(t, subs?.[short], sb, sa), sb, sa);
      if (d) types[short] = d;
    }
    if (Object.keys(types).length) affected.push({ proxyClass: k, proxies, types });
    else unaffected.push({ proxyClass: k, proxies });
  }
  return { applied: change.applied, rejected: change.rejected, affected, changes: byResource(affected), unaffected };
}

/** Folds per-class diffs into one entry per (type, op, name, fields): a change every class sees alike is listed once. */
export function byResource(affected: readonly ClassDiff[]): ResourceDiff[] {
  const out = new Map<
    string,
    {
      type: ResourceDiff['type'];
      op: ResourceDiff['op'];
      name: string;
      fields?: string[];
      fieldsOmitted?: number;
      proxyClasses: string[];
      proxies: number;
    }
  >();
  const add = (c: ClassDiff, type: ResourceDiff['type'], op: ResourceDiff['op'], name: string, ch?: ResourceChange): void => {
    const key = JSON.stringify([type, op, name, ch?.fields ?? [], ch?.fieldsOmitted ?? 0]);
    let e = out.get(key);
    if (!e) {
      e = {
        type,
        op,
        name,
        ...(ch ? { fields: ch.fields } : {}),
        ...(ch?.fieldsOmitted ? { fieldsOmitted: ch.fieldsOmitted } : {}),
        proxyClasses: [],
        proxies: 0,
      };
      out.set(key, e);
    }
    e.proxyClasses.push(c.proxyClass);
    e.proxies += c.proxies.length;
  };
  for (const c of affected) {
    for (const [t, d] of Object.entries(c.types) as [ResourceDiff['type'], TypeDiff][]) {
      for (const n of d.added) add(c, t, 'added', n);
      for (const n of d.removed) add(c, t, 'removed', n);
      for (const ch of d.changed) add(c, t, 'changed', ch.name, ch);
    }
  }
  const order = { cds: 0, eds: 1, lds: 2, rds: 3 } as const;
  return [...out.values()].sort(
    (a, b) => order[a.type] - order[b.type] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || a.op.localeCompare(b.op),
  );
}

const SIGN = { added: '+', removed: '-', changed: '~' } as const;

/** Each changed resource once: type, +/-/~, name, its changed paths in full, and the proxy classes it reaches. */
export function diffText(r: DiffReport): string {
  const out: string[] = [];
  for (const a of r.applied) out.push(`apply ${a}`);
  for (const j of r.rejected) out.push(`REJECTED ${j.kind} ${j.namespace}/${j.name}: ${j.field ? `${j.field}: ` : ''}${j.reason}`);
  const changes = r.changes ?? byResource(r.affected);
  const classes = new Map(r.affected.map((c) => [c.proxyClass, c.proxies.length]));
  const everyAffected = (rc: ResourceDiff): boolean => rc.proxyClasses.length === classes.size && classes.size > 1;
  for (const c of changes) {
    out.push('', `${c.type.toUpperCase()} ${SIGN[c.op]} ${c.name}`);
    for (const f of c.fields ?? []) out.push(`    ${f}`);
    if (c.fieldsOmitted) out.push(`    … ${c.fieldsOmitted} more`);
    const who = `${c.proxyClasses.length} proxy class${c.proxyClasses.length === 1 ? '' : 'es'}, ${c.proxies} prox${c.proxies === 1 ? 'y' : 'ies'}`;
    out.push(everyAffected(c) ? `  reaches every affected class (${who})` : `  reaches (${who}): ${c.proxyClasses.join(', ')}`);
  }
  if (r.affected.length) {
    out.push('', 'affected proxy classes:');
    for (const c of r.affected) out.push(`  ${c.proxyClass}: ${c.proxies.join(', ')}`);
  }
  if (r.unaffected.length) {
    out.push('', 'unaffected:');
    for (const u of r.unaffected) out.push(`  ${u.proxyClass}: ${u.proxies.join(', ')}`);
  }
  return out.join('\n').replace(/^\n/, '') + '\n';
}
