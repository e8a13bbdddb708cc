/**
 * @module server/security/kube-review
 * The TokenReview call itself, through @kubernetes/client-node (the same kubeconfig or in-cluster
 * credentials the informers use): POST authentication.k8s.io/v1 tokenreviews, returning its status.
 * Needs RBAC `create` on `tokenreviews` (istiod's ClusterRole has it).
 */
import type { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import type { ReviewFn } from './tokenreview.js';

export function kubeTokenReview(kc: KubeConfig, timeoutMs = 10_000): ReviewFn {
  // client-node loads on first use (Kubernetes mode only).
  let api: Promise<AuthenticationV1Api> | undefined;
  return async (token, audiences) => {
    api ??= import('@kubernetes/client-node').then((k) => kc.makeApiClient(k.AuthenticationV1Api));
    const client = await api;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the API server in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const r = await Promise.race([
        client.createTokenReview({
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [...audiences] } },
        }),
        timeout,
      ]);
      return r.status ?? {};
    } finally {
      clearTimeout(timer);
    }
  };
}
