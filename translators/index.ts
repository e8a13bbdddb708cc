/**
 * @module translators
 * Picks the generator for a proxy (proxyless gRPC, Envoy gateway, Envoy sidecar) and names the
 * proxy class: proxies with the same class key get identical output, so the server translates
 * once per class. Output depends on generator, proxy type, namespace and the workload's labels
 * (scope via Sidecar workloadSelector, inbound ports, sourceLabels matches, gateway selection).
 * Labels are the registry pod's over node metadata LABELS (model/resolve-proxy.ts) when the
 * caller passes the mesh (so pods of one Deployment share a class), else the proxy's own; with no
 * labels at all the class is per workload name. The AuthorizationPolicies and
 * RequestAuthentications that select the workload, its effective PeerAuthentication, and the
 * EnvoyFilters selecting it (translators/envoyfilter/select.ts) are named in the key too; Envoy HCMs
 * add what labels don't determine (translators/hcm.ts hcmClassKey), proxies of an older Istio their
 * version gate bucket (translators/versions.ts), and a workload whose Sidecar ingress forwards to
 * its own IP, that IP, and what decides its bound listeners (interception mode NONE, bindingClassKey), and Envoy proxies the Telemetry objects selecting them (translators/telemetry). Each key part says which output it can change (`CLASS_KEY_PARTS`), so
 * `outputParts` can share a sidecar's outbound output among classes (translators/share.ts).
 */
import type { MeshConfig } from '../model/config.js';
import type { Proxy } from '../model/proxy.js';
import type { Generated } from './generated.js';
import { grpcGenerator } from './grpc.js';
import { sidecarGenerator } from './sidecar.js';
import { gatewayGenerator } from './gateway.js';
import { proxyLabels, sidecarFor } from './scope.js';
import { hcmClassKey } from './hcm.js';
import { versionBucket } from './versions.js';
import { nameTableOutput, ndsClassKey } from './nds.js';
import { secretOutput } from './secret.js';
import { appliedKey, appliedPolicies } from './authz/select.js';
import { effectiveMtls, mtlsKey } from '../model/peerauth.js';
import { bindsToPort, interceptionMode } from '../model/interception.js';
import type { Sidecar } from '../model/istio.js';
import { applyEnvoyFilters, envoyFilterClassKey, type ProtoOps } from './envoyfilter/index.js';
import { telemetryClassKey } from './telemetry/index.js';
import { withNetworkTelemetry } from './telemetry/network.js';
import { sidecarParts, type OutputPart } from './share.js';

export type { ClusterOutput, Generated, KeyedOutput, TypeOutput } from './generated.js';
export type { OutputPart } from './share.js';
export type { ClusterKey } from './names.js';

function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** What a class-key part is computed from. */
export interface ClassKeyContext {
  readonly proxy: Proxy;
  readonly mesh: MeshConfig | undefined;
  /** The workload's labels (scope.ts proxyLabels when the mesh is known, else the proxy's own). */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * One part of the class key, and which output it can change — what share.ts needs to key the
 * parts of a sidecar's output below the class (`all`: every part, the safe choice; `inbound`: the
 * inbound part only; `listeners`: the outbound listeners (HCM values) and inbound; `class`: class-level
 * extras only, the name table). The inbound part is keyed by the whole class key, so every part
 * reaches it. To add a key part, append an entry with the narrowest `affects` that is true.
 */
export interface ClassKeyPart {
  readonly affects: 'all' | 'inbound' | 'listeners' | 'class';
  /** The text appended to the key ('' when it doesn't apply: ordinary class names stay short). */
  segment(c: ClassKeyContext): string;
}

const shape: ClassKeyPart = {
  // Outbound output reads labels only through share.ts outboundShareKey (sourceLabels, locality, failover labels).
  affects: 'inbound',
  segment: ({ labels, proxy }) => (Object.keys(labels).length ? `labels:${labelsKey(labels)}` : `pod:${proxy.workloadName}`),
};

