/**
 * @module translators/domains
 * The domain list of a service's virtual host as istiod builds it for a proxy in a given
 * namespace: FQDN, FQDN with trailing dot, the bare short name (same namespace only),
 * `name.ns.svc`, `name.ns`, then the cluster IP. ServiceEntry hosts are used as written (plus the
 * VIP). With `withPort`, each also as `domain:port` (proxyless gRPC matches the dialled
 * authority, which carries the port). `legacyServiceDomains`: istiod 1.10's list for older proxies
 * (translators/versions.ts): no absolute `fqdn.`, each domain followed by `domain:port`.
 */
import type { MeshService } from '../model/config.js';

export function serviceDomains(svc: MeshService, proxyNamespace: string, port: number, withPort: boolean): string[] {
  const names = svc.origin === 'ServiceEntry' ? [svc.hostname] : [svc.hostname, `${svc.hostname}.`];
  if (svc.origin !== 'ServiceEntry') {
    if (svc.namespace === proxyNamespace) names.push(svc.name);
    names.push(`${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}`);
  }
  if (svc.clusterIP) names.push(svc.clusterIP);
  if (!withPort) return names;
  const out: string[] = [];
  for (const n of names) out.push(`${n}:${port}`, n);
  return out;
}

/** istiod 1.10's domains (generateVirtualHostDomains): each name then `name:port`, no absolute FQDN. */
export function legacyServiceDomains(svc: MeshService, proxyNamespace: string, port: number): string[] {
  return serviceDomains(svc, proxyNamespace, port, false)
    .filter((d) => !d.endsWith('.'))
    .flatMap((d) => [d, `${d}:${port}`]);
}
