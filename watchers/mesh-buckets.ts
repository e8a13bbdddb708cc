/**
 * @module watchers/mesh-buckets
 * The store's objects sorted into one list (or map) per kind, as buildMesh (mesh.ts) reads them:
 * the policy and routing kinds sorted by namespace/name so every build sees them in the same order;
 * Services and EndpointSlices are sorted by the service section (mesh-services.ts) when it is built,
 * and VirtualServices when they are checked.
 */
import type { PeerAuthentication } from '../model/peerauth.js';
import type { EnvoyFilter } from '../model/envoyfilter.js';
import type { Telemetry } from '../model/telemetry.js';
import type { DestinationRule, Gateway, ServiceEntry, Sidecar, VirtualService, WorkloadEntry } from '../model/istio.js';
import type { ConfigMap, EndpointSlice, Pod, Secret, Service } from '../model/k8s.js';
import type { AuthorizationPolicy, RequestAuthentication } from '../model/security.js';
import type { GatewayApiObject } from '../model/gatewayapi.js';
import type { Entry, StoreState } from './store/reduce.js';
import { byKey } from './mesh-vs.js';

export interface StoreBuckets {
  readonly services: Service[];
  readonly slices: EndpointSlice[];
  /** Core Endpoints objects as slices, by `namespace/name`. */
  readonly endpointsObjects: Map<string, EndpointSlice[]>;
  readonly pods: Map<string, Pod>;
  readonly vss: { vs: VirtualService; entry: Entry }[];
  readonly drs: DestinationRule[];
  /** ServiceEntries with the source they came from (their services' `source`). */
  readonly ses: { se: ServiceEntry; source: string }[];
  readonly wes: WorkloadEntry[];
  readonly sidecars: Sidecar[];
  readonly gateways: Gateway[];
  readonly secrets: Map<string, Secret>;
  readonly configMaps: Map<string, ConfigMap>;
  readonly gatewayApi: GatewayApiObject[];
  readonly authzPolicies: AuthorizationPolicy[];
  readonly requestAuthns: RequestAuthentication[];
  readonly peerAuthentications: PeerAuthentication[];
  readonly envoyFilters: EnvoyFilter[];
  readonly telemetries: Telemetry[];
}

/** Every stored object in its kind's bucket; fresh arrays and maps the caller may change. */
export function bucketObjects(st: StoreState): StoreBuckets {
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  const endpointsObjects = new Map<string, EndpointSlice[]>();
  const pods = new Map<string, Pod>();
  const vss: { vs: VirtualService; entry: Entry }[] = [];
  const drs: DestinationRule[] = [];
  const ses: { se: ServiceEntry; source: string }[] = [];
  const wes: WorkloadEntry[] = [];
  const sidecars: Sidecar[] = [];
  const gateways: Gateway[] = [];
  const secrets = new Map<string, Secret>();
  const configMaps = new Map<string, ConfigMap>();
  const gatewayApi: GatewayApiObject[] = [];
  const authzPolicies: AuthorizationPolicy[] = [];
  const requestAuthns: RequestAuthentication[] = [];
  const peerAuthentications: PeerAuthentication[] = [];
  const envoyFilters: EnvoyFilter[] = [];
  const telemetries: Telemetry[] = [];
  for (const [, e] of st.objects) {
    const o = e.object;
    switch (o.kind) {
      case 'Service':
        services.push(o);
        break;
      case 'EndpointSlice':
        slices.push(o);
        break;
      case 'Endpoints':
        endpointsObjects.set(`${o.meta.namespace}/${o.meta.name}`, [...o.slices]);
        break;
      case 'Pod':
        pods.set(`${o.meta.namespace}/${o.meta.name}`, o);
        break;
      case 'VirtualService':
        vss.push({ vs: o, entry: e });
        break;
      case 'DestinationRule':
        drs.push(o);
        break;
      case 'ServiceEntry':
        ses.push({ se: o, source: e.origin.source });
        break;
      case 'WorkloadEntry':
        wes.push(o);
        break;
      case 'Sidecar':
        sidecars.push(o);
        break;
      case 'Gateway':
        gateways.push(o);
        break;
      case 'Secret':
        secrets.set(`${o.meta.namespace}/${o.meta.name}`, o);
        break;
      case 'ConfigMap':
        configMaps.set(`${o.meta.namespace}/${o.meta.name}`, o);
        break;
      case 'BackendTLSPolicy':
      case 'GatewayClass':
      case 'KubernetesGateway':
      case 'HTTPRoute':
      case 'GRPCRoute':
      case 'TCPRoute':
      case 'TLSRoute':
      case 'ReferenceGrant':
        gatewayApi.push(o);
        break;
      case 'AuthorizationPolicy':
        authzPolicies.push(o);
        break;
      case 'RequestAuthentication':
        requestAuthns.push(o);
        break;
      case 'PeerAuthentication':
        peerAuthentications.push(o);
        break;
      case 'EnvoyFilter':
        envoyFilters.push(o);
        break;
      case 'Telemetry':
        telemetries.push(o);
        break;
    }
  }
  drs.sort(byKey);
  ses.sort((a, b) => byKey(a.se, b.se));
  wes.sort(byKey);
  sidecars.sort(byKey);
  gateways.sort(byKey);
  authzPolicies.sort(byKey);
  requestAuthns.sort(byKey);
  peerAuthentications.sort(byKey);
  envoyFilters.sort(byKey);
  telemetries.sort(byKey);
  return {
    services,
    slices,
    endpointsObjects,
    pods,
    vss,
    drs,
    ses,
    wes,
    sidecars,
    gateways,
    secrets,
    configMaps,
    gatewayApi,
    authzPolicies,
    requestAuthns,
    peerAuthentications,
    envoyFilters,
    telemetries,
  };
}
