/**
 * @module bench/plot
 * Draws the latency distribution of each scenario as a CDF (x: ms on a log scale, y: share of
 * proxies converged), and the soak's memory over time (x: minutes, y: MB, with the fitted trend
 * lines), into PNGs with pureimage (pure JS). Labels use DejaVu Sans when installed.
 */
import { createWriteStream, existsSync } from 'node:fs';
import * as PImage from 'pureimage';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

async function canvas(
  W: number,
  H: number,
): Promise<{ img: PImage.Bitmap; ctx: PImage.Context; text: (s: string, x: number, y: number, color?: string) => void }> {
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
  return { img, ctx, text };
}

export interface TimeSeries {
  readonly name: string;
  readonly points: readonly { t: number; mb: number }[];
  /** A fitted line (MB = intercept + slope·t) drawn dashed from `from` seconds on. */
  readonly fit?: { readonly intercept: number; readonly slopeMbPerS: number; readonly from: number };
}

/** Memory over time: one line per series, its fitted trend, and a vertical mark at the end of the warm-up. */
export async function plotSeries(file: string, title: string, series: readonly TimeSeries[], warmupS: number): Promise<void> {
  const W = 900,
    H = 520,
    L = 70,
    R = 220,
    T = 40,
    B = 50;
  const { img, ctx, text } = await canvas(W, H);
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
  const step = 10 ** Math.floor(Math.log10(yMax)) / (yMax / 10 ** Math.floor(Math.log10(yMax)) < 3 ? 2 : 1);
  const lx = (t: number): number => L + (t / tMax) * (W - L - R);
  const ly = (mb: number): number => H - B - (Math.max(0, mb) / yMax) * (H - T - B);
  ctx.strokeStyle = '#000000';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(L, T);
  ctx.lineTo(L, H - B);
  ctx.lineTo(W - R, H - B);
  ctx.stroke();
  text(title, L, 24);
  for (let y = step; y < yMax; y += step) {
    ctx.strokeStyle = '#dddddd';
    ctx.beginPath();
    ctx.moveTo(L, ly(y));
    ctx.lineTo(W - R, ly(y));
    ctx.stroke();
    text(`${y} MB`, 8, ly(y) + 4);
  }
  const minutes = tMax / 60;
  const tick = minutes > 20 ? 5 : minutes > 6 ? 1 : 0.5;
  for (let m = tick; m <= minutes; m += tick) text(`${m}`, lx(m * 60) - 6, H - B + 18);
  text('minutes since start (dashed: least-squares fit after warm-up)', L, H - 10);
  ctx.strokeStyle = '#999999';
  ctx.beginPath();
  ctx.moveTo(lx(warmupS), T);
  ctx.lineTo(lx(warmupS), H - B);
  ctx.stroke();
  text('warm-up', lx(warmupS) + 4, T + 14, '#999999');
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    ctx.strokeStyle = c;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach((p, k) => {
      if (k === 0) ctx.moveTo(lx(p.t), ly(p.mb));
      else ctx.lineTo(lx(p.t), ly(p.mb));
    });
    ctx.stroke();
    if (s.fit) {
      const { intercept, slopeMbPerS, from } = s.fit;
      ctx.lineWidth = 1;
      const dash = (tMax - from) / 40;
      for (let t = from; t < tMax; t += 2 * dash) {
        ctx.beginPath();
        ctx.moveTo(lx(t), ly(intercept + slopeMbPerS * t));
        ctx.lineTo(lx(Math.min(tMax, t + dash)), ly(intercept + slopeMbPerS * Math.min(tMax, t + dash)));
        ctx.stroke();
      }
    }
    ctx.fillStyle = c;
    ctx.fillRect(W - R + 15, T + 10 + i * 22, 14, 10);
    text(s.name, W - R + 35, T + 20 + i * 22, c);
  });
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    out.on('finish', resolve);
    out.on('error', reject);
    PImage.encodePNGToStream(img, out).catch(reject);
  });
}

