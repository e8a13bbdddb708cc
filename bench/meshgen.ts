/**
 * @module bench/meshgen
 * A synthetic mesh for the bench: S services × E endpoints spread over N namespaces, ports
 * 8000–8004 (HTTP), and for a share of services a DestinationRule with subsets v1/v2 and a
 * VirtualService splitting 90/10 between them. Service 0's EndpointSlice lives in its own file
 * (`ep-0.yaml`) and the VirtualServices in `vs.yaml`, so scenarios can change one of them.
 * No Pods: subset clusters exist but their endpoints (selected by pod labels) are empty.
 * Scoped (istio.io's own benchmark setup): a root-namespace Sidecar limits every proxy's egress to
 * its own namespace and istio-system (`./*`, `istio-system/*`).
 * The heavy shape (issue 18, `heavy: true`): every service has two ports (http 8080, grpc 9090)
 * and a two-subset DestinationRule, every endpoint is a Pod (labels app, version v1/v2 alternating,
 * targetRef from the slice), so subset clusters have endpoints; `routedShare` still picks the
 * services with a weighted VirtualService.
 * `routing: 'httproute'` writes the same split as Gateway API HTTPRoutes (see MeshSize.routing).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** How the routed services' split is written (see MeshSize.routing). */
export type Routing = 'virtualservice' | 'virtualservice-services' | 'httproute';

/** Whether the split goes to version Services (no subsets, no DestinationRule for the routed services). */
const versionServices = (size: MeshSize): boolean => size.routing === 'httproute' || size.routing === 'virtualservice-services';

export interface MeshSize {
  readonly services: number;
  readonly endpointsPerService: number;
  readonly namespaces: number;
  /** Share of services with a VirtualService and a DestinationRule (0–1). */
  readonly routedShare: number;
  /** Write a root Sidecar (istio-system) with egress `./*` and `istio-system/*`. */
  readonly scoped: boolean;
  /** The heavy shape (see the module comment). */
  readonly heavy?: boolean;
  /**
   * How the routed services' 90/10 split is written: Istio VirtualServices over DestinationRule
   * subsets (default), or Gateway API HTTPRoutes (GAMMA: parentRef the Service) over two version
   * Services `svc-i-v1`/`svc-i-v2` (the Gateway API has no subsets). Same routes, same weights, the
   * same number of clusters per routed service (3); the version Services add two hosts each.
   * `virtualservice-services`: VirtualServices over those same version Services — the mesh of the
   * HTTPRoute form with only the routing kind changed, the fair baseline for comparing the two.
   */
  readonly routing?: Routing;
}

/** The namespace of service i. */
export const namespaceOf = (i: number, size: MeshSize): string => `ns-${i % size.namespaces}`;

const ROOT_SIDECAR = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
`;

const ns = namespaceOf;
const port = (i: number): number => 8000 + (i % 5);

function ip(i: number, j: number): string {
  const n = i * 1000 + j;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

const HEAVY_PORTS = [
  { name: 'http', port: 8080 },
  { name: 'grpc', port: 9090 },
];

/** The Pods behind service i (heavy shape): one per endpoint, version v1/v2 alternating. */
function podsYaml(i: number, size: MeshSize, variant = 0): string {
  return Array.from(
    { length: size.endpointsPerService },
    (_, j) => `apiVersion: v1
kind: Pod
metadata: {name: svc-${i}-${j}, namespace: ${ns(i, size)}, labels: {app: svc-${i}, version: v${(j % 2) + 1}}}
spec:
  containers:
  - name: app
    ports: [{containerPort: 8080, name: http}, {containerPort: 9090, name: grpc}]
status: {podIP: ${ip(i, j + variant)}}
`,
  ).join('---\n');
}

export function sliceYaml(i: number, size: MeshSize, variant = 0): string {
  if (size.heavy) {
    const eps = Array.from(
      { length: size.endpointsPerService },
      (_, j) =>
        `- addresses: [${ip(i, j + variant)}]\n  conditions: {ready: true}\n  targetRef: {kind: Pod, name: svc-${i}-${j}, namespace: ${ns(i, size)}}`,
    );
    return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc-${i}-1, namespace: ${ns(i, size)}, labels: {kubernetes.io/service-name: svc-${i}}}
addressType: IPv4
ports:
${HEAVY_PORTS.map((p) => `- {name: ${p.name}, port: ${p.port}, protocol: TCP}`).join('\n')}
endpoints:
${eps.join('\n')}
---
${podsYaml(i, size, variant)}`;
  }
  const eps = Array.from(
    { length: size.endpointsPerService },
    (_, j) => `- addresses: [${ip(i, j + variant)}]\n  conditions: {ready: true}`,
  );
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc-${i}-1, namespace: ${ns(i, size)}, labels: {kubernetes.io/service-name: svc-${i}}}
addressType: IPv4
ports:
- {name: http, port: ${port(i)}, protocol: TCP}
endpoints:
${eps.join('\n')}
`;
}

function serviceYaml(i: number, size: MeshSize): string {
  if (size.heavy) {
    return `apiVersion: v1
kind: Service
metadata: {name: svc-${i}, namespace: ${ns(i, size)}}
spec:
  clusterIP: 10.96.${(i >> 8) & 255}.${i & 255}
  selector: {app: svc-${i}}
  ports:
${HEAVY_PORTS.map((p) => `  - {name: ${p.name}, port: ${p.port}, targetPort: ${p.port}}`).join('\n')}
`;
  }
  return `apiVersion: v1
