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
 * version gate bucket (translators/versions.ts), a workload whose Sidecar ingress forwards to
 * its own IP, that IP, and what decides its bound listeners (interception mode NONE, bindingClassKey).
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

export type { ClusterOutput, Generated, TypeOutput } from './generated.js';
export type { ClusterKey } from './names.js';

function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

export function proxyClass(proxy: Proxy, mesh?: MeshConfig): string {
  const labels = mesh ? proxyLabels(mesh, proxy) : proxy.labels;
  const shape = Object.keys(labels).length ? `labels:${labelsKey(labels)}` : `pod:${proxy.workloadName}`;
  // The security policies that select the workload are part of its output: name them, so two
  // workloads can share a translation only when the same policies apply to both.
  const authz = mesh ? appliedKey(appliedPolicies(mesh, { namespace: proxy.namespace, labels })) : '';
  const ef = mesh ? envoyFilterClassKey(mesh, proxy, labels) : '';
  const hcm = mesh && proxy.generator === 'envoy' ? hcmClassKey(mesh, proxy, labels) : '';
  const bucket = versionBucket(proxy);
  // A Sidecar ingress endpoint on 0.0.0.0 (or none) is the workload's own IP: one class per IP then.
  const sc = mesh && proxy.type === 'sidecar' && proxy.generator === 'envoy' ? sidecarFor(mesh, proxy.namespace, labels) : undefined;
  const ownIp = sc?.spec.ingress?.some((l) => !l.defaultEndpoint || l.defaultEndpoint.startsWith('0.0.0.0:')) ? `|ip:${proxy.ip}` : '';
  return `${proxy.generator}/${proxy.type}/${proxy.namespace}/${shape}${ndsClassKey(proxy)}${authz ? `/policies:${authz}` : ''}${mtlsClassKey(proxy, labels, mesh)}${ef}${hcm}${bucket === 'current' ? '' : `|v:${bucket}`}${ownIp}${bindingClassKey(proxy, sc)}`;
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
      : proxy.type === 'router'
        ? gatewayGenerator(mesh, proxy)
        : sidecarGenerator(mesh, proxy);
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
