/** A fitted soma: out = a * max(0, u - t), or its softplus form with width s. */
export interface SomaFit {
  a: number;
  t: number;
  s?: number;
  rms: number;
  r2: number;
}

export type SomaModelKind = 'relu' | 'softplus';

export function somaOut(f: { a: number; t: number; s?: number }, u: number): number {
  if (f.s === undefined) return f.a * Math.max(0, u - f.t);
  const z = (u - f.t) / f.s;
  return f.a * f.s * (z > 30 ? z : Math.log1p(Math.exp(z)));
}

function quality(f: SomaFit, x: number[], y: number[]): { rms: number; r2: number } {
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let ss = 0, st = 0;
  x.forEach((u, i) => {
    ss += (y[i] - somaOut(f, u)) ** 2;
    st += (y[i] - my) ** 2;
  });
  return { rms: Math.sqrt(ss / x.length), r2: st > 0 ? 1 - ss / st : 1 };
}

/**
 * ReLU fit: a straight line through the active points (output above 5 % of the largest),
 * its zero crossing is the threshold. The seed fitted a slope alone; the offset t is
 * allowed and expected near 0.
 */
function fitRelu(x: number[], y: number[]): SomaFit {
  const ymax = Math.max(...y);
  const idx = x.map((_, i) => i).filter((i) => y[i] > 0.05 * ymax);
  if (idx.length < 2) return { a: 0, t: 0, rms: 0, r2: 0 };
  const n = idx.length;
  const mx = idx.reduce((s, i) => s + x[i], 0) / n;
  const my = idx.reduce((s, i) => s + y[i], 0) / n;
  let sxx = 0, sxy = 0;
  for (const i of idx) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const a = sxy / sxx;
  const t = mx - my / a;
  const f: SomaFit = { a, t, rms: 0, r2: 0 };
  return { ...f, ...quality(f, x, y) };
}

/** Softplus fit by Levenberg-Marquardt on (a, t, log s), started from the ReLU fit. */
function fitSoftplus(x: number[], y: number[]): SomaFit {
  const relu = fitRelu(x, y);
  const span = Math.max(...x) - Math.min(...x);
  let p = [relu.a, relu.t, Math.log(span / 50)];
  const resid = (q: number[]) => x.map((u, i) => somaOut({ a: q[0], t: q[1], s: Math.exp(q[2]) }, u) - y[i]);
  const cost = (r: number[]) => r.reduce((s, v) => s + v * v, 0);
  let r = resid(p);
  let c = cost(r);
  let lambda = 1e-3;
  const scale = [Math.abs(p[0]) || 1, span, 1];
  for (let iter = 0; iter < 100; iter++) {
    // Jacobian by central differences in scaled parameters.
    const J = x.map(() => [0, 0, 0]);
    for (let k = 0; k < 3; k++) {
      const h = 1e-6 * scale[k];
      const up = [...p], dn = [...p];
      up[k] += h;
      dn[k] -= h;
      const ru = resid(up), rd = resid(dn);
      for (let i = 0; i < x.length; i++) J[i][k] = (ru[i] - rd[i]) / (2 * h);
    }
    const A = [0, 1, 2].map((a) => [0, 1, 2].map((b) => J.reduce((s, row) => s + row[a] * row[b], 0)));
    const g = [0, 1, 2].map((a) => J.reduce((s, row, i) => s + row[a] * r[i], 0));
    let improved = false;
    for (let tries = 0; tries < 10 && !improved; tries++) {
      const M = A.map((row, a) => row.map((v, b) => (a === b ? v * (1 + lambda) : v)));
      const d = solve3(M, g.map((v) => -v));
      if (!d) break;
      const q = p.map((v, k) => v + d[k]);
      const rq = resid(q);
      const cq = cost(rq);
      if (cq < c) {
        p = q;
        r = rq;
        const rel = (c - cq) / c;
        c = cq;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (rel < 1e-12) iter = 1e9;
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  const f: SomaFit = { a: p[0], t: p[1], s: Math.exp(p[2]), rms: 0, r2: 0 };
  return { ...f, ...quality(f, x, y) };
}

function solve3(M: number[][], b: number[]): number[] | undefined {
  const A = M.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < 3; c++) {
    let piv = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    if (Math.abs(A[piv][c]) < 1e-300) return undefined;
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k < 4; k++) A[r][k] -= f * A[c][k];
    }
  }
  return [0, 1, 2].map((i) => A[i][3] / A[i][i]);
}

export function fitSoma(kind: SomaModelKind, x: number[], y: number[]): SomaFit {
  return kind === 'relu' ? fitRelu(x, y) : fitSoftplus(x, y);
}
