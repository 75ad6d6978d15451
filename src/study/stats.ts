/** Mean of the numbers given (nulls dropped); null when there are none. */
export function mean(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** Sample standard deviation (n - 1); null for fewer than two numbers. */
export function sampleStd(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length < 2) return null;
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

/** Two-sided 97.5 % normal quantile: the z of a 95 % interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for a binomial proportion: k successes in n trials. Unlike the
 * normal (Wald) interval it stays inside [0, 1] and is not degenerate at k = 0 or k = n.
 * n = 0 gives [0, 1].
 */
export function wilson(k: number, n: number, z = Z95): { p: number; lo: number; hi: number } {
  if (!(n > 0)) return { p: NaN, lo: 0, hi: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { p, lo: Math.max(0, center - half), hi: Math.min(1, center + half) };
}

/**
 * Pareto front of points to minimize in `cost` and maximize in `value`: true where no other
 * point is at least as good in both and better in one. Points with a null coordinate are
 * never on the front (and dominate nothing).
 */
export function paretoFront(points: readonly { cost: number | null; value: number | null }[]): boolean[] {
  const ok = (p: { cost: number | null; value: number | null }) => p.cost !== null && p.value !== null && Number.isFinite(p.cost) && Number.isFinite(p.value);
  return points.map((p) => {
    if (!ok(p)) return false;
    return !points.some((q) => ok(q) && q !== p && q.cost! <= p.cost! && q.value! >= p.value! && (q.cost! < p.cost! || q.value! > p.value!));
  });
}
