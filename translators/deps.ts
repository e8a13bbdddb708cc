/**
 * @module translators/deps
 * Dependency keys recorded at translation time (issue 18 item 1, istiod's push contexts and
 * ProxyNeedsPush), so that a push re-translates only the resources a change can affect and carries
 * everything else over as encoded bytes.
 *
 * A key names one input a resource read: `vs:<host>` — the VirtualService routing `host` (what
 * `Scope.vsFor(host)` answered) —, `dr:<host>` — the DestinationRule that applies to `host` (what
 * `Scope.destinationRule(host)` answered) — and `drlb:<host>` — the part of it routes read (its
 * load balancers, `Scope.routeLoadBalancer`). `<kind>:*` stands for every key of its kind. A
 * translation that runs through `record` gets a scope that notes every such read, so the keys are
 * exactly what the code looked at, not a guess from names.
 * `DepOutput` is a TypeOutput that says, per resource and for its list of names, which keys it
 * read; an output without it (other generators, EnvoyFilter-patched output) is never carried
 * over by a config change.
 *
 * `changedDeps` turns a push's changed config keys into the dependency keys they invalidate: a
 * VirtualService edit invalidates `vs:<h>` for every host it names before and after (`vs:*` for a
 * wildcard host, which can change the answer for any host); a DestinationRule edit invalidates
 * `dr:<h>` for its host before and after (`dr:*` for a wildcard host), and `drlb:` too unless
 * only fields no route reads changed. Any other kind of change
 * returns null: those pushes re-translate everything (their dependencies are not recorded yet —
 * Services and ServiceEntries are read through lists everywhere, and a Sidecar changes the
 * scope itself, which the parts' keys name).
 */
import type { ConfigKey, MeshConfig } from '../model/config.js';
import type { DestinationRule, VirtualService } from '../model/istio.js';
import { isWildcardHost, resolveShortName } from '../model/hosts.js';
import { gatewayApiRoutePath } from '../model/gatewayapi.js';
import type { Scope } from './scope.js';
import type { ClusterOutput, TypeOutput } from './generated.js';
import type { ClusterKey } from './names.js';

export type Deps = ReadonlySet<string>;

/** Invalidates every `vs:` key (a wildcard VirtualService host changed). */
export const VS_ANY = 'vs:*';
export const vsDep = (host: string): string => `vs:${host}`;
/** Invalidates every `dr:` key (a DestinationRule with a wildcard host changed). */
export const DR_ANY = 'dr:*';
export const drDep = (host: string): string => `dr:${host}`;
/** What routes read of the rule for `host` (its load balancers: scope.ts `routeLoadBalancer`). */
export const DR_LB_ANY = 'drlb:*';
export const drLbDep = (host: string): string => `drlb:${host}`;

/**
 * Whether a change that invalidates only `changed` (changedDeps) keeps every proxy's class key: the
 * key (index.ts CLASS_KEY_PARTS) reads the workload's labels, Sidecar, security and telemetry
 * policies, EnvoyFilters, ProxyConfig and node metadata — never a VirtualService or DestinationRule
 * — so a change keyed only by `vs:`, `dr:` and `drlb:` keys moves no proxy to another class, and the
 * cache need not key 2,000 proxies again (issue 18). Any other key kind: not known, so false.
 */
export function classKeysKept(changed: Deps): boolean {
  for (const k of changed) if (!k.startsWith('vs:') && !k.startsWith('dr:') && !k.startsWith('drlb:')) return false;
  return true;
}

/** A TypeOutput whose resources and name list say which dependency keys they read. */
export interface DepOutput<T> extends TypeOutput<T> {
  /** Keys `get(name)` read (undefined: not built yet or unknown). */
  deps(name: string): Deps | undefined;
  /** Keys `names()` read (undefined: unknown, the list is never carried over). */
  namesDeps(): Deps | undefined;
}

/** `scope` with every VirtualService lookup noted in `sink`. */
export function recordingScope(scope: Scope, sink: Set<string>): Scope {
  return {
    ...scope,
    get virtualServices() {
      sink.add(VS_ANY);
      return scope.virtualServices;
    },
    vsFor(host) {
      sink.add(vsDep(host));
      return scope.vsFor(host);
    },
    destinationRule(host) {
      sink.add(drDep(host));
      return scope.destinationRule(host);
    },
    routeLoadBalancer(host, subset) {
      sink.add(drLbDep(host));
      return scope.routeLoadBalancer(host, subset);
    },
  };
}

