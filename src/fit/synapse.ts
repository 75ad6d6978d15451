/**
 * Synapse model of one bit at one sign: I = g * h * (1 + d * ln(h / iRef)). Linear in
 * (g, g*d), so each device is a 2x2 least-squares problem.
 */
export function synapseOut(g: number, d: number, iRef: number, h: number): number {
  return h > 0 ? g * h * (1 + d * Math.log(h / iRef)) : 0;
}

export function fitSynapse(h: number[], y: number[], iRef: number): { g: number; d: number; sse: number; sst: number } {
  let s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0;
  h.forEach((x, i) => {
    if (!(x > 0)) return;
    const f1 = x;
    const f2 = x * Math.log(x / iRef);
    s11 += f1 * f1;
    s12 += f1 * f2;
    s22 += f2 * f2;
    b1 += f1 * y[i];
    b2 += f2 * y[i];
  });
  const det = s11 * s22 - s12 * s12;
  let g: number, gd: number;
  if (Math.abs(det) > 1e-12 * s11 * s22) {
    g = (b1 * s22 - b2 * s12) / det;
    gd = (s11 * b2 - s12 * b1) / det;
  } else {
    g = s11 > 0 ? b1 / s11 : 0;
    gd = 0;
  }
  const d = g !== 0 ? gd / g : 0;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sse = 0, sst = 0;
  h.forEach((x, i) => {
    sse += (y[i] - synapseOut(g, d, iRef, x)) ** 2;
    sst += (y[i] - my) ** 2;
  });
  return { g, d, sse, sst };
}
