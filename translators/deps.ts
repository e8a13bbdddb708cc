/**
 * @module translators/deps
 * Dependency keys recorded at translation time (issue 18 item 1, istiod's push contexts and
 * ProxyNeedsPush), so that a push re-translates only the resources a change can affect and carries
 * everything else over as encoded bytes.
 *
 * A key names one input a resource read: `vs:<host>` — the VirtualService routing `host` (what
 * `Scope.vsFor(host)` answered) —, `dr:<host>` — the DestinationRule that applies to `host` (what
 * `Scope.destinationRule(host)` answered) — and `drlb:<host>` — the part of it routes read (its
 * load balancers, `Scope.routeLoadBalancer`) — and `sidecar:<namespace>`, which every recording
 * reads: the Sidecar that applies to a proxy (scope.ts `sidecarFor`) is chosen among its own
 * namespace's Sidecars and the root namespace's default, and shapes nearly everything the scope
 * answers (egress hosts, ports, outbound policy, ingress) —, the scope's view of the services
 * (`svcsc|<sidecar>:<namespace>` or `svcnosc:<namespace>`, also read by every recording: services
 * are read through lists everywhere) and `svchost:<host>`, a service looked up out of view
 * (`Scope.meshService`); and the security policies a workload's (or a service's auto mTLS) reads
 * (`Scope.policies`, `peerAuth`, `autoMtls`: policy-deps.ts). `<kind>:*` stands for every key of its kind. A
 * translation that runs through `record` gets a scope that notes every such read, so the keys are
 * exactly what the code looked at, not a guess from names.
 * `DepOutput` is a TypeOutput that says, per resource and for its list of names, which keys it
 * read; an output without it (other generators, EnvoyFilter-patched output) is never carried
 * over by a config change.
 *
 * `changedDeps` (changed-deps.ts) turns a push's changed config keys into the keys they invalidate.
 */
import type { Scope } from './scope.js';
import type { ClusterOutput, TypeOutput } from './generated.js';
import type { ClusterKey } from './names.js';
import { noteAutoMtls, notePeerAuth, notePolicies } from './policy-deps.js';

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
/** Invalidates every `sidecar:` key (a Sidecar of the root namespace changed). */
export const SIDECAR_ANY = 'sidecar:*';
/** Which Sidecar applies to the proxies of `namespace` (read by every translation of their scope). */
export const sidecarDep = (namespace: string): string => `sidecar:${namespace}`;

/**
 * Whether a change that invalidates only `changed` (changedDeps) keeps every proxy's class key: the
 * key (index.ts CLASS_KEY_PARTS) reads the workload's labels, Sidecar, security and telemetry
 * policies, EnvoyFilters, ProxyConfig and node metadata — never a VirtualService or DestinationRule
 * — so a change keyed only by `vs:`, `dr:` and `drlb:` keys moves no proxy to another class, and the
 * cache need not key 2,000 proxies again (issue 18). Nor does a content-only edit of an
 * AuthorizationPolicy or RequestAuthentication (`authz:`, `reqauthn:`, policy-deps.ts): the key
 * names the policies that apply, which such an edit leaves as they were. Any other key kind: not
 * known, so false.
 */
const CLASS_KEPT_KINDS: readonly string[] = ['vs:', 'dr:', 'drlb:', 'authz:', 'reqauthn:'];
export function classKeysKept(changed: Deps): boolean {
  for (const k of changed) if (!CLASS_KEPT_KINDS.some((p) => k.startsWith(p))) return false;
  return true;
}

/** A TypeOutput whose resources and name list say which dependency keys they read. */
export interface DepOutput<T> extends TypeOutput<T> {
  /** Keys `get(name)` read (undefined: not built yet or unknown). */
  deps(name: string): Deps | undefined;
  /** Keys `names()` read (undefined: unknown, the list is never carried over). */
  namesDeps(): Deps | undefined;
}

/** Which services a scope sees: those its Sidecar admits (`svcsc|<sidecar>:<namespace>`), else those exported to its namespace. */
export function serviceViewDep(scope: Pick<Scope, 'namespace' | 'sidecar'>): string {
  const sc = scope.sidecar;
  return sc ? `svcsc|${sc.meta.namespace}/${sc.meta.name}:${scope.namespace}` : `svcnosc:${scope.namespace}`;
}
/** A mesh service looked up by host whether visible or not (`Scope.meshService`, and which namespace a DestinationRule lookup prefers). */
export const svcHostDep = (host: string): string => `svchost:${host}`;

/**
 * `scope` with every VirtualService, DestinationRule and out-of-view service lookup noted in
 * `sink`, plus what every translation of the scope reads: its namespace's Sidecar choice and the
 * services it sees (its view: a Service edit re-translates the scopes that see the service).
 */
export function recordingScope(scope: Scope, sink: Set<string>): Scope {
  sink.add(sidecarDep(scope.namespace));
  sink.add(serviceViewDep(scope));
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
      sink.add(svcHostDep(host));
      return scope.destinationRule(host);
    },
    routeLoadBalancer(host, subset) {
      sink.add(drLbDep(host));
      sink.add(svcHostDep(host));
      return scope.routeLoadBalancer(host, subset);
    },
    meshService(host) {
      sink.add(svcHostDep(host));
      return scope.meshService(host);
    },
    policies() {
      const a = scope.policies();
      notePolicies(sink, scope.namespace, scope.labels, a);
      return a;
    },
    peerAuth() {
      const e = scope.peerAuth();
      notePeerAuth(sink, scope.namespace, scope.labels, e);
      return e;
    },
    autoMtls(svc) {
      // Off in the mesh settings (a change of them re-translates everything) or for a MESH_EXTERNAL service: no policy is read.
      if (scope.mesh.settings.enableAutoMtls && !svc.meshExternal) noteAutoMtls(sink, scope.mesh, svc.namespace);
      return scope.autoMtls(svc);
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
