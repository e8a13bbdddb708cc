/**
 * @module server/replica/page
 * What the console asks of the merged proxy list (`/debug/replicas/syncz`) instead of the whole
 * list on every poll — with thousands of proxies that is a large JSON each few seconds per viewer:
 * - `proxy=<node id>` (optionally `replica=<label>`): only that proxy's entries;
 * - `offset=<n>&limit=<n>`: one page of the list (sorted by proxy then replica, as merged);
 * - `summary=true`: no entries at all, only how many proxies are in each state per type.
 * With any of them the answer also carries `total` (entries matching before paging), `offset`
 * and `counts`. Without them the answer is unchanged (what `proxy-status --all-replicas` reads).
 * istiod's own `/debug/syncz` is not touched: istioctl parses it.
 */
import { HttpError } from '../http/router.js';
import type { MergedSyncz } from './fanout.js';

/** Per type, how many proxies are in each state (SYNCED, STALE, NACKED, NOT SENT). */
export type StateCounts = Record<string, Record<string, number>>;

export interface SynczPage extends MergedSyncz {
  readonly total: number;
  readonly offset: number;
  readonly counts: StateCounts;
}

/** The largest page one request may ask for. */
export const MAX_PAGE = 1000;

/** True when the query asks for a page, one proxy or a summary (else the full merged list is answered). */
export const wantsPage = (q: URLSearchParams): boolean => ['proxy', 'replica', 'offset', 'limit', 'summary'].some((k) => q.has(k));

function count(q: URLSearchParams, name: string, dflt: number, max: number): number {
  const raw = q.get(name);
  if (raw === null) return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > max) throw new HttpError(400, `query parameter ${name}: "${raw}" is not a whole number from 0 to ${max}`);
  return n;
}

export function countStates(proxies: readonly Record<string, unknown>[]): StateCounts {
  const out: StateCounts = {};
  for (const p of proxies) {
    const states = (p['states'] ?? {}) as Record<string, string>;
    for (const [type, state] of Object.entries(states)) {
      const t = (out[type] ??= {});
      t[state] = (t[state] ?? 0) + 1;
    }
  }
  return out;
}

/** The part of `m` the query asks for; 400 naming the parameter when one is malformed. */
export function selectSyncz(m: MergedSyncz, q: URLSearchParams): SynczPage {
  const summary = q.get('summary');
  if (summary !== null && summary !== 'true' && summary !== 'false')
    throw new HttpError(400, `query parameter summary: "${summary}" is not true or false`);
  const offset = count(q, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = count(q, 'limit', MAX_PAGE, MAX_PAGE);
  const proxy = q.get('proxy');
  const replica = q.get('replica');
  const matching = m.proxies.filter((p) => (proxy === null || p['proxy'] === proxy) && (replica === null || p['replica'] === replica));
  return {
    ...m,
    total: matching.length,
    offset,
    counts: countStates(matching),
    proxies: summary === 'true' ? [] : matching.slice(offset, offset + limit),
  };
}
