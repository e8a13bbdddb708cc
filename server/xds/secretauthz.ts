/**
 * @module server/xds/secretauthz
 * Who may read a gateway secret over SDS, as istiod's secret generator decides it: only a stream
 * with an authenticated identity (the TLS port's authenticator sets `StreamState.identity`; the
 * plaintext port never does), only a gateway (router), and only a Secret in the namespace of one of
 * the caller's SPIFFE identities — which must also be the proxy's own namespace, since the proxy
 * class the secret is translated for is per namespace. istiod also admits a caller whose service
 * account a SubjectAccessReview allows to `list secrets` in that namespace; tspilot does not (out
 * of scope). Pure: the engine calls it per requested name.
 */
import { parseSecretName } from '../../model/secret-name.js';
import { parseSpiffe } from '../security/identity.js';
import type { StreamState } from './state.js';

/** Null when the stream may read `resource`, else why not (for the log line; never sent to the client). */
export function secretAccess(st: StreamState, resource: string): string | null {
  const id = st.identity;
  if (!id) return 'the stream has no authenticated identity (secrets are served only to authenticated callers on the TLS port)';
  if (st.proxy.type !== 'router') return `only gateways receive secrets; ${st.proxy.id} is a ${st.proxy.type}`;
  const ref = parseSecretName(resource, st.proxy.namespace);
  if ('error' in ref) return ref.error;
  const namespaces = id.spiffe.map((u) => parseSpiffe(u)?.namespace).filter((n): n is string => n !== undefined);
  if (!namespaces.includes(ref.namespace)) {
    return `secret namespace ${ref.namespace} is not the caller's (${namespaces.length ? namespaces.join(', ') : 'no SPIFFE identity'})`;
  }
  if (ref.namespace !== st.proxy.namespace) return `secret namespace ${ref.namespace} is not the proxy's namespace ${st.proxy.namespace}`;
  return null;
}
