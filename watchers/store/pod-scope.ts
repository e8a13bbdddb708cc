/**
 * @module watchers/store/pod-scope
 * What a change of Pods can affect, so Pod churn is an endpoint-only push as in istiod (a Pod event
 * updates the endpoints of the services it backs, and its own proxy through ProxyUpdate) instead of
 * re-translating every class. A Pod reaches proxies through these readers, each accounted for:
 * - the endpoints it backs (watchers/mesh.ts: labels for subsets, IP, service account, and in file
 *   mode the selected pods themselves): the hosts whose `mesh.endpoints` differ are the push's
 *   hosts. Their clusters must be EDS clusters: DNS clusters inline their endpoints and ORIGINAL_DST
 *   ones read endpoint labels (resolution DNS, DNS_ROUND_ROBIN, NONE: full push). Service accounts
 *   (mTLS SANs in clusters) are compared by the caller (scope.ts);
 * - its own proxy (model/resolve-proxy.ts labels, translators/proxy-config.ts annotation): a Pod
 *   whose labels or annotations changed, or that appeared or went, is named in `proxies` — its
 *   proxies' class may change, so their streams get a full push (the class key moves with the labels,
 *   so no other proxy's output changes);
 * - the name table (translators/nds.ts): a headless host's endpoints, and each pod's
 *   `hostname.subdomain`; a Pod whose hostname or subdomain changed adds the headless hosts it backs
 *   (the push then re-sends NDS, server/push/runner.ts);
 * - inbound named targetPorts (translators/inbound.ts resolveTarget: the first pod by name whose
 *   labels match the workload's and that has a container port of that name): a Pod with such a port
 *   can change some class's inbound listeners unless every pod of its namespace gives that name the
 *   same number and an unchanged pod with the same (or more) labels has it too — then whichever pod
 *   answers, the answer is the same. Otherwise: full push.
 * Anything this cannot prove unchanged is a full push. Pure.
 */
import type { MeshConfig, MeshEndpoint } from '../../model/config.js';
import { passthrough } from '../../model/headless.js';
import type { Pod } from '../../model/k8s.js';
import { selectorMatches } from '../../model/labels.js';

/** EDS-only scope for a Pod change (hosts whose endpoints moved, workloads whose own proxy needs a full push), or why it cannot be. */
export type PodScope = { readonly hosts: ReadonlySet<string>; readonly proxies: ReadonlySet<string> } | { readonly full: string };

/** Deep equality of plain data (records, arrays, Maps, primitives): record key order does not matter. */
export function samePlain(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !samePlain(v, b.get(k))) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra);
  if (ka.length !== Object.keys(rb).length) return false;
  for (const k of ka) if (!(k in rb) || !samePlain(ra[k], rb[k])) return false;
  return true;
}

/** Resolutions whose clusters read endpoints outside EDS (inline DNS load assignments, ORIGINAL_DST's all-Istio check). */
const CDS_READS_ENDPOINTS: ReadonlySet<string> = new Set(['DNS', 'DNS_ROUND_ROBIN', 'NONE']);

/**
 * The scope of a change of the Pods `podKeys` (`namespace/name`) from `prev` to `next` (EndpointSlice
 * and Endpoints changes in the same batch are the caller's: their hosts are added there).
 */
export function podChangeScope(prev: MeshConfig, next: MeshConfig, podKeys: Iterable<string>): PodScope {
  const changed = new Set(podKeys);
  const proxies = new Set<string>();
  /** Pods whose DNS name (`hostname.subdomain`) changed: the headless hosts they back re-send the name table. */
  const renamed = new Set<string>();
  for (const k of changed) {
    const a = prev.pods.get(k);
    const b = next.pods.get(k);
    if (!a || !b || !samePlain(a.meta.labels, b.meta.labels) || !samePlain(a.meta.annotations, b.meta.annotations)) proxies.add(k);
    if ((a?.hostname ?? '') !== (b?.hostname ?? '') || (a?.subdomain ?? '') !== (b?.subdomain ?? '')) renamed.add(k);
  }
  const inbound = namedPortProblem(prev, next, changed);
  if (inbound) return { full: inbound };
  // Every endpoint a Pod feeds names it (slice targetRefs, pods selected in file mode, ServiceEntry
  // workload selectors): only the hosts naming a changed Pod, before or after, can have moved.
  // A host whose endpoints are the same object before and after (an endpoint-only build keeps the
  // hosts it did not recompute) has not moved; unless a Pod was renamed, it need not be walked.
  const candidates = new Set<string>();
  for (const mesh of [prev, next])
    for (const [host, eps] of mesh.endpoints) {
      if (candidates.has(host) || (renamed.size === 0 && prev.endpoints.get(host) === next.endpoints.get(host))) continue;
      if (backs(eps, changed)) candidates.add(host);
    }
  const hosts = new Set<string>();
  for (const host of candidates) {
    const before = prev.endpoints.get(host);
    const after = next.endpoints.get(host);
    const moved = before !== after && !samePlain(before, after);
    const named = renamed.size > 0 && (backs(before, renamed) || backs(after, renamed));
    if (!moved && !named) continue;
    const svc = next.serviceByHost.get(host) ?? prev.serviceByHost.get(host);
    if (!svc) return { full: `${host}: endpoints without a service` };
    for (const s of [prev.serviceByHost.get(host), next.serviceByHost.get(host)])
      if (s && CDS_READS_ENDPOINTS.has(s.resolution))
        return { full: `${host}: resolution ${s.resolution} reads endpoints into its clusters` };
    if (moved || passthrough(svc)) hosts.add(host);
  }
  return { hosts, proxies };
}

