/**
 * @module server/security/claims
 * Reading Kubernetes service-account tokens: the unverified JWT payload (only to learn `exp`, for
 * caching and for refusing an already-expired token early — never to grant anything), the
 * `system:serviceaccount:<ns>:<sa>` user name TokenReview returns, and the claims a projected token
 * carries (`kubernetes.io.namespace`, `kubernetes.io.serviceaccount.name`, or that user name as `sub`).
 */

/** Longest bearer token accepted (projected tokens are ~1 KB; bounds what one call makes us hash, send and keep). */
export const MAX_TOKEN_BYTES = 16 * 1024;

/** The token of an `authorization: Bearer <token>` value; null when the value is absent or another scheme. */
export function bearerToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m ? m[1]! : null;
}

/**
 * The payload of a compact JWS, decoded WITHOUT verifying anything; null when the token is not
 * three base64url parts with a JSON object in the middle.
 */
export function unverifiedPayload(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** `exp` of a payload in Unix ms, or undefined when absent or not a number. */
export function expiryMs(payload: Record<string, unknown> | null): number | undefined {
  const exp = payload?.['exp'];
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** `system:serviceaccount:<ns>:<sa>` → its parts; null for any other user name. */
export function serviceAccountOfUser(username: string): ServiceAccountRef | null {
  const p = username.split(':');
  if (p.length !== 4 || p[0] !== 'system' || p[1] !== 'serviceaccount' || !p[2] || !p[3]) return null;
  return { namespace: p[2], serviceAccount: p[3] };
}

/** The service account a (verified) token's claims name: the `kubernetes.io` claim, else a `system:serviceaccount:` subject. */
export function serviceAccountOfClaims(claims: Record<string, unknown>): ServiceAccountRef | null {
  const k = claims['kubernetes.io'];
  if (k && typeof k === 'object') {
    const ns = (k as Record<string, unknown>)['namespace'];
    const sa = (k as Record<string, unknown>)['serviceaccount'];
    const name = sa && typeof sa === 'object' ? (sa as Record<string, unknown>)['name'] : undefined;
    if (typeof ns === 'string' && ns && typeof name === 'string' && name) return { namespace: ns, serviceAccount: name };
  }
  return typeof claims['sub'] === 'string' ? serviceAccountOfUser(claims['sub']) : null;
}
