/**
 * @module server/push/incremental-fixture
 * The mesh incremental.test.ts edits at random: five services in two namespaces (a headless one,
 * named targetPorts), their EndpointSlices and Pods, DestinationRules (exact and wildcard),
 * VirtualServices of several shapes, GAMMA HTTPRoutes, a ServiceEntry, a Gateway and the proxies
 * that read them — plus the store step that turns edited files into a PushRequest, a dump of a
 * class's whole output for byte comparison, and parts that count what they build.
 */
import { strict as assert } from 'node:assert';
import type { ConfigEvent, MeshConfig } from '../../model/config.js';
import { parseNodeId, type Proxy } from '../../model/proxy.js';
import type { PushRequest } from '../../model/push.js';
import { CDS, EDS, LDS, NDS, RDS, type XdsType } from '../../proto/typeurls.js';
import { parseConfigText } from '../../watchers/file/parse.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../../watchers/mesh.js';
import { emptyState, reduce, takeChanges } from '../../watchers/store/reduce.js';
import { storeChange } from '../../watchers/store/stage.js';
import { outputParts, proxyClass, type OutputPart } from '../../translators/index.js';
import { piecesOf } from '../../translators/pieces.js';
import { SnapshotCache, type ResourceSnapshot } from '../cache/snapshot.js';

export const TYPES: readonly XdsType[] = [CDS, EDS, LDS, RDS, NDS];
const NS = ['a', 'b'];
const SVCS = ['s0', 's1', 's2', 's3', 's4'];

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nsOf = (i: number): string => NS[i % NS.length]!;

/** Services s1 and s3 name their database port's targetPort (`db`, resolved against the Pods' container ports); s4 is headless. */
function service(i: number, extraPort: boolean): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${SVCS[i]}, namespace: ${nsOf(i)}}
spec:
  clusterIP: ${i === 4 ? 'None' : `10.96.1.${i + 1}`}
  selector: {app: ${SVCS[i]}}
  ports:
  - {name: http, port: 8080}
  - {name: tcp-db, port: 9000${i % 2 ? ', targetPort: db' : ''}}
${extraPort ? '  - {name: http-admin, port: 8081}\n' : ''}`;
}

/**
 * The three Pods behind service i, variant v: IPs, subset labels, the `db` container port's number
 * (rarely renumbered), a StatefulSet DNS name, and sometimes a Pod gone or a new one with new labels.
 */
function pods(i: number, v: number): string {
  const out: string[] = [];
  for (let j = 0; j < 3 + (v % 7 === 2 ? 1 : 0); j++) {
    if (j === 1 && v % 6 === 5) continue; // a Pod gone
    const labels = `{app: ${SVCS[i]}, version: v${((j + v) % 2) + 1}${j === 3 ? ', pod-template-hash: h' + v : ''}}`;
    const dns = v % 3 === 0 ? `hostname: ${SVCS[i]}-${j}, subdomain: ${SVCS[i]}, ` : '';
    out.push(`apiVersion: v1
kind: Pod
metadata: {name: ${SVCS[i]}-${j}, namespace: ${nsOf(i)}, labels: ${labels}}
spec: {${dns}containers: [{name: app, ports: [{name: db, containerPort: ${v % 11 === 4 ? 9001 : 9000}}]}]}
status: {podIP: 10.2.${i}.${j + (v % 2) * 10}, phase: Running}
`);
  }
  return out.join('---\n');
}

/** The Pod of proxy p2 (namespace b): relabelling it changes that connected proxy's labels, and so its class. */
function ownPod(v: number): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: p2, namespace: b, labels: {app: s1, version: v${(v % 2) + 1}}}
spec: {containers: [{name: app, ports: [{name: db, containerPort: 9000}]}]}
status: {podIP: 10.0.0.2, phase: Running}
`;
}

