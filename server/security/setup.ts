/**
 * @module server/security/setup
 * Which authenticators the TLS xDS port uses, from the serve options: the client certificate
 * always; then local JWT verification when `--jwt-keys` is given; then TokenReview in Kubernetes
 * mode. With neither, only client certificates authenticate.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ChainAuthenticator } from './authn.js';
import type { Authenticator } from './identity.js';
import { JwtKeysAuthenticator } from './jwt-keys.js';
import { kubeTokenReview } from './kube-review.js';
import { TokenReviewAuthenticator } from './tokenreview.js';

export interface SecureXdsAuthOptions {
  readonly trustDomain: () => string;
  readonly kubeConfig?: KubeConfig | undefined;
  readonly jwtKeys?: string | undefined;
  readonly issuer?: string | undefined;
  readonly audiences?: readonly string[] | undefined;
  readonly tokenReviewCacheSize?: number | undefined;
}

export function secureXdsAuthenticator(o: SecureXdsAuthOptions): ChainAuthenticator {
  const tokens: Authenticator[] = [];
  const audiences = o.audiences?.length ? o.audiences : undefined;
  if (o.jwtKeys)
    tokens.push(
      new JwtKeysAuthenticator({
        file: o.jwtKeys,
        trustDomain: o.trustDomain,
        ...(o.issuer ? { issuer: o.issuer } : {}),
        ...(audiences ? { audiences } : {}),
      }),
    );
  if (o.kubeConfig) {
    tokens.push(
      new TokenReviewAuthenticator({
        review: kubeTokenReview(o.kubeConfig),
        trustDomain: o.trustDomain,
        ...(audiences ? { audiences } : {}),
        ...(o.tokenReviewCacheSize ? { cacheSize: o.tokenReviewCacheSize } : {}),
      }),
    );
  }
  return new ChainAuthenticator(tokens);
}