export async function plotCdf(file: string, title: string, series: { name: string; ms: number[] }[]): Promise<void> {
  const W = 900,
    H = 520,
    L = 70,
    R = 220,
    T = 40,
    B = 50;
  const { img, ctx, text } = await canvas(W, H);
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
    L + ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1)) * (W - L - R);
  const ly = (f: number): number => H - B - f * (H - T - B);
  ctx.strokeStyle = '#000000';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(L, T);
  ctx.lineTo(L, H - B);
  ctx.lineTo(W - R, H - B);
  ctx.stroke();
  text(title, L, 24);
  for (let d = Math.ceil(Math.log10(lo)); d <= Math.floor(Math.log10(hi)); d++) {
    const x = lx(10 ** d);
    ctx.strokeStyle = '#dddddd';
    ctx.beginPath();
    ctx.moveTo(x, T);
    ctx.lineTo(x, H - B);
    ctx.stroke();
    text(`${10 ** d} ms`, x - 15, H - B + 18);
  }
  for (const f of [0.5, 0.99]) {
    ctx.strokeStyle = '#dddddd';
    ctx.beginPath();
    ctx.moveTo(L, ly(f));
    ctx.lineTo(W - R, ly(f));
    ctx.stroke();
    text(`p${Math.round(f * 100)}`, L - 40, ly(f) + 4);
  }
  text('share of proxies converged (CDF), latency log scale', L, H - 10);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const v = [...s.ms].sort((a, b) => a - b);
    ctx.strokeStyle = c;
    ctx.lineWidth = 2;
    ctx.beginPath();
    v.forEach((ms, k) => {
      const x = lx(ms),
        y = ly((k + 1) / v.length);
      if (k === 0) ctx.moveTo(x, ly(0));
      ctx.lineTo(x, y);
    });
    ctx.stroke();
    ctx.fillStyle = c;
    ctx.fillRect(W - R + 15, T + 10 + i * 22, 14, 10);
    text(s.name, W - R + 35, T + 20 + i * 22, c);
  });
  await PImage.encodePNGToStream(img, createWriteStream(file));
}

/** y against x, one line per series, both axes linear from 0 (the flat-cost bench: ms against services). */
export async function plotLines(
  file: string,
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly { name: string; points: readonly { x: number; y: number }[] }[],
): Promise<void> {
  const W = 900,
    H = 520,
    L = 70,
    R = 220,
    T = 40,
    B = 50;
  const { img, ctx, text } = await canvas(W, H);
  const pts = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...pts.map((p) => p.x));
  const yMax = Math.max(1, ...pts.map((p) => p.y)) * 1.1;
  const lx = (x: number): number => L + (x / xMax) * (W - L - R);
  const ly = (y: number): number => H - B - (Math.max(0, y) / yMax) * (H - T - B);
  ctx.strokeStyle = '#000000';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(L, T);
  ctx.lineTo(L, H - B);
  ctx.lineTo(W - R, H - B);
  ctx.stroke();
  text(title, L, 24);
  const mag = 10 ** Math.floor(Math.log10(yMax));
  const step = yMax / mag < 3 ? mag / 2 : mag;
  for (let y = step; y < yMax; y += step) {
    ctx.strokeStyle = '#dddddd';
    ctx.beginPath();
    ctx.moveTo(L, ly(y));
    ctx.lineTo(W - R, ly(y));
    ctx.stroke();
    text(`${y} ${yLabel}`, 8, ly(y) + 4);
  }
  for (const x of [...new Set(pts.map((p) => p.x))]) text(`${x}`, lx(x) - 10, H - B + 18);
  text(xLabel, L, H - 10);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    ctx.strokeStyle = c;
    ctx.fillStyle = c;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach((p, k) => {
      if (k === 0) ctx.moveTo(lx(p.x), ly(p.y));
      else ctx.lineTo(lx(p.x), ly(p.y));
    });
    ctx.stroke();
    for (const p of s.points) ctx.fillRect(lx(p.x) - 3, ly(p.y) - 3, 6, 6);
    ctx.fillRect(W - R + 15, T + 10 + i * 22, 14, 10);
    text(s.name, W - R + 35, T + 20 + i * 22, c);
  });
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    out.on('finish', resolve);
    out.on('error', reject);
    PImage.encodePNGToStream(img, out).catch(reject);
  });
}
