// Contract: the fake API server's TokenReview endpoint, answering
// `POST /apis/authentication.k8s.io/v1/tokenreviews` as kube-apiserver does
// (pkg/registry/authentication/tokenreview): 201 with the request echoed and a `status`;
// an empty spec.token is 400 "token is required for TokenReview in authentication"; spec.audiences
// defaults to the API server's own audience; a valid service-account token gets
// `authenticated: true`, `user.username` `system:serviceaccount:<ns>:<sa>`, its uid, groups
// `system:serviceaccounts`, `system:serviceaccounts:<ns>`, `system:authenticated`, and
// `audiences` = the token's audiences that were asked for; any failure gets `user: {}` and an
// `error` (no `authenticated`, no `audiences`). Tokens are registered by tests; an unregistered
// token is invalid, as a token the API server did not sign would be.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from './status.js';

export const TOKENREVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
/** What an API server uses when a TokenReview names no audiences (its --api-audiences). */
export const APISERVER_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccountToken {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The token's `aud` (default the API server's own). */
  readonly audiences?: readonly string[];
  /** Unix ms after which the API server refuses it. */
  readonly expiresAt?: number;
  /** The service account's uid (default derived from its name). */
  readonly uid?: string;
}

export class TokenReviews {
  private readonly tokens = new Map<string, ServiceAccountToken>();
  /** Reviews answered (tests assert caching through it). */
  count = 0;

  register(token: string, sa: ServiceAccountToken): void {
    this.tokens.set(token, sa);
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** The status kube-apiserver would put in the response for this token and these audiences. */
  review(token: string, requested: readonly string[]): Record<string, unknown> {
    const auds = requested.length ? requested : [APISERVER_AUDIENCE];
    const fail = (why: string): Record<string, unknown> => ({ user: {}, error: `[invalid bearer token, ${why}]` });
    const sa = this.tokens.get(token);
    if (!sa) return fail('square/go-jose: error in cryptographic primitive');
    if (sa.expiresAt !== undefined && sa.expiresAt <= Date.now()) return fail('service account token has expired');
    const own = sa.audiences ?? [APISERVER_AUDIENCE];
    const ok = auds.filter((a) => own.includes(a));
    if (!ok.length) return fail(`token audiences ${JSON.stringify(own)} is invalid for the target audiences ${JSON.stringify(auds)}`);
    return {
      authenticated: true,
      user: {
        username: `system:serviceaccount:${sa.namespace}:${sa.serviceAccount}`,
        uid: sa.uid ?? `uid-${sa.namespace}-${sa.serviceAccount}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
      },
      audiences: ok,
    };
  }

  /** Handles the POST; the body was already read as JSON (or undefined). Returns the HTTP status sent. */
  handle(body: unknown, res: ServerResponse, send: (res: ServerResponse, code: number, body: unknown) => void): number {
    const b = (body ?? {}) as { spec?: { token?: unknown; audiences?: unknown } };
    const token = typeof b.spec?.token === 'string' ? b.spec.token : '';
    if (!token) {
      send(res, 400, badRequest('token is required for TokenReview in authentication'));
      return 400;
    }
    const audiences = Array.isArray(b.spec?.audiences) ? b.spec.audiences.filter((a): a is string => typeof a === 'string') : [];
    this.count++;
    send(res, 201, {
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { token, ...(audiences.length ? { audiences } : {}) },
      status: this.review(token, audiences),
    });
    return 201;
  }
}

export const isTokenReview = (req: IncomingMessage, path: string): boolean => req.method === 'POST' && path === TOKENREVIEW_PATH;
