/**
 * @module server/ui/web/config
 * The config in force (`/debug/configz`, polled): objects per kind, then what needs attention —
 * rejected objects with the field and reason, VirtualService host conflicts, objects defined in
 * several files, ignored kinds — then the objects themselves (filterable, the first 300 shown)
 * and source errors.
 */
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { usePoll } from './api.js';

interface Configz {
  readonly generation: number;
  readonly configs: readonly { readonly key: string; readonly source: string }[];
  readonly rejected: readonly {
    readonly kind: string;
    readonly namespace: string;
    readonly name: string;
    readonly source: string;
    readonly field: string;
    readonly reason: string;
  }[];
  readonly conflicts: readonly { readonly host: string; readonly winner: string; readonly ignored: readonly string[] }[];
  readonly duplicates: readonly { readonly key?: string; readonly inForce?: string; readonly ignored?: readonly string[] }[];
  readonly ignored: readonly {
    readonly kind: string;
    readonly apiVersion: string;
    readonly namespace: string;
    readonly name: string;
    readonly source: string;
    readonly reason: string;
    readonly level: string;
  }[];
  readonly sourceErrors: Readonly<Record<string, string>>;
}

const LISTED = 300;

export function ConfigView() {
  const { data, error } = usePoll<Configz>('/debug/configz', 5000);
  const [filter, setFilter] = useState('');
  if (!data) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'Loading config…'}</p>`;
  const kinds = new Map<string, number>();
  for (const c of data.configs) {
    const k = c.key.split('/')[0]!;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  const errs = Object.entries(data.sourceErrors);
  const matching = data.configs.filter((c) => !filter || c.key.includes(filter) || c.source.includes(filter));
  return html` <h2>Config in force <span class="muted">(generation ${data.generation})</span></h2>
    ${error ? html`<p class="error">Last refresh failed: ${error}</p>` : null}
    <div class="grid">${[...kinds.entries()].sort().map(([k, n]) => html`<div class="card"><b>${n}</b>${k}</div>`)}</div>
    <h2>Rejected objects (${data.rejected.length})</h2>
    ${
      data.rejected.length
        ? html`<table id="rejected">
            <thead>
              <tr>
                <th>OBJECT</th>
                <th>FIELD</th>
                <th>REASON</th>
                <th>SOURCE</th>
              </tr>
            </thead>
            <tbody>
              ${data.rejected.map(
                (r) =>
                  html`<tr>
                    <td class="mono">${r.kind} ${r.namespace}/${r.name}</td>
                    <td class="mono">${r.field}</td>
                    <td>${r.reason}</td>
                    <td class="mono">${r.source}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">None.</p>`
    }
    <h2>VirtualService host conflicts (${data.conflicts.length})</h2>
    ${
      data.conflicts.length
        ? html`<table>
            <thead>
              <tr>
                <th>HOST</th>
                <th>IN FORCE</th>
                <th>IGNORED</th>
              </tr>
            </thead>
            <tbody>
              ${data.conflicts.map(
                (c) =>
                  html`<tr>
                    <td class="mono">${c.host}</td>
                    <td class="mono">${c.winner}</td>
                    <td class="mono">${c.ignored.join(', ')}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">None.</p>`
    }
    <h2>Defined in several files (${data.duplicates.length})</h2>
    ${data.duplicates.length ? html`<pre class="explain">${JSON.stringify(data.duplicates, null, 2)}</pre>` : html`<p class="muted">None.</p>`}
    <h2>Ignored kinds (${data.ignored.length})</h2>
    ${
      data.ignored.length
        ? html`<table>
            <thead>
              <tr>
                <th>OBJECT</th>
                <th>REASON</th>
                <th>SOURCE</th>
              </tr>
            </thead>
            <tbody>
              ${data.ignored.map(
                (i) =>
                  html`<tr>
                    <td class="mono">${i.apiVersion} ${i.kind} ${i.namespace}/${i.name}</td>
                    <td class=${i.level === 'warn' ? 'error' : ''}>${i.reason}</td>
                    <td class="mono">${i.source}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">None.</p>`
    }
    <h2>
      Objects in force
      <input
        id="config-filter"
        placeholder="filter by kind/namespace/name or file"
        value=${filter}
        onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)}
      />
    </h2>
    <table id="objects">
      <thead>
        <tr>
          <th>OBJECT</th>
          <th>SOURCE</th>
        </tr>
      </thead>
      <tbody>
        ${matching.slice(0, LISTED).map(
          (c) =>
            html`<tr>
              <td class="mono">${c.key}</td>
              <td class="mono">${c.source}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${matching.length > LISTED ? html`<p class="muted">${matching.length - LISTED} more; narrow the filter.</p>` : null}
    ${
      errs.length
        ? html`<h2>Source errors</h2>
            <table>
              <tbody>
                ${errs.map(
                  ([s, e]) =>
                    html`<tr>
                      <td class="mono">${s}</td>
                      <td class="error">${e}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : null
    }`;
}