kind: Service
metadata: {name: svc-${i}, namespace: ${ns(i, size)}}
spec:
  clusterIP: 10.96.${(i >> 8) & 255}.${i & 255}
  ports:
  - {name: http, port: ${port(i)}, targetPort: ${port(i)}}
`;
}

/** The two version Services of routed service i (HTTPRoute routing): what the subsets select. */
function versionServicesYaml(i: number, size: MeshSize): string {
  return ['v1', 'v2']
    .map(
      (v, k) => `apiVersion: v1
kind: Service
metadata: {name: svc-${i}-${v}, namespace: ${ns(i, size)}}
spec:
  clusterIP: 10.97.${(i >> 7) & 255}.${((i & 127) << 1) + k}
${
  size.heavy
    ? `  selector: {app: svc-${i}, version: ${v}}
`
    : ''
}  ports:
${(size.heavy ? HEAVY_PORTS : [{ name: 'http', port: port(i) }]).map((p) => `  - {name: ${p.name}, port: ${p.port}, targetPort: ${p.port}}`).join('\n')}
`,
    )
    .join('---\n');
}

/** The routed services' split as GAMMA HTTPRoutes over the version Services (weights as vsYaml's). */
export function httpRouteYaml(size: MeshSize, v1Weight = 90): string {
  const p = (i: number): number => (size.heavy ? HEAVY_PORTS[0]!.port : port(i));
  return routed(size)
    .map(
      (i) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: svc-${i}, namespace: ${ns(i, size)}}
spec:
  parentRefs: [{group: "", kind: Service, name: svc-${i}}]
  rules:
  - backendRefs:
    - {name: svc-${i}-v1, port: ${p(i)}, weight: ${i === 0 ? v1Weight : 90}}
    - {name: svc-${i}-v2, port: ${p(i)}, weight: ${i === 0 ? 100 - v1Weight : 10}}
`,
    )
    .join('---\n');
}

/** The routing file (`vs.yaml`) in the size's form: VirtualServices or HTTPRoutes. */
export const routingYaml = (size: MeshSize, v1Weight = 90): string =>
  size.routing === 'httproute' ? httpRouteYaml(size, v1Weight) : vsYaml(size, v1Weight);

export const routed = (size: MeshSize): number[] => {
  const every = size.routedShare > 0 ? Math.max(1, Math.round(1 / size.routedShare)) : 0;
  return every ? Array.from({ length: size.services }, (_, i) => i).filter((i) => i % every === 0) : [];
};

export function vsYaml(size: MeshSize, v1Weight = 90): string {
  const dest = (i: number, v: string): string =>
    versionServices(size)
      ? `{host: svc-${i}-${v}.${ns(i, size)}.svc.cluster.local}`
      : `{host: svc-${i}.${ns(i, size)}.svc.cluster.local, subset: ${v}}`;
  return routed(size)
    .map(
      (i) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: svc-${i}, namespace: ${ns(i, size)}}
spec:
  hosts: [svc-${i}.${ns(i, size)}.svc.cluster.local]
  http:
  - route:
    - destination: ${dest(i, 'v1')}
      weight: ${i === 0 ? v1Weight : 90}
    - destination: ${dest(i, 'v2')}
      weight: ${i === 0 ? 100 - v1Weight : 10}
`,
    )
    .join('---\n');
}

/**
 * svc-0's v1 weight for the flat benches' `e`-th edit (bench/flat.ts, flat-inproc.ts): every edit
 * differs from the one before (odd edits 70, even ones count down 60…1 and start over), and every
 * weight is valid however many edits are made.
 */
export const flatEditWeight = (e: number): number => (e % 2 ? 70 : 60 - ((e >> 1) % 60));

/** DestinationRules with subsets v1/v2; a `variant` > 0 adds a connection pool limit (so the soak can change them). */
export function drYaml(size: MeshSize, variant = 0): string {
  const policy = variant ? `\n  trafficPolicy: {connectionPool: {tcp: {maxConnections: ${100 + variant}}}}` : '';
  // Routing over version Services needs no subsets: the routed services' DestinationRules are left out.
  const skip = new Set(versionServices(size) ? routed(size) : []);
  const hosts = (size.heavy ? Array.from({ length: size.services }, (_, i) => i) : routed(size)).filter((i) => !skip.has(i));
  return hosts
    .map(
      (i) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc-${i}, namespace: ${ns(i, size)}}
spec:
  host: svc-${i}.${ns(i, size)}.svc.cluster.local${policy}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`,
    )
    .join('---\n');
}

/** Writes the mesh into `dir`. */
export async function writeMesh(dir: string, size: MeshSize): Promise<void> {
  await mkdir(dir, { recursive: true });
  const versioned = new Set(versionServices(size) ? routed(size) : []);
  for (let n = 0; n < size.namespaces; n++) {
    const docs: string[] = [];
    for (let i = 0; i < size.services; i++) {
      if (i % size.namespaces !== n) continue;
      docs.push(serviceYaml(i, size));
      if (versioned.has(i)) docs.push(versionServicesYaml(i, size));
      if (i !== 0) docs.push(sliceYaml(i, size));
    }
    await writeFile(path.join(dir, `ns-${n}.yaml`), docs.join('---\n'));
  }
  await writeFile(path.join(dir, 'ep-0.yaml'), sliceYaml(0, size));
  const vs = routingYaml(size);
  if (vs) await writeFile(path.join(dir, 'vs.yaml'), vs);
  const dr = drYaml(size);
  if (dr) await writeFile(path.join(dir, 'dr.yaml'), dr);
  if (size.scoped) await writeFile(path.join(dir, 'sidecar.yaml'), ROOT_SIDECAR);
}