/** The class key's parts in key order (the key is `<generator>/<type>/<namespace>/` and their segments). */
export const CLASS_KEY_PARTS: readonly ClassKeyPart[] = [
  shape,
  // DNS auto-allocation: only the name table (nds.ts).
  { affects: 'class', segment: ({ proxy }) => ndsClassKey(proxy) },
  // The security policies that select the workload are part of its output: name them, so two
  // workloads share a translation only when the same policies apply (enforced on inbound only).
  {
    affects: 'inbound',
    segment: ({ mesh, proxy, labels }) => {
      const authz = mesh ? appliedKey(appliedPolicies(mesh, { namespace: proxy.namespace, labels })) : '';
      return authz ? `/policies:${authz}` : '';
    },
  },
  { affects: 'inbound', segment: ({ proxy, labels, mesh }) => mtlsClassKey(proxy, labels, mesh) },
  // EnvoyFilters patch the whole output: a proxy they select is not shared (share.ts).
  { affects: 'all', segment: ({ mesh, proxy, labels }) => (mesh ? envoyFilterClassKey(mesh, proxy, labels) : '') },
  {
    affects: 'listeners',
    segment: ({ mesh, proxy, labels }) => (mesh && proxy.generator === 'envoy' ? hcmClassKey(mesh, proxy, labels) : ''),
  },
  {
    affects: 'all',
    segment: ({ proxy }) => {
      const bucket = versionBucket(proxy);
      return bucket === 'current' ? '' : `|v:${bucket}`;
    },
  },
  // A Sidecar ingress endpoint on 0.0.0.0 (or none) is the workload's own IP: one class per IP then.
  {
    affects: 'inbound',
    segment: ({ mesh, proxy, labels }) => {
      const sc = mesh && proxy.type === 'sidecar' && proxy.generator === 'envoy' ? sidecarFor(mesh, proxy.namespace, labels) : undefined;
      return sc?.spec.ingress?.some((l) => !l.defaultEndpoint || l.defaultEndpoint.startsWith('0.0.0.0:')) ? `|ip:${proxy.ip}` : '';
    },
  },
  // Interception mode NONE / UNPRIVILEGED_POD change outbound listeners, and unbindable ports lose their clusters and routes too.
  {
    affects: 'all',
    segment: ({ mesh, proxy, labels }) =>
      bindingClassKey(
        proxy,
        mesh && proxy.type === 'sidecar' && proxy.generator === 'envoy' ? sidecarFor(mesh, proxy.namespace, labels) : undefined,
      ),
  },
  // The Telemetry objects selecting the workload: stats, access logs and tracing live on listeners (HCMs, tcp_proxy) only.
  {
    affects: 'listeners',
    segment: ({ mesh, proxy, labels }) => (mesh && proxy.generator === 'envoy' ? telemetryClassKey(mesh, proxy, labels) : ''),
  },
];

function keyContext(proxy: Proxy, mesh: MeshConfig | undefined): ClassKeyContext {
  return { proxy, mesh, labels: mesh ? proxyLabels(mesh, proxy) : proxy.labels };
}

function classKeyOf(c: ClassKeyContext, segments: readonly string[]): string {
  return `${c.proxy.generator}/${c.proxy.type}/${c.proxy.namespace}/${segments.join('')}`;
}

export function proxyClass(proxy: Proxy, mesh?: MeshConfig): string {
  const c = keyContext(proxy, mesh);
  return classKeyOf(
    c,
    CLASS_KEY_PARTS.map((p) => p.segment(c)),
  );
}

/**
 * The proxy's output as independently cached parts (share.ts): an Envoy sidecar no EnvoyFilter
 * selects gets its outbound, outbound-listener, inbound and extras parts; everything else one part
 * keyed by its class (`generate` whole). `classKey` is returned so callers need not compute it twice.
 */
