/**
 * @module watchers/kube/client
 * A minimal JSON GET client for the Kubernetes API built on client-node's KubeConfig (so
 * kubeconfig files, in-cluster service-account tokens, client certificates and CAs all work as
 * kubectl's do): discovery documents and paged lists (`limit`/`continue`). Lists are fetched raw
 * rather than through client-node's typed models, so list items and watch events carry the same
 * untyped JSON that the validators read. Non-2xx answers become KubeApiError with the HTTP code
 * and the API's Status message.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly path: string,
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}
export interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: RawObject[];
}

const TIMEOUT_MS = 30_000;
const PAGE = 500;

export class KubeClient {
  constructor(readonly kc: KubeConfig) {}

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '';
  }

  async getJson<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    const server = this.server;
    if (!server) throw new Error('the kubeconfig has no current cluster');
    const url = new URL(server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(opts);
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise<T>((resolve, reject) => {
      const req = mod.request(url, { ...opts, timeout: TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          if (code >= 200 && code < 300 && body !== undefined) {
            resolve(body as T);
            return;
          }
          const st = (body ?? {}) as { message?: string; reason?: string };
          reject(new KubeApiError(code, path, st.message ?? (text.slice(0, 200) || `HTTP ${code}`), st.reason ?? ''));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in ${TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** A complete list, following `continue` tokens; the resourceVersion is the first page's. */
  async listAll(path: string, query: Record<string, string> = {}): Promise<{ resourceVersion: string; items: RawObject[] }> {
    const items: RawObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page: RawList = await this.getJson<RawList>(path, { ...query, limit: String(PAGE), ...(cont ? { continue: cont } : {}) });
      items.push(...(page.items ?? []));
      if (!resourceVersion) resourceVersion = page.metadata?.resourceVersion ?? '';
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { resourceVersion, items };
  }
}
