import type { PlotSpec } from './render.js';

/** One plot of the report: a vega-lite spec (rendered to inline SVG) and/or HTML, with a caption. */
export interface Figure {
  /** Stable name, the figure's `data-plot` attribute. */
  name: string;
  title: string;
  caption: string;
  spec?: PlotSpec;
  /** HTML shown under the plot (a table), already escaped. */
  html?: string;
}

/** A plot the folder has no data for, and why. */
export interface Skip {
  name: string;
  title: string;
  reason: string;
}

export type Outcome = Figure | Skip;

export const isFigure = (o: Outcome): o is Figure => !('reason' in o);

export interface Bin {
  x0: number;
  x1: number;
  count: number;
}

/** Equal-width bins over [lo, hi] (default: the values' range), Sturges' count within 5..30. */
export function histogram(values: number[], lo = Math.min(...values), hi = Math.max(...values), bins = Math.min(30, Math.max(5, Math.ceil(Math.log2(values.length)) + 1))): Bin[] {
  if (!(hi > lo)) {
    const half = Math.abs(lo) * 0.05 || 0.5;
    (lo -= half), (hi += half);
  }
  const w = (hi - lo) / bins;
  const out = Array.from({ length: bins }, (_, k) => ({ x0: lo + k * w, x1: lo + (k + 1) * w, count: 0 }));
  for (const v of values) out[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)))].count++;
  return out;
}

export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

/** Every `stride`-th index so that at most `max` remain (the last one kept), for long waveforms. */
export function thin(n: number, max: number): number[] {
  const stride = Math.max(1, Math.ceil(n / max));
  const idx: number[] = [];
  for (let i = 0; i < n; i += stride) idx.push(i);
  if (n > 0 && idx[idx.length - 1] !== n - 1) idx.push(n - 1);
  return idx;
}

export const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

const PREFIX: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n'], [1e-12, 'p'], [1e-15, 'f']];

/** A value with an SI prefix and 3 significant digits: eng(3.86e-11, 'J') = "38.6 pJ". */
export function eng(v: number, unit: string, digits = 3): string {
  if (v === 0 || !Number.isFinite(v)) return `${v} ${unit}`;
  const p = PREFIX.find(([s]) => Math.abs(v) >= s * 0.9995) ?? PREFIX[PREFIX.length - 1];
  return `${Number((v / p[0]).toPrecision(digits))} ${p[1]}${unit}`;
}

/** Width of every single plot and of each facet panel, px. */
export const WIDTH = 520;
export const HEIGHT = 280;
