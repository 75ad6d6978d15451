import type { Effective } from './codes.js';
import type { DeviceNet, SomaLayer } from './device.js';
import { matmul, matmulAT, matmulBT } from './kernel.js';

/** Math's functions as module constants: a hot loop then reads no global (slow inside vm contexts such as jest's). */
const { exp, log, log1p, max } = Math;

/**
 * The network of circuits.md, per layer (units of input_scale, a batch of n samples as rows):
 *
 *   h0_i  = a0_i * max(0, x_i - t0_i) for x_i > 0, else 0              input somas
 *   u_j   = sum_i A_ij * h_i + B_ij * h_i * ln h_i - t_j               synapse currents add up
 *   h'_j  = a_j * max(0, u_j)                                          soma (or a_j*s_j*softplus(u_j/s_j))
 *
 * with A, B the effective weights of the codes (codes.ts). Shapes: h [n x I], A, B [I x J],
 * u, h' [n x J].
 */

/** What the backward pass needs of one weight layer. */
export interface LayerTape {
  h: Float64Array; // [n x I] presynaptic activity
  hlnh: Float64Array | null; // [n x I] h * ln h (with the log term)
  u: Float64Array; // [n x J] soma input minus threshold
  out: Float64Array; // [n x J] soma output
}

const xlnx = (x: number) => (x > 0 ? x * log(x) : 0);
const softplus = (z: number) => (z > 30 ? z : log1p(exp(z)));
const sigmoid = (z: number) => 1 / (1 + exp(-z));

/** Soma outputs of u (already minus t): a * max(0, u), or a * s * softplus(u / s). */
function soma(s: SomaLayer, u: Float64Array, out: Float64Array, n: number): void {
  const J = s.a.length;
  for (let r = 0; r < n; r++)
    for (let j = 0; j < J; j++) {
      const z = u[r * J + j];
      out[r * J + j] = s.s ? s.a[j] * s.s[j] * softplus(z / s.s[j]) : z > 0 ? s.a[j] * z : 0;
    }
}

/** dh/du of one soma at u (the backward pass). */
function somaSlope(s: SomaLayer, u: number, j: number): number {
  return s.s ? s.a[j] * sigmoid(u / s.s[j]) : u > 0 ? s.a[j] : 0;
}

/**
 * The input somas: h0 = a0 * max(0, x - t0) (or softplus) for x > 0, and 0 for x <= 0, x in
 * units of input_scale. A soma fed no current puts out none (SPICE: a few pA), while the fitted
 * line's threshold t0 (about -1 nA: the line through the measured points above 5 % of the
 * largest, where the mirror's gain is a little lower than near 0) would give it a0 * |t0|. On
 * MNIST about 150 of 196 pixels are 0 in a digit, most of them in every digit, so that offset
 * summed through their synapses is a bias current the circuit does not have, and a trainer
 * learns to use it (docs/training.md, the model the trainer sees).
 */
export function inputLayer(net: DeviceNet, x: Float64Array, n: number): Float64Array {
  const s = net.somas[0], I = net.layers[0];
  const u = new Float64Array(n * I);
  for (let r = 0; r < n; r++) for (let i = 0; i < I; i++) u[r * I + i] = x[r * I + i] - s.t[i];
  const h = new Float64Array(n * I);
  soma(s, u, h, n);
  for (let q = 0; q < n * I; q++) if (!(x[q] > 0)) h[q] = 0;
  return h;
}

/** h * ln h elementwise (0 at h = 0): the input of the synapses' log term. */
export const hLogH = (h: Float64Array): Float64Array => h.map(xlnx);

/**
 * Forward through every weight layer from the input somas' outputs h0; returns one tape per
 * layer. `h0lnh0` may pass hLogH(h0) computed once for a fixed training set.
 */
