/**
 * @module watchers/mesh-eps
 * An endpoint-only change — EndpointSlices, core Endpoints and Pods: a rollout, scaling, Pods
 * moving IPs or changing labels — applied to the previous MeshConfig instead of rebuilding it from
 * every stored object (issue 18: at 1,000 services and 10,000 Pods a full build is ~110 ms, most of
 * an endpoint push). Only the Services those objects feed get their endpoints computed again, with
 * the same code as a full build (mesh-endpoints.ts); `pods`, `endpoints` and `objects` are the
 * previous maps with those entries replaced; policy notices are recomputed when Pods changed (a
 * policy may now select one); every other field is the previous snapshot's.
 *
 * The Services a change feeds: a slice's Service before and after the change (a slice can be
 * relabelled to another), an Endpoints object's namesake, and for a Pod every Service whose slices
 * or Endpoints name it (also a held-back endpoint whose Pod arrives; slice-index.ts keeps them by
 * Pod), or whose selector picks it before or after (file mode derives endpoints from Pods) — every
 * endpoint naming a Pod comes from one of these. `pods` is the previous map overlaid with the
 * changed Pods (overlay-map.ts), not a copy of 10,000 entries.
 * Returns undefined — the caller builds in full — where the change reaches further: a slice naming
 * no Service (a configz notice), a ServiceEntry selecting workloads while Pods changed. Pure.
 */
import type { ConfigKey, MeshConfig, MeshService, Rejection } from '../model/config.js';
import type { Pod } from '../model/k8s.js';
import { serviceSelects } from '../model/labels.js';
import type { MeshOptions } from './mesh.js';
import { serviceEndpoints } from './mesh-endpoints.js';
import { allRejections, byKey } from './mesh-vs.js';
import { OverlayMap } from './overlay-map.js';
import { adopt, sliceIndexFor } from './slice-index.js';
import { authzNotices, peerAuthNotices } from './policy-notices.js';
import type { Entry, StoreState } from './store/reduce.js';

/** The kinds an endpoint-only change is made of. */
export const ENDPOINT_OBJECT_KINDS: ReadonlySet<string> = new Set(['EndpointSlice', 'Endpoints', 'Pod']);

const byConfigKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `previous` updated for a change of only the endpoint objects `keys`, or undefined when it cannot
 * be (see the module comment). `problems` are the previous build's VirtualService problems (they
 * do not depend on endpoints) for the rejection list.
 */
