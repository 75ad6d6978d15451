/** Points with h below this share of the largest are left out of the exponent fit (log of ~0). */
const LOG_FLOOR = 0.02;

/**
 * The common exponent e of I = g * I_ref * (h / I_ref)^e over many devices: a log-log
 * regression with one intercept per device (its gain) and one shared slope.
 */
export function fitExponent(devices: { h: number[]; y: number[] }[]): number {
  let sxy = 0, sxx = 0;
  for (const d of devices) {
    const hmax = Math.max(...d.h);
    const idx = d.h.map((_, i) => i).filter((i) => d.h[i] > LOG_FLOOR * hmax && Math.abs(d.y[i]) > 0);
    if (idx.length < 2) continue;
    const lx = idx.map((i) => Math.log(d.h[i]));
    const ly = idx.map((i) => Math.log(Math.abs(d.y[i])));
    const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
    const my = ly.reduce((a, b) => a + b, 0) / ly.length;
    lx.forEach((x, k) => {
      sxy += (x - mx) * (ly[k] - my);
      sxx += (x - mx) ** 2;
    });
  }
  return sxx > 0 ? sxy / sxx : 1;
}

/** Synapse current of gain g at presynaptic output h (A), with reference current iRef. */
export function synapseOut(g: number, e: number, iRef: number, h: number): number {
  return h > 0 ? g * iRef * Math.pow(h / iRef, e) : 0;
}

/** Gain of one bit at one sign for a given exponent: least squares in I, and its residuals. */
export function fitGain(h: number[], y: number[], e = 1, iRef = 1): { g: number; sse: number; sst: number } {
  const basis = h.map((x) => synapseOut(1, e, iRef, x));
  let sxy = 0, sxx = 0;
  basis.forEach((x, i) => {
    sxy += x * y[i];
    sxx += x * x;
  });
  const g = sxx > 0 ? sxy / sxx : 0;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sse = 0, sst = 0;
  basis.forEach((x, i) => {
    sse += (y[i] - g * x) ** 2;
    sst += (y[i] - my) ** 2;
  });
  return { g, sse, sst };
}