/** Whether any endpoint of a host names one of `pods`. */
function backs(eps: ReadonlyMap<number, readonly MeshEndpoint[]> | undefined, pods: ReadonlySet<string>): boolean {
  for (const list of eps?.values() ?? []) for (const e of list) if (e.pod && pods.has(e.pod)) return true;
  return false;
}

/** The named targetPorts of the Kubernetes Services of a namespace (what resolveTarget looks up in container ports). */
function namedTargets(mesh: MeshConfig, ns: string, out: Set<string>): void {
  for (const s of mesh.services)
    if (s.namespace === ns && s.origin === 'Service') for (const p of s.ports) if (typeof p.targetPort === 'string') out.add(p.targetPort);
}

/** A pod's container ports of those names, first of each name (as resolveTarget's `find`). */
function portsNamed(pod: Pod, names: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of pod.containerPorts) if (names.has(c.name) && !out.has(c.name)) out.set(c.name, c.containerPort);
  return out;
}

const labelsKey = (l: Readonly<Record<string, string>>): string =>
  Object.keys(l)
    .sort()
    .map((k) => `${k}=${l[k]}`)
    .join(',');

/**
 * Why the changed Pods may change some workload's inbound named-targetPort resolution, or null when
 * they cannot (see the module comment for the rule).
 */
function namedPortProblem(prev: MeshConfig, next: MeshConfig, changed: ReadonlySet<string>): string | null {
  const namesByNs = new Map<string, Set<string>>();
  const numbersByNs = new Map<string, Map<string, Set<number>>>();
  const names = (ns: string): Set<string> => {
    let s = namesByNs.get(ns);
    if (!s) {
      s = new Set();
      namedTargets(prev, ns, s);
      namedTargets(next, ns, s);
      namesByNs.set(ns, s);
    }
    return s;
  };
  /** Every number each name has among the namespace's pods, old and new. */
  const numbers = (ns: string): Map<string, Set<number>> => {
    let m = numbersByNs.get(ns);
    if (!m) {
      m = new Map();
      for (const mesh of [prev, next])
        for (const p of mesh.pods.values()) {
          if (p.meta.namespace !== ns) continue;
          for (const [n, v] of portsNamed(p, names(ns))) m.set(n, (m.get(n) ?? new Set()).add(v));
        }
      numbersByNs.set(ns, m);
    }
    return m;
  };
  const twins = new Map<string, boolean>();
  const twin = (pod: Pod, n: string): boolean => {
    const key = `${pod.meta.namespace}\n${labelsKey(pod.meta.labels)}\n${n}`;
    let t = twins.get(key);
    if (t === undefined) twins.set(key, (t = hasSteadyTwin(prev, next, changed, pod, n)));
    return t;
  };
  for (const k of changed) {
    const ns = k.slice(0, k.indexOf('/'));
    const wanted = names(ns);
    if (!wanted.size) continue;
    const versions = [prev.pods.get(k), next.pods.get(k)].filter((p): p is Pod => p !== undefined);
    const ports = versions.map((p) => portsNamed(p, wanted));
    // The same pod with the same labels and the same named ports answers as it did.
    if (versions.length === 2 && samePlain(versions[0]!.meta.labels, versions[1]!.meta.labels) && samePlain(ports[0], ports[1])) continue;
    for (let i = 0; i < versions.length; i++) {
      for (const [n, v] of ports[i]!) {
        if (numbers(ns).get(n)!.size > 1)
          return `Pod ${k}: container port "${n}" (${v}) answers a named targetPort that other pods of ${ns} number differently`;
        if (!twin(versions[i]!, n))
          return `Pod ${k}: container port "${n}" answers a named targetPort and no unchanged pod with its labels has it`;
      }
    }
  }
  return null;
}

/** An unchanged pod of `pod`'s namespace, with at least its labels and a container port named `n`: it answers whenever `pod` would. */
function hasSteadyTwin(prev: MeshConfig, next: MeshConfig, changed: ReadonlySet<string>, pod: Pod, n: string): boolean {
  for (const [k, q] of next.pods) {
    if (changed.has(k) || q.meta.namespace !== pod.meta.namespace || !prev.pods.has(k)) continue;
    if (selectorMatches(pod.meta.labels, q.meta.labels) && q.containerPorts.some((c) => c.name === n)) return true;
  }
  return false;
}
