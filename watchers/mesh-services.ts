/**
 * @module watchers/mesh-services
 * The service section of a mesh build: the MeshServices of Kubernetes Services and ServiceEntries
 * (a host a Service defines keeps that definition over an entry's), their endpoints per port, and
 * the notices about them (UDP ports, slices naming no Service). A build changing none of
 * `SERVICE_KINDS` reuses the previous build's section as it is (mesh.ts).
 */
import { configKey, type ConfigNotice, type MeshEndpoint, type MeshService } from '../model/config.js';
import type { ServiceEntry, WorkloadEntry } from '../model/istio.js';
import type { EndpointSlice, Pod, Service } from '../model/k8s.js';
import { serviceEntryEndpoints, serviceEntryServices, serviceExportTo } from './serviceentry.js';
import type { StoreState } from './store/reduce.js';
import { byKey } from './mesh-vs.js';
import { endpointOrder, serviceEndpoints } from './mesh-endpoints.js';
import type { MeshOptions } from './mesh.js';

/** What the services, their endpoints and their notices are built from (every other kind leaves them as they are). */
export const SERVICE_KINDS: ReadonlySet<string> = new Set([
  'Service',
  'EndpointSlice',
  'Endpoints',
  'Pod',
  'WorkloadEntry',
  'ServiceEntry',
]);

export interface ServiceSection {
  readonly meshServices: MeshService[];
  readonly serviceByHost: Map<string, MeshService>;
  readonly endpoints: ReadonlyMap<string, ReadonlyMap<number, readonly MeshEndpoint[]>>;
  readonly notices: ConfigNotice[];
}

export function serviceSection(
  st: StoreState,
  opts: MeshOptions,
  services: Service[],
  slices: EndpointSlice[],
  endpointsObjects: Map<string, EndpointSlice[]>,
  pods: Map<string, Pod>,
  sortedPods: readonly Pod[],
  ses: readonly { se: ServiceEntry; source: string }[],
  wes: readonly WorkloadEntry[],
): ServiceSection {
  services.sort(byKey);
  const notices: ConfigNotice[] = [];
  const slicesBySvc = new Map<string, EndpointSlice[]>();
  for (const s of slices.sort(byKey)) {
    if (!s.serviceName) {
      notices.push({
        key: configKey('EndpointSlice', s.meta.namespace, s.meta.name),
        field: 'metadata.labels.kubernetes.io/service-name',
        reason: "no Service named: the slice's endpoints belong to no service and are ignored",
      });
      continue;
    }
    const k = `${s.meta.namespace}/${s.serviceName}`;
    slicesBySvc.set(k, [...(slicesBySvc.get(k) ?? []), s]);
  }
  const meshServices: MeshService[] = [];
  const serviceByHost = new Map<string, MeshService>();
  const endpoints = new Map<string, Map<number, MeshEndpoint[]>>();
  for (const svc of services) {
    const hostname = `${svc.meta.name}.${svc.meta.namespace}.svc.${opts.domainSuffix}`;
    // Like istiod, UDP ports are not proxied: they are left out of the mesh, and configz says so.
    svc.ports.forEach((p, i) => {
      if (p.protocol === 'UDP')
        notices.push({
          key: configKey('Service', svc.meta.namespace, svc.meta.name),
          field: `spec.ports[${i}]`,
          reason: `UDP port ${p.port}${p.name ? ` (${p.name})` : ''} is ignored: the mesh proxies TCP only`,
        });
    });
    const ms: MeshService = {
      hostname,
      namespace: svc.meta.namespace,
      name: svc.meta.name,
      clusterIP: svc.clusterIP === 'None' ? '' : svc.clusterIP,
      ports: svc.ports.filter((p) => p.protocol !== 'UDP'),
      labels: svc.meta.labels,
      source: st.objects.get(configKey('Service', svc.meta.namespace, svc.meta.name))?.origin.source ?? '',
      exportTo: serviceExportTo(svc.meta.annotations),
      origin: 'Service',
      resolution: 'EDS',
      meshExternal: false,
      selector: svc.selector,
    };
    meshServices.push(ms);
    serviceByHost.set(hostname, ms);
    const svcKey = `${svc.meta.namespace}/${svc.meta.name}`;
    const byPort = serviceEndpoints(svc, ms, slicesBySvc.get(svcKey) ?? endpointsObjects.get(svcKey), pods, () => sortedPods, opts, wes);
    endpoints.set(hostname, byPort);
  }
  // ServiceEntries: a host already defined by a Kubernetes Service (or an older entry) keeps that definition.
  for (const { se, source } of ses) {
    for (const ms of serviceEntryServices(se, source)) {
      if (serviceByHost.has(ms.hostname)) continue;
      meshServices.push(ms);
      serviceByHost.set(ms.hostname, ms);
      endpoints.set(
        ms.hostname,
        new Map(ms.ports.map((sp) => [sp.port, serviceEntryEndpoints(se, sp, wes, sortedPods).sort(endpointOrder)])),
      );
    }
  }
  meshServices.sort((a, b) => a.hostname.localeCompare(b.hostname));
  return { meshServices, serviceByHost, endpoints, notices };
}
