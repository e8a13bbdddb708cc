/**
 * @module server/replica/peers
 * Where the other replicas are: a static list of their monitoring URLs (`--peers`, for tests and
 * VMs), or in Kubernetes mode the ready endpoints of tspilot's own Service (`--peers-service
 * istio-system/istiod`), read from its EndpointSlices at most every few seconds. The list may
 * include this replica: the fan-out recognises itself by the replica header and skips it.
 */
import type { DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';

export interface Peers {
  /** How the peers are found, for /debug/replicaz. */
  readonly source: string;
  /** Monitoring base URLs (`http://10.1.2.3:15014`), sorted. */
  urls(): Promise<readonly string[]>;
}

export function staticPeers(urls: readonly string[]): Peers {
  return { source: `static: ${urls.join(', ')}`, urls: () => Promise.resolve(urls) };
}

/** The minimal read of EndpointSlices the peer list needs (the client-node API, or a test double). */
export type SliceLister = (
  namespace: string,
  labelSelector: string,
) => Promise<
  readonly {
    readonly ports?: readonly { readonly name?: string; readonly port?: number }[] | null;
    readonly endpoints?:
      readonly { readonly addresses?: readonly string[]; readonly conditions?: { readonly ready?: boolean | null } | null }[] | null;
  }[]
>;

export function kubeSliceLister(kc: KubeConfig): SliceLister {
  // client-node loads on first use (Kubernetes mode only).
  let api: Promise<DiscoveryV1Api> | undefined;
  return async (namespace, labelSelector) => {
    api ??= import('@kubernetes/client-node').then((k) => kc.makeApiClient(k.DiscoveryV1Api));
    return (await (await api).listNamespacedEndpointSlice({ namespace, labelSelector })).items;
  };
}

/**
 * The ready addresses of the Service's EndpointSlices, each with the slice's `http-monitoring`
 * port (istiod's Service names 15014 so), else `defaultPort`. Cached for `cacheMs`; a failed
 * read keeps the last good list and is reported by `lastError`.
 */
export function servicePeers(
  list: SliceLister,
  svc: { namespace: string; name: string },
  defaultPort: number,
  cacheMs = 5000,
  now: () => number = Date.now,
): Peers & { lastError(): string | null } {
  let cached: { at: number; urls: string[] } | null = null;
  let error: string | null = null;
  return {
    source: `service: ${svc.namespace}/${svc.name}`,
    lastError: () => error,
    urls: async () => {
      if (cached && now() - cached.at < cacheMs) return cached.urls;
      try {
        const slices = await list(svc.namespace, `kubernetes.io/service-name=${svc.name}`);
        const urls = new Set<string>();
        for (const s of slices) {
          const port = s.ports?.find((p) => p.name === 'http-monitoring')?.port ?? defaultPort;
          for (const e of s.endpoints ?? []) {
            if (e.conditions?.ready === false) continue;
            for (const a of e.addresses ?? []) urls.add(`http://${a.includes(':') ? `[${a}]` : a}:${port}`);
          }
        }
        cached = { at: now(), urls: [...urls].sort() };
        error = null;
      } catch (e) {
        error = `cannot list the endpoints of ${svc.namespace}/${svc.name}: ${(e as Error).message}`;
        if (!cached) return [];
      }
      return cached.urls;
    },
  };
}
