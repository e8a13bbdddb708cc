/**
 * @module server/ui/web/traffic
 * The traffic of one service drawn as a graph (`/ui/api/traffic?host=`, polled): the service,
 * the VirtualService rules that route its requests (matches and actions), and the destinations
 * they send to with weights — subsets annotated with their labels, endpoint counts and the
 * DestinationRule policy in force. Plain SVG from the layout module; text is SVG text nodes.
 */
import { html } from './html.js';
import type { TrafficDestination as Dest, TrafficView as Traffic } from './traffic-view.js';
import { link, usePoll } from './api.js';
import { clip, layout, LINE_HEIGHT, type GraphEdge, type GraphNode } from './layout.js';

/** The graph of a traffic view: service → route rules → destinations (a default route when no rule). */
export function trafficGraph(t: Traffic): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const svc = t.service;
  nodes.push({
    id: 'svc',
    col: 0,
    kind: 'service',
    lines: [t.host, ...(svc ? [`ports ${svc.ports.join(', ')}`, `${svc.endpoints} endpoint(s)`] : [])],
  });
  const destId = (d: Dest): string => `dest:${d.host}|${d.subset}|${d.port ?? ''}`;
  const addDest = (d: Dest): void => {
    if (nodes.some((n) => n.id === destId(d))) return;
    const s = d.host === t.host ? t.destinationRule?.subsets.find((x) => x.name === d.subset) : undefined;
    const lines = [d.subset ? `subset ${d.subset}` : 'all endpoints', d.host === t.host ? '' : d.host, d.port ? `port ${d.port}` : ''];
    // A subset's own policy, else the DestinationRule's (what istiod applies to the subset's cluster).
    const policy = s?.policy.length ? s.policy : d.host === t.host ? (t.destinationRule?.policy ?? []) : [];
    if (s)
      lines.push(
        Object.entries(s.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
        `${s.endpoints} endpoint(s)`,
        ...policy,
      );
    else if (!d.subset && d.host === t.host && svc) lines.push(`${svc.endpoints} endpoint(s)`, ...policy);
    nodes.push({ id: destId(d), col: 2, kind: 'subset', lines: lines.filter(Boolean) });
  };
  const routes = t.routes.length
    ? t.routes
    : [
        {
          id: 'default',
          virtualService: '',
          rule: '',
          name: '',
          match: ['any request'],
          actions: [],
          destinations: [{ host: t.host, subset: '', port: null, weight: 100 }],
        },
      ];
  for (const r of routes) {
    nodes.push({
      id: `route:${r.id}`,
      col: 1,
      kind: 'route',
      lines: [
        r.virtualService ? `${r.virtualService} ${r.rule}${r.name ? ` "${r.name}"` : ''}` : 'no VirtualService: default route',
        ...r.match,
        ...r.actions,
      ],
    });
    edges.push({ from: 'svc', to: `route:${r.id}`, label: '' });
    for (const d of r.destinations) {
      addDest(d);
      edges.push({ from: `route:${r.id}`, to: destId(d), label: `${d.weight}%` });
    }
  }
  return { nodes, edges };
}

function Graph({ t }: { t: Traffic }) {
  const g = trafficGraph(t);
  const l = layout(g.nodes, g.edges);
  return html`<svg
    id="traffic-graph"
    width=${l.width}
    height=${l.height}
    viewBox=${`0 0 ${l.width} ${l.height}`}
    role="img"
    aria-label=${`traffic of ${t.host}`}
  >
    ${l.edges.map((e) => html`<g><path class="edge" d=${e.path} />${e.label ? html`<text class="weight" x=${e.lx} y=${e.ly} text-anchor="middle">${e.label}</text>` : null}</g>`)}
    ${l.nodes.map(
      (n) =>
        html`<g class=${`node ${n.kind}`}>
          <rect x=${n.x} y=${n.y} width=${n.w} height=${n.h} rx="4" />
          ${n.lines.map((line, i) => html`<text x=${n.x + 8} y=${n.y + 8 + (i + 1) * LINE_HEIGHT - 4} font-weight=${i === 0 ? '600' : '400'}>${clip(line)}<title>${line}</title></text>`)}
        </g>`,
    )}
  </svg>`;
}

export function TrafficView({ host }: { host: string | null }) {
  const hosts = usePoll<{ hosts: readonly string[] }>('/ui/api/traffic', 10_000);
  const { data, error } = usePoll<Traffic>(host ? `/ui/api/traffic?host=${encodeURIComponent(host)}` : null, 3000);
  return html` <h2>Traffic of a service</h2>
    <select
      id="traffic-host"
      onChange=${(e: Event) => {
        location.hash = link('traffic', (e.target as HTMLSelectElement).value);
      }}
    >
      <option value="">choose a service…</option>
      ${(hosts.data?.hosts ?? []).map((h) => html`<option value=${h} selected=${h === host}>${h}</option>`)}
    </select>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${
      data
        ? html` <p>
              ${data.destinationRule ? html`DestinationRule <b>${data.destinationRule.name}</b>${data.destinationRule.policy.length ? `: ${data.destinationRule.policy.join('; ')}` : ''}` : html`<span class="muted">No DestinationRule.</span>`}
              ${data.ignoredVirtualServices.length ? html` <span class="error">Ignored (host conflict): ${data.ignoredVirtualServices.join(', ')}</span>` : null}
            </p>
            <div class="card"><${Graph} t=${data} /></div>`
        : host
          ? html`<p class="muted">Loading…</p>`
          : null
    }`;
}