function slice(i: number, v: number): string {
  const eps = Array.from(
    { length: 1 + (v % 3) },
    (_, j) =>
      `  - addresses: [10.1.${i}.${j + v}]\n    conditions: {ready: true}\n    targetRef: {kind: Pod, name: ${SVCS[i]}-${j}, namespace: ${nsOf(i)}}`,
  ).join('\n');
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${SVCS[i]}-x, namespace: ${nsOf(i)}, labels: {kubernetes.io/service-name: ${SVCS[i]}}}
addressType: IPv4
ports: [{name: http, port: 8080}, {name: tcp-db, port: 9000}, {name: http-admin, port: 8081}]
endpoints:
${eps}
`;
}

/**
 * A DestinationRule for service i, in its own namespace or (`other`) in the other one — which a
 * proxy there prefers (scope.ts) —, with a short host, a third subset or `exportTo: ["."]` in some versions.
 */
export function dr(i: number, v: number, other = false): string {
  const ns = other ? nsOf(i + 1) : nsOf(i);
  const host = v % 4 === 3 && !other ? SVCS[i]! : `${SVCS[i]}.${nsOf(i)}.svc.cluster.local`;
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${other ? 'x-' : ''}${SVCS[i]}, namespace: ${ns}}
spec:
  host: ${host}
  trafficPolicy: {connectionPool: {tcp: {maxConnections: ${10 + v}}}${v % 2 ? ', loadBalancer: {consistentHash: {httpHeaderName: x-user}}' : ''}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
${v % 5 === 1 ? '  - {name: v3, labels: {version: v3}}\n' : ''}${v % 6 === 2 ? '  exportTo: ["."]\n' : ''}`;
}

/** A DestinationRule for every host of a namespace (a wildcard host: it applies where no exact rule does). */
function wildDr(v: number): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: wild, namespace: ${nsOf(v)}}
spec:
  host: "*.${nsOf(v)}.svc.cluster.local"
  trafficPolicy: {connectionPool: {tcp: {maxConnections: ${100 + v}}}${v % 3 ? '' : ', loadBalancer: {simple: RANDOM}'}}
`;
}

/** A VirtualService named vs<k> in namespace of service i: one of several shapes. */
export function vs(k: number, i: number, v: number): string {
  const host = v % 5 === 0 ? SVCS[i]! : `${SVCS[i]}.${nsOf(i)}.svc.cluster.local`; // short names too
  const target = `${SVCS[i]}.${nsOf(i)}.svc.cluster.local`;
  const hosts = v % 7 === 3 ? `["*.${nsOf(i)}.svc.cluster.local"]` : `[${host}]`;
  const tcp = v % 4 === 1 ? `\n  tcp:\n  - route:\n    - destination: {host: ${target}, port: {number: 9000}}\n` : '';
  const w = 10 + ((v * 7) % 80);
  // Some name a subset: v1 exists when the service has a DestinationRule, v9 never (rejected: the last good version stays).
  const subset = v % 6 === 2 ? ', subset: v1' : v % 6 === 5 ? ', subset: v9' : '';
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs${k}, namespace: ${nsOf(i)}}
spec:
  hosts: ${hosts}
  http:
  - timeout: ${1 + (v % 9)}s
    route:
${
  v % 3 === 0
    ? `    - destination: {host: ${target}${subset}}` // one destination: the route hashes as its DestinationRule says
    : `    - destination: {host: ${target}${subset}}
      weight: ${w}
    - destination: {host: ${SVCS[(i + 1) % SVCS.length]}.${nsOf(i + 1)}.svc.cluster.local}
      weight: ${100 - w}`
}${tcp}
`;
}

/** A GAMMA HTTPRoute hr<k> on service i (a user VirtualService for the same host wins, as in istiod). */
function hr(k: number, i: number, v: number): string {
  const w = 5 + ((v * 11) % 90);
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: hr${k}, namespace: ${nsOf(i)}}
spec:
  parentRefs: [{group: "", kind: Service, name: ${SVCS[i]}, port: 8080}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /p${v % 3}}}]
    backendRefs:
    - {name: ${SVCS[i]}, port: 8080, weight: ${w}}
    - {name: ${SVCS[(i + 2) % SVCS.length]}, namespace: ${nsOf(i + 2)}, port: 8080, weight: ${100 - w}}
`;
}

function se(v: number): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: a}
spec:
  hosts: [ext${v % 3}.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}, {number: 80, name: http, protocol: HTTP}]
  resolution: DNS
`;
}

/**
 * A Sidecar, variant v, in one of three places (`where`): namespace a's default, a Sidecar of
 * namespace b selecting s1's workloads (proxy p2), the root namespace's default (which applies to
 * every namespace without one of its own). Egress hosts narrow or widen what the proxies see; some
 * variants make outbound traffic REGISTRY_ONLY or give p2 an ingress listener.
 */
