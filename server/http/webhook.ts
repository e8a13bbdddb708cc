/**
 * @module server/http/webhook
 * The validating admission webhook (istiod's port 15017): POST /validate takes an AdmissionReview
 * (admission.k8s.io/v1) and answers allowed, or denied with the message tspilot would log for the
 * same object — the store's own validateObject decides, so `kubectl apply` refuses exactly what
 * tspilot would reject. DELETEs and kinds tspilot does not read are allowed. GET /ready mirrors
 * the server's readiness. HTTPS with --webhook-cert/--webhook-key (PEM), which the API server
 * requires; plain HTTP without them (tests, or a TLS-terminating sidecar).
 */
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { validateObject } from '../../watchers/validate/index.js';
import { DEFAULT_HTTP_LIMITS, limitOptions, type HttpLimits } from './router.js';

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: { readonly code: number; readonly reason: string; readonly message: string };
}

interface AdmissionRequest {
  uid?: unknown;
  operation?: unknown;
  namespace?: unknown;
  object?: unknown;
  resource?: { group?: unknown; version?: unknown; resource?: unknown };
}

/** What a review was about and how it ended, for istiod's galley_validation_* metrics. */
export interface ReviewOutcome {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly allowed: boolean;
  readonly reason?: string;
}

/** The review's GroupVersionResource: `request.resource`, else derived from the object's apiVersion and kind. */
function gvr(req: AdmissionRequest): { group: string; version: string; resource: string } {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  if (req.resource && str(req.resource.resource))
    return { group: str(req.resource.group), version: str(req.resource.version), resource: str(req.resource.resource) };
  const o = (req.object && typeof req.object === 'object' ? req.object : {}) as { apiVersion?: unknown; kind?: unknown };
  const [g, v] = str(o.apiVersion).includes('/') ? (str(o.apiVersion).split('/') as [string, string]) : ['', str(o.apiVersion)];
  return { group: g, version: v, resource: str(o.kind) ? str(o.kind).toLowerCase() + 's' : 'unknown' };
}

const MAX_BODY = 4 * 1024 * 1024;

/** Where the API server posts AdmissionReviews (the ValidatingWebhookConfiguration's path). */
export const VALIDATE_PATH = '/validate';

/** Decides one AdmissionReview; throws an Error with a client-facing message for malformed reviews. */
export function review(body: unknown): { apiVersion: string; kind: string; response: AdmissionResponse } {
  const b = body as { apiVersion?: unknown; kind?: unknown; request?: AdmissionRequest } | null;
  if (!b || typeof b !== 'object' || b.kind !== 'AdmissionReview') throw new Error('expected an AdmissionReview object');
  const req = b.request;
  if (!req || typeof req !== 'object') throw new Error('AdmissionReview.request is required');
  const uid = typeof req.uid === 'string' ? req.uid : '';
  if (!uid) throw new Error('AdmissionReview.request.uid is required');
  const apiVersion = typeof b.apiVersion === 'string' ? b.apiVersion : 'admission.k8s.io/v1';
  const out = (response: AdmissionResponse) => ({ apiVersion, kind: 'AdmissionReview', response });
  if (req.operation === 'DELETE' || req.object === undefined || req.object === null) return out({ uid, allowed: true });
  const ns = typeof req.namespace === 'string' && req.namespace ? req.namespace : 'default';
  const v = validateObject(req.object, ns, 'admission webhook');
  if (v.status !== 'rejected') return out({ uid, allowed: true });
  const r = v.rejection;
  const message = `${r.kind} ${r.namespace}/${r.name || '(unnamed)'}: ${r.field ? r.field + ': ' : ''}${r.reason}`;
  return out({ uid, allowed: false, status: { code: 400, reason: 'Invalid', message } });
}

export interface WebhookServer {
  readonly port: number;
  readonly tls: boolean;
  close(): Promise<void>;
}

export interface WebhookOptions {
  readonly bind: string;
  readonly port: number;
  readonly certFile?: string;
  readonly keyFile?: string;
  ready(): boolean;
  onError(e: Error): void;
  /** Timeouts and connection cap (default DEFAULT_HTTP_LIMITS). */
  readonly limits?: HttpLimits;
  /** Each answered review (metrics). */
  onReview?(r: ReviewOutcome): void;
  /** A request that could not be reviewed (malformed), by HTTP status (metrics). */
  onHttpError?(status: number): void;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
  res.end(text);
}

export async function startWebhook(o: WebhookOptions): Promise<WebhookServer> {
  if (!!o.certFile !== !!o.keyFile) throw new Error('--webhook-cert and --webhook-key go together');
  const handler: http.RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/ready' && req.method === 'GET') {
      send(res, o.ready() ? 200 : 503, o.ready() ? 'ready\n' : 'not ready: configuration sources have not synced\n');
      return;
    }
    if (path !== VALIDATE_PATH) {
      send(res, 404, { error: `no such endpoint: ${path}` });
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: 'use POST with an AdmissionReview' });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        send(res, 413, { error: `request body over ${MAX_BODY} bytes` });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        send(res, 400, { error: 'the body is not JSON' });
        return;
      }
      try {
        const r = review(body);
        send(res, 200, r);
        const req = (body as { request: AdmissionRequest }).request;
        o.onReview?.({ ...gvr(req), allowed: r.response.allowed, ...(r.response.allowed ? {} : { reason: 'invalid_resource' }) });
      } catch (e) {
        send(res, 400, { error: (e as Error).message });
        o.onHttpError?.(400);
      }
    });
    req.on('error', (e) => o.onError(e));
  };
  const tls = !!o.certFile;
  const limits = o.limits ?? DEFAULT_HTTP_LIMITS;
  const server = tls
    ? https.createServer({ ...limitOptions(limits), cert: await readFile(o.certFile!), key: await readFile(o.keyFile!) }, handler)
    : http.createServer(limitOptions(limits), handler);
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bind, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    tls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
