/**
 * @module bench/plot
 * Draws the latency distribution of each scenario as a CDF (x: ms on a log scale, y: share of
 * proxies converged), the soak's memory over time (x: minutes, y: MB, with the fitted trend
 * lines) and plain x/y lines (the flat-cost bench), into PNGs with pureimage (pure JS). Every chart
 * shares one frame (`frame`: axes, title, grid lines, legend, writing the file); labels use DejaVu
 * Sans when installed.
 */
import { createWriteStream, existsSync } from 'node:fs';
import * as PImage from 'pureimage';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
/** Canvas size and the plot area's margins (left, right — room for the legend —, top, bottom). */
const W = 900,
  H = 520,
  L = 70,
  R = 220,
  T = 40,
  B = 50;

interface Frame {
  readonly ctx: PImage.Context;
  /** Left/right and bottom/top pixel edges of the plot area. */
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  text(s: string, x: number, y: number, color?: string): void;
  /** A light horizontal grid line at pixel row `y`, labelled on the left. */
  hline(y: number, label: string, labelX?: number): void;
  /** A vertical line at pixel column `x` (grid grey unless `color`), labelled under the axis. */
  vline(x: number, label: string, color?: string): void;
  /** Series `i`'s legend entry; returns its colour. */
  legend(i: number, name: string): string;
  save(file: string): Promise<void>;
}

/** A white canvas with the axes and the title drawn. */
async function frame(title: string, xLabel: string): Promise<Frame> {
  const img = PImage.make(W, H);
  const ctx = img.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  let font = false;
  if (existsSync(FONT)) {
    const f = PImage.registerFont(FONT, 'DejaVu');
    await f.load();
    font = true;
  }
  const text = (s: string, x: number, y: number, color = '#000000'): void => {
    if (!font) return;
    ctx.fillStyle = color;
    ctx.font = '13px DejaVu';
    ctx.fillText(s, x, y);
  };
  const line = (ax: number, ay: number, bx: number, by: number, color: string): void => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(ax, ay);
    ctx.lineTo(bx, by);
    ctx.stroke();
  };
  line(L, T, L, H - B, '#000000');
  line(L, H - B, W - R, H - B, '#000000');
  text(title, L, 24);
  text(xLabel, L, H - 10);
  return {
    ctx,
    x0: L,
    x1: W - R,
    y0: H - B,
    y1: T,
    text,
    hline: (y, label, labelX = 8) => {
      line(L, y, W - R, y, '#dddddd');
      text(label, labelX, y + 4);
    },
    vline: (x, label, color) => {
      line(x, T, x, H - B, color ?? '#dddddd');
      if (color) text(label, x + 4, T + 14, color);
      else text(label, x - 15, H - B + 18);
    },
    legend: (i, name) => {
      const c = COLORS[i % COLORS.length]!;
      ctx.fillStyle = c;
      ctx.fillRect(W - R + 15, T + 10 + i * 22, 14, 10);
      text(name, W - R + 35, T + 20 + i * 22, c);
      return c;
    },
    save: (file) =>
      new Promise<void>((resolve, reject) => {
        const out = createWriteStream(file);
        out.on('finish', resolve);
        out.on('error', reject);
        PImage.encodePNGToStream(img, out).catch(reject);
      }),
  };
}

