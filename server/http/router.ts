/**
 * @module server/http/router
 * A tiny method+path router over node:http for the debug, readiness and REST endpoints. Every
 * handler error becomes a JSON 4xx/5xx with a message — never a stack trace in a response.
 * Request bodies are capped (413 beyond the limit).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Reply {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Record<string, string>;
}

export type Handler = (req: { url: URL; method: string; body: string; headers: http.IncomingHttpHeaders }) => Reply | Promise<Reply>;

export class Router {
  private readonly routes: { method: string; path: string | RegExp; handler: Handler }[] = [];
  /** Headers added to every answer of this router, errors included (a handler's own headers win). */
  readonly headers: Record<string, string> = {};

  /** Adds `name: value` to every answer (e.g. which replica answered). */
  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  on(method: string, path: string | RegExp, handler: Handler): this {
    this.routes.push({ method, path, handler });
    return this;
  }

  /** The fixed paths served, as `METHOD path` for anything but GET, in registration order. */
  paths(): string[] {
    return this.routes
      .filter((r) => typeof r.path === 'string')
      .map((r) => (r.method === 'GET' ? (r.path as string) : `${r.method} ${r.path as string}`));
  }

  find(method: string, pathname: string): { handler: Handler } | { status: number } {
    const matching = this.routes.filter((r) => (typeof r.path === 'string' ? r.path === pathname : r.path.test(pathname)));
    if (!matching.length) return { status: 404 };
    const m = matching.find((r) => r.method === method);
    return m ? { handler: m.handler } : { status: 405 };
  }
}

const MAX_BODY = 1024 * 1024;

function send(res: http.ServerResponse, r: Reply, common: Record<string, string> = {}): void {
  const status = r.status ?? 200;
  const body = r.text !== undefined ? r.text : JSON.stringify(r.json ?? null, null, 2) + '\n';
  res.writeHead(status, {
    'content-type': r.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json',
    ...common,
    ...(r.headers ?? {}),
  });
  res.end(body);
}

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Slow or idle clients may not hold a port: header and whole-request timeouts, and a connection cap. */
export interface HttpLimits {
  /** Time to receive a complete request header (Node answers 408 and closes). */
  readonly headersTimeoutMs: number;
  /** Time to receive a complete request, body included (408 and close). */
  readonly requestTimeoutMs: number;
  /** Open connections per port; past it new connections are closed at once. */
  readonly maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 2048 };

/**
 * Options for http(s).createServer applying `limits`. Node checks the timeouts every
 * connectionsCheckingInterval (default 30 s, which is why half-sent requests used to linger):
 * check often. Idle kept-alive connections are governed by keepAliveTimeout instead.
 */
export function limitOptions(limits: HttpLimits): http.ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

export async function startHttp(
  router: Router,
  host: string,
  port: number,
  onError: (e: Error) => void,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<HttpServer> {
  const server = http.createServer(limitOptions(limits), (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      send(res, { status: 400, json: { error: 'malformed request URL' } }, router.headers);
      return;
    }
    const found = router.find(req.method ?? 'GET', url.pathname);
    if ('status' in found) {
      send(
        res,
        {
          status: found.status,
          json: {
            error: found.status === 404 ? `no such endpoint: ${url.pathname}` : `method ${req.method} not allowed on ${url.pathname}`,
          },
        },
        router.headers,
      );
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        tooBig = true;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) {
        send(res, { status: 413, json: { error: `request body over ${MAX_BODY} bytes` } }, router.headers);
        return;
      }
      Promise.resolve()
        .then(() => found.handler({ url, method: req.method ?? 'GET', body: Buffer.concat(chunks).toString('utf8'), headers: req.headers }))
        .then(
          (r) => send(res, r, router.headers),
          (e: unknown) => {
            if (e instanceof HttpError) send(res, { status: e.status, json: { error: e.message } }, router.headers);
            else {
              onError(e as Error);
              send(res, { status: 500, json: { error: 'internal error; see the server log' } }, router.headers);
            }
          },
        );
    });
  });
  // Polling clients (nginmesh's agent polls every 5 s on one kept-alive connection) must not find
  // it closed at each cycle: Node's default keep-alive timeout is exactly 5 s.
  server.keepAliveTimeout = 65_000;
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** GET `pathAndQuery` through `router` in-process (no socket): status and body, as an HTTP client would see them. */
export async function localGet(router: Router, pathAndQuery: string): Promise<{ status: number; body: string }> {
  const url = new URL(pathAndQuery, 'http://localhost');
  const found = router.find('GET', url.pathname);
  if ('status' in found)
    return {
      status: found.status,
      body: JSON.stringify({
        error: found.status === 404 ? `no such endpoint: ${url.pathname}` : `method GET not allowed on ${url.pathname}`,
      }),
    };
  try {
    const r = await found.handler({ url, method: 'GET', body: '', headers: {} });
    return { status: r.status ?? 200, body: r.text !== undefined ? r.text : JSON.stringify(r.json ?? null, null, 2) + '\n' };
  } catch (e) {
    if (e instanceof HttpError) return { status: e.status, body: JSON.stringify({ error: e.message }) };
    throw e;
  }
}
