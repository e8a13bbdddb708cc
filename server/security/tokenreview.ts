/**
 * @module server/security/tokenreview
 * Kubernetes service-account tokens authenticated as istiod does: a TokenReview
 * (authentication.k8s.io/v1) with audiences (default `istio-ca`); accepted only when the API server
 * says authenticated, for one of our audiences, a user in group `system:serviceaccounts` named
 * `system:serviceaccount:<ns>:<sa>` → `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`.
 *
 * Bounded against callers: results are cached by the token's SHA-256 in an LRU of `cacheSize`
 * entries — successes until the token's `exp` (read from the unverified payload, used for nothing
 * else), failures for `failureTtlMs` only; identical concurrent lookups share one review; at most
 * `maxInFlight` reviews run at once (more are refused, not queued); tokens that are not JWTs, are
 * over 16 KB or whose `exp` has passed are refused without asking the API server.
 */
import { createHash } from 'node:crypto';
import type { AuthResult, Authenticator, CallCredentials } from './identity.js';
import { spiffeOf } from './identity.js';
import { BoundedCache } from './lru.js';
import { MAX_TOKEN_BYTES, bearerToken, expiryMs, serviceAccountOfUser, unverifiedPayload } from './claims.js';

/** What the API server answered (the `status` of a TokenReview), or a transport error. */
export interface TokenReviewStatus {
  readonly authenticated?: boolean;
  readonly user?: { readonly username?: string; readonly groups?: readonly string[] };
  readonly audiences?: readonly string[];
  readonly error?: string;
}

/** POSTs a TokenReview and returns its status; throws when the API server cannot be asked. */
export type ReviewFn = (token: string, audiences: readonly string[]) => Promise<TokenReviewStatus>;

export interface TokenReviewOptions {
  readonly review: ReviewFn;
  readonly trustDomain: () => string;
  readonly audiences?: readonly string[];
  /** Cached results (successes and failures together). Default 10,000. */
  readonly cacheSize?: number;
  /** How long a refusal is remembered (default 5 s): long enough to absorb a retry storm, short enough to notice a fix. */
  readonly failureTtlMs?: number;
  /** A token without `exp` is cached this long (default 60 s). */
  readonly noExpiryTtlMs?: number;
  /** Concurrent reviews (default 100). */
  readonly maxInFlight?: number;
  readonly now?: () => number;
}

export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
export const DEFAULT_AUDIENCES: readonly string[] = ['istio-ca'];

type Refusal = Extract<AuthResult, { ok: false }>;
const unauthenticated = (message: string): Refusal => ({ ok: false, code: 'UNAUTHENTICATED', message });

export class TokenReviewAuthenticator implements Authenticator {
  private readonly cache: BoundedCache<AuthResult>;
  private readonly inFlight = new Map<string, Promise<AuthResult>>();
  private readonly audiences: readonly string[];
  private readonly now: () => number;
  /** Reviews actually sent to the API server (tests and metrics). */
  reviews = 0;

  constructor(private readonly o: TokenReviewOptions) {
    this.cache = new BoundedCache(o.cacheSize ?? 10_000, o.now);
    this.audiences = o.audiences?.length ? o.audiences : DEFAULT_AUDIENCES;
    this.now = o.now ?? Date.now;
  }

  get cacheEntries(): number {
    return this.cache.size;
  }

  get pending(): number {
    return this.inFlight.size;
  }

  async authenticate(c: CallCredentials): Promise<AuthResult> {
    const token = bearerToken(c.authorization);
    if (token === null) return unauthenticated('no bearer token in the authorization metadata');
    if (token.length > MAX_TOKEN_BYTES)
      return unauthenticated(`bearer token is ${token.length} bytes, over the ${MAX_TOKEN_BYTES} accepted`);
    const payload = unverifiedPayload(token);
    if (!payload) return unauthenticated('bearer token is not a JWT (three base64url parts)');
    const exp = expiryMs(payload);
    if (exp !== undefined && exp <= this.now()) return unauthenticated(`bearer token expired at ${new Date(exp).toISOString()}`);
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = this.cache.get(key);
    if (hit) return hit;
    const running = this.inFlight.get(key);
    if (running) return running;
    if (this.inFlight.size >= (this.o.maxInFlight ?? 100)) {
      return unauthenticated(`too many token reviews in flight (${this.inFlight.size}); retry`);
    }
    const p = this.review(token, exp)
      .then((r) => {
        const now = this.now();
        this.cache.set(key, r, r.ok ? (exp ?? now + (this.o.noExpiryTtlMs ?? 60_000)) : now + (this.o.failureTtlMs ?? 5000));
        return r;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async review(token: string, exp: number | undefined): Promise<AuthResult> {
    this.reviews++;
    let st: TokenReviewStatus;
    try {
      st = await this.o.review(token, this.audiences);
    } catch (e) {
      return unauthenticated(`TokenReview failed: ${(e as Error).message}`);
    }
    if (!st.authenticated) return unauthenticated(`token rejected by the Kubernetes API server${st.error ? `: ${st.error}` : ''}`);
    const aud = st.audiences ?? [];
    if (!aud.some((a) => this.audiences.includes(a))) {
      return unauthenticated(`token is not for audience ${this.audiences.join(', ')} (TokenReview audiences: ${aud.join(', ') || 'none'})`);
    }
    const username = st.user?.username ?? '';
    if (!(st.user?.groups ?? []).includes(SERVICE_ACCOUNTS_GROUP)) {
      return unauthenticated(`token user "${username}" is not in group ${SERVICE_ACCOUNTS_GROUP}`);
    }
    const sa = serviceAccountOfUser(username);
    if (!sa) return unauthenticated(`token user "${username}" is not system:serviceaccount:<namespace>:<name>`);
    return {
      ok: true,
      identity: {
        spiffe: [spiffeOf(this.o.trustDomain(), sa.namespace, sa.serviceAccount)],
        method: 'k8s-token',
        ...(exp !== undefined ? { expiresAt: exp } : {}),
      },
    };
  }
}
