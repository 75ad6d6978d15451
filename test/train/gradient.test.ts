import { Stream } from '../../src/mismatch/rng.js';
import {
  TrainEngine,
  backward,
  deviceNet,
  effective,
  forward,
  inputLayer,
  kernelModule,
  matmul,
  matmulAT,
  matmulBT,
  quantize,
  shadowGrad,
  softmaxCE,
  softmaxCrossEntropy,
  syntheticModels,
  type DeviceNet,
  type Effective,
} from '../../src/train/index.js';

/**
 * Largest |analytic - numeric| / (|analytic| + |numeric|) over the entries; entries below
 * 1e-4 are compared absolutely (finite differences of a loss near 1 carry ~1e-10 of noise).
 */
function relError(analytic: ArrayLike<number>, numeric: ArrayLike<number>): number {
  let worst = 0;
  for (let k = 0; k < analytic.length; k++) worst = Math.max(worst, Math.abs(analytic[k] - numeric[k]) / Math.max(1e-4, Math.abs(analytic[k]) + Math.abs(numeric[k])));
  return worst;
}

/** Central finite differences of f with respect to every entry of v (in place, restored). */
function numericGrad(v: Float64Array, f: () => number, eps = 1e-6): Float64Array {
  return v.map((x, k) => {
    v[k] = x + eps;
    const up = f();
    v[k] = x - eps;
    const down = f();
    v[k] = x;
    return (up - down) / (2 * eps);
  });
}

function setup(softplus: boolean) {
  const layers = [5, 4, 3];
  const models = syntheticModels({ layers, seed: 11, somaSpread: 0.3, bitSpread: [0.2, 0.2, 0.3], thresholdSpread: 1e-9, dlog: -0.05, dlogSpread: 0.02, soma_model: softplus ? 'softplus' : 'relu', s: 3e-9 });
  const net = deviceNet(models);
  const s = new Stream('test/gradient');
  const n = 4;
  const x = Float64Array.from({ length: n * layers[0] }, () => 0.05 + 0.95 * s.uniform());
  const y = [0, 2, 1, 2];
  // Codes in -3..7: mostly excitatory, so that most somas are on for these non-negative inputs.
  const codes = net.synapses.map((syn) => Float64Array.from({ length: syn.rows * syn.cols }, () => Math.round(10 * s.uniform() - 3)));
  return { net, n, x, y, codes };
}

const loss = (net: DeviceNet, W: Effective[], h0: Float64Array, y: number[], n: number) => softmaxCrossEntropy(forward(net, W, h0, n).at(-1)!.out, y, n, 3, 3);

describe('gradients of the device network match finite differences (float64)', () => {
  for (const softplus of [false, true]) {
    it(`${softplus ? 'softplus' : 'relu'} somas, synapses with the log term: dL/dA, dL/dB of every layer and dL/dh0`, () => {
      const { net, n, x, y, codes } = setup(softplus);
      const W = codes.map((c, k) => effective(net.synapses[k], c, true));
      const h0 = inputLayer(net, x, n);
      expect(W.every((w) => w.B !== null)).toBe(true);
      const tapes = forward(net, W, h0, n);
      const { grads, dh0 } = backward(net, W, tapes, loss(net, W, h0, y, n).dOut, n, true);
      const L = () => loss(net, W, h0, y, n).loss;
      for (let k = 0; k < W.length; k++) {
        expect(relError(grads[k].dA, numericGrad(W[k].A, L))).toBeLessThan(1e-5);
        expect(relError(grads[k].dB!, numericGrad(W[k].B!, L))).toBeLessThan(1e-5);
      }
      expect(relError(dh0!, numericGrad(h0, L))).toBeLessThan(1e-5);
      for (const g of grads) expect(g.dA.filter((v) => Math.abs(v) > 1e-3).length).toBeGreaterThan(g.dA.length / 2); // not a vacuous check
    });
  }

  it('the float network: dL/d(shadow weights) through the effective weights', () => {
    const { net, n, x, y } = setup(false);
    const s = new Stream('test/gradient/float');
    // Away from 0 (where the slope switches sign tables) and from the +-7 clip.
    const w = net.synapses.map((syn) => Float64Array.from({ length: syn.rows * syn.cols }, () => (s.uniform() < 0.5 ? -1 : 1) * (0.5 + 6 * s.uniform())));
    const h0 = inputLayer(net, x, n);
    const L = () => loss(net, w.map((v, k) => effective(net.synapses[k], v, false)), h0, y, n).loss;
    const W = w.map((v, k) => effective(net.synapses[k], v, false));
    const { grads } = backward(net, W, forward(net, W, h0, n), loss(net, W, h0, y, n).dOut, n);
    w.forEach((v, k) => expect(relError(shadowGrad(net.synapses[k], v, grads[k].dA, grads[k].dB), numericGrad(v, L))).toBeLessThan(1e-5));
  });
});

