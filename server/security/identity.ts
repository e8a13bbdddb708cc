/**
 * @module server/security/identity
 * Who is calling tspilot, as an authenticator established it — the contract shared by the TLS xDS
 * server, the CA service (CreateCertificate) and anything that serves per-identity data (gateway
 * secrets over SDS). Transport-agnostic: grpc-js specifics stay in the servers that extract
 * `CallCredentials` from a call.
 */

/** An authenticated caller. */
export interface CallerIdentity {
  /** SPIFFE IDs, e.g. `spiffe://cluster.local/ns/default/sa/bookinfo-productpage`. */
  readonly spiffe: readonly string[];
  /** How it was established: a verified client certificate, a Kubernetes token (TokenReview), or a JWT verified locally (folder mode). */
  readonly method: 'client-cert' | 'k8s-token' | 'jwt';
  /** Unix ms after which the identity must be established again (token or certificate expiry). */
  readonly expiresAt?: number;
}

/** The credentials a call carried, as the transport saw them. */
export interface CallCredentials {
  /** The `authorization` metadata value (`Bearer <jwt>`), if any. */
  readonly authorization?: string;
  /** The client certificate's leaf, DER, when TLS verified one against the mesh roots. */
  readonly peerCertificate?: Uint8Array;
  /** pilot-agent's `ClusterID` metadata. */
  readonly clusterId?: string;
}

export type AuthResult =
  | { readonly ok: true; readonly identity: CallerIdentity }
  /** UNAUTHENTICATED: no usable credentials; PERMISSION_DENIED: credentials valid but refused. */
  | { readonly ok: false; readonly code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED'; readonly message: string };

export interface Authenticator {
  authenticate(c: CallCredentials): Promise<AuthResult>;
}

export interface SpiffeId {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** `spiffe://<td>/ns/<ns>/sa/<sa>` → its parts; null for anything else. */
export function parseSpiffe(uri: string): SpiffeId | null {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(uri);
  return m ? { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! } : null;
}

export function spiffeOf(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
