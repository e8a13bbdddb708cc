/**
 * @module server/security/jwks
 * Fetches the JSON Web Key Sets that RequestAuthentication `jwksUri`s name, so the translators can
 * inline them into jwt_authn as istiod does (its default JWKS fetch mode): keys travel to proxies
 * inside LDS, and proxies never call the issuer themselves.
 *
 * - Never blocks a push: `snapshot()` returns what is known now; a fetch that completes (first
 *   keys, rotated keys) calls `onChange`, and the server pushes again.
 * - Last good wins: a failed refresh (timeout, HTTP error, not a JWKS, too large) keeps the keys
 *   already fetched, is logged and counted, and is retried with backoff (1 s doubling up to the
 *   refresh interval). A URI never fetched successfully is reported as an error in the snapshot
 *   (the translator then inlines a key set that signs nothing: tokens of that issuer are refused).
 * - Bounded: only http(s) URIs; at most `maxUris` distinct URIs are fetched (more are refused and
 *   reported); a response over `maxBytes` is abandoned while streaming; each fetch has a timeout;
 *   URIs no RequestAuthentication names any more are forgotten.
 * A rule with neither `jwks` nor `jwksUri` gets its keys through the issuer's OpenID discovery
 * document (`<issuer>/.well-known/openid-configuration` → `jwks_uri`), as istiod.
 * Refreshed every 20 minutes (istiod's PILOT_JWT_PUB_KEY_REFRESH_INTERVAL default).
 */
import type { MeshConfig } from '../../model/config.js';
import { OPENID_SUFFIX, keySourceUri, type JwksByUri } from '../../model/security.js';
import { jwksProblem, jwksUriProblem } from '../../watchers/validate/requestauthentication.js';

export interface JwksFetcherOptions {
  /** Called (not re-entrantly) when a snapshot would differ from the last one returned. */
  readonly onChange: () => void;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly maxUris?: number;
  readonly refreshMs?: number;
  /** First retry delay after a failure (doubles up to refreshMs). */
  readonly retryMs?: number;
  /** A fetch attempt's outcome, for metrics and logs. */
  readonly onFetch?: (uri: string, outcome: { ok: true; changed: boolean } | { ok: false; error: string; keptLastGood: boolean }) => void;
  readonly fetch?: typeof fetch;
}

export const JWKS_DEFAULTS = { timeoutMs: 5000, maxBytes: 512 * 1024, maxUris: 256, refreshMs: 20 * 60_000, retryMs: 1000 } as const;

interface Entry {
  jwks?: string;
  error?: string;
  lastError?: string;
  fetchedAt?: number;
  timer?: ReturnType<typeof setTimeout>;
  retry: number;
  inflight: boolean;
}

/** Every URI a RequestAuthentication needs fetched (jwksUri, or the issuer's discovery document; inline `jwks` needs none), sorted. */
export function jwksUris(mesh: MeshConfig): string[] {
  const out = new Set<string>();
  for (const ra of mesh.requestAuthentications)
    for (const r of ra.spec.jwtRules) {
      const u = keySourceUri(r);
      if (u) out.add(u);
    }
  return [...out].sort();
}

export interface JwksStatus {
  readonly uri: string;
  readonly ok: boolean;
  readonly fetchedAt?: string;
  readonly lastError?: string;
}

export class JwksFetcher {
  private readonly entries = new Map<string, Entry>();
  private readonly refused = new Map<string, string>();
  private snap: JwksByUri | undefined;
  private closed = false;
  private readonly o: Required<Omit<JwksFetcherOptions, 'onFetch' | 'fetch'>> &
    Pick<JwksFetcherOptions, 'onFetch'> & { fetch: typeof fetch };

  constructor(opts: JwksFetcherOptions) {
    this.o = { ...JWKS_DEFAULTS, ...opts, fetch: opts.fetch ?? globalThis.fetch };
  }

  /** The URIs the mesh needs now: starts fetching new ones, forgets the rest. Returns at once. */
  want(uris: readonly string[]): void {
    if (this.closed) return;
    const next = new Set(uris);
    let changed = false;
    for (const [u, e] of this.entries)
      if (!next.has(u)) {
        clearTimeout(e.timer);
        this.entries.delete(u);
        changed = true;
      }
    for (const u of [...this.refused.keys()])
      if (!next.has(u)) {
        this.refused.delete(u);
        changed = true;
      }
    for (const u of [...next].sort()) {
      if (this.entries.has(u) || this.refused.has(u)) continue;
      const bad = jwksUriProblem(u);
      const why = bad ?? (this.entries.size >= this.o.maxUris ? `more than ${this.o.maxUris} distinct jwksUris: not fetched` : undefined);
      if (why) {
        this.refused.set(u, why);
        changed = true;
        continue;
      }
      const e: Entry = { retry: this.o.retryMs, inflight: false };
      this.entries.set(u, e);
      this.schedule(u, e, 0); // off this call stack: the first fetch() call alone can take a while
    }
    if (changed) this.snap = undefined;
  }