/** Runs `build` on a recording scope: its value and the keys it read. */
export function record<T>(scope: Scope, build: (s: Scope) => T): { readonly value: T; readonly deps: Deps } {
  const deps = new Set<string>();
  return { value: build(recordingScope(scope, deps)), deps };
}

/** `f` run once, on first call. */
export function once<T>(f: () => T): () => T {
  let done = false;
  let v: T;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v;
  };
}

/**
 * Whether something that read `deps` may differ after a change that invalidated `changed` (the
 * wildcard forms worked out once per push: it is asked of every resource). A key `<kind>:*` on
 * either side stands for every key of its kind (a wildcard host changed; a whole list was read).
 */
export function touchedBy(changed: Deps): (deps: Deps) => boolean {
  const exact = [...changed];
  const anyOfKind = [...new Set(exact.map((c) => `${c.slice(0, c.indexOf(':') + 1)}*`))];
  const kindsAll = exact.filter((c) => c.endsWith(':*')).map((c) => c.slice(0, -1));
  return (deps) => {
    if (!deps.size || !exact.length) return false;
    for (const c of exact) if (deps.has(c)) return true;
    for (const c of anyOfKind) if (deps.has(c)) return true;
    for (const k of kindsAll) for (const d of deps) if (d.startsWith(k)) return true;
    return false;
  };
}

/** The hosts a mesh-bound or gateway VirtualService key names in `mesh`, as dependency keys (into `out`). */
function vsHostDeps(mesh: MeshConfig, ns: string, name: string, out: Set<string>): void {
  for (const vs of mesh.virtualServices) {
    if (vs.meta.namespace !== ns || vs.meta.name !== name) continue;
    for (const h of vs.spec.hosts) {
      const host = resolveShortName(h, ns, mesh.domainSuffix);
      out.add(isWildcardHost(host) ? VS_ANY : vsDep(host));
    }
  }
}

/**
 * The dependency keys a change of `keys` (from `prev` to `next`) invalidates, or null when the
 * change includes something whose dependencies are not recorded (then everything is re-translated).
 */
export function changedDeps(prev: MeshConfig, next: MeshConfig, keys: ReadonlySet<ConfigKey>): Set<string> | null {
  if (!keys.size) return null;
  // Inputs joined to the mesh outside the store (JWKS keys) or mesh-wide settings: not keyed, so everything.
  if (prev.settings !== next.settings || prev.domainSuffix !== next.domainSuffix || prev.jwks !== next.jwks) return null;
  const out = new Set<string>();
  for (const k of keys) {
    const parts = k.split('/');
    if (parts.length !== 3) return null;
    const [kind, ns, name] = parts as [string, string, string];
    if (kind === 'VirtualService') {
      vsHostDeps(prev, ns, name, out);
      vsHostDeps(next, ns, name, out);
    } else if (kind === 'DestinationRule') {
      const lb = routeViewChanged(prev, next, ns, name);
      drHostDeps(prev, ns, name, lb, out);
      drHostDeps(next, ns, name, lb, out);
    } else if (CONVERTED_ROUTE_KINDS.has(kind)) {
      // A Gateway API route reaches translation only as entries of converted VirtualServices (each
      // naming it as provenance): their hosts, before and after. Anything else the conversion makes
      // (Istio Gateways, BackendTLSPolicy DestinationRules) must be unchanged, else everything.
      if (!sameConvertedRest(prev, next)) return null;
      const path = gatewayApiRoutePath(kind, ns, name);
      convertedHostDeps(prev, path, out);
      convertedHostDeps(next, path, out);
    } else return null;
  }
  // A DestinationRule (or a converted route) can also change which VirtualServices are in the mesh
  // at all: one naming a subset the edit removed is rejected (or falls back to its last good
  // version). Routes read the mesh's list, so every VirtualService that came, went or changed object
  // invalidates its hosts too.
  if ([...keys].some((k) => !k.startsWith('VirtualService/'))) vsListDeps(prev, next, out);
  return out;
}

