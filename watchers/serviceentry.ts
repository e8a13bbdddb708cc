/**
 * @module watchers/serviceentry
 * The registry side of ServiceEntries and WorkloadEntries, as istiod's serviceentry controller:
 * each ServiceEntry host becomes a MeshService (ports with the declared protocol as appProtocol,
 * its first address as VIP, resolution, location, exportTo); its endpoints come from inline
 * `endpoints` or from the WorkloadEntries and Pods its workloadSelector picks. Kubernetes Services
 * also select WorkloadEntries in their namespace (the mesh-expansion case: a VM joins a Service).
 */
import type { MeshEndpoint, MeshService } from '../model/config.js';
import type { ServiceEntry, ServiceEntryPort, WorkloadEntry, WorkloadEntrySpec } from '../model/istio.js';
import type { Pod, ServicePort } from '../model/k8s.js';
import { serviceSelects } from '../model/labels.js';

/** Service exportTo: the `networking.istio.io/exportTo` annotation (comma list), else everywhere. */
export function serviceExportTo(annotations: Readonly<Record<string, string>>): string[] {
  const a = annotations['networking.istio.io/exportTo'];
  const list = a
    ? a
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  return list.length ? list : ['*'];
}

function sePort(p: ServiceEntryPort): ServicePort {
  return {
    name: p.name,
    port: p.number,
    targetPort: p.targetPort ?? p.number,
    protocol: p.protocol === 'UDP' ? 'UDP' : 'TCP',
    appProtocol: (p.protocol ?? 'TCP').toLowerCase(),
  };
}

export function serviceEntryServices(se: ServiceEntry, source: string): MeshService[] {
  return se.spec.hosts.map((host) => ({
    hostname: host,
    namespace: se.meta.namespace,
    name: se.meta.name,
    clusterIP: (se.spec.addresses ?? []).find((a) => !a.includes('/')) ?? '',
    ports: se.spec.ports.map(sePort),
    labels: se.meta.labels,
    source,
    exportTo: se.spec.exportTo?.length ? se.spec.exportTo : ['*'],
    origin: 'ServiceEntry' as const,
    resolution: se.spec.resolution ?? 'NONE',
    meshExternal: (se.spec.location ?? 'MESH_EXTERNAL') === 'MESH_EXTERNAL',
    selector: se.spec.workloadSelector?.labels ?? null,
  }));
}

/** An endpoint for a workload spec on a service port (port by name, else targetPort/number). */
export function workloadEndpoint(w: WorkloadEntrySpec, sp: ServicePort, targetPort: number, pod: string | null): MeshEndpoint {
  return {
    address: w.address,
    port: w.ports?.[sp.name] ?? targetPort,
    labels: w.labels ?? {},
    pod,
    serviceAccount: w.serviceAccount ?? '',
    locality: w.locality ?? '',
    ready: true,
  };
}

/** Endpoints of one ServiceEntry port. */
export function serviceEntryEndpoints(
  se: ServiceEntry,
  sp: ServicePort,
  wes: readonly WorkloadEntry[],
  pods: readonly Pod[],
): MeshEndpoint[] {
  const tp = typeof sp.targetPort === 'number' ? sp.targetPort : sp.port;
  if (se.spec.endpoints) return se.spec.endpoints.map((w) => workloadEndpoint(w, sp, tp, null));
  const sel = se.spec.workloadSelector?.labels;
  if (!sel) return [];
  const out: MeshEndpoint[] = [];
  for (const we of wes) {
    if (we.meta.namespace === se.meta.namespace && serviceSelects(sel, we.spec.labels ?? {}))
      out.push(workloadEndpoint(we.spec, sp, tp, `${we.meta.namespace}/${we.meta.name}`));
  }
  for (const pod of pods) {
    if (pod.meta.namespace !== se.meta.namespace || !pod.podIP || !serviceSelects(sel, pod.meta.labels)) continue;
    out.push({
      address: pod.podIP,
      port: tp,
      labels: pod.meta.labels,
      pod: `${pod.meta.namespace}/${pod.meta.name}`,
      serviceAccount: pod.serviceAccount,
      locality: '',
      ready: true,
    });
  }
  return out;
}

/** WorkloadEntries a Kubernetes Service's selector picks, as endpoints of one of its ports. */
export function workloadEntryEndpoints(
  namespace: string,
  selector: Readonly<Record<string, string>> | null,
  sp: ServicePort,
  wes: readonly WorkloadEntry[],
): MeshEndpoint[] {
  if (!selector) return [];
  const out: MeshEndpoint[] = [];
  for (const we of wes) {
    if (we.meta.namespace !== namespace || !serviceSelects(selector, we.spec.labels ?? {})) continue;
    const tp = typeof sp.targetPort === 'number' ? sp.targetPort : we.spec.ports?.[sp.targetPort];
    if (tp === undefined) continue;
    out.push(
      workloadEndpoint({ ...we.spec, labels: { ...we.meta.labels, ...we.spec.labels } }, sp, tp, `${we.meta.namespace}/${we.meta.name}`),
    );
  }
  return out;
}
