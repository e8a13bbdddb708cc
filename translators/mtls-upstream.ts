/**
 * @module translators/mtls-upstream
 * The TLS side of an outbound cluster, as istiod's buildAutoMtlsSettings/applyUpstreamTLSSettings:
 *
 * - DestinationRule `tls.mode` DISABLE → no TLS; SIMPLE/MUTUAL → a `transport_socket` with the
 *   rule's certificates (SDS `kubernetes://<credentialName>` or files); ISTIO_MUTUAL → a
 *   `transport_socket` with the agent's SDS `default`/`ROOTCA` (the rule's SNI, else istiod's
 *   `outbound_.<port>_.<subset>_.<host>`; its subjectAltNames, else the service's accounts).
 * - No TLS in the rule, auto mTLS on (mesh `enableAutoMtls`), the service not MESH_EXTERNAL and its
 *   namespace (or the mesh) not DISABLE by PeerAuthentication → `transport_socket_matches`:
 *   `tlsMode-istio` (endpoints whose metadata carries `tlsMode: istio`, i.e. workloads with a
 *   sidecar) gets istio mTLS, `tlsMode-disabled` (everything else) plaintext. An ORIGINAL_DST
 *   cluster cannot match per endpoint: it gets istio mTLS only when every endpoint has a sidecar.
 *
 * ALPN `istio-peer-exchange`, `istio` (plus `h2` on HTTP/2 and gRPC ports), TLS 1.2–1.3, the
 * workload's service accounts as SPIFFE SANs (`spiffe://<trust domain>/ns/<ns>/sa/<sa>`).
 */
import type { MeshConfig, MeshService } from '../model/config.js';
import type { ClientTLSSettings } from '../model/istio.js';
import { composePeerAuth, peerAuthLevels } from '../model/peerauth.js';
import type { Cluster } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { sds, TLS_SOCKET } from './policy.js';

type TransportSocket = NonNullable<Cluster['transport_socket']>;

const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
export const ALPN_IN_MESH = ['istio-peer-exchange', 'istio'] as const;
export const ALPN_IN_MESH_H2 = ['istio-peer-exchange', 'istio', 'h2'] as const;
export const TLS_PARAMS = { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' } as const;
/** Envoy's endpoint metadata key for transport socket matching, and istiod's label for "has a sidecar". */
export const TRANSPORT_SOCKET_MATCH = 'envoy.transport_socket_match';
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

export interface UpstreamTlsInput {
  /** The DestinationRule's TLS settings for this port (and subset), if any. */
  readonly tls: ClientTLSSettings | undefined;
  /** istiod's SNI for the cluster. */
  readonly sni: string;
  readonly h2: boolean;
  /** Auto mTLS applies (mesh setting on, service in the mesh, its namespace not DISABLE). */
  readonly auto: boolean;
  /** SPIFFE identities of the service's workloads, sorted. */
  readonly serviceAccounts: readonly string[];
  /** The cluster is ORIGINAL_DST: no per-endpoint matching; `allIstio` says whether every endpoint has a sidecar. */
  readonly originalDst: boolean;
  readonly allIstio: boolean;
}

const sanMatchers = (list: readonly string[]): Record<string, unknown> =>
  list.length ? { match_subject_alt_names: list.map((s) => ({ exact: s })) } : {};

/** The UpstreamTlsContext istiod builds for ISTIO_MUTUAL. */
export function istioMutualContext(sni: string, sans: readonly string[], h2: boolean): Record<string, unknown> {
  return {
    common_tls_context: {
      tls_params: TLS_PARAMS,
      alpn_protocols: [...(h2 ? ALPN_IN_MESH_H2 : ALPN_IN_MESH)],
      tls_certificate_sds_secret_configs: [sds('default')],
      combined_validation_context: { default_validation_context: sanMatchers(sans), validation_context_sds_secret_config: sds('ROOTCA') },
    },
    ...(sni ? { sni } : {}),
  };
}

function userContext(tls: ClientTLSSettings): Record<string, unknown> {
  const common: Record<string, unknown> = {};
  const sans = tls.subjectAltNames ?? [];
  // A credentialName that already names its source (`invalid://` from an unresolvable BackendTLSPolicy CA) is used as is.
  const cred = tls.credentialName?.includes('://') ? tls.credentialName : `kubernetes://${tls.credentialName ?? ''}`;
  if (tls.mode === 'MUTUAL' && tls.credentialName) common['tls_certificate_sds_secret_configs'] = [sds(cred)];
  if (tls.credentialName)
    common['combined_validation_context'] = {
      default_validation_context: sanMatchers(sans),
      validation_context_sds_secret_config: sds(`${cred}-cacert`),
    };
  else if (tls.caCertificatesPem)
    common['validation_context'] = { trusted_ca: { inline_string: tls.caCertificatesPem }, ...sanMatchers(sans) };
  else if (tls.caCertificates) common['validation_context'] = { trusted_ca: { filename: tls.caCertificates }, ...sanMatchers(sans) };
  if (tls.mode === 'MUTUAL' && !tls.credentialName && tls.clientCertificate && tls.privateKey) {
    common['tls_certificates'] = [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }];
  }
  return { common_tls_context: common, ...(tls.sni ? { sni: tls.sni } : {}) };
}