/** The hosts of every VirtualService that is in only one of the two meshes, or a different object in each. */
function vsListDeps(prev: MeshConfig, next: MeshConfig, out: Set<string>): void {
  const before = new Map(prev.virtualServices.map((vs) => [`${vs.meta.namespace}/${vs.meta.name}`, vs]));
  const hosts = (mesh: MeshConfig, vs: VirtualService): void => {
    for (const h of vs.spec.hosts) {
      const host = resolveShortName(h, vs.meta.namespace, mesh.domainSuffix);
      out.add(isWildcardHost(host) ? VS_ANY : vsDep(host));
    }
  };
  for (const vs of next.virtualServices) {
    const k = `${vs.meta.namespace}/${vs.meta.name}`;
    const was = before.get(k);
    before.delete(k);
    // Converted Gateway API entries are rebuilt by a full store build: equal content is the same route.
    if (was === vs || (was && JSON.stringify(was.spec) === JSON.stringify(vs.spec))) continue;
    hosts(next, vs);
    if (was) hosts(prev, was);
  }
  for (const was of before.values()) hosts(prev, was);
}

/**
 * The host a DestinationRule key names in `mesh`, as a dependency key (into `out`). Keyed by host,
 * the rule's before and after cover every way an edit changes which rule a lookup answers
 * (scope.ts `destinationRule`: exact host first, then wildcard hosts; the proxy's namespace, the
 * service's, the root namespace; `exportTo`): only lookups of those hosts can answer differently.
 */
function drHostDeps(mesh: MeshConfig, ns: string, name: string, lb: boolean, out: Set<string>): void {
  for (const dr of mesh.destinationRules) {
    if (dr.meta.namespace !== ns || dr.meta.name !== name) continue;
    const host = resolveShortName(dr.spec.host, ns, mesh.domainSuffix);
    const wild = isWildcardHost(host);
    out.add(wild ? DR_ANY : drDep(host));
    if (lb) out.add(wild ? DR_LB_ANY : drLbDep(host));
  }
}

/**
 * What routes read of a rule (translators/scope.ts `routeLoadBalancer`: a subset's own load
 * balancer — the first subset of its name —, else the rule's), with what decides where it applies.
 */
function routeView(dr: DestinationRule): string {
  const seen = new Set<string>();
  const own: [string, unknown][] = [];
  for (const s of dr.spec.subsets ?? []) {
    if (seen.has(s.name)) continue;
    seen.add(s.name);
    if (s.trafficPolicy?.loadBalancer) own.push([s.name, s.trafficPolicy.loadBalancer]);
  }
  return JSON.stringify([dr.spec.host, dr.spec.exportTo, dr.spec.trafficPolicy?.loadBalancer, own]);
}

/**
 * Whether a DestinationRule key's edit may change what a route reads (`drlb:` keys): not when the
 * rule exists before and after (the rules of that key, compared in order) with the same host,
 * exportTo and load balancers.
 */
function routeViewChanged(prev: MeshConfig, next: MeshConfig, ns: string, name: string): boolean {
  const views = (m: MeshConfig): string[] =>
    m.destinationRules.filter((d) => d.meta.namespace === ns && d.meta.name === name).map(routeView);
  const a = views(prev);
  const b = views(next);
  return !a.length || a.length !== b.length || a.some((v, i) => v !== b[i]);
}

/** Route kinds whose converted entries carry their provenance (watchers/gatewayapi/http.ts). */
const CONVERTED_ROUTE_KINDS: ReadonlySet<string> = new Set(['HTTPRoute', 'GRPCRoute']);

/** The host deps of every VirtualService holding a route converted from the route at `path`. */
function convertedHostDeps(mesh: MeshConfig, path: string, out: Set<string>): void {
  for (const vs of mesh.virtualServices) {
    if (!vs.spec.http?.some((r) => r.provenance === path)) continue;
    for (const h of vs.spec.hosts) {
      const host = resolveShortName(h, vs.meta.namespace, mesh.domainSuffix);
      out.add(isWildcardHost(host) ? VS_ANY : vsDep(host));
    }
  }
}

/** Whether the meshes' Gateways and DestinationRules (which the Gateway API conversion also makes) are the same. */
function sameConvertedRest(prev: MeshConfig, next: MeshConfig): boolean {
  return (
    JSON.stringify(prev.gateways) === JSON.stringify(next.gateways) &&
    JSON.stringify(prev.destinationRules) === JSON.stringify(next.destinationRules)
  );
}

const byName = <T extends { name?: string | null }>(a: T, b: T): number => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0);