/** A polyline through `pts` (pixel coordinates) in colour `c`. */
function polyline(ctx: PImage.Context, pts: readonly (readonly [number, number])[], c: string, width = 2): void {
  ctx.strokeStyle = c;
  ctx.lineWidth = width;
  ctx.beginPath();
  pts.forEach(([x, y], k) => (k === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
  ctx.stroke();
}

/** A grid step of 1, 2 or 5 × a power of ten that gives a handful of lines up to `max`. */
function gridStep(max: number): number {
  const mag = 10 ** Math.floor(Math.log10(max));
  return max / mag < 3 ? mag / 2 : mag;
}

export interface TimeSeries {
  readonly name: string;
  readonly points: readonly { t: number; mb: number }[];
  /** A fitted line (MB = intercept + slope·t) drawn dashed from `from` seconds on. */
  readonly fit?: { readonly intercept: number; readonly slopeMbPerS: number; readonly from: number };
}

/**
 * Memory over time: one line per series, its fitted trend, and a vertical mark at the end of the
 * warm-up (null: none) and at each of `marks` (the bench's scenarios).
 */
export async function plotSeries(
  file: string,
  title: string,
  series: readonly TimeSeries[],
  warmupS: number | null,
  marks: readonly { t: number; label: string }[] = [],
): Promise<void> {
  const f = await frame(title, warmupS === null ? 'minutes since start' : 'minutes since start (dashed: least-squares fit after warm-up)');
  const pts = series.flatMap((s) => s.points);
  const tMax = Math.max(
    60,
    pts.reduce((a, p) => Math.max(a, p.t), 0),
  );
  const yMax =
    Math.max(
      10,
      pts.reduce((a, p) => Math.max(a, p.mb), 0),
    ) * 1.1;
  const lx = (t: number): number => f.x0 + (t / tMax) * (f.x1 - f.x0);
  const ly = (mb: number): number => f.y0 - (Math.max(0, mb) / yMax) * (f.y0 - f.y1);
  const step = gridStep(yMax);
  for (let y = step; y < yMax; y += step) f.hline(ly(y), `${y} MB`);
  const minutes = tMax / 60;
  const tick = minutes > 20 ? 5 : minutes > 6 ? 1 : 0.5;
  for (let m = tick; m <= minutes; m += tick) f.text(`${m}`, lx(m * 60) - 6, f.y0 + 18);
  if (warmupS !== null) f.vline(lx(warmupS), 'warm-up', '#999999');
  marks.forEach((m, i) => {
    f.vline(lx(m.t), '', '#999999');
    f.text(m.label, lx(m.t) + 4, f.y1 + 28 + (i % 4) * 14, '#666666');
  });
  series.forEach((s, i) => {
    const c = f.legend(i, s.name);
    polyline(
      f.ctx,
      s.points.map((p) => [lx(p.t), ly(p.mb)]),
      c,
    );
    if (s.fit) {
      const { intercept, slopeMbPerS, from } = s.fit;
      const at = (t: number): [number, number] => [lx(t), ly(intercept + slopeMbPerS * t)];
      const dash = (tMax - from) / 40;
      for (let t = from; t < tMax; t += 2 * dash) polyline(f.ctx, [at(t), at(Math.min(tMax, t + dash))], c, 1);
    }
  });
  await f.save(file);
}

export async function plotCdf(file: string, title: string, series: { name: string; ms: number[] }[]): Promise<void> {
  const f = await frame(title, 'share of proxies converged (CDF), latency log scale');
  const all = series.flatMap((s) => s.ms).filter((x) => x > 0);
  const lo = Math.max(
    1,
    all.reduce((a, b) => (b < a ? b : a), 1000),
  );
  const hi = Math.max(
    10,
    all.reduce((a, b) => (b > a ? b : a), 0),
  );
  const lx = (ms: number): number =>
    f.x0 + ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1)) * (f.x1 - f.x0);
  const ly = (share: number): number => f.y0 - share * (f.y0 - f.y1);
  for (let d = Math.ceil(Math.log10(lo)); d <= Math.floor(Math.log10(hi)); d++) f.vline(lx(10 ** d), `${10 ** d} ms`);
  for (const q of [0.5, 0.99]) f.hline(ly(q), `p${Math.round(q * 100)}`, f.x0 - 40);
  series.forEach((s, i) => {
    const c = f.legend(i, s.name);
    const v = [...s.ms].sort((a, b) => a - b);
    const pts: [number, number][] = v.length ? [[lx(v[0]!), ly(0)]] : [];
    v.forEach((ms, k) => pts.push([lx(ms), ly((k + 1) / v.length)]));
    polyline(f.ctx, pts, c);
  });
  await f.save(file);
}

/** y against x, one line per series, both axes linear from 0 (the flat-cost bench: ms against services). */
export async function plotLines(
  file: string,
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly { name: string; points: readonly { x: number; y: number }[] }[],
): Promise<void> {
  const f = await frame(title, xLabel);
  const pts = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...pts.map((p) => p.x));
  const yMax = Math.max(1, ...pts.map((p) => p.y)) * 1.1;
  const lx = (x: number): number => f.x0 + (x / xMax) * (f.x1 - f.x0);
  const ly = (y: number): number => f.y0 - (Math.max(0, y) / yMax) * (f.y0 - f.y1);
  const step = gridStep(yMax);
  for (let y = step; y < yMax; y += step) f.hline(ly(y), `${y} ${yLabel}`);
  for (const x of [...new Set(pts.map((p) => p.x))]) f.text(`${x}`, lx(x) - 10, f.y0 + 18);
  series.forEach((s, i) => {
    const c = f.legend(i, s.name);
    polyline(
      f.ctx,
      s.points.map((p) => [lx(p.x), ly(p.y)]),
      c,
    );
    f.ctx.fillStyle = c;
    for (const p of s.points) f.ctx.fillRect(lx(p.x) - 3, ly(p.y) - 3, 6, 6);
  });
  await f.save(file);
}
