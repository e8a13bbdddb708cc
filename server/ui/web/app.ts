/**
 * @module server/ui/web/app
 * The console's entry module: a header with the views (proxies, config, pushes, traffic) and
 * the replica that serves the page, and the view chosen by the hash route. Read-only: it only
 * GETs tspilot's JSON debug endpoints.
 */
import { render } from 'preact';
import { html } from './html.js';
import { useRoute, usePoll } from './api.js';
import { Proxies } from './proxies.js';
import { ProxyView } from './proxy.js';
import { ConfigView } from './config.js';
import { PushesView } from './pushes.js';
import { TrafficView } from './traffic.js';

const VIEWS = [
  ['proxies', 'Proxies'],
  ['config', 'Config'],
  ['pushes', 'Pushes'],
  ['traffic', 'Traffic'],
] as const;

function App() {
  const route = useRoute();
  const me = usePoll<{ label: string }>('/debug/replicaz', 0);
  const view = route.parts[0] ?? 'proxies';
  const nav = view === 'proxy' ? 'proxies' : view;
  let body;
  if (view === 'proxy' && route.parts[1]) body = html`<${ProxyView} id=${route.parts[1]} replica=${route.query.get('replica')} />`;
  else if (view === 'config') body = html`<${ConfigView} />`;
  else if (view === 'pushes') body = html`<${PushesView} />`;
  else if (view === 'traffic') body = html`<${TrafficView} host=${route.parts[1] ?? null} />`;
  else body = html`<${Proxies} />`;
  return html` <header>
      <h1>tspilot</h1>
      <nav>${VIEWS.map(([id, label]) => html`<a href=${`#/${id}`} class=${id === nav ? 'active' : ''}>${label}</a>`)}</nav>
      <span class="replica" id="replica">${me.data ? `replica ${me.data.label}` : ''}</span>
    </header>
    <main>${body}</main>`;
}

const root = document.getElementById('app')!;
// Preact 11 renders beside existing children: drop the "Loading…" placeholder first.
root.textContent = '';
render(html`<${App} />`, root);
