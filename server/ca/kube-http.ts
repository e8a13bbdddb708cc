/**
 * @module server/ca/kube-http
 * One JSON request to the Kubernetes API with client-node's KubeConfig credentials (as
 * watchers/kube/client.ts does for reads): used for the CA's writes where the typed client gets in
 * the way (Lease times must be sent as RFC 3339 with microseconds, which client-node's Date
 * serialisation does not produce). Answers {code, body}; only network errors throw.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

const TIMEOUT_MS = 15_000;

export interface KubeAnswer {
  readonly code: number;
  readonly body: Record<string, unknown>;
}

export async function kubeRequest(kc: KubeConfig, method: string, path: string, body?: unknown): Promise<KubeAnswer> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(server.replace(/\/$/, '') + path);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const opts: https.RequestOptions = {
    method,
    headers: {
      Accept: 'application/json',
      ...(text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : {}),
    },
  };
  await kc.applyToHTTPSOptions(opts);
  const mod = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { ...opts, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          /* not JSON: code only */
        }
        resolve({ code: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(text);
  });
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
