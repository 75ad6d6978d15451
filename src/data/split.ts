import { Stream } from '../mismatch/rng.js';
import type { Split } from './types.js';

/** 0..n-1 in a seeded random order (Fisher-Yates on the named stream). */
export function shuffledIndices(n: number, key: string): number[] {
  const s = new Stream(key);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(s.uniform() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

/** The samples at the given indices, in that order. */
export function take(x: ArrayLike<number>, y: ArrayLike<number>, features: number, idx: number[]): Split {
  const out: Split = { x: new Float64Array(idx.length * features), y: new Uint8Array(idx.length), n: idx.length };
  idx.forEach((k, r) => {
    for (let f = 0; f < features; f++) out.x[r * features + f] = x[k * features + f];
    out.y[r] = y[k];
  });
  return out;
}

/** Per-feature min and max over a split (the training split's range normalizes every split). */
export function featureRange(s: Split, features: number): { min: number[]; max: number[] } {
  const min = new Array<number>(features).fill(Infinity);
  const max = new Array<number>(features).fill(-Infinity);
  for (let r = 0; r < s.n; r++)
    for (let f = 0; f < features; f++) {
      const v = s.x[r * features + f];
      if (v < min[f]) min[f] = v;
      if (v > max[f]) max[f] = v;
    }
  return { min, max };
}

/** Maps each feature by (v - min) / (max - min), clipped to [0, 1], in place. */
export function minMaxInPlace(s: Split, features: number, range: { min: number[]; max: number[] }): void {
  for (let r = 0; r < s.n; r++)
    for (let f = 0; f < features; f++) {
      const span = range.max[f] - range.min[f];
      const v = span > 0 ? (s.x[r * features + f] - range.min[f]) / span : 0;
      s.x[r * features + f] = Math.min(1, Math.max(0, v));
    }
}
