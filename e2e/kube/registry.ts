// Contract: the resource registry of the fake API server (which group/version/resource triples are
// served, their Kind, scope, field labels) and the legacy discovery documents built from it:
// `/api` (APIVersions), `/api/v1` (APIResourceList WITHOUT apiVersion, as the real server sends it),
// `/apis` (APIGroupList), `/apis/<g>` (APIGroup), `/apis/<g>/<v>` (APIResourceList). A resource is
// stored once per (group, resource); every served version exposes the same objects, the version
// only changes `apiVersion` on the way out. Versions are listed preferred-first. Pure.

export interface ResourceDef {
  /** '' for the core API (`/api/v1`). */
  group: string;
  /** Served versions, preferred first. */
  versions: string[];
  /** Plural resource name used in URLs. */
  resource: string;
  kind: string;
  namespaced: boolean;
  singular?: string;
  shortNames?: string[];
  /** Custom resource (CRD): list items carry apiVersion/kind (unstructured), built-ins do not. */
  crd?: boolean;
  /** Field selector labels beyond metadata.name / metadata.namespace. */
  fieldLabels?: string[];
  /**
   * The `/status` subresource is enabled (default: for CRDs, as Istio's and Gateway API's enable it).
   * Then writes to the object ignore `.status` and writes to `/status` change nothing else.
   */
  statusSubresource?: boolean;
}

/** Whether `def` has the status subresource (see ResourceDef.statusSubresource). */
export const hasStatusSubresource = (def: ResourceDef): boolean => def.statusSubresource ?? def.crd === true;

const istio = (resource: string, kind: string, shortNames: string[], versions = ['v1', 'v1beta1', 'v1alpha3']): ResourceDef => ({
  group: 'networking.istio.io',
  versions,
  resource,
  kind,
  namespaced: true,
  shortNames,
  crd: true,
});

/** What tspilot reads and writes: core services/endpoints/pods/namespaces/configmaps/secrets, EndpointSlices, Leases, Istio networking CRDs. */
export const DEFAULT_RESOURCES: readonly ResourceDef[] = [
  { group: '', versions: ['v1'], resource: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], statusSubresource: true },
  { group: '', versions: ['v1'], resource: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] },
  {
    group: '',
    versions: ['v1'],
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    statusSubresource: true,
    fieldLabels: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  },
  {
    group: '',
    versions: ['v1'],
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    statusSubresource: true,
    fieldLabels: ['status.phase'],
  },
  { group: '', versions: ['v1'], resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  { group: '', versions: ['v1'], resource: 'secrets', kind: 'Secret', namespaced: true, fieldLabels: ['type'] },
  { group: 'coordination.k8s.io', versions: ['v1'], resource: 'leases', kind: 'Lease', namespaced: true },
  { group: 'discovery.k8s.io', versions: ['v1'], resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  istio('virtualservices', 'VirtualService', ['vs']),
  istio('destinationrules', 'DestinationRule', ['dr']),
  istio('gateways', 'Gateway', ['gw']),
  istio('serviceentries', 'ServiceEntry', ['se']),
  istio('workloadentries', 'WorkloadEntry', ['we']),
  istio('sidecars', 'Sidecar', []),
  {
    group: 'security.istio.io',
    versions: ['v1', 'v1beta1'],
    resource: 'peerauthentications',
    kind: 'PeerAuthentication',
    namespaced: true,
    shortNames: ['pa'],
    crd: true,
  },
];

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

export const apiVersionOf = (group: string, version: string): string => (group ? `${group}/${version}` : version);

export class Registry {
  private readonly defs: ResourceDef[];

  constructor(defs: readonly ResourceDef[]) {
    const seen = new Set<string>();
    for (const d of defs) {
      const k = `${d.group}/${d.resource}`;
      if (seen.has(k)) throw new Error(`duplicate resource ${k}`);
      if (d.versions.length === 0) throw new Error(`resource ${k} serves no version`);
      seen.add(k);
    }
    this.defs = defs.map((d) => ({ ...d, versions: [...d.versions] }));
  }

  all(): readonly ResourceDef[] {
    return this.defs;
  }

  /** Serves one more resource from now on (a CustomResourceDefinition being created). */
  add(def: ResourceDef): void {
    if (this.byGroupResource(def.group, def.resource)) throw new Error(`duplicate resource ${def.group}/${def.resource}`);
    if (def.versions.length === 0) throw new Error(`resource ${def.group}/${def.resource} serves no version`);
    this.defs.push({ ...def, versions: [...def.versions] });
  }

  lookup(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.defs.find((d) => d.group === group && d.resource === resource && d.versions.includes(version));
  }

  byGroupResource(group: string, resource: string): ResourceDef | undefined {
    return this.defs.find((d) => d.group === group && d.resource === resource);
  }

  /** Resolves an object's `apiVersion` + `kind`; undefined when that version/kind is not served. */
  byApiVersionKind(apiVersion: string, kind: string): { def: ResourceDef; version: string } | undefined {
    const slash = apiVersion.lastIndexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const def = this.defs.find((d) => d.group === group && d.kind === kind && d.versions.includes(version));
    return def ? { def, version } : undefined;
  }

  private groupVersions(group: string): string[] {
    const out: string[] = [];
    for (const d of this.defs) if (d.group === group) for (const v of d.versions) if (!out.includes(v)) out.push(v);
    return out;
  }

  private groupNames(): string[] {
    const out: string[] = [];
    for (const d of this.defs) if (d.group !== '' && !out.includes(d.group)) out.push(d.group);
    return out;
  }

  /** `/api` */
  apiVersions(serverAddress: string): object {
    return {
      kind: 'APIVersions',
      versions: this.groupVersions(''),
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }

  /** `/apis/<group>`; undefined when the group is not served. */
  apiGroup(group: string): object | undefined {
    const versions = this.groupVersions(group);
    if (group === '' || versions.length === 0) return undefined;
    const gvs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
    return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: gvs, preferredVersion: gvs[0] };
  }

  /** `/apis` */
  apiGroupList(): object {
    const groups = this.groupNames().map((g) => {
      const { kind: _k, apiVersion: _a, ...rest } = this.apiGroup(g) as Record<string, unknown>;
      return rest;
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }

  /** `/api/v1` or `/apis/<g>/<v>`; undefined when that group/version is not served. */
  resourceList(group: string, version: string): object | undefined {
    const defs = this.defs.filter((d) => d.group === group && d.versions.includes(version));
    if (defs.length === 0) return undefined;
    const resources = defs.map((d) => {
      const r: Record<string, unknown> = {
        name: d.resource,
        singularName: d.singular ?? d.kind.toLowerCase(),
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: VERBS,
      };
      if (d.shortNames && d.shortNames.length > 0) r.shortNames = d.shortNames;
      if (d.crd) r.categories = d.group === 'networking.istio.io' ? ['istio-io', 'networking-istio-io'] : ['all'];
      return r;
    });
    const gv = apiVersionOf(group, version);
    // The core group's APIResourceList is served without apiVersion by the real server.
    return group === ''
      ? { kind: 'APIResourceList', groupVersion: gv, resources }
      : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
  }
}
