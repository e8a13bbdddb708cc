/**
 * @module server/replica/fanout
 * Asks every replica (server/replica/peers) for its `/debug/syncz` and merges the answers into
 * one list, each proxy tagged with the replica it is connected to; a replica that does not
 * answer in time is listed with its error, the others still shown. Also forwards a few read-only
 * per-proxy views (config_dump, explain) to the replica holding that proxy, so one URL — the
 * Service's — can show any proxy. Only peer URLs from the peer list are ever contacted.
 */
import { REPLICA_HEADER, replicaLabel, type ReplicaId } from './identity.js';
import type { Peers } from './peers.js';

export interface ReplicaAnswer {
  readonly replica: string;
  /** The peer URL asked; null for the replica that answered this request. */
  readonly url: string | null;
  readonly proxies: number;
  readonly error?: string;
}

export interface MergedSyncz {
  /** The replica that answered (and merged). */
  readonly answeredBy: string;
  readonly replicas: readonly ReplicaAnswer[];
  /**
   * /debug/syncz entries of every replica, each with `replica` and `states` (per type SYNCED,
   * STALE, NACKED or NOT SENT, as proxy-status decides), sorted by proxy then replica.
   */
  readonly proxies: readonly Record<string, unknown>[];
}

/** The per-proxy views that may be forwarded to the replica holding the proxy. */
export const FORWARDED_PATHS: readonly string[] = ['/debug/config_dump', '/debug/explain'];

const MAX_BODY = 64 * 1024 * 1024;

/** SYNCED, STALE, NACKED or NOT SENT for one type's entry of /debug/syncz (proxy-status's rule, given by the wiring). */
export type StateOf = (typeEntry: unknown) => string;

function states(e: Record<string, unknown>, stateOf: StateOf): Record<string, string> {
  const types = e['types'] && typeof e['types'] === 'object' ? (e['types'] as Record<string, unknown>) : {};
  return Object.fromEntries(
    Object.keys(types)
      .sort()
      .map((t) => [t, stateOf(types[t])]),
  );
}

export class ReplicaFanout {
  /** replica label → peer URL, from the last fan-out only (to forward to a replica by name; restarted replicas drop out). */
  private seen = new Map<string, string>();
  private inflight: Promise<MergedSyncz> | null = null;

  constructor(
    private readonly self: ReplicaId,
    private readonly peers: Peers | undefined,
    private readonly local: () => readonly object[],
    private readonly timeoutMs = 3000,
    /** Adds `states` to each merged entry when given. */
    private readonly stateOf?: StateOf,
  ) {}

  get label(): string {
    return replicaLabel(this.self);
  }

  describe(): object {
    return { replica: this.self, label: this.label, peers: this.peers?.source ?? 'none (this replica only; see --peers, --peers-service)' };
  }

  /** The merged view; callers arriving while a fan-out is in flight share it (N viewers never mean N× the peer requests). */
  syncz(): Promise<MergedSyncz> {
    if (!this.inflight)
      this.inflight = this.merge().finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  private async merge(): Promise<MergedSyncz> {
    const me = this.label;
    const localEntries = this.local().map((e) => ({ ...e, replica: me }));
    const answers: ReplicaAnswer[] = [{ replica: me, url: null, proxies: localEntries.length }];
    const proxies: Record<string, unknown>[] = [...localEntries];
    let urls: readonly string[] = [];
    try {
      urls = (await this.peers?.urls()) ?? [];
    } catch (e) {
      answers.push({ replica: '?', url: null, proxies: 0, error: (e as Error).message });
    }
    const got = await Promise.all(urls.map((u) => this.ask(u)));
    this.seen = new Map(got.filter((g) => !g.error).map((g) => [g.replica, g.url]));
    for (const g of got) {
      if (g.replica === me) continue;
      if (!g.error && answers.some((a) => a.replica === g.replica)) continue;
      answers.push({ replica: g.replica, url: g.url, proxies: g.entries.length, ...(g.error ? { error: g.error } : {}) });
      for (const e of g.entries) proxies.push({ ...e, replica: g.replica });
    }
    const key = (e: Record<string, unknown>): string => `${String(e['proxy'])}\u0000${String(e['replica'])}`;
    proxies.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    if (this.stateOf) for (const e of proxies) e['states'] = states(e, this.stateOf);
    answers.sort((a, b) => (a.url === null ? -1 : b.url === null ? 1 : a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0));
    return { answeredBy: me, replicas: answers, proxies };
  }

  private async ask(url: string): Promise<{ replica: string; url: string; entries: Record<string, unknown>[]; error?: string }> {
    try {
      const res = await fetch(`${url}/debug/syncz`, { signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await res.text();
      const replica = res.headers.get(REPLICA_HEADER);
      // istiod answers /debug/syncz too (a wrong --peers-service): its proxies are not merged as a replica's.
      if (!replica) return { replica: url, url, entries: [], error: `${url} is not a tspilot replica (no ${REPLICA_HEADER} header)` };
      if (!res.ok) return { replica, url, entries: [], error: `${res.status} from ${url}/debug/syncz` };
      if (text.length > MAX_BODY) return { replica, url, entries: [], error: `answer over ${MAX_BODY} bytes` };
      const body: unknown = JSON.parse(text);
      if (!Array.isArray(body)) return { replica, url, entries: [], error: 'answer is not a syncz list' };
      return { replica, url, entries: body.filter((e): e is Record<string, unknown> => !!e && typeof e === 'object') };
    } catch (e) {
      const err = e as Error & { cause?: Error };
      return {
        replica: url,
        url,
        entries: [],
        error: `cannot reach ${url}: ${err.name === 'TimeoutError' ? `no answer in ${this.timeoutMs} ms` : (err.cause?.message ?? err.message)}`,
      };
    }
  }

  /**
   * GETs `path` (one of FORWARDED_PATHS, with its query) from the replica named `replica`.
   * Returns null when that replica is unknown (not among the peers' last answers).
   */
  async forward(replica: string, path: string): Promise<{ status: number; body: unknown } | null> {
    if (!this.seen.has(replica)) await this.syncz();
    const base = this.seen.get(replica);
    if (!base) return null;
    const target = new URL(path, base);
    if (target.origin !== new URL(base).origin || !FORWARDED_PATHS.includes(target.pathname))
      throw new Error(`path: only ${FORWARDED_PATHS.join(', ')} are forwarded`);
    const res = await fetch(target, { signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: passed on as text */
    }
    return { status: res.status, body };
  }
}