export function forward(net: DeviceNet, W: Effective[], h0: Float64Array, n: number, h0lnh0?: Float64Array): LayerTape[] {
  const tapes: LayerTape[] = [];
  let h = h0;
  W.forEach((w, k) => {
    const I = net.layers[k], J = net.layers[k + 1], s = net.somas[k + 1];
    const u = new Float64Array(n * J);
    matmul(u, h, w.A, n, I, J); //                                  u  = h @ A
    const hlnh = w.B ? (k === 0 && h0lnh0 ? h0lnh0 : hLogH(h)) : null;
    if (w.B) matmul(u, hlnh!, w.B, n, I, J, true); //                u += (h ln h) @ B
    for (let r = 0; r < n; r++) for (let j = 0; j < J; j++) u[r * J + j] -= s.t[j]; // u -= t
    const out = new Float64Array(n * J);
    soma(s, u, out, n); //                                          h' = a * max(0, u)
    tapes.push({ h, hlnh, u, out });
    h = out;
  });
  return tapes;
}

/** Gradients of the loss with respect to each layer's effective weights A and B. */
export interface LayerGrad {
  dA: Float64Array;
  dB: Float64Array | null;
}

/**
 * Backward from dL/d(output somas' outputs); also returns dL/dh0 when asked (for the
 * gradient check; training does not need it: the input layer has nothing to learn).
 */
export function backward(net: DeviceNet, W: Effective[], tapes: LayerTape[], dOut: Float64Array, n: number, wantInputGrad = false): { grads: LayerGrad[]; dh0?: Float64Array } {
  const grads: LayerGrad[] = new Array(W.length);
  let dh = dOut;
  for (let k = W.length - 1; k >= 0; k--) {
    const I = net.layers[k], J = net.layers[k + 1], s = net.somas[k + 1], { h, hlnh, u } = tapes[k], w = W[k];
    const du = new Float64Array(n * J);
    for (let r = 0; r < n; r++) for (let j = 0; j < J; j++) du[r * J + j] = dh[r * J + j] * somaSlope(s, u[r * J + j], j); // du = dh' * a * 1[u > 0]
    const dA = new Float64Array(I * J);
    matmulAT(dA, h, du, n, I, J); //                                 dA = h^T @ du
    const dB = w.B ? new Float64Array(I * J) : null;
    if (dB) matmulAT(dB, hlnh!, du, n, I, J); //                      dB = (h ln h)^T @ du
    grads[k] = { dA, dB };
    if (k === 0 && !wantInputGrad) break;
    const dhPrev = new Float64Array(n * I);
    matmulBT(dhPrev, du, w.A, n, J, I); //                            dh = du @ A^T
    if (w.B) {
      const viaB = new Float64Array(n * I);
      matmulBT(viaB, du, w.B, n, J, I); //                            dh += (du @ B^T) * (ln h + 1)
      for (let q = 0; q < n * I; q++) if (h[q] > 0) dhPrev[q] += viaB[q] * (log(h[q]) + 1);
    }
    dh = dhPrev;
  }
  return { grads, dh0: wantInputGrad ? dh : undefined };
}

/**
 * Softmax cross-entropy of the output currents scaled by `logitScale` (logits = scale * h_out),
 * averaged over the batch; returns the loss and dL/dh_out.
 */
export function softmaxCrossEntropy(out: Float64Array, y: ArrayLike<number>, n: number, classes: number, logitScale: number): { loss: number; dOut: Float64Array; correct: number } {
  const dOut = new Float64Array(n * classes);
  let loss = 0, correct = 0;
  for (let r = 0; r < n; r++) {
    const o = r * classes;
    let top = -Infinity, arg = 0;
    for (let c = 0; c < classes; c++) if (out[o + c] > top) [top, arg] = [out[o + c], c];
    if (arg === y[r]) correct++;
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += (dOut[o + c] = exp(logitScale * (out[o + c] - top)));
    for (let c = 0; c < classes; c++) dOut[o + c] /= sum; // softmax p
    loss -= log(max(dOut[o + y[r]], 1e-300));
    dOut[o + y[r]] -= 1;
    for (let c = 0; c < classes; c++) dOut[o + c] *= logitScale / n; // dL/dh = scale * (p - onehot) / n
  }
  return { loss: loss / n, dOut, correct };
}
