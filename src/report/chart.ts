// Line charts described once and drawn twice: as inline SVG for report.html and rasterised into a PNG.
// Both renderings share one layout (plot area, scales, ticks) so the files show the same thing.
import { escapeHtml } from './html-escape.js';
import { RgbaCanvas, textWidth, type Rgb } from './raster.js';

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  color: Rgb;
  dashed?: boolean;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed y range (e.g. [0, 1] for precision); otherwise fitted to the data. */
  yRange?: readonly [number, number];
  /** Tick positions on x (e.g. the R values); otherwise chosen evenly. */
  xTicks?: readonly number[];
  width?: number;
  height?: number;
}

/** Colours distinguishable for common colour-vision deficiencies (Okabe-Ito). */
export const PALETTE: readonly Rgb[] = [
  [0, 114, 178],
  [213, 94, 0],
  [0, 158, 115],
  [204, 121, 167],
  [230, 159, 0],
  [86, 180, 233],
];

const margin = { left: 64, right: 160, top: 32, bottom: 44 };

interface Layout {
  width: number;
  height: number;
  x: (v: number) => number;
  y: (v: number) => number;
  xTicks: number[];
  yTicks: number[];
  plot: { left: number; right: number; top: number; bottom: number };
}

/** About `count` round tick values (steps of 1, 2 or 5 × 10^k) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

function extent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  const [lo, hi] = [Math.min(...finite), Math.max(...finite)];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

function layout(chart: Chart): Layout {
  const width = chart.width ?? 640;
  const height = chart.height ?? 360;
  const points = chart.series.flatMap((s) => s.points);
  const [x0, x1] = chart.xTicks?.length ? extent([...chart.xTicks]) : extent(points.map((p) => p[0]));
  const [y0, y1] = chart.yRange ?? extent(points.map((p) => p[1]));
  const plot = { left: margin.left, right: width - margin.right, top: margin.top, bottom: height - margin.bottom };
  return {
    width,
    height,
    plot,
    x: (v) => plot.left + ((v - x0) / (x1 - x0)) * (plot.right - plot.left),
    y: (v) => plot.bottom - ((v - y0) / (y1 - y0)) * (plot.bottom - plot.top),
    xTicks: chart.xTicks ? [...chart.xTicks] : niceTicks(x0, x1),
    yTicks: niceTicks(y0, y1).filter((t) => t >= y0 && t <= y1),
  };
}

export function formatTick(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(+v.toPrecision(4));
}

const finitePoints = (s: Series) => s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
const css = (c: Rgb) => `rgb(${c[0]},${c[1]},${c[2]})`;

export function chartSvg(chart: Chart): string {
  const l = layout(chart);
  const { left, right, top, bottom } = l.plot;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${l.width / 2}" y="18" text-anchor="middle" font-size="14">${escapeHtml(chart.title)}</text>`,
  ];
  for (const t of l.yTicks) {
    parts.push(`<line x1="${left}" x2="${right}" y1="${l.y(t)}" y2="${l.y(t)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${left - 6}" y="${l.y(t) + 4}" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of l.xTicks)
    parts.push(`<text x="${l.x(t)}" y="${bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  parts.push(`<path d="M${left},${top} V${bottom} H${right}" fill="none" stroke="black"/>`);
  parts.push(
    `<text x="${(left + right) / 2}" y="${l.height - 8}" text-anchor="middle">${escapeHtml(chart.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(16,${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const d = finitePoints(s)
      .map((p, k) => `${k ? 'L' : 'M'}${l.x(p[0]).toFixed(1)},${l.y(p[1]).toFixed(1)}`)
      .join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${css(s.color)}" stroke-width="2"${dash}/>`);
    const [only] = finitePoints(s);
    if (only && finitePoints(s).length === 1)
      parts.push(`<circle cx="${l.x(only[0])}" cy="${l.y(only[1])}" r="3" fill="${css(s.color)}"/>`);
    const ly = top + 14 * i + 6;
    parts.push(
      `<line x1="${right + 12}" x2="${right + 36}" y1="${ly}" y2="${ly}" stroke="${css(s.color)}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${right + 42}" y="${ly + 4}">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function chartPng(chart: Chart): Uint8Array {
  const l = layout(chart);
  const { left, right, top, bottom } = l.plot;
  const canvas = new RgbaCanvas(l.width, l.height);
  const black: Rgb = [0, 0, 0];
  canvas.text((l.width - textWidth(chart.title, 2)) / 2, 6, chart.title, black, 2);
  for (const t of l.yTicks) {
    canvas.line(left, l.y(t), right, l.y(t), [228, 228, 228]);
    const label = formatTick(t);
    canvas.text(left - 6 - textWidth(label), l.y(t) - 3, label);
  }
  for (const t of l.xTicks) canvas.text(l.x(t) - textWidth(formatTick(t)) / 2, bottom + 8, formatTick(t));
  canvas.line(left, top, left, bottom, black);
  canvas.line(left, bottom, right, bottom, black);
  canvas.text((left + right - textWidth(chart.xLabel)) / 2, l.height - 16, chart.xLabel);
  canvas.verticalText(14, (top + bottom) / 2, chart.yLabel);
  chart.series.forEach((s, i) => {
    const pts = finitePoints(s);
    const dash = s.dashed ? 6 : 0;
    for (let k = 1; k < pts.length; k++)
      canvas.line(l.x(pts[k - 1]![0]), l.y(pts[k - 1]![1]), l.x(pts[k]![0]), l.y(pts[k]![1]), s.color, 2, dash);
    if (pts.length === 1) canvas.fillRect(l.x(pts[0]![0]) - 2, l.y(pts[0]![1]) - 2, 5, 5, s.color);
    const ly = top + 14 * i + 6;
    canvas.line(right + 12, ly, right + 36, ly, s.color, 2, dash);
    canvas.text(right + 42, ly - 3, s.name);
  });
  return canvas.png();
}
