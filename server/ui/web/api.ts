/**
 * @module server/ui/web/api
 * How the console reads tspilot: GET of the JSON debug endpoints (same origin), a polling hook
 * for live views (a view polls only while it is shown; a failed poll keeps the last data and
 * shows the error), and the hash route (`#/proxy/<id>`) the views are chosen by.
 */
import { useEffect, useState } from 'preact/hooks';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* plain text */
  }
  if (!res.ok) {
    const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : text.trim();
    throw new ApiError(res.status, `${res.status}: ${msg}`);
  }
  return body as T;
}

export interface Polled<T> {
  readonly data: T | null;
  readonly error: string | null;
  readonly at: number;
}

/** GETs `path` now and every `everyMs` while mounted (null path: nothing). */
export function usePoll<T>(path: string | null, everyMs: number): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: null, error: null, at: 0 });
  useEffect(() => {
    setState({ data: null, error: null, at: 0 });
    if (!path) return undefined;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async (): Promise<void> => {
      try {
        const data = await getJson<T>(path);
        if (live) setState({ data, error: null, at: Date.now() });
      } catch (e) {
        if (live) setState((s) => ({ data: s.data, error: (e as Error).message, at: Date.now() }));
      }
      if (live && everyMs > 0) timer = setTimeout(() => void tick(), everyMs);
    };
    void tick();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [path, everyMs]);
  return state;
}

/** The hash route split into segments (`#/proxy/a%7Eb` → ['proxy', 'a~b']) and its query. */
export interface Route {
  readonly parts: readonly string[];
  readonly query: URLSearchParams;
}

function current(): Route {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', q = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q) };
}

export function useRoute(): Route {
  const [r, setR] = useState<Route>(current);
  useEffect(() => {
    const on = (): void => setR(current());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return r;
}

export const link = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join('/')}`;

/**
 * `/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews` → `VirtualService default/reviews`
 * (istiod's provenance paths; Gateway API objects under `gateway.networking.k8s.io`).
 */
export function configName(path: string): string {
  const m = /^\/apis\/(?:([^/]+)\/)?[^/]+\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) return path;
  const [, group = '', ns, res, name] = m;
  const istio: Record<string, string> = {
    'virtual-service': 'VirtualService',
    'destination-rule': 'DestinationRule',
    service: 'Service',
    'service-entry': 'ServiceEntry',
    sidecar: 'Sidecar',
    gateway: 'Gateway',
    'envoy-filter': 'EnvoyFilter',
  };
  const gatewayApi: Record<string, string> = {
    gateway: 'Gateway',
    'http-route': 'HTTPRoute',
    httproute: 'HTTPRoute',
    'grpc-route': 'GRPCRoute',
    grpcroute: 'GRPCRoute',
    'tcp-route': 'TCPRoute',
    'tls-route': 'TLSRoute',
  };
  const kind = group === 'gateway.networking.k8s.io' ? `${gatewayApi[res!] ?? res} (Gateway API)` : (istio[res!] ?? res);
  return `${kind} ${ns}/${name}`;
}