export function endpointsOnlyMesh(
  st: StoreState,
  opts: MeshOptions,
  previous: MeshConfig,
  problems: ReadonlyMap<ConfigKey, Rejection>,
  keys: ReadonlySet<ConfigKey>,
): MeshConfig | undefined {
  const services = new Set<string>(); // namespace/name of the Services to compute again
  const podKeys = new Set<string>(); // namespace/name of the changed Pods
  for (const key of keys) {
    const [kind, ns, name] = key.split('/') as [string, string, string];
    if (kind === 'Pod') podKeys.add(`${ns}/${name}`);
    else if (kind === 'Endpoints') services.add(`${ns}/${name}`);
    else if (kind === 'EndpointSlice') {
      for (const o of [st.objects.get(key)?.object, previous.objects.get(key)?.object]) {
        if (o?.kind !== 'EndpointSlice') continue;
        if (!o.serviceName) return undefined;
        services.add(`${ns}/${o.serviceName}`);
      }
    } else return undefined;
  }
  if (podKeys.size && previous.serviceEntries.some((se) => se.spec.workloadSelector)) return undefined;

  // The slices (else the Endpoints object) of each Service to compute, in a full build's order,
  // from the index handed over by the previous mesh (slice-index.ts) instead of a walk of the store;
  // the same index names the Services whose slices or Endpoints name a changed Pod.
  const ix = sliceIndexFor(previous, st.objects, keys);
  let pods: ReadonlyMap<string, Pod> = previous.pods;
  if (podKeys.size) {
    const podSet = new Map<string, Pod>();
    const podDel: string[] = [];
    for (const pk of podKeys) {
      const o = st.objects.get(`Pod/${pk}`)?.object;
      if (o?.kind === 'Pod') podSet.set(pk, o);
      else podDel.push(pk);
    }
    pods = OverlayMap.withChanges(previous.pods, podSet, podDel, byConfigKey);
    for (const pk of podKeys) for (const svc of ix.byPod.get(pk)?.values() ?? []) services.add(svc);
    selectingServices(previous, pods, podKeys, services);
  }

  let sorted: readonly Pod[] | undefined;
  const sortedPods = (): readonly Pod[] => (sorted ??= [...pods.values()].sort(byKey));
  const endpoints = new Map(previous.endpoints);
  for (const k of services) {
    const svc = ix.services.get(k);
    if (!svc) continue; // endpoints of no Service: not in the mesh, before or after
    const hostname = `${svc.meta.name}.${svc.meta.namespace}.svc.${opts.domainSuffix}`;
    const ms = previous.serviceByHost.get(hostname);
    if (!ms || ms.origin !== 'Service') continue;
    const byThis = ix.byService.get(k);
    const own = byThis ? [...byThis.values()].sort(byKey) : undefined;
    const core = st.objects.get(`Endpoints/${k}`)?.object;
    const svcSlices = own?.length ? own : core?.kind === 'Endpoints' ? [...core.slices] : undefined;
    endpoints.set(hostname, serviceEndpoints(svc, ms, svcSlices, pods, sortedPods, opts, previous.workloadEntries));
  }

  const set = new Map<ConfigKey, Entry>();
  const del: ConfigKey[] = [];
  for (const key of keys) {
    const e = st.objects.get(key);
    if (e) set.set(key, e);
    else del.push(key);
  }
  const settings = previous.settings;
  const policies = previous.peerAuthentications.length + previous.authorizationPolicies.length + previous.requestAuthentications.length;
  const policyNotices =
    podKeys.size && policies
      ? [
          ...peerAuthNotices(previous.peerAuthentications, settings.rootNamespace, sortedPods(), previous.workloadEntries),
          ...authzNotices(
            [...previous.authorizationPolicies, ...previous.requestAuthentications],
            settings.rootNamespace,
            sortedPods(),
            previous.workloadEntries,
          ),
        ].sort((a, b) => a.key.localeCompare(b.key))
      : previous.policyNotices;
  const next: MeshConfig = {
    ...previous,
    generation: st.generation,
    endpoints,
    pods,
    objects: OverlayMap.withChanges(previous.objects, set, del, byConfigKey),
    rejected: allRejections(st, problems),
    policyNotices,
  };
  adopt(next, ix);
  return next;
}

/**
 * The Kubernetes Services with a selector, by namespace and by one `key=value` of their selector
 * (its first key in order): a Pod can only be picked by the Services filed under one of its own
 * labels. Made once per `services` array, which endpoint-only builds pass on unchanged.
 */
const selectorIndexes = new WeakMap<readonly MeshService[], Map<string, Map<string, MeshService[]>>>();

function selectorIndex(services: readonly MeshService[]): Map<string, Map<string, MeshService[]>> {
  let ix = selectorIndexes.get(services);
  if (ix) return ix;
  ix = new Map();
  for (const ms of services) {
    if (ms.origin !== 'Service' || !ms.selector) continue;
    const first = Object.keys(ms.selector).sort()[0];
    if (first === undefined) continue; // an empty selector picks nothing
    let byLabel = ix.get(ms.namespace);
    if (!byLabel) ix.set(ms.namespace, (byLabel = new Map()));
    const k = `${first}=${ms.selector[first]}`;
    (byLabel.get(k) ?? byLabel.set(k, []).get(k)!).push(ms);
  }
  selectorIndexes.set(services, ix);
  return ix;
}

/** Into `out`: the Services whose selector picks a changed Pod before or after (file mode derives their endpoints from Pods). */
function selectingServices(previous: MeshConfig, pods: ReadonlyMap<string, Pod>, podKeys: ReadonlySet<string>, out: Set<string>): void {
  const ix = selectorIndex(previous.services);
  for (const pk of podKeys) {
    const byLabel = ix.get(pk.slice(0, pk.indexOf('/')));
    if (!byLabel) continue;
    for (const labels of [previous.pods.get(pk)?.meta.labels, pods.get(pk)?.meta.labels]) {
      if (!labels) continue;
      for (const [k, v] of Object.entries(labels))
        for (const ms of byLabel.get(`${k}=${v}`) ?? []) if (serviceSelects(ms.selector, labels)) out.add(`${ms.namespace}/${ms.name}`);
    }
  }
}
