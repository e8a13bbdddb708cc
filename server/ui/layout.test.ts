/**
 * The traffic graph's layout (server/ui/web/layout.ts, compiled for the browser and loaded here
 * from dist): columns left to right in order, nodes of a column stacked without overlap and
 * centred, every edge from the right side of its source to the left side of its target, edges
 * to unknown nodes dropped, long lines clipped, and the same input giving the same coordinates.
 */
import { strict as assert } from 'node:assert';

interface Node {
  id: string;
  col: number;
  lines: string[];
  kind: string;
}
interface Placed extends Node {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Layout {
  width: number;
  height: number;
  nodes: Placed[];
  edges: { from: string; to: string; label: string; path: string; lx: number; ly: number }[];
}
interface LayoutModule {
  layout(n: Node[], e: { from: string; to: string; label: string }[]): Layout;
  clip(s: string): string;
}

// Compiled by server/ui/web/tsconfig.json (browser code, DOM types) into the same dist folder.
const load = (): Promise<LayoutModule> => import(new URL('./web/layout.js', import.meta.url).href) as Promise<LayoutModule>;

describe('server/ui/web/layout', () => {
  const nodes: Node[] = [
    { id: 'svc', col: 0, kind: 'service', lines: ['reviews.default.svc.cluster.local', 'ports 9080/http'] },
    { id: 'r0', col: 1, kind: 'route', lines: ['default/reviews http[0]', 'header end-user = jason'] },
    { id: 'r1', col: 1, kind: 'route', lines: ['default/reviews http[1]', 'any request', 'timeout 2s'] },
    { id: 'v1', col: 2, kind: 'subset', lines: ['subset v1'] },
    { id: 'v2', col: 2, kind: 'subset', lines: ['subset v2', 'x'.repeat(200)] },
  ];
  const edges = [
    { from: 'svc', to: 'r0', label: '' },
    { from: 'svc', to: 'r1', label: '' },
    { from: 'r0', to: 'v2', label: '100%' },
    { from: 'r1', to: 'v1', label: '50%' },
    { from: 'r1', to: 'gone', label: '50%' },
  ];

  it('places columns in order, stacks a column without overlap, and joins edges side to side', async () => {
    const { layout, clip } = await load();
    const l = layout(nodes, edges);
    const at = new Map(l.nodes.map((n) => [n.id, n]));
    const col = (c: number): Placed[] => l.nodes.filter((n) => n.col === c);
    assert.ok(Math.max(...col(0).map((n) => n.x + n.w)) < Math.min(...col(1).map((n) => n.x)));
    assert.ok(Math.max(...col(1).map((n) => n.x + n.w)) < Math.min(...col(2).map((n) => n.x)));
    for (const c of [1, 2]) {
      const [a, b] = col(c);
      assert.ok(a!.y + a!.h <= b!.y, `column ${c}: nodes overlap`);
    }
    assert.ok(at.get('r1')!.h > at.get('r0')!.h, 'height follows the line count');
    const svc = at.get('svc')!;
    assert.ok(Math.abs(svc.y + svc.h / 2 - l.height / 2) < 1, 'a lone node is centred');
    for (const n of l.nodes) assert.ok(n.x >= 0 && n.y >= 0 && n.x + n.w <= l.width && n.y + n.h <= l.height, `${n.id} inside the drawing`);
    assert.deepEqual(
      l.edges.map((e) => `${e.from}>${e.to}`),
      ['svc>r0', 'svc>r1', 'r0>v2', 'r1>v1'],
      'the edge to an unknown node is dropped',
    );
    const e = l.edges.find((x) => x.to === 'v1')!;
    const r1 = at.get('r1')!,
      v1 = at.get('v1')!;
    assert.ok(e.path.startsWith(`M${r1.x + r1.w},${r1.y + r1.h / 2} `) && e.path.endsWith(` ${v1.x},${v1.y + v1.h / 2}`), e.path);
    assert.equal(clip('x'.repeat(200)).length, 56);
    assert.ok(clip('x'.repeat(200)).endsWith('…'));
    assert.deepEqual(layout(nodes, edges), l, 'deterministic');
  });
});
