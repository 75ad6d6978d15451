import type { SynapseLayer } from './device.js';

/** Math's functions as module constants: a hot loop then reads no global (slow inside vm contexts such as jest's). */
const { abs, max, min, round } = Math;

/** Largest weight code magnitude: 3 magnitude bits. */
export const CODE_MAX = 7;

/** Integer code of a real-valued shadow weight: round half away from zero, clip to -7..7. */
export function quantize(w: number): number {
  const mag = min(CODE_MAX, round(abs(w)));
  return mag === 0 ? 0 : w < 0 ? -mag : mag; // no -0
}

/**
 * Effective weights of one layer, the two coefficients of each synapse's current
 * I_ij = A_ij * h_i + B_ij * h_i * ln h_i (units of input_scale):
 *   A = sign(c) * sum_b bit_b(|c|) * g_b^sign,   B = sign(c) * sum_b bit_b(|c|) * g_b^sign * d_b^sign.
 * Quantized: c = quantize(w). Float (the ideal float baseline): c = w clipped to +-7 on the
 * straight line through the device's codes 0 and +-7: A = c * slopeA, B = c * slopeB (below).
 */
export interface Effective {
  A: Float64Array;
  /** null when every d of the layer is 0 (the linear synapse model). */
  B: Float64Array | null;
}

/** Per synapse and sign: g_b and g_b * d_b for b = 4, 2, 1, and their sums over the bits (|c| = 7). */
export interface Tables {
  gPos: Float64Array;
  gNeg: Float64Array;
  gdPos: Float64Array;
  gdNeg: Float64Array;
  sumPos: Float64Array;
  sumNeg: Float64Array;
  sumDPos: Float64Array;
  sumDNeg: Float64Array;
  logTerm: boolean;
}

const cache = new WeakMap<SynapseLayer, Tables>();

/** The tables of a synapse layer (computed once per layer object). */
export function tables(syn: SynapseLayer): Tables {
  let t = cache.get(syn);
  if (t) return t;
  const n = syn.rows * syn.cols;
  const gdPos = syn.gPos.map((g, q) => g * syn.dPos[q]);
  const gdNeg = syn.gNeg.map((g, q) => g * syn.dNeg[q]);
  const sum3 = (x: Float64Array) => Float64Array.from({ length: n }, (_, k) => x[3 * k] + x[3 * k + 1] + x[3 * k + 2]);
  t = {
    gPos: syn.gPos,
    gNeg: syn.gNeg,
    gdPos,
    gdNeg,
    sumPos: sum3(syn.gPos),
    sumNeg: sum3(syn.gNeg),
    sumDPos: sum3(gdPos),
    sumDNeg: sum3(gdNeg),
    logTerm: gdPos.some((v) => v !== 0) || gdNeg.some((v) => v !== 0),
  };
  cache.set(syn, t);
  return t;
}

export function effective(syn: SynapseLayer, w: Float64Array, quantized: boolean): Effective {
  const T = tables(syn);
  const n = syn.rows * syn.cols;
  const A = new Float64Array(n), B = T.logTerm ? new Float64Array(n) : null;
  for (let k = 0; k < n; k++) {
    const neg = w[k] < 0;
    if (!quantized) {
      const c = max(-CODE_MAX, min(CODE_MAX, w[k]));
      A[k] = (c * (neg ? T.sumNeg[k] : T.sumPos[k])) / CODE_MAX;
      if (B) B[k] = (c * (neg ? T.sumDNeg[k] : T.sumDPos[k])) / CODE_MAX;
      continue;
    }
    const mag = min(CODE_MAX, round(neg ? -w[k] : w[k])); // |quantize(w)|
    const sign = neg ? -1 : 1;
    const g = neg ? T.gNeg : T.gPos, q = 3 * k;
    A[k] = sign * ((mag & 4 ? g[q] : 0) + (mag & 2 ? g[q + 1] : 0) + (mag & 1 ? g[q + 2] : 0));
    if (B) {
      const gd = neg ? T.gdNeg : T.gdPos;
      B[k] = sign * ((mag & 4 ? gd[q] : 0) + (mag & 2 ? gd[q + 1] : 0) + (mag & 1 ? gd[q + 2] : 0));
    }
  }
  return { A, B };
}

/**
 * The straight-through gradient of the shadow weights: dL/dw = dL/dA * slopeA + dL/dB * slopeB,
 * with slopeA = dA/dc, slopeB = dB/dc of the straight line through the device's codes 0 and
 * +-7 at the sign of w (its mean gain per code step: sum_b g_b / 7, sum_b g_b d_b / 7).
 * For the float network this is the exact gradient.
 */
export function shadowGrad(syn: SynapseLayer, w: Float64Array, dA: Float64Array, dB: Float64Array | null): Float64Array {
  const T = tables(syn);
  const dw = new Float64Array(w.length);
  for (let k = 0; k < w.length; k++) {
    const neg = w[k] < 0;
    dw[k] = (dA[k] * (neg ? T.sumNeg[k] : T.sumPos[k]) + (dB ? dB[k] * (neg ? T.sumDNeg[k] : T.sumDPos[k]) : 0)) / CODE_MAX;
  }
  return dw;
}
