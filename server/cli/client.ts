/**
 * @module server/cli/client
 * What every operator command shares: the result shape (text and exit code, so tests run commands
 * in-process), the error type whose message is printed as is, and the JSON-over-HTTP call to a
 * server's debug API. It uses node:http (fetch costs ~30 ms of CPU to load), so commands that only
 * talk to a server start in about node's own time.
 */
import http from 'node:http';

export const DEFAULT_SERVER = 'http://127.0.0.1:15014';

export interface CommandResult {
  readonly out: string;
  readonly code: number;
}

export const fail = (message: string, code = 1): CommandResult => ({ out: `error: ${message}\n`, code });

/** An error whose message is the whole story for the user (no stack). */
export class CliError extends Error {}

/** What `call` may send besides a GET. */
export interface CallInit {
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

function request(url: URL, init: CallInit): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: init.method ?? 'GET',
        headers: { ...(init.headers ?? {}), ...(init.body !== undefined ? { 'content-length': Buffer.byteLength(init.body) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** GET (or `init`) `path` on `server`; the parsed JSON (or text). A non-2xx answer becomes a CliError with the server's message. */
export async function call<T>(server: string, path: string, init: CallInit = {}): Promise<T> {
  let url: URL;
  try {
    url = new URL(path, server.endsWith('/') ? server : server + '/');
  } catch {
    throw new CliError(`--server "${server}" is not a URL (e.g. http://127.0.0.1:15014)`);
  }
  if (url.protocol !== 'http:') throw new CliError(`--server "${server}": only http:// is served (the monitoring and HTTP debug ports)`);
  let res: { status: number; text: string };
  try {
    res = await request(url, init);
  } catch (e) {
    throw new CliError(`cannot reach tspilot at ${server}: ${(e as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = res.text;
  }
  if (res.status < 200 || res.status > 299) {
    const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : res.text.trim();
    throw new CliError(`${res.status} from ${url.pathname}: ${msg}`);
  }
  return body as T;
}

/** Runs a command; any error becomes `error: <message>` and exit code 1. */
export async function guard(f: () => Promise<CommandResult>): Promise<CommandResult> {
  try {
    return await f();
  } catch (e) {
    return fail((e as Error).message);
  }
}