const socket = (ctx: Record<string, unknown>): TransportSocket => ({ name: TLS_SOCKET, typed_config: typedAny(UPSTREAM_TLS, ctx) });
const RAW_BUFFER: TransportSocket = {
  name: 'envoy.transport_sockets.raw_buffer',
  typed_config: typedAny('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer', {}),
};

/** The cluster's TLS fields: `transport_socket`, `transport_socket_matches`, or nothing. */
export function upstreamTlsFields(i: UpstreamTlsInput): Partial<Cluster> {
  const tls = i.tls;
  if (tls?.mode === 'DISABLE') return {};
  if (tls?.mode === 'SIMPLE' || tls?.mode === 'MUTUAL') return { transport_socket: socket(userContext(tls)) };
  if (tls?.mode === 'ISTIO_MUTUAL') {
    const sans = tls.subjectAltNames?.length ? tls.subjectAltNames : i.serviceAccounts;
    return { transport_socket: socket(istioMutualContext(tls.sni ?? i.sni, sans, i.h2)) };
  }
  if (!i.auto) return {};
  const istio = socket(istioMutualContext(i.sni, i.serviceAccounts, i.h2));
  if (i.originalDst) return i.allIstio ? { transport_socket: istio } : {};
  return {
    transport_socket_matches: [
      { name: 'tlsMode-istio', match: { fields: { tlsMode: { stringValue: 'istio' } } }, transport_socket: istio },
      { name: 'tlsMode-disabled', match: {}, transport_socket: RAW_BUFFER },
    ] as Cluster['transport_socket_matches'],
  };
}

const accountsMemo = new WeakMap<MeshConfig, Map<string, readonly string[]>>();

/** istiod's ServiceAccounts for a service: its endpoints' accounts as SPIFFE URIs plus a ServiceEntry's subjectAltNames, sorted. */
export function serviceAccounts(mesh: MeshConfig, svc: MeshService): readonly string[] {
  let memo = accountsMemo.get(mesh);
  if (!memo) {
    memo = new Map();
    accountsMemo.set(mesh, memo);
  }
  const hit = memo.get(svc.hostname);
  if (hit) return hit;
  const out = new Set<string>();
  for (const eps of mesh.endpoints.get(svc.hostname)?.values() ?? []) {
    for (const e of eps) {
      if (!e.serviceAccount) continue;
      const ns = e.pod ? e.pod.slice(0, e.pod.indexOf('/')) : svc.namespace;
      out.add(`spiffe://${mesh.settings.trustDomain}/ns/${ns}/sa/${e.serviceAccount}`);
    }
  }
  if (svc.origin === 'ServiceEntry') {
    for (const se of mesh.serviceEntries) {
      if (se.meta.namespace === svc.namespace && se.spec.hosts.includes(svc.hostname))
        for (const s of se.spec.subjectAltNames ?? []) out.add(s);
    }
  }
  const list = [...out].sort();
  memo.set(svc.hostname, list);
  return list;
}

/**
 * Whether auto mTLS applies to a service (istiod's BestEffortInferServiceMTLSMode): on in the
 * mesh, not MESH_EXTERNAL, and the PeerAuthentication of its namespace (else the mesh's) not DISABLE.
 */
export function autoMtlsApplies(mesh: MeshConfig, svc: MeshService): boolean {
  if (!mesh.settings.enableAutoMtls || svc.meshExternal) return false;
  let memo = disabledMemo.get(mesh);
  if (!memo) {
    memo = new Map();
    disabledMemo.set(mesh, memo);
  }
  let disabled = memo.get(svc.namespace);
  if (disabled === undefined) {
    disabled = composePeerAuth(peerAuthLevels(mesh.peerAuthentications, mesh.settings.rootNamespace, svc.namespace, {})).mode === 'DISABLE';
    memo.set(svc.namespace, disabled);
  }
  return !disabled;
}

/** Per snapshot: whether a namespace's (or the mesh's) PeerAuthentication is DISABLE — asked once per cluster otherwise. */
const disabledMemo = new WeakMap<MeshConfig, Map<string, boolean>>();