export function sidecar(where: 'a' | 'b' | 'root', v: number): string {
  const egress = [['./*'], ['./*', 'b/*'], ['*/*'], ['./*', `b/s1.b.svc.cluster.local`], ['a/s0.a.svc.cluster.local', 'b/*']][v % 5]!;
  const ns = where === 'root' ? 'istio-system' : where;
  const selector = where === 'b' ? '\n  workloadSelector: {labels: {app: s1}}' : '';
  const policy = v % 3 === 1 ? '\n  outboundTrafficPolicy: {mode: REGISTRY_ONLY}' : '';
  const ingress =
    where === 'b' && v % 4 === 2
      ? '\n  ingress: [{port: {number: 8080, protocol: HTTP, name: http}, defaultEndpoint: "127.0.0.1:8080"}]'
      : '';
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ${where === 'b' ? 's1-only' : 'default'}, namespace: ${ns}}
spec:${selector}
  egress: [{hosts: [${egress.map((h) => `"${h}"`).join(', ')}]}]${policy}${ingress}
`;
}

/** One random Sidecar edit (or removal): see `sidecar`. */
export function sidecarEdit(r: () => number, v: number): [string, string] {
  const where = (['a', 'b', 'root'] as const)[Math.floor(r() * 3)]!;
  return [`sc-${where}`, r() < 0.25 ? '' : sidecar(where, v)];
}

export function fileEvent(source: string, text: string): ConfigEvent {
  if (!text) return { type: 'replace', origin: { source }, objects: [], rejections: [] };
  const r = parseConfigText(text, source, 'a');
  if (!r.ok) throw new Error(r.reason);
  return { type: 'replace', origin: { source }, objects: r.file.objects, rejections: r.file.rejections, ignored: r.file.ignored };
}

export function proxy(id: string, labels?: Record<string, string>): Proxy {
  const r = parseNodeId(id, labels ? { LABELS: labels } : {});
  if (!r.ok) throw new Error(r.reason);
  return r.proxy;
}

export const PROXIES = [
  proxy('sidecar~10.0.0.1~p1.a~a.svc.cluster.local', { app: 'client', version: 'v1' }),
  proxy('sidecar~10.0.0.2~p2.b~b.svc.cluster.local', { app: 's1', version: 'v2' }),
  // The gateway-name label: AuthorizationPolicies with `targetRefs` to Gateway gw select it (incremental-policies.ts).
  proxy('router~10.0.0.3~gw.a~a.svc.cluster.local', { istio: 'ingressgateway', 'gateway.networking.k8s.io/gateway-name': 'gw' }),
];

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: a}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
`;

/** Everything a class serves, as comparable text: per type, each name with its version and bytes. */
export function dump(snap: ResourceSnapshot): string {
  return TYPES.map((t) =>
    [...snap.names(t)]
      .sort()
      .map((n) => {
        const r = snap.get(t, n);
        return `${t} ${n} ${r?.version} ${r ? Buffer.from(r.any).toString('base64') : '-'}`;
      })
      .join('\n'),
  ).join('\n');
}

/**
 * After a push of `mesh`: each lease's class (some left unread, some read only in part, as streams
 * do — `r` decides) is served under its class key for `mesh` and serves byte for byte what a fresh
 * cache serves. A stale class key still serves the right bytes (parts are split from the current
 * mesh), so only the key shows a proxy not moved to its new class.
 */
export function assertServedAsFresh(
  leases: readonly { snapshot(): ResourceSnapshot }[],
  mesh: MeshConfig,
  r: () => number,
  where: string,
  edits: readonly (readonly [string, string])[],
): void {
  const fresh = new SnapshotCache(mesh);
  leases.forEach((l, k) => {
    if (r() < 0.15) return;
    const inc = l.snapshot();
    assert.equal(inc.classKey, proxyClass(PROXIES[k]!, mesh), `${where}: class of ${PROXIES[k]!.id}`);
    if (r() < 0.2) {
      for (const t of TYPES) for (const name of inc.names(t).filter((_, q) => q % 2 === 0)) inc.get(t, name);
      return;
    }
    assert.equal(
      dump(inc),
      dump(fresh.forProxy(PROXIES[k]!)),
      `${where}, proxy ${PROXIES[k]!.id}, edits ${edits.map((b) => b[0]).join(',')}`,
    );
  });
}

/** The store stage's step for one batch of events (watchers/store/stage.ts nextOutput). */
export function step(st: ReturnType<typeof emptyState>, prev: MeshConfig, events: ConfigEvent[]): PushRequest {
  for (const e of events) reduce(st, e);
  const { kinds, keys } = takeChanges(st);
  const mesh = buildMesh(st, DEFAULT_MESH_OPTIONS, prev, kinds, keys).mesh;
  // The store's incremental build (services and endpoints reused when none of their kinds changed,
  // a VirtualService-only change applied to the previous snapshot) equals a fresh one, field by field.
  const fresh = buildMesh(st, DEFAULT_MESH_OPTIONS, prev).mesh;
  // `objects` in key order; `pods` as a plain Map (an endpoint-only build overlays the previous one)
  assert.deepEqual(
    { ...mesh, objects: [...mesh.objects], pods: new Map(mesh.pods) },
    { ...fresh, objects: [...fresh.objects], pods: new Map(fresh.pods) },
    'objects in key order',
  );
  return storeChange(prev, mesh, kinds, keys);
}

