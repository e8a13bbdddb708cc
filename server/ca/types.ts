/**
 * @module server/ca/types
 * The mesh CA as the rest of the server sees it: the roots proxies trust, the key and chain
 * tspilot serves TLS with (15012, DNS SANs), change notification for rotation, and signing of
 * workload CSRs for authenticated identities. Implemented in server/ca/.
 */

export interface ServingMaterial {
  readonly keyPem: string;
  /** Leaf first, then intermediates (PEM, concatenated). */
  readonly certChainPem: string;
}

export interface MeshCA {
  /** PEM certificates of the mesh root(s) clients and workloads trust. */
  roots(): readonly string[];
  /** What the TLS xDS/CA port presents; changes when the CA material rotates. */
  serving(): ServingMaterial;
  /** Called after roots or serving material changed (files or Secrets re-read). Returns an unsubscribe. */
  onChange(cb: () => void): () => void;
  /**
   * Signs a PEM CSR for `identities` (SPIFFE URIs, the caller's authenticated identity — the CSR's
   * own SANs are ignored), valid for `ttlSeconds` (already clamped by the caller's policy).
   * Returns the chain leaf → intermediates → root, PEM each. Throws CsrError for a bad CSR.
   */
  sign(csrPem: string, identities: readonly string[], ttlSeconds: number): Promise<readonly string[]>;
}

/** A CSR tspilot refuses to sign (bad signature, weak or unsupported key, garbage); INVALID_ARGUMENT. */
export class CsrError extends Error {}
