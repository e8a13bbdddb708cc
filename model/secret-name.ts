/**
 * @module model/secret-name
 * The SDS resource names that name Kubernetes Secrets, as istiod reads them: `kubernetes://<name>`
 * (the proxy's namespace), `kubernetes://<ns>/<name>`, `kubernetes-gateway://<ns>/<name>`; a
 * `-cacert` suffix asks for the CA part only. Shared by the secret translator and the server's
 * per-stream check of which secrets a caller may read. Pure.
 */

export const KUBERNETES_SECRET = 'kubernetes://';
export const KUBERNETES_GATEWAY_SECRET = 'kubernetes-gateway://';
export const CA_SUFFIX = '-cacert';

export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
  /** The CA part only (`<name>-cacert`). */
  readonly caOnly: boolean;
}

/** Parses an SDS resource name as istiod does; `defaultNamespace` fills `kubernetes://<name>`. */
export function parseSecretName(resource: string, defaultNamespace: string): SecretRef | { readonly error: string } {
  let ns: string, name: string;
  if (resource.startsWith(KUBERNETES_SECRET)) {
    const parts = resource.slice(KUBERNETES_SECRET.length).split('/');
    [ns, name] = parts.length > 1 ? [parts[0]!, parts[1]!] : [defaultNamespace, parts[0]!];
  } else if (resource.startsWith(KUBERNETES_GATEWAY_SECRET)) {
    const parts = resource.slice(KUBERNETES_GATEWAY_SECRET.length).split('/');
    if (parts.length < 2) return { error: `"${resource}": expected ${KUBERNETES_GATEWAY_SECRET}<namespace>/<name>` };
    [ns, name] = [parts[0]!, parts[1]!];
  } else {
    return { error: `"${resource}": not a kubernetes:// or kubernetes-gateway:// secret name` };
  }
  if (!ns) return { error: `"${resource}": empty namespace` };
  if (!name) return { error: `"${resource}": empty secret name` };
  return { namespace: ns, name, caOnly: name.endsWith(CA_SUFFIX) };
}
