/**
 * @module server/ui/web/proxies
 * The connected proxies of every replica (`/debug/replicas/syncz`, polled one page at a time, so a
 * viewer of a large fleet does not fetch every proxy every few seconds): per proxy its replica and
 * each type's sync state — SYNCED, STALE, NACKED (with the client's error text under the row) or
 * NOT SENT — and a link to the proxy's own view; above the table, how many proxies are in each state.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { link, usePoll } from './api.js';

export interface TypeSync {
  readonly sent: string;
  readonly acked: string;
  readonly nack: { readonly version: string; readonly error: string; readonly at: string | null } | null;
}
export interface ProxyEntry {
  readonly proxy: string;
  readonly replica: string;
  readonly transport?: string;
  readonly generator?: string;
  readonly istio_version?: string;
  readonly types: Readonly<Record<string, TypeSync | undefined>>;
  /** Sync state per type, computed by the server (server/cli/status.ts syncState). */
  readonly states: Readonly<Record<string, string>>;
}
export interface Merged {
  readonly answeredBy: string;
  readonly replicas: readonly {
    readonly replica: string;
    readonly url: string | null;
    readonly proxies: number;
    readonly error?: string;
  }[];
  readonly proxies: readonly ProxyEntry[];
  /** With a page or proxy query: entries matching before paging, the page's offset, states per type. */
  readonly total?: number;
  readonly offset?: number;
  readonly counts?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Proxies per page of the console's list. */
export const PAGE = 100;

const TYPES = ['cds', 'lds', 'eds', 'rds'] as const;

export const shortName = (id: string): string => {
  const p = id.split('~');
  return p.length === 4 && p[2] ? p[2] : id;
};

export const proxyLink = (e: { proxy: string; replica: string }, answeredBy: string): string =>
  link('proxy', e.proxy) + (e.replica !== answeredBy ? `?replica=${encodeURIComponent(e.replica)}` : '');

export function Proxies() {
  const [offset, setOffset] = useState(0);
  const { data, error } = usePoll<Merged>(`/debug/replicas/syncz?offset=${offset}&limit=${PAGE}`, 3000);
  const total = data ? (data.total ?? data.proxies.length) : 0;
  // Proxies went away and the page is past the end: show the last page instead of an empty one.
  useEffect(() => {
    if (data && offset > 0 && offset >= total) setOffset(Math.max(0, Math.floor((total - 1) / PAGE) * PAGE));
  }, [data, offset, total]);
  if (!data) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'Loading proxies…'}</p>`;
  const state = (e: ProxyEntry, t: string): string => e.states[t] ?? 'NOT SENT';
  const summary = TYPES.map((t) =>
    Object.entries(data.counts?.[t] ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([st, n]) => `${n} ${st}`)
      .join(', '),
  );
  return html` <h2>
      Connected proxies
      <span class="muted">(${total} on ${data.replicas.length} replica${data.replicas.length === 1 ? '' : 's'})</span>
    </h2>
    ${error ? html`<p class="error">Last refresh failed: ${error}</p>` : null}
    ${data.replicas.filter((r) => r.error).map((r) => html`<p class="error">Replica ${r.replica}: ${r.error}</p>`)}
    <p id="proxy-counts" class="muted">
      ${TYPES.map((t, i) => (summary[i] ? html`<span>${t.toUpperCase()}: ${summary[i]} </span>` : null))}
    </p>
    ${
      total > PAGE
        ? html`<p id="pager">
            <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE))}>previous</button>
            <span class="muted"> ${offset + 1}–${Math.min(offset + PAGE, total)} of ${total} </span>
            <button disabled=${offset + PAGE >= total} onClick=${() => setOffset(offset + PAGE)}>next</button>
          </p>`
        : null
    }
    <table id="proxies">
      <thead>
        <tr>
          <th>NAME</th>
          <th>REPLICA</th>
          ${TYPES.map((t) => html`<th>${t.toUpperCase()}</th>`)}
          <th>TRANSPORT</th>
          <th>GENERATOR</th>
          <th>VERSION</th>
        </tr>
      </thead>
      <tbody>
        ${data.proxies.map((e) => {
          const nacks = TYPES.filter((t) => state(e, t) === 'NACKED');
          return html` <tr class="proxy-row" data-proxy=${e.proxy} data-replica=${e.replica}>
            <td class="mono">
              <a href=${proxyLink(e, data.answeredBy)} title=${e.proxy}>${shortName(e.proxy)}</a>
              ${nacks.map((t) => html`<div class="nack">${t.toUpperCase()} NACKED (version ${e.types[t]?.nack?.version ?? ''}): ${e.types[t]?.nack?.error ?? ''}</div>`)}
            </td>
            <td class="mono">${e.replica}</td>
            ${TYPES.map((t) => html`<td><span class=${`badge ${state(e, t).replace(' ', '_')}`} data-type=${t}>${state(e, t)}</span></td>`)}
            <td>${e.transport ?? ''}</td>
            <td>${e.generator ?? ''}</td>
            <td>${e.istio_version ?? ''}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${data.proxies.length ? null : html`<p class="muted">No proxy is connected.</p>`}`;
}