export function outputParts(mesh: MeshConfig, proxy: Proxy, ops?: ProtoOps): { classKey: string; parts: OutputPart[] } {
  const c = keyContext(proxy, mesh);
  const segs = CLASS_KEY_PARTS.map((p) => p.segment(c));
  const classKey = classKeyOf(c, segs);
  const whole: OutputPart[] = [{ kind: 'class', key: `class:${classKey}`, closed: false, make: () => generate(mesh, proxy, ops) }];
  if (proxy.generator !== 'envoy' || proxy.type !== 'sidecar' || envoyFilterClassKey(mesh, proxy, c.labels))
    return { classKey, parts: whole };
  const pick = (affects: ReadonlySet<ClassKeyPart['affects']>): string =>
    CLASS_KEY_PARTS.map((p, i) => (affects.has(p.affects) ? segs[i] : '')).join('');
  const parts = sidecarParts(
    mesh,
    proxy,
    c.labels,
    sidecarFor(mesh, proxy.namespace, c.labels),
    { outbound: pick(new Set(['all'])), listeners: pick(new Set(['listeners'])), classKey },
    () => ({ secrets: secretOutput(mesh, proxy), nameTable: nameTableOutput(mesh, proxy) }),
    (g) => withNetworkTelemetry(mesh, proxy, c.labels, g),
  );
  return { classKey, parts };
}

/**
 * What decides a sidecar's capture and bound listeners beyond its labels (translators/inbound-bind.ts,
 * egress-bind.ts): interception mode NONE (no capture listeners, bound outbound listeners),
 * UNPRIVILEGED_POD (ports below 1024 are not bound), and the IPs a bound ingress listener without
 * a `bind` listens on. Empty for the usual iptables sidecar.
 */
function bindingClassKey(proxy: Proxy, sc: Sidecar | undefined): string {
  if (proxy.type !== 'sidecar' || proxy.generator !== 'envoy') return '';
  const mode = interceptionMode(proxy);
  const unpriv = String(proxy.metadata['UNPRIVILEGED_POD'] ?? '').toLowerCase() === 'true';
  const boundOnIp = sc?.spec.ingress?.some((l) => !l.bind && bindsToPort(l.captureMode, proxy));
  return `${mode === 'NONE' ? '|icpt:NONE' : ''}${unpriv ? '|unpriv' : ''}${boundOnIp ? `|bind:${proxy.ips.join(',')}` : ''}`;
}

/**
 * The effective PeerAuthentication, which shapes inbound chains. Namespace and labels already
 * determine it; it is named in the key so that a narrower notion of "workload shape" can never
 * merge two workloads a policy tells apart. Empty when no policy applies (the common case).
 */
function mtlsClassKey(proxy: Proxy, labels: Readonly<Record<string, string>>, mesh: MeshConfig | undefined): string {
  if (!mesh?.peerAuthentications.length || proxy.type !== 'sidecar') return '';
  const eff = effectiveMtls(mesh.peerAuthentications, mesh.settings.rootNamespace, proxy.namespace, labels);
  return Object.keys(eff.levels).length ? `/mtls:${mtlsKey(eff)}` : '';
}

/**
 * The proxy's output. `ops` (proto/patch.ts `PROTO_PATCH_OPS`, which translators may not import)
 * enables the EnvoyFilter stage — the one place generated output is finalized before encoding;
 * without it, a proxy some EnvoyFilter selects is an error rather than silently unpatched.
 */
export function generate(mesh: MeshConfig, proxy: Proxy, ops?: ProtoOps): Generated {
  const envoy =
    proxy.generator === 'grpc'
      ? grpcGenerator(mesh, proxy)
      : withNetworkTelemetry(
          mesh,
          proxy,
          proxyLabels(mesh, proxy),
          proxy.type === 'router' ? gatewayGenerator(mesh, proxy) : sidecarGenerator(mesh, proxy),
        );
  const out: Generated = { ...envoy, secrets: secretOutput(mesh, proxy), nameTable: nameTableOutput(mesh, proxy) };
  if (!mesh.envoyFilters?.length) return out;
  const labels = proxyLabels(mesh, proxy);
  if (!ops) {
    if (envoyFilterClassKey(mesh, proxy, labels))
      throw new Error('EnvoyFilters select this proxy but generate() was called without proto ops (pass PROTO_PATCH_OPS)');
    return out;
  }
  return applyEnvoyFilters(mesh, proxy, labels, out, ops);
}
