/**
 * @module server/ui/web/layout
 * A small layered layout for the traffic graph, computed here instead of pulling in a graph
 * library: nodes sit in columns (service → routes → destinations), stacked top to bottom in the
 * order given and centred against the tallest column; edges are cubic curves from the right
 * middle of one node to the left middle of the next, with their label at the curve's midpoint.
 * Pure and deterministic (same input, same coordinates); text width is estimated, not measured.
 */

export interface GraphNode {
  readonly id: string;
  readonly col: number;
  readonly lines: readonly string[];
  readonly kind: string;
}
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

export interface PlacedNode extends GraphNode {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}
export interface PlacedEdge extends GraphEdge {
  readonly path: string;
  readonly lx: number;
  readonly ly: number;
}
export interface Layout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
}

export const LINE_HEIGHT = 16;
const PAD = 8;
const CHAR = 6.6;
const MAX_CHARS = 56;
const GAP_X = 90;
const GAP_Y = 14;
const MARGIN = 10;

/** Lines longer than the node allows end in `…`. */
export const clip = (s: string): string => (s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS - 1)}…` : s);

export function layout(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Layout {
  const cols = new Map<number, GraphNode[]>();
  for (const n of nodes) cols.set(n.col, [...(cols.get(n.col) ?? []), n]);
  const order = [...cols.keys()].sort((a, b) => a - b);
  const size = (n: GraphNode): { w: number; h: number } => ({
    w: Math.round(Math.min(MAX_CHARS, Math.max(16, ...n.lines.map((l) => clip(l).length))) * CHAR + 2 * PAD),
    h: n.lines.length * LINE_HEIGHT + 2 * PAD - 4,
  });
  const colHeight = (ns: GraphNode[]): number => ns.reduce((s, n) => s + size(n).h, 0) + GAP_Y * Math.max(0, ns.length - 1);
  const height = Math.max(0, ...order.map((c) => colHeight(cols.get(c)!))) + 2 * MARGIN;
  const placed = new Map<string, PlacedNode>();
  let x = MARGIN;
  for (const c of order) {
    const ns = cols.get(c)!;
    const w = Math.max(...ns.map((n) => size(n).w));
    let y = MARGIN + (height - 2 * MARGIN - colHeight(ns)) / 2;
    for (const n of ns) {
      const h = size(n).h;
      placed.set(n.id, { ...n, x, y: Math.round(y), w, h });
      y += h + GAP_Y;
    }
    x += w + GAP_X;
  }
  const out: PlacedEdge[] = [];
  for (const e of edges) {
    const a = placed.get(e.from);
    const b = placed.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + a.w,
      y1 = a.y + a.h / 2,
      x2 = b.x,
      y2 = b.y + b.h / 2;
    const mx = (x1 + x2) / 2;
    out.push({ ...e, path: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, lx: mx, ly: (y1 + y2) / 2 - 4 });
  }
  return { width: Math.max(0, x - GAP_X + MARGIN), height, nodes: [...placed.values()], edges: out };
}
