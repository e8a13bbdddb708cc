/**
 * @module server/cli/client
 * What every operator command shares: the result shape (text and exit code, so tests run commands
 * in-process), the error type whose message is printed as is, and the JSON-over-HTTP call to a
 * server's debug API. It imports nothing but fetch, so commands that only talk to a server start
 * fast.
 */

export const DEFAULT_SERVER = 'http://127.0.0.1:15014';

export interface CommandResult { readonly out: string; readonly code: number }

export const fail = (message: string, code = 1): CommandResult => ({ out: `error: ${message}\n`, code });

/** An error whose message is the whole story for the user (no stack). */
export class CliError extends Error {}

/** GET (or `init`) `path` on `server`; the parsed JSON (or text). A non-2xx answer becomes a CliError with the server's message. */
export async function call<T>(server: string, path: string, init?: RequestInit): Promise<T> {
  let url: URL;
  try { url = new URL(path, server.endsWith('/') ? server : server + '/'); } catch { throw new CliError(`--server "${server}" is not a URL (e.g. http://127.0.0.1:15014)`); }
  let res: Response;
  try { res = await fetch(url, init); } catch (e) { throw new CliError(`cannot reach tspilot at ${server}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`); }
  const text = await res.text();
  let body: unknown;
  try { body = JSON.parse(text); } catch { body = text; }
  if (!res.ok) {
    const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : text.trim();
    throw new CliError(`${res.status} from ${url.pathname}: ${msg}`);
  }
  return body as T;
}

/** Runs a command; any error becomes `error: <message>` and exit code 1. */
export async function guard(f: () => Promise<CommandResult>): Promise<CommandResult> {
  try { return await f(); } catch (e) {
    return fail((e as Error).message);
  }
}