  /** What is known now (uri → keys, or the error when no good copy exists). Immutable; cheap when unchanged. */
  snapshot(): JwksByUri {
    if (this.snap) return this.snap;
    const m = new Map<string, { jwks: string } | { error: string }>();
    for (const u of [...this.entries.keys(), ...this.refused.keys()].sort()) {
      const e = this.entries.get(u);
      if (e?.jwks !== undefined) m.set(u, { jwks: e.jwks });
      else m.set(u, { error: e ? (e.error ?? 'not fetched yet') : this.refused.get(u)! });
    }
    this.snap = m;
    return m;
  }

  /** Per-URI state for debug views: last success, last error. */
  status(): JwksStatus[] {
    const out: JwksStatus[] = [];
    for (const [uri, e] of this.entries)
      out.push({
        uri,
        ok: e.jwks !== undefined,
        ...(e.fetchedAt ? { fetchedAt: new Date(e.fetchedAt).toISOString() } : {}),
        ...(e.lastError ? { lastError: e.lastError } : {}),
      });
    for (const [uri, why] of this.refused) out.push({ uri, ok: false, lastError: why });
    return out.sort((a, b) => a.uri.localeCompare(b.uri));
  }

  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.entries.clear();
  }

  private schedule(uri: string, e: Entry, ms: number): void {
    clearTimeout(e.timer);
    e.timer = setTimeout(() => void this.fetchOne(uri), ms);
    e.timer.unref?.();
  }

  private async fetchOne(uri: string): Promise<void> {
    const e = this.entries.get(uri);
    if (!e || e.inflight || this.closed) return;
    e.inflight = true;
    let result: { jwks: string } | { error: string };
    try {
      result = { jwks: await this.download(uri) };
    } catch (err) {
      result = { error: err instanceof Error ? err.message : String(err) };
    }
    e.inflight = false;
    if (this.closed || this.entries.get(uri) !== e) return; // forgotten meanwhile
    if ('jwks' in result) {
      const changed = e.jwks !== result.jwks;
      e.jwks = result.jwks;
      e.fetchedAt = Date.now();
      delete e.error;
      delete e.lastError;
      e.retry = this.o.retryMs;
      this.schedule(uri, e, this.o.refreshMs);
      this.o.onFetch?.(uri, { ok: true, changed });
      if (changed) this.changed();
    } else {
      const first = e.jwks === undefined && e.error === undefined;
      e.lastError = result.error;
      if (e.jwks === undefined) e.error = result.error;
      this.schedule(uri, e, e.retry);
      e.retry = Math.min(e.retry * 2, this.o.refreshMs);
      this.o.onFetch?.(uri, { ok: false, error: result.error, keptLastGood: e.jwks !== undefined });
      if (first) this.changed(); // "not fetched yet" became the reason
    }
  }

  private changed(): void {
    this.snap = undefined;
    this.o.onChange();
  }

  /** The keys behind `uri`: a JWKS, or for an OpenID discovery document the JWKS at its `jwks_uri`. */
  private async download(uri: string): Promise<string> {
    if (!uri.endsWith(OPENID_SUFFIX)) return this.get(uri, true);
    const doc = JSON.parse(await this.get(uri, false)) as unknown;
    const next = doc && typeof doc === 'object' ? (doc as Record<string, unknown>)['jwks_uri'] : undefined;
    if (typeof next !== 'string') throw new Error(`${uri} has no jwks_uri`);
    const bad = jwksUriProblem(next);
    if (bad) throw new Error(`${uri}: jwks_uri ${bad}`);
    return this.get(next, true);
  }

  /** GET `uri` within the timeout and size limit; JSON, and a JWKS when `jwks`. */
  private async get(uri: string, jwks: boolean): Promise<string> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`timed out after ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
    try {
      const res = await this.o.fetch(uri, { signal: ac.signal, headers: { accept: 'application/json' } });
      if (!res.ok) {
        void res.body?.cancel();
        throw new Error(`HTTP ${res.status} from ${uri}`);
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > this.o.maxBytes) {
        void res.body?.cancel();
        throw new Error(`${uri} answered ${declared} bytes, over the ${this.o.maxBytes}-byte limit`);
      }
      const text = await readLimited(res, this.o.maxBytes, uri);
      const bad = jwks
        ? jwksProblem(text)
        : (() => {
            try {
              JSON.parse(text);
              return null;
            } catch (e) {
              return `not JSON: ${(e as Error).message}`;
            }
          })();
      if (bad) throw new Error(`${uri} did not answer ${jwks ? 'a JWKS' : 'an OpenID discovery document'}: ${bad}`);
      return JSON.stringify(JSON.parse(text)); // canonical spacing: equal keys, equal bytes
    } catch (err) {
      if (ac.signal.aborted) throw new Error(`fetching ${uri} timed out after ${this.o.timeoutMs} ms`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

async function readLimited(res: Response, max: number, uri: string): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      void reader.cancel();
      throw new Error(`${uri} answered more than ${max} bytes: abandoned`);
    }
    parts.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(parts));
}

/** The mesh with the fetched keys joined to it (what the translators read as `mesh.jwks`). */
export function withJwks(mesh: MeshConfig, jwks: JwksByUri): MeshConfig {
  return jwks.size || mesh.jwks ? { ...mesh, jwks } : mesh;
}
