/**
 * @module translators/changed-deps
 * What a change invalidates, in the dependency keys translations record (deps.ts): keys of the
 * changed objects before and after, as the push runner plans a keyed push (server/push/runner.ts).
 *
 * `changedDeps` turns a push's changed config keys into the dependency keys they invalidate: a
 * VirtualService edit invalidates `vs:<h>` for every host it names before and after (`vs:*` for a
 * wildcard host, which can change the answer for any host); a DestinationRule edit invalidates
 * `dr:<h>` for its host before and after (`dr:*` for a wildcard host), and `drlb:` too unless
 * only fields no route reads changed; a Sidecar edit invalidates `sidecar:<its namespace>` (the
 * proxies of that namespace), `sidecar:*` in the root namespace (its default applies wherever a
 * namespace has none); a Service or ServiceEntry edit the views that can see its hosts and their
 * out-of-view lookups (`serviceDeps`: istiod's SidecarScope dependencies, per scope rather than
 * per proxy); an AuthorizationPolicy, RequestAuthentication or PeerAuthentication edit the
 * workloads it applied to or applies to now, or only where it applies when its selection is
 * unchanged, and for a PeerAuthentication the outbound clusters of namespaces whose auto mTLS
 * answer changed (policy-deps.ts). Any other kind of change returns null: those pushes
 * re-translate everything (their dependencies are not recorded yet).
 */
import type { ConfigKey, MeshConfig, MeshService } from '../model/config.js';
import type { DestinationRule, VirtualService } from '../model/istio.js';
import { hostSubsetOf, isWildcardHost, resolveShortName } from '../model/hosts.js';
import { gatewayApiRoutePath } from '../model/gatewayapi.js';
import { BUILTIN_PROVIDERS } from './telemetry/providers.js';
import { DR_ANY, DR_LB_ANY, SIDECAR_ANY, VS_ANY, drDep, drLbDep, sidecarDep, svcHostDep, vsDep } from './deps.js';
import { POLICY_KINDS, policyDeps } from './policy-deps.js';

/** Every scope without a Sidecar (gateways, namespaces with none, proxyless clients): deps.ts serviceViewDep. */
const NO_SIDECAR_ANY = 'svcnosc:*';

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
    } else if (kind === 'Service' || kind === 'ServiceEntry') {
      if (!serviceDeps(prev, next, kind, ns, name, out)) return null;
    } else if (kind === 'Sidecar') {
      // Only the proxies of its namespace can choose it (scope.ts sidecarFor), but the root namespace's default applies wherever a namespace has none.
      out.add(ns === next.settings.rootNamespace ? SIDECAR_ANY : sidecarDep(ns));
    } else if (POLICY_KINDS.has(kind)) {
      // Read only through the scope's policies(), peerAuth() and autoMtls(): policy-deps.ts.
      policyDeps(prev, next, kind, ns, name, out);
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

/**
 * The dependency keys a Service or ServiceEntry edit invalidates (into `out`), or false when it
 * cannot be keyed (then everything is re-translated). Its hosts before and after are looked at:
 * - every scope that can see one of them (scope.ts `visibleServices`): every scope without a
 *   Sidecar (gateways, namespaces with none — whatever `exportTo` says, gateways list every
 *   service), and for each Sidecar of either mesh, the proxies of the namespaces its egress hosts
 *   can admit the host for (`./…`: the service's namespace; `*` or a named namespace: any);
 * - every scope of the service's own namespace (a service selecting a workload shapes its inbound);
 * - lookups of the host out of view (`svchost:`: a route's default destination port).
 * Not keyed: a wildcard host, a host another service also defines, and a service an extension
 * provider (tracing, access logs, ext_authz) might name — read outside any scope.
 */
function serviceDeps(prev: MeshConfig, next: MeshConfig, kind: string, ns: string, name: string, out: Set<string>): boolean {
  const mine = (m: MeshConfig): MeshService[] => m.services.filter((s) => s.origin === kind && s.namespace === ns && s.name === name);
  const edited = [...mine(prev), ...mine(next)];
  const hosts = new Set(edited.map((s) => s.hostname));
  if ([...hosts].some(isWildcardHost)) return false;
  for (const m of [prev, next]) {
    const others = m.services.filter((s) => hosts.has(s.hostname) && !(s.origin === kind && s.namespace === ns && s.name === name));
    if (others.length) return false;
  }
  // Rules and gateways are read by key (dr:) or by gateways (every service): the edit must leave their lists alone.
  const same = <T>(a: readonly T[], b: readonly T[]): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);
  if (!same(prev.destinationRules, next.destinationRules) || !same(prev.gateways, next.gateways)) return false;
  const providers = JSON.stringify([prev.settings.extensionProviders, BUILTIN_PROVIDERS]);
  if (providers.includes(name) || [...hosts].some((h) => providers.includes(h))) return false;
  out.add(NO_SIDECAR_ANY);
  out.add(`svcnosc:${ns}`);
  for (const h of hosts) out.add(svcHostDep(h));
  const sidecars = new Set([...prev.sidecars, ...next.sidecars]);
  for (const sc of sidecars) {
    const key = `svcsc|${sc.meta.namespace}/${sc.meta.name}`;
    out.add(`${key}:${ns}`); // the proxies of the service's own namespace, whatever they see
    for (const e of sc.spec.egress ?? [])
      for (const entry of e.hosts) {
        const i = entry.indexOf('/');
        const hns = entry.slice(0, i);
        if (![...hosts].some((h) => hostSubsetOf(h, entry.slice(i + 1)))) continue;
        if (hns === '.') out.add(`${key}:${ns}`);
        else if (hns === '*' || hns === ns) out.add(`${key}:*`);
      }
  }
  return true;
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
