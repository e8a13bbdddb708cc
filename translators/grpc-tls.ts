/**
 * @module translators/grpc-tls
 * TLS for proxyless gRPC (gRFC A29), as istiod's gRPC generator writes it: certificates come from
 * the bootstrap's `certificate_providers` instance `default` (pilot-agent writes it, plugin
 * `file_watcher`), the workload certificate as `default` and the roots as `ROOTCA`. Both the
 * current fields (`tls_certificate_provider_instance`, `ca_certificate_provider_instance`, read by
 * grpc-js-xds and C-core) and the deprecated ones (older gRPC releases) are set, as istiod does.
 * Server side: a DownstreamTlsContext requiring client certificates. Client side: an
 * UpstreamTlsContext only where a DestinationRule says ISTIO_MUTUAL (no auto-mTLS for proxyless
 * clients — istiod can't tell whether a client uses xDS credentials or a server would accept
 * TLS), verifying the server's SPIFFE identity against the service accounts of the service's
 * endpoints.
 */
import type { MeshConfig } from '../model/config.js';
import type { TrafficPolicy } from '../model/istio.js';
import type { Cluster } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { TLS_SOCKET } from './policy.js';

type TransportSocket = NonNullable<Cluster['transport_socket']>;

const DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
/** The instance name pilot-agent gives its certificate provider in the gRPC bootstrap. */
export const CERT_PROVIDER_INSTANCE = 'default';

function commonTls(sans: readonly string[]): Record<string, unknown> {
  const cert = { instance_name: CERT_PROVIDER_INSTANCE, certificate_name: 'default' };
  const roots = { instance_name: CERT_PROVIDER_INSTANCE, certificate_name: 'ROOTCA' };
  return {
    tls_certificate_provider_instance: cert,
    validation_context: {
      ...(sans.length ? { match_subject_alt_names: sans.map((exact) => ({ exact })) } : {}),
      ca_certificate_provider_instance: roots,
    },
  };
}

/** A server's mTLS transport socket: its certificate from the provider, client certificates required and checked against ROOTCA. */
export function grpcServerTls(): TransportSocket {
  return {
    name: TLS_SOCKET,
    typed_config: typedAny(DOWNSTREAM_TLS, { common_tls_context: commonTls([]), require_client_certificate: { value: true } }),
  };
}

/** The SPIFFE identities of the workloads behind `host:port`, sorted (istiod's push.ServiceAccounts). */
export function serviceIdentities(mesh: MeshConfig, host: string, port: number): string[] {
  const eps = mesh.endpoints.get(host)?.get(port) ?? [];
  const ns = mesh.serviceByHost.get(host)?.namespace ?? '';
  const ids = new Set<string>();
  for (const e of eps) if (e.serviceAccount) ids.add(`spiffe://${mesh.settings.trustDomain}/ns/${ns}/sa/${e.serviceAccount}`);
  return [...ids].sort();
}

/** The client TLS a proxyless cluster gets from its traffic policy: only for ISTIO_MUTUAL. */
export function grpcClientTls(
  mesh: MeshConfig,
  host: string,
  port: number,
  policy: TrafficPolicy | undefined,
): TransportSocket | undefined {
  if (policy?.tls?.mode !== 'ISTIO_MUTUAL') return undefined;
  return { name: TLS_SOCKET, typed_config: typedAny(UPSTREAM_TLS, { common_tls_context: commonTls(serviceIdentities(mesh, host, port)) }) };
}