describe('the float32 wasm engine computes the float64 reference step', () => {
  for (const softplus of [false, true])
    it(`${softplus ? 'softplus' : 'relu'} somas: output currents and dL/dA, dL/dB of every layer (padded and odd sizes)`, async () => {
      const { net, n, x, y } = setup(softplus);
      const s = new Stream('test/engine');
      const w = net.synapses.map((syn) => Float64Array.from({ length: syn.rows * syn.cols }, () => 10 * s.uniform() - 3));
      const W = w.map((c, k) => effective(net.synapses[k], c, true));
      const tapes = forward(net, W, inputLayer(net, x, n), n);
      const ref = softmaxCrossEntropy(tapes.at(-1)!.out, y, n, 3, 3);
      const { grads } = backward(net, W, tapes, ref.dOut, n);
      const e = new TrainEngine(await kernelModule(), net, true, { train: { x, n } }, n);
      e.setWeights(w);
      e.gather('train', [0, 1, 2, 3]);
      e.forward(n);
      expect(relError(e.out.subarray(0, n * 3), tapes.at(-1)!.out)).toBeLessThan(1e-5);
      const r = softmaxCE(e.out, y, n, 3, 3, e.dOut);
      expect(r.loss).toBeCloseTo(ref.loss, 5);
      e.backward(n);
      const ours = e.effectiveGrads();
      grads.forEach((g, k) => {
        const scale = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        for (const key of ['dA', 'dB'] as const) {
          const a = g[key]!, b = ours[k][key]!;
          expect(b).not.toBeNull();
          expect(Math.max(...a.map((v, q) => Math.abs(v - b[q])))).toBeLessThan(1e-5 * scale(a));
        }
      });
    });
});

describe('effective weights of codes', () => {
  const models = syntheticModels({ layers: [1, 1], seed: 3, bitSpread: [0.2, 0.2, 0.2], dlog: -0.05, dlogSpread: 0.02 });
  const syn = deviceNet(models).synapses[0];
  const g = (pos: boolean, b: number) => (pos ? syn.gPos : syn.gNeg)[b];
  const d = (pos: boolean, b: number) => (pos ? syn.dPos : syn.dNeg)[b];
  const at = (w: number) => effective(syn, Float64Array.of(w), true);

  it('sum the gains of the set magnitude bits, with the sign of the code', () => {
    expect(at(5).A[0]).toBeCloseTo(g(true, 0) + g(true, 2), 14); // 5 = 4 + 1
    expect(at(-6).A[0]).toBeCloseTo(-(g(false, 0) + g(false, 1)), 14); // 6 = 4 + 2
    expect(at(7.4).A[0]).toBeCloseTo(g(true, 0) + g(true, 1) + g(true, 2), 14);
    expect(at(0.3).A[0]).toBe(0);
    expect(at(-3).B![0]).toBeCloseTo(-(g(false, 1) * d(false, 1) + g(false, 2) * d(false, 2)), 14);
    // The straight-through slope at the sign of w: the device's mean gain per code step.
    expect(shadowGrad(syn, Float64Array.of(-3), Float64Array.of(1), null)[0]).toBeCloseTo((g(false, 0) + g(false, 1) + g(false, 2)) / 7, 14);
    expect(shadowGrad(syn, Float64Array.of(2), Float64Array.of(0), Float64Array.of(1))[0]).toBeCloseTo([0, 1, 2].reduce((s, b) => s + g(true, b) * d(true, b), 0) / 7, 14);
  });

  it('quantize rounds half away from zero and clips to -7..7, as the forward pass does', () => {
    expect([-9, -7.2, -2.5, -0.4, 0, 0.5, 2.5, 6.6, 12].map(quantize)).toEqual([-7, -7, -3, 0, 0, 1, 3, 7, 7]);
    for (const w of [-2.5, 2.5, -0.5, 3.49]) {
      const c = quantize(w);
      const bits = Math.abs(c);
      const expected = (c < 0 ? -1 : 1) * [0, 1, 2].reduce((s, b) => s + (bits & (4 >> b) ? g(c >= 0, b) : 0), 0);
      expect(at(w).A[0]).toBeCloseTo(expected, 14);
    }
  });
});

describe('kernel', () => {
  it('matmul, matmulAT, matmulBT equal the plain triple loop (odd sizes too)', () => {
    const s = new Stream('test/kernel');
    const rnd = (len: number) => Float64Array.from({ length: len }, () => (s.uniform() < 0.3 ? 0 : s.uniform() - 0.5));
    const [n, k, m] = [5, 7, 3];
    const A = rnd(n * k), B = rnd(k * m), Bn = rnd(n * m), Bt = rnd(m * k);
    const ref = (f: (r: number, c: number) => number, rows: number, cols: number) => Float64Array.from({ length: rows * cols }, (_, q) => f(Math.floor(q / cols), q % cols));
    const sum = (len: number, t: (p: number) => number) => Array.from({ length: len }, (_, p) => t(p)).reduce((a, b) => a + b, 0);
    const C1 = new Float64Array(n * m);
    matmul(C1, A, B, n, k, m);
    expect(relError(C1, ref((r, c) => sum(k, (p) => A[r * k + p] * B[p * m + c]), n, m))).toBeLessThan(1e-12);
    matmul(C1, A, B, n, k, m, true);
    expect(relError(C1, ref((r, c) => 2 * sum(k, (p) => A[r * k + p] * B[p * m + c]), n, m))).toBeLessThan(1e-12);
    const C2 = new Float64Array(k * m);
    matmulAT(C2, A, Bn, n, k, m);
    expect(relError(C2, ref((r, c) => sum(n, (p) => A[p * k + r] * Bn[p * m + c]), k, m))).toBeLessThan(1e-12);
    const C3 = new Float64Array(n * m);
    matmulBT(C3, A, Bt, n, k, m);
    expect(relError(C3, ref((r, c) => sum(k, (p) => A[r * k + p] * Bt[c * k + p]), n, m))).toBeLessThan(1e-12);
  });
});
