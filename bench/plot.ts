/**
 * @module bench/plot
 * Draws the latency distribution of each scenario as a CDF (x: ms on a log scale, y: share of
 * proxies converged) into a PNG with pureimage (pure JS). Labels use DejaVu Sans when installed.
 */
import { createWriteStream, existsSync } from 'node:fs';
import * as PImage from 'pureimage';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

export async function plotCdf(file: string, title: string, series: { name: string; ms: number[] }[]): Promise<void> {
  const W = 900, H = 520, L = 70, R = 220, T = 40, B = 50;
  const img = PImage.make(W, H);
  const ctx = img.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  const all = series.flatMap((s) => s.ms).filter((x) => x > 0);
  const lo = Math.max(1, all.reduce((a, b) => (b < a ? b : a), 1000));
  const hi = Math.max(10, all.reduce((a, b) => (b > a ? b : a), 0));
  const lx = (ms: number): number => L + ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1)) * (W - L - R);
  const ly = (f: number): number => H - B - f * (H - T - B);
  ctx.strokeStyle = '#000000';
  ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.stroke();
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
  text(title, L, 24);
  for (let d = Math.ceil(Math.log10(lo)); d <= Math.floor(Math.log10(hi)); d++) {
    const x = lx(10 ** d);
    ctx.strokeStyle = '#dddddd';
    ctx.beginPath(); ctx.moveTo(x, T); ctx.lineTo(x, H - B); ctx.stroke();
    text(`${10 ** d} ms`, x - 15, H - B + 18);
  }
  for (const f of [0.5, 0.99]) {
    ctx.strokeStyle = '#dddddd';
    ctx.beginPath(); ctx.moveTo(L, ly(f)); ctx.lineTo(W - R, ly(f)); ctx.stroke();
    text(`p${Math.round(f * 100)}`, L - 40, ly(f) + 4);
  }
  text('share of proxies converged (CDF), latency log scale', L, H - 10);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const v = [...s.ms].sort((a, b) => a - b);
    ctx.strokeStyle = c;
    ctx.lineWidth = 2;
    ctx.beginPath();
    v.forEach((ms, k) => { const x = lx(ms), y = ly((k + 1) / v.length); if (k === 0) ctx.moveTo(x, ly(0)); ctx.lineTo(x, y); });
    ctx.stroke();
    ctx.fillStyle = c;
    ctx.fillRect(W - R + 15, T + 10 + i * 22, 14, 10);
    text(s.name, W - R + 35, T + 20 + i * 22, c);
  });
  await PImage.encodePNGToStream(img, createWriteStream(file));
}
