/**
 * @module server/ui/web/proxy
 * One proxy: what it was last sent (`/debug/config_dump`, with endpoints), as tables of clusters,
 * listeners, routes and endpoints, each row with its provenance (the Istio objects behind it) and
 * an `explain` button showing which rules produced it (`/debug/explain`). A proxy connected to
 * another replica is read through `/debug/replicas/get` from that replica.
 */
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { configName, getJson, usePoll } from './api.js';
import { COLUMNS, rows, SECTIONS, type Row, type Section } from './resources.js';
import { shortName, type Merged } from './proxies.js';

interface Explanation {
  readonly type: string;
  readonly name: string;
  readonly lines: readonly string[];
}

/** The URL of a per-proxy view, through the holding replica when it is not the one answering. */
export function viaReplica(path: string, replica: string | null): string {
  return replica ? `/debug/replicas/get?replica=${encodeURIComponent(replica)}&path=${encodeURIComponent(path)}` : path;
}

function ExplainButton({ proxy, replica, row }: { proxy: string; replica: string | null; row: Row }) {
  const [out, setOut] = useState<{ lines: string[] } | { error: string } | null>(null);
  const run = async (): Promise<void> => {
    if (out) {
      setOut(null);
      return;
    }
    const q = `/debug/explain?proxyID=${encodeURIComponent(proxy)}&resource=${encodeURIComponent(row.explainName)}&type=${row.explainType}`;
    try {
      const r = await getJson<{ explanations: readonly Explanation[] }>(viaReplica(q, replica));
      setOut({ lines: r.explanations.flatMap((e) => [`${e.type.toUpperCase()} ${e.name}`, ...e.lines.map((l) => `  ${l}`)]) });
    } catch (e) {
      setOut({ error: (e as Error).message });
    }
  };
  return html`<button class="explain-btn" onClick=${() => void run()}>explain</button>
    ${out ? html`<div class=${'error' in out ? 'explain error' : 'explain'}>${'error' in out ? out.error : out.lines.join('\n')}</div>` : null}`;
}

/** The proxy's sync state per type, with NACK texts, from the merged list. */
function SyncLine({ id, replica }: { id: string; replica: string | null }) {
  const { data } = usePoll<Merged>(`/debug/replicas/syncz?proxy=${encodeURIComponent(id)}`, 5000);
  const e = data?.proxies.find((p) => p.proxy === id && p.replica === (replica ?? data.answeredBy));
  if (!e) return null;
  const types = Object.keys(e.states).sort();
  return html`<p id="sync">
    ${types.map((t) => html`<span class="muted">${t.toUpperCase()} </span><span class=${`badge ${e.states[t]!.replace(' ', '_')}`}>${e.states[t]}</span> `)}
    ${types.filter((t) => e.states[t] === 'NACKED').map((t) => html`<div class="nack">${t.toUpperCase()} NACKED (version ${e.types[t]?.nack?.version ?? ''}): ${e.types[t]?.nack?.error ?? ''}</div>`)}
  </p>`;
}

export function ProxyView({ id, replica }: { id: string; replica: string | null }) {
  const [tab, setTab] = useState<Section>('routes');
  const [filter, setFilter] = useState('');
  const dumpPath = `/debug/config_dump?proxyID=${encodeURIComponent(id)}&include_eds=true`;
  const { data, error } = usePoll<unknown>(viaReplica(dumpPath, replica), 5000);
  const all = data ? rows(data, tab) : [];
  const shown = filter
    ? all.filter((r) => r.cells.some((c) => c.includes(filter)) || r.provenance.some((p) => configName(p).includes(filter)))
    : all;
  return html` <h2>
      Proxy <span class="mono">${shortName(id)}</span> ${replica ? html`<span class="muted">on replica ${replica}</span>` : null}
    </h2>
    <p class="mono muted">${id}</p>
    <${SyncLine} id=${id} replica=${replica} />
    <div class="tabs">
      ${SECTIONS.map((s) => html`<button class=${s === tab ? 'on' : ''} data-tab=${s} onClick=${() => setTab(s)}>${s} ${data ? `(${rows(data, s).length})` : ''}</button> `)}
      <input placeholder="filter" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
    </div>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${
      !data
        ? html`<p class="muted">${error ? '' : 'Loading…'}</p>`
        : html` <table id="resources">
              <thead>
                <tr>
                  ${COLUMNS[tab].map((c) => html`<th>${c}</th>`)}
                  <th>PROVENANCE</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${shown.map(
                  (r) =>
                    html`<tr class="resource-row">
                      ${r.cells.map((c) => html`<td class="mono">${c}</td>`)}
                      <td class="prov">
                        ${r.provenance.length ? r.provenance.map((p) => html`<div title=${p}>${configName(p)}</div>`) : html`<span class="muted">—</span>`}
                      </td>
                      <td><${ExplainButton} proxy=${id} replica=${replica} row=${r} /></td>
                    </tr>`,
                )}
              </tbody>
            </table>
            ${shown.length ? null : html`<p class="muted">Nothing of this type was sent to this proxy.</p>`}`
    }`;
}
