/**
 * @module watchers/mesh-endpoints
 * A Kubernetes Service's endpoints per service port, as a full build (mesh.ts) and an
 * endpoint-only update (mesh-eps.ts) both compute them: from its EndpointSlices (else core
 * Endpoints) with each endpoint's Pod for labels and service account — an endpoint whose Pod is not
 * known yet is held back in Kubernetes mode —, else, in file mode, from the Pods its selector
 * picks (acting as the endpoints controller); plus the WorkloadEntries it selects. Sorted by
 * address, then port. Pure.
 */
import type { MeshEndpoint, MeshService } from '../model/config.js';
import type { WorkloadEntry } from '../model/istio.js';
import type { EndpointSlice, Pod, Service, ServicePort } from '../model/k8s.js';
import { serviceSelects } from '../model/labels.js';
import type { MeshOptions } from './mesh.js';
import { workloadEntryEndpoints } from './serviceentry.js';

function targetPortFor(sp: ServicePort, pod: Pod | undefined): number | null {
  if (typeof sp.targetPort === 'number') return sp.targetPort;
  const cp = pod?.containerPorts.find((p) => p.name === sp.targetPort);
  return cp ? cp.containerPort : null;
}

function slicePort(sp: ServicePort, slice: EndpointSlice): number | null {
  const named = slice.ports.find((p) => p.name === sp.name);
  if (named) return named.port;
  if (slice.ports.length === 1 && (!sp.name || slice.ports[0]!.name === '')) return slice.ports[0]!.port;
  return null;
}

/** `localeCompare(b, 'en', { numeric: true })` without making a collator on every call (~10 µs each). */
const addressOrder = new Intl.Collator('en', { numeric: true }).compare;

export function endpointOrder(a: MeshEndpoint, b: MeshEndpoint): number {
  return addressOrder(a.address, b.address) || a.port - b.port;
}

/** `svc`'s endpoints by service port; `sortedPods` is asked for only when Pods stand in for slices. */
export function serviceEndpoints(
  svc: Service,
  ms: MeshService,
  svcSlices: readonly EndpointSlice[] | undefined,
  pods: ReadonlyMap<string, Pod>,
  sortedPods: () => readonly Pod[],
  opts: MeshOptions,
  wes: readonly WorkloadEntry[],
): Map<number, MeshEndpoint[]> {
  const byPort = new Map<number, MeshEndpoint[]>();
  for (const sp of ms.ports) {
    const eps: MeshEndpoint[] = [];
    if (svcSlices) {
      for (const slice of svcSlices) {
        const port = slicePort(sp, slice);
        if (port === null) continue;
        for (const a of slice.endpoints) {
          if (!a.ready) continue;
          const pod = a.targetPod ? pods.get(a.targetPod) : undefined;
          if (a.targetPod && !pod && opts.holdEndpointsWithoutPod) continue;
          eps.push({
            address: a.ip,
            port,
            labels: pod?.meta.labels ?? {},
            pod: a.targetPod,
            serviceAccount: pod?.serviceAccount ?? '',
            locality: a.zone,
            ready: a.ready,
          });
        }
      }
    } else if (opts.endpointsFromPods && svc.selector) {
      for (const pod of sortedPods()) {
        if (pod.meta.namespace !== svc.meta.namespace || !pod.podIP || !serviceSelects(svc.selector, pod.meta.labels)) continue;
        if (pod.phase && pod.phase !== 'Running') continue;
        const port = targetPortFor(sp, pod);
        if (port === null) continue;
        eps.push({
          address: pod.podIP,
          port,
          labels: pod.meta.labels,
          pod: `${pod.meta.namespace}/${pod.meta.name}`,
          serviceAccount: pod.serviceAccount,
          locality: '',
          ready: true,
        });
      }
    }
    eps.push(...workloadEntryEndpoints(svc.meta.namespace, svc.selector, sp, wes));
    byPort.set(sp.port, eps.sort(endpointOrder));
  }
  return byPort;
}
