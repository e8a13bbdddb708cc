/**
 * @module server/explain/mtls
 * The mTLS part of `explain`: for a proxy's `virtualInbound`, which PeerAuthentication applies at
 * each level (mesh in the root namespace, namespace, workload selector) and the mode each
 * inbound port ends up with; for an outbound cluster, where its TLS comes from (the
 * DestinationRule's `tls`, auto mTLS for sidecar endpoints, or none and why). Reads the same pure
 * functions the translators use (model/peerauth, translators/mtls-upstream), so it cannot disagree.
 */
import type { MeshConfig, MeshService } from '../../model/config.js';
import type { DestinationRule } from '../../model/istio.js';
import { effectiveMtls, mtlsModeForPort, type PeerAuthentication } from '../../model/peerauth.js';
import type { Proxy } from '../../model/proxy.js';
import { autoMtlsApplies } from '../../translators/mtls-upstream.js';
import { policyForPort } from '../../translators/policy.js';
import { proxyLabels } from '../../translators/scope.js';

/** What explain's collector offers: note a config (and a rule in it), returning its display name. */
export type AddConfig = (kind: string, namespace: string, name: string, rule?: string) => string;

const modeOf = (p: PeerAuthentication): string => p.spec.mtls?.mode ?? 'UNSET';

/** Lines for the proxy's inbound mTLS, and the PeerAuthentications behind them. */
export function inboundMtlsLines(mesh: MeshConfig, proxy: Proxy, ports: readonly number[], add: AddConfig): string[] {
  const labels = proxyLabels(mesh, proxy);
  const eff = effectiveMtls(mesh.peerAuthentications, mesh.settings.rootNamespace, proxy.namespace, labels);
  const lines: string[] = [];
  const levels: [string, PeerAuthentication | undefined][] = [
    [`mesh (root namespace ${mesh.settings.rootNamespace})`, eff.levels.mesh],
    [`namespace ${proxy.namespace}`, eff.levels.namespace],
    ['workload', eff.levels.workload],
  ];
  for (const [level, p] of levels) {
    if (!p) {
      lines.push(`PeerAuthentication ${level}: none`);
      continue;
    }
    const label = add('PeerAuthentication', p.meta.namespace, p.meta.name, 'spec.mtls');
    lines.push(`${label} (${level}): mtls.mode ${modeOf(p)}${modeOf(p) === 'UNSET' ? ' (inherits)' : ''}`);
  }
  lines.push(`effective mTLS mode ${eff.mode}${Object.keys(eff.levels).length ? '' : " (no PeerAuthentication: istiod's default)"}`);
  for (const pp of eff.perPort) {
    add('PeerAuthentication', eff.levels.workload!.meta.namespace, eff.levels.workload!.meta.name, `spec.portLevelMtls.${pp.port}`);
    lines.push(
      `port ${pp.port}: portLevelMtls → ${pp.mode}${ports.includes(pp.port) ? '' : ' (no service declares it: a passthrough chain)'}`,
    );
  }
  for (const port of ports) {
    const m = mtlsModeForPort(eff, port);
    lines.push(
      `inbound port ${port}: ${m} → ${m === 'STRICT' ? 'mTLS chain only' : m === 'DISABLE' ? 'plaintext chain only' : 'mTLS and plaintext chains'}`,
    );
  }
  return lines;
}

/** Where an outbound cluster's TLS comes from. */
export function clusterTlsLine(
  mesh: MeshConfig,
  svc: MeshService | undefined,
  port: number,
  subset: string,
  dr: DestinationRule | undefined,
  add: AddConfig,
): string {
  const base = policyForPort(dr?.spec.trafficPolicy, port);
  const sub = dr?.spec.subsets?.find((s) => s.name === subset);
  const tls = policyForPort(sub?.trafficPolicy, port)?.tls ?? base?.tls;
  if (dr && tls?.mode)
    return `${add('DestinationRule', dr.meta.namespace, dr.meta.name, 'trafficPolicy.tls')} tls.mode ${tls.mode}: ${tls.mode === 'DISABLE' ? 'plaintext' : tls.mode === 'ISTIO_MUTUAL' ? 'istio mTLS to every endpoint' : "TLS with the rule's certificates"}`;
  if (!svc) return 'TLS: none (unknown service)';
  if (!mesh.settings.enableAutoMtls) return 'TLS: none (mesh config enableAutoMtls is false)';
  if (svc.meshExternal) return 'TLS: none (MESH_EXTERNAL service: auto mTLS does not apply)';
  if (!autoMtlsApplies(mesh, svc)) return `TLS: none (PeerAuthentication of namespace ${svc.namespace} or the mesh is DISABLE)`;
  return 'auto mTLS: istio mTLS to endpoints labelled security.istio.io/tlsMode=istio (workloads with a sidecar), plaintext to the others';
}
