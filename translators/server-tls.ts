/**
 * @module translators/server-tls
 * A server-side TLS context from Istio's ServerTLSSettings (istiod's BuildListenerTLSContext), shared
 * by gateway servers and Sidecar ingress listeners: the certificate by SDS name — `default` for
 * ISTIO_MUTUAL, `kubernetes://<credentialName>` (or a credentialName that already is an SDS name,
 * `kubernetes-gateway://ns/name`), or for file-mounted certificates the agent's
 * `file-cert:<cert>~<key>` and `file-root:<ca>` (istiod's SdsCertificateConfig) — ALPN h2/http1.1,
 * client certificates required for MUTUAL/ISTIO_MUTUAL and validated for OPTIONAL_MUTUAL too.
 */
import type { ServerTLSSettings } from '../model/istio.js';
import type { FilterChain } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { sds, TLS_SOCKET } from './policy.js';

const DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/** `http` false (a TCP stream after TLS, e.g. a Gateway API TLS Terminate listener) advertises no ALPN. */
export function downstreamTls(tls: ServerTLSSettings, http = true): Record<string, unknown> {
  const istio = tls.mode === 'ISTIO_MUTUAL';
  const cred = tls.credentialName ?? '';
  const files = !istio && !tls.credentialName;
  const cert = istio
    ? 'default'
    : files
      ? `file-cert:${tls.serverCertificate ?? ''}~${tls.privateKey ?? ''}`
      : cred.includes('://')
        ? cred
        : `kubernetes://${cred}`;
  const ca = files ? `file-root:${tls.caCertificates ?? ''}` : `${cert}-cacert`;
  const common: Record<string, unknown> = {
    tls_certificate_sds_secret_configs: [sds(cert)],
    ...(http ? { alpn_protocols: ['h2', 'http/1.1'] } : {}),
  };
  // ISTIO_MUTUAL: clients must present a mesh certificate (the agent's ROOTCA), and one of the server's subjectAltNames when it lists any.
  const sans = tls.subjectAltNames?.length ? { match_subject_alt_names: tls.subjectAltNames.map((exact) => ({ exact })) } : {};
  if (istio)
    common['combined_validation_context'] = { default_validation_context: sans, validation_context_sds_secret_config: sds('ROOTCA') };
  else if ((tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL') && !(files && !tls.caCertificates))
    common['combined_validation_context'] = { default_validation_context: {}, validation_context_sds_secret_config: sds(ca) };
  return { common_tls_context: common, require_client_certificate: { value: istio || tls.mode === 'MUTUAL' } };
}

/** The chain's transport socket terminating `tls`. */
export function downstreamTlsSocket(tls: ServerTLSSettings, http = true): NonNullable<FilterChain['transport_socket']> {
  return { name: TLS_SOCKET, typed_config: typedAny(DOWNSTREAM_TLS, downstreamTls(tls, http)) };
}
