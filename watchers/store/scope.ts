/**
 * @module watchers/store/scope
 * What a config change can affect, so a push does only what it must: a change made only of
 * EndpointSlices/Endpoints and Pods is an endpoint-only push (EDS only, only the clusters of the
 * services whose endpoints moved, only to streams subscribed to one; the proxies of Pods whose own
 * labels or annotations changed get a full push) unless the service accounts behind those
 * endpoints changed (clusters carry them as mTLS SANs) or a Pod feeds something besides endpoints
 * that changed (pod-scope.ts); a change made only of Secrets is an SDS-only push; anything else is
 * a full push (the state machines still send only the types whose content changed). Pure.
 */
import type { ConfigKey, ConfigKind, MeshConfig } from '../../model/config.js';
import { ENDPOINT_SCOPE_KINDS, FULL_PUSH, type PushScope } from '../../model/push.js';
import { podChangeScope } from './pod-scope.js';

/** The hostname whose endpoints `key` feeds, looking in the new mesh first, then the old (deletions). */
function hostOfKey(key: ConfigKey, prev: MeshConfig, next: MeshConfig): string | null {
  const [kind, namespace, name] = key.split('/') as [string, string, string];
  let service: string | null = null;
  if (kind === 'Endpoints') service = name;
  else {
    const o = next.objects.get(key)?.object ?? prev.objects.get(key)?.object;
    if (o && o.kind === 'EndpointSlice') service = o.serviceName;
  }
  return service ? `${service}.${namespace}.svc.${next.domainSuffix}` : null;
}

export function pushScope(
  prev: MeshConfig,
  u: { readonly mesh: MeshConfig; readonly kinds: ReadonlySet<ConfigKind>; readonly keys?: ReadonlySet<ConfigKey> },
): PushScope {
  // Only Secrets changed (a certificate rotated): SDS only, and only streams holding a changed one get a response.
  if (u.kinds.size && [...u.kinds].every((k) => k === 'Secret')) return { kind: 'secrets' };
  if (!u.keys || !u.kinds.size || [...u.kinds].some((k) => !ENDPOINT_SCOPE_KINDS.has(k))) return FULL_PUSH;
  const hosts = new Set<string>();
  const pods: string[] = [];
  for (const k of u.keys) {
    if (k.startsWith('Pod/')) {
      pods.push(k.slice('Pod/'.length));
      continue;
    }
    const h = hostOfKey(k, prev, u.mesh);
    if (!h) return FULL_PUSH; // cannot tell what it feeds: push everything
    hosts.add(h);
  }
  let proxies: ReadonlySet<string> = new Set();
  if (pods.length) {
    const p = podChangeScope(prev, u.mesh, pods);
    if ('full' in p) return FULL_PUSH;
    for (const h of p.hosts) hosts.add(h);
    proxies = p.proxies;
  }
  // Clusters name the service's accounts as mTLS SANs (auto mTLS): new accounts need CDS too, as istiod escalates.
  for (const h of hosts) if (accountsOf(prev, h) !== accountsOf(u.mesh, h)) return FULL_PUSH;
  return { kind: 'endpoints', hosts, ...(proxies.size ? { proxies } : {}) };
}

/** The service accounts behind a host's endpoints, as one comparable string. */
function accountsOf(mesh: MeshConfig, host: string): string {
  const out = new Set<string>();
  for (const eps of mesh.endpoints.get(host)?.values() ?? [])
    for (const e of eps) if (e.serviceAccount) out.add(`${e.pod?.split('/')[0] ?? ''}/${e.serviceAccount}`);
  return [...out].sort().join(',');
}
