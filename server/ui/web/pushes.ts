/**
 * @module server/ui/web/pushes
 * The push history (`/debug/push_status`: the last 100 pushes, kept by the server in a bounded
 * list) as a timeline, newest first: when, what changed (kinds and istiod trigger types), the
 * debounce wait and the push time drawn to one scale, and how many proxies it reached.
 */
import { html } from './html.js';
import { usePoll } from './api.js';

interface Push {
  readonly seq: number;
  readonly generation: number;
  readonly at: string;
  readonly kinds: readonly string[];
  readonly triggers: readonly string[];
  readonly debounceMs: number;
  readonly durationMs: number;
  readonly responses: number;
  readonly proxyCount: number;
  readonly proxies: readonly string[];
  readonly proxiesOmitted?: number;
}

export function PushesView() {
  const { data, error } = usePoll<{ pushes: readonly Push[] }>('/debug/push_status', 2000);
  if (!data) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'Loading pushes…'}</p>`;
  const max = Math.max(1, ...data.pushes.map((p) => p.debounceMs + p.durationMs));
  const px = (ms: number): string => `${Math.max(1, Math.round((ms / max) * 240))}px`;
  return html` <h2>Push history <span class="muted">(last ${data.pushes.length}; grey: debounce wait, blue: push)</span></h2>
    ${error ? html`<p class="error">Last refresh failed: ${error}</p>` : null}
    <table id="pushes">
      <thead>
        <tr>
          <th>#</th>
          <th>TIME</th>
          <th>CHANGED</th>
          <th>TRIGGERS</th>
          <th>TIMELINE</th>
          <th>PROXIES</th>
          <th>RESPONSES</th>
        </tr>
      </thead>
      <tbody>
        ${data.pushes.map(
          (p) =>
            html`<tr>
              <td>${p.seq}</td>
              <td class="mono" style=${{ whiteSpace: 'nowrap' }}>${new Date(p.at).toLocaleTimeString()}</td>
              <td>${p.kinds.join(', ') || html`<span class="muted">initial</span>`}</td>
              <td>${p.triggers.join(', ')}</td>
              <td title=${`debounce ${p.debounceMs} ms, push ${p.durationMs} ms`}>
                <span class="bar debounce" style=${{ width: px(p.debounceMs) }}></span
                ><span class="bar" style=${{ width: px(p.durationMs) }}></span>
                <span class="muted"> ${p.debounceMs} + ${p.durationMs} ms</span>
              </td>
              <td title=${p.proxies.join('\n')}>${p.proxyCount}${p.proxiesOmitted ? ` (${p.proxiesOmitted} not listed)` : ''}</td>
              <td>${p.responses}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${data.pushes.length ? null : html`<p class="muted">No push yet.</p>`}`;
}