/** An output built as a whole on first use (one recording: every resource shares its deps). */
export function wholeOutput<T extends { name?: string | null }>(scope: Scope, build: (s: Scope) => readonly T[]): DepOutput<T> {
  const all = once(() => {
    const r = record(scope, build);
    return { m: new Map([...r.value].sort(byName).map((i) => [i.name!, i])), deps: r.deps };
  });
  return {
    names: () => [...all().m.keys()],
    get: (n) => all().m.get(n),
    deps: (n) => (all().m.has(n) ? all().deps : undefined),
    namesDeps: () => all().deps,
  };
}

/** A cluster output (with keys) built as a whole on first use, recording what it read. */
export function wholeClusters<T>(scope: Scope, build: (s: Scope) => ClusterOutput<T>): ClusterOutput<T> & DepOutput<T> {
  const all = once(() => record(scope, build));
  return {
    names: () => all().value.names(),
    get: (n) => all().value.get(n),
    key: (n) => all().value.key(n),
    deps: (n) => (all().value.get(n) ? all().deps : undefined),
    namesDeps: () => all().deps,
  };
}

/**
 * Clusters listed by key (a cheap list: `list` reads what names exist), each built on first use
 * with its own recording; a name without a key (fixed clusters) is built by `build` too. `eds`
 * says, from a name's key alone, whether the cluster is an EDS one (edsOutput lists those without
 * building any cluster).
 */
export function keyedClusters<T>(
  scope: Scope,
  list: (s: Scope) => ReadonlyMap<string, ClusterKey | undefined>,
  build: (s: Scope, name: string, key: ClusterKey | undefined) => T | undefined,
  eds: (s: Scope, key: ClusterKey) => boolean,
): ClusterOutput<T> & DepOutput<T> & { edsNames(): readonly string[] } {
  const names = once(() => {
    const r = record(scope, (s) => {
      const m = list(s);
      return { m, names: [...m.keys()], eds: [...m].filter(([, k]) => k && eds(s, k)).map(([n]) => n) };
    });
    return { ...r.value, deps: r.deps };
  });
  const built = new Map<string, { value: T | undefined; deps: Deps }>();
  const one = (n: string): { value: T | undefined; deps: Deps } | undefined => {
    const m = names().m;
    if (!m.has(n)) return undefined;
    let b = built.get(n);
    if (!b) {
      b = record(scope, (s) => build(s, n, m.get(n)));
      built.set(n, b);
    }
    return b;
  };
  return {
    names: () => names().names,
    edsNames: () => names().eds,
    get: (n) => one(n)?.value,
    key: (n) => names().m.get(n),
    deps: (n) => one(n)?.deps,
    namesDeps: () => names().deps,
  };
}

/** Outputs concatenated: names sorted, each name answered by the (first) part that lists it. */
export function joinedOutput<T>(parts: readonly DepOutput<T>[]): DepOutput<T> {
  const index = once(() => {
    const m = new Map<string, DepOutput<T>>();
    for (const p of parts) for (const n of p.names()) if (!m.has(n)) m.set(n, p);
    return new Map([...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  });
  return {
    names: () => [...index().keys()],
    get: (n) => index().get(n)?.get(n),
    deps: (n) => index().get(n)?.deps(n),
    namesDeps: () => {
      const out = new Set<string>();
      for (const p of parts) {
        const d = p.namesDeps();
        if (!d) return undefined;
        for (const x of d) out.add(x);
      }
      return out;
    },
  };
}

/** One resource per name of `names` (a cheap list), each built on first use with its own recording. */
export function perNameOutput<T>(
  scope: Scope,
  names: (s: Scope) => readonly string[],
  build: (s: Scope, name: string) => T | undefined,
): DepOutput<T> {
  const list = once(() => {
    const r = record(scope, names);
    return { ...r, set: new Set(r.value) };
  });
  const built = new Map<string, { value: T | undefined; deps: Deps }>();
  const one = (n: string): { value: T | undefined; deps: Deps } | undefined => {
    if (!list().set.has(n)) return undefined;
    let b = built.get(n);
    if (!b) {
      b = record(scope, (s) => build(s, n));
      built.set(n, b);
    }
    return b;
  };
  return { names: () => list().value, get: (n) => one(n)?.value, deps: (n) => one(n)?.deps, namesDeps: () => list().deps };
}