export function initialFiles(): Map<string, string> {
  const files = new Map<string, string>();
  SVCS.forEach((_, i) => {
    files.set(`svc-${i}`, service(i, false));
    files.set(`ep-${i}`, slice(i, 0));
    files.set(`dr-${i}`, i % 2 ? dr(i, 0) : '');
    files.set(`pods-${i}`, pods(i, 0));
  });
  files.set('pod-p2', ownPod(0));
  for (let k = 0; k < 4; k++) files.set(`vs-${k}`, vs(k, k, k + 1));
  // hr0 routes s4, which no VirtualService names at first; hr1 is shadowed by vs1 until that moves.
  for (let k = 0; k < 2; k++) files.set(`hr-${k}`, hr(k, k ? 1 : 4, k + 1));
  files.set('se', se(0));
  files.set('gw', GATEWAY);
  return files;
}

/** One random edit: mostly VirtualServices (the incremental path), sometimes anything else. */
export function randomEdit(r: () => number, files: Map<string, string>, v: number): [string, string] {
  const x = r();
  const i = Math.floor(r() * SVCS.length);
  if (x < 0.3) {
    const k = Math.floor(r() * 5);
    return [`vs-${k}`, r() < 0.15 ? '' : vs(k, Math.floor(r() * SVCS.length), v)];
  }
  if (x < 0.4) {
    const k = Math.floor(r() * 3);
    return [`hr-${k}`, r() < 0.15 ? '' : hr(k, Math.floor(r() * SVCS.length), v)];
  }
  if (x < 0.48) return [`dr-${i}`, r() < 0.3 ? '' : dr(i, v)];
  if (x < 0.52) return [`drx-${i}`, r() < 0.4 ? '' : dr(i, v, true)];
  if (x < 0.55) return ['dr-wild', r() < 0.4 ? '' : wildDr(v)];
  if (x < 0.62) return [`ep-${i}`, slice(i, v)];
  if (x < 0.72) return [`pods-${i}`, pods(i, v)];
  if (x < 0.78) return ['pod-p2', r() < 0.2 ? '' : ownPod(v)];
  if (x < 0.86) return [`svc-${i}`, service(i, r() < 0.5)];
  if (x < 0.94) return ['se', se(v)];
  return [`vs-${Math.floor(r() * 5)}`, files.get(`vs-${Math.floor(r() * 5)}`) ?? ''];
}

/** The real parts (translators/share.ts), noting every resource they build (`built`: type and name). */
export function countingParts(): {
  built: { type: string; name: string }[];
  counting: (mesh: MeshConfig, p: Proxy) => { classKey: string; parts: readonly OutputPart[] };
} {
  const built: { type: string; name: string }[] = [];
  const spy = <T extends object>(type: string, o: T & { names(): readonly string[]; get(n: string): object | undefined }): T => {
    const w = o as T & { get(n: string): unknown; getWithKey?: (n: string, k: unknown) => unknown };
    const pieces = piecesOf(o);
    return {
      ...o,
      get: (n: string) => {
        built.push({ type, name: n });
        return o.get(n);
      },
      ...(w.getWithKey
        ? {
            getWithKey: (n: string, k: unknown) => {
              built.push({ type, name: n });
              return w.getWithKey!(n, k);
            },
          }
        : {}),
      // A route config built as pieces (its virtual hosts): each virtual host built counts.
      ...(pieces
        ? {
            pieces: (n: string) => {
              const p = pieces(n);
              return p && { ...p, build: (i: number) => (built.push({ type, name: `${n} ${p.keys[i]!.split('\u0000')[0]}` }), p.build(i)) };
            },
          }
        : {}),
    } as T;
  };
  const counting = (mesh: MeshConfig, p: Proxy): { classKey: string; parts: readonly OutputPart[] } => {
    const r = outputParts(mesh, p);
    return {
      classKey: r.classKey,
      parts: r.parts.map((part) => ({
        ...part,
        make: () => {
          const g = part.make();
          return {
            ...g,
            clusters: spy('CDS', g.clusters),
            endpoints: spy('EDS', g.endpoints),
            listeners: spy('LDS', g.listeners),
            routes: spy('RDS', g.routes),
          };
        },
      })),
    };
  };
  return { built, counting };
}
