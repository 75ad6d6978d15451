/**
 * The training engine: the network of network.ts in float32, its matrix products and Adam
 * step in WebAssembly SIMD (kernel.wat), the elementwise work (somas, log terms, softmax) in
 * JavaScript on views of the same memory. One Engine holds one training's state (shadow
 * weights, Adam moments, effective weights, activity buffers) in its own wasm memory,
 * allocated once. Effective weights change only where a code changes (quantized training),
 * so only those entries are rewritten after a step. network.ts (float64) stays the reference:
 * the gradient check tests it against finite differences, and a test holds this engine to it.
 *
 * Layout per weight layer (I inputs, J outputs, J padded to Jp, a multiple of 8; K = 2I with
 * the synapses' log term, else I): effective weights E [K x Jp] (A's rows, then B's), their
 * gradient dE, shadow weights W and Adam's m, v [I x Jp], straight-through slopes per sign
 * [I x Jp]; the layer's input activity [rows x K] = [h | h ln h]; u and dL/du [rows x Jp].
 * Padded columns hold zeros and stay zero.
 */
import { CODE_MAX, tables, type Tables } from './codes.js';
import type { DeviceNet, SomaLayer } from './device.js';
import { hLogH, inputLayer } from './network.js';
import { instantiate, type Kernels } from './wasm.js';
import { quantileInPlace } from '../util/quantile.js';

const { exp, log, log1p, max, min } = Math;

const pad8 = (n: number) => (n + 7) & ~7;

interface Layer {
  I: number;
  J: number;
  Jp: number;
  K: number;
  hasB: boolean;
  T: Tables;
  /** The postsynaptic somas. */
  soma: SomaLayer;
  E: number;
  dE: number;
  W: number;
  M: number;
  V: number;
  sAp: number;
  sAn: number;
  sBp: number;
  sBn: number;
  /** Input activity [rows x K] (layer 0: the batch's rows of the precomputed inputs). */
  H: number;
  U: number;
  dU: number;
  /** dL/d(input activity) through the weights [rows x K] (layers after the first). */
  G: number;
  /** Current code of each weight [I x J] (int8, quantized training). */
  codes: number;
  /** Per weight, the effective weights of every code (requantize's table). */
  tab: number;
  tstride: number;
  /** The postsynaptic somas' a and t, float32 (ReLU somas run in wasm). */
  a: number;
  t: number;
  /** Largest soma input current u the range penalty allows, per soma (float32 [J]). */
  umax: number;
}

/** Softmax cross-entropy of a batch; fills dOut [n x C] with dL/d(output current). */
export function softmaxCE(out: Float64Array, y: ArrayLike<number>, n: number, C: number, scale: number, dOut: Float64Array): { loss: number; correct: number } {
  let loss = 0, correct = 0;
  for (let r = 0; r < n; r++) {
    const o = r * C;
    let top = -Infinity, arg = 0;
    for (let c = 0; c < C; c++) if (out[o + c] > top) (top = out[o + c]), (arg = c);
    if (arg === y[r]) correct++;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += dOut[o + c] = exp(scale * (out[o + c] - top));
    const k = scale / n;
    loss -= log(max(dOut[o + y[r]] / sum, 1e-300));
    for (let c = 0; c < C; c++) dOut[o + c] = (dOut[o + c] / sum - (c === y[r] ? 1 : 0)) * k;
  }
  return { loss: loss / n, correct };
}

/** The first layer's inputs of a split on a die, as the engine holds them: per sample the input somas' outputs h, then h ln h when the synapses have the log term. */
const inputCache = new WeakMap<DeviceNet, WeakMap<Float64Array, { hasB: boolean; f: Float32Array }>>();

/**
 * The float32 rows [n x K0] of firstLayer inputs for samples x: computed once per die and
 * split in a thread (a thread's trainings, phase after phase, see the same splits), since
 * putting 10,000 MNIST digits through the input somas took about 0.2 s per engine.
 */
function firstLayerInputs(net: DeviceNet, x: Float64Array, n: number, hasB: boolean): Float32Array {
  let perNet = inputCache.get(net);
  if (!perNet) inputCache.set(net, (perNet = new WeakMap()));
  const hit = perNet.get(x);
  if (hit && hit.hasB === hasB && hit.f.length === n * (hasB ? 2 : 1) * net.layers[0]) return hit.f;
  const I = net.layers[0], K0 = hasB ? 2 * I : I;
  const h = inputLayer(net, x, n), hl = hasB ? hLogH(h) : null, f = new Float32Array(n * K0);
  for (let r = 0; r < n; r++) {
    const o = r * K0;
    for (let i = 0; i < I; i++) f[o + i] = h[r * I + i];
    if (hl) for (let i = 0; i < I; i++) f[o + I + i] = hl[r * I + i];
  }
  perNet.set(x, { hasB, f });
  return f;
}

export class Engine {
  readonly k: Kernels;
  private f32!: Float32Array;
  readonly layers: Layer[];
  /** Inputs of every sample of each split, [n x K0] as float32. */
  private inputs = new Map<string, { ptr: number; n: number }>();
  readonly maxRows: number;
  /** Output currents of the last forward pass [rows x C]. */
  readonly out: Float64Array;
  readonly dOut: Float64Array;
  private step_t = 0;

  /**
   * @param splits every set of samples the engine will see (x in units of input_scale), put
   *   through the input somas once.
   */
  constructor(
    module: WebAssembly.Module,
    readonly net: DeviceNet,
    readonly quantized: boolean,
    splits: Record<string, { x: Float64Array; n: number }>,
    maxRows: number,
  ) {
    this.k = instantiate(module);
    this.maxRows = maxRows;
    let top = 16; // byte 0 stays unused
    const alloc = (floats: number) => {
      const p = top;
      top += ((floats * 4 + 15) >> 4) << 4;
      return p;
    };
    const L = net.layers;
    this.layers = net.synapses.map((syn, l) => {
      const I = L[l], J = L[l + 1], Jp = pad8(J), T = tables(syn), hasB = T.logTerm, K = hasB ? 2 * I : I;
      const n = I * Jp;
      return {
        I, J, Jp, K, hasB, T, soma: net.somas[l + 1],
        E: alloc(K * Jp), dE: alloc(K * Jp), W: alloc(n), M: alloc(n), V: alloc(n),
        sAp: alloc(n), sAn: alloc(n), sBp: hasB ? alloc(n) : 0, sBn: hasB ? alloc(n) : 0,
        H: alloc(maxRows * K), U: alloc(maxRows * Jp), dU: alloc(maxRows * Jp), G: l > 0 ? alloc(maxRows * K) : 0,
        codes: alloc(Math.ceil((I * J) / 4)), tab: quantized ? alloc(I * J * (hasB ? 32 : 16)) : 0, tstride: (hasB ? 32 : 16) * 4,
        a: alloc(J), t: alloc(J), umax: alloc(J),
      };
    });
    const C0 = L[L.length - 1], outPtr = alloc(maxRows * C0), doutPtr = alloc(maxRows * C0);
    const K0 = this.layers[0].K;
    const entries = Object.entries(splits).map(([name, s]) => [name, { ptr: alloc(s.n * K0), n: s.n }] as const);
    const pages = Math.ceil(top / 65536) - this.k.memory.buffer.byteLength / 65536;
    if (pages > 0) this.k.memory.grow(pages);
    this.f32 = new Float32Array(this.k.memory.buffer);
    const f = this.f32;
    for (const [name, dst] of entries) {
      f.set(firstLayerInputs(net, splits[name].x, dst.n, this.layers[0].hasB), dst.ptr >> 2);
      this.inputs.set(name, dst);
    }
    for (const ly of this.layers) this.writeDevices(ly);
    const C = L[L.length - 1];
    this.out = new Float64Array(maxRows * C);
    this.dOut = new Float64Array(maxRows * C);
    this.OUT = outPtr;
    this.DOUT = doutPtr;
  }

  private readonly OUT: number;
  private readonly DOUT: number;

  /** A layer's device data in wasm memory: straight-through slopes, the somas' a and t, requantize's table. */
  private writeDevices(ly: Layer): void {
    const f = this.f32, { I, J, Jp, T } = ly;
    for (let i = 0; i < I; i++)
      for (let j = 0; j < J; j++) {
        const k = i * J + j, q = i * Jp + j;
        f[(ly.sAp >> 2) + q] = T.sumPos[k] / CODE_MAX;
        f[(ly.sAn >> 2) + q] = T.sumNeg[k] / CODE_MAX;
        if (ly.hasB) {
          f[(ly.sBp >> 2) + q] = T.sumDPos[k] / CODE_MAX;
          f[(ly.sBn >> 2) + q] = T.sumDNeg[k] / CODE_MAX;
        }
      }
    f.set(ly.soma.a, ly.a >> 2);
    f.set(ly.soma.t, ly.t >> 2);
    if (this.quantized) this.fillTable(ly);
  }

  /**
   * Moves the training to another die of the same network (multi.ts: one code set over many
   * dies): every layer's devices are replaced, the shadow weights and Adam's moments stay, the
   * effective weights follow the new devices. The input somas are not in the engine's state
   * here: give each batch's input activity with setInputs. Both dies must agree on the
   * synapses' log term (it sets the memory layout).
   */
  setDevices(net: DeviceNet): void {
    if (net.layers.join() !== this.net.layers.join()) throw new Error(`setDevices: network ${net.layers.join('-')} is not the engine's ${this.net.layers.join('-')}`);
    const cached = this.devices.get(net), f = this.f32;
    this.layers.forEach((ly, l) => {
      const T = tables(net.synapses[l]);
      if (T.logTerm !== ly.hasB) throw new Error(`setDevices: weight layer ${l} ${T.logTerm ? 'has' : 'has no'} synapse log term, unlike the engine's first die`);
      ly.T = T;
      ly.soma = net.somas[l + 1];
      if (cached) deviceRegions(ly, this.quantized).forEach(([p], r) => f.set(cached[l][r], p >> 2));
      else this.writeDevices(ly);
      this.rewriteEffective(ly, true);
    });
    if (!cached) this.devices.set(net, this.layers.map((ly) => deviceRegions(ly, this.quantized).map(([p, n]) => f.slice(p >> 2, (p >> 2) + n))));
  }

  /** Each die's device data as setDevices last wrote it (filling requantize's table is most of a switch's cost). */
  private devices = new WeakMap<DeviceNet, Float32Array[][]>();

  /** The first layer's input activity for n rows, h = the input somas' outputs [n x I] (units of input_scale): a batch to forward without gather. */
  setInputs(h: Float64Array, n: number): void {
    const ly = this.layers[0], f = this.f32, I = ly.I, K = ly.K, H = ly.H >> 2;
    for (let r = 0; r < n; r++)
      for (let i = 0; i < I; i++) {
        const v = h[r * I + i];
        f[H + r * K + i] = v;
        if (ly.hasB) f[H + r * K + I + i] = v > 0 ? v * log(v) : 0;
      }
  }

  /** requantize's table: A and B of every code -7..7 of every weight, from the device's bit gains. */
  private fillTable(ly: Layer): void {
    const f = this.f32, { I, J, T, hasB } = ly, stride = ly.tstride >> 2;
    for (let k = 0; k < I * J; k++)
      for (let c = -CODE_MAX; c <= CODE_MAX; c++) {
        const neg = c < 0, mag = neg ? -c : c, s = neg ? -1 : 1, g = neg ? T.gNeg : T.gPos, gd = neg ? T.gdNeg : T.gdPos, b = 3 * k;
        const o = (ly.tab >> 2) + k * stride + c + CODE_MAX;
        f[o] = s * ((mag & 4 ? g[b] : 0) + (mag & 2 ? g[b + 1] : 0) + (mag & 1 ? g[b + 2] : 0));
        if (hasB) f[o + 16] = s * ((mag & 4 ? gd[b] : 0) + (mag & 2 ? gd[b + 1] : 0) + (mag & 1 ? gd[b + 2] : 0));
      }
  }

  /** Range penalty per layer: lambda_l * sum over the layer's somas of max(0, u - umax)^2, averaged over the batch. */
  private penalty: number[] = [];
  /** Soma inputs above umax and soma inputs seen, per layer, in the training steps since the last rangeShare(). */
  private above: number[] = [];
  private seen = 0;

  /** Sets the range penalty's weight (one, or one per layer) and each layer's largest allowed soma input (units of input_scale). */
  setRangePenalty(lambda: number | number[], umax: ArrayLike<number>[]): void {
    this.penalty = this.layers.map((_, l) => (typeof lambda === 'number' ? lambda : lambda[l]));
    this.layers.forEach((ly, l) => this.f32.set(umax[l], ly.umax >> 2));
  }

  /** Per layer, the share of soma inputs above umax in the training steps since the last call. */
  rangeShare(): number[] {
    const r = this.layers.map((ly, l) => (this.seen ? (this.above[l] ?? 0) / (this.seen * ly.J) : 0));
    this.above = [];
    this.seen = 0;
    return r;
  }

  /** Counts the soma inputs of the last forward pass (n rows) above umax. */
  private countAbove(n: number): void {
    const f = this.f32;
    this.layers.forEach((ly, l) => {
      const U = ly.U >> 2, um = ly.umax >> 2;
      let c = 0;
      for (let r = 0; r < n; r++) for (let j = 0; j < ly.J; j++) if (f[U + r * ly.Jp + j] > f[um + j]) c++;
      this.above[l] = (this.above[l] ?? 0) + c;
    });
    this.seen += n;
  }

  /** Sets the shadow weights (code units, [I x J] per layer), resets Adam, rewrites every effective weight. */
  setWeights(W: Float64Array[]): void {
    const f = this.f32;
    this.step_t = 0;
    this.layers.forEach((ly, l) => {
      const { I, J, Jp } = ly;
      f.fill(0, ly.M >> 2, (ly.M >> 2) + I * Jp);
      f.fill(0, ly.V >> 2, (ly.V >> 2) + I * Jp);
      for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) f[(ly.W >> 2) + i * Jp + j] = W[l][i * J + j];
      this.rewriteEffective(ly, true);
    });
  }

  /** The shadow weights, [I x J] per layer. */
  weights(): Float64Array[] {
    const f = this.f32;
    return this.layers.map((ly) => {
      const { I, J, Jp } = ly, w = new Float64Array(I * J);
      for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) w[i * J + j] = f[(ly.W >> 2) + i * Jp + j];
      return w;
    });
  }

  /** dL/dA and dL/dB of the last backward pass, [I x J] per layer (tests). */
  effectiveGrads(): { dA: Float64Array; dB: Float64Array | null }[] {
    const f = this.f32;
    return this.layers.map((ly) => {
      const { I, J, Jp } = ly;
      const get = (off: number) => Float64Array.from({ length: I * J }, (_, k) => f[(ly.dE >> 2) + off + Math.floor(k / J) * Jp + (k % J)]);
      return { dA: get(0), dB: ly.hasB ? get(I * Jp) : null };
    });
  }

  /**
   * Effective weights from the shadow weights: quantized, only the entries whose code changed
   * (every entry with `all`); float, every entry (w clipped to +-7 times the slope at its sign).
   */
  private rewriteEffective(ly: Layer, all: boolean): void {
    const n = ly.I * ly.Jp;
    if (!this.quantized) return this.k.floatEffective(ly.W, ly.E, ly.E + n * 4, ly.sAp, ly.sAn, ly.sBp, ly.sBn, n, ly.hasB ? 1 : 0);
    if (all) new Int8Array(this.k.memory.buffer, ly.codes, ly.I * ly.J).fill(-128); // no code: every entry is rewritten
    this.k.requantize(ly.W, ly.E, ly.E + n * 4, ly.codes, ly.tab, ly.tstride, ly.I, ly.J, ly.Jp, ly.hasB ? 1 : 0);
  }

  /** Copies rows `idx` of a split's inputs into the first layer's input buffer. */
  gather(split: string, idx: ArrayLike<number>): void {
    const src = this.inputs.get(split)!, K = this.layers[0].K, H = this.layers[0].H >> 2, f = this.f32;
    for (let r = 0; r < idx.length; r++) f.copyWithin(H + r * K, (src.ptr >> 2) + idx[r] * K, (src.ptr >> 2) + (idx[r] + 1) * K);
  }

  /**
   * Forward through every layer for n rows: from the gathered batch, or from rows `from`.. of
   * a split in place. Output currents land in `out` [n x C].
   */
  forward(n: number, split?: string, from = 0): void {
    const f = this.f32, last = this.layers.length - 1;
    this.layers.forEach((ly, l) => {
      const { J, Jp, K, soma } = ly;
      const src = l === 0 && split ? this.inputs.get(split)!.ptr + from * K * 4 : ly.H;
      this.k.gemm(ly.U, src, ly.E, n, Jp, K, K, 1, 0);
      const next = l < last ? this.layers[l + 1] : null;
      const NH = next ? next.H : this.OUT, NK = next ? next.K : J, nB = next?.hasB ?? false;
      if (!soma.s) this.k.reluForward(ly.U, ly.t, ly.a, n, J, Jp, NH, NK, nB ? 1 : 0);
      else {
        const U = ly.U >> 2, a = soma.a, t = soma.t, s = soma.s, H = NH >> 2;
        for (let r = 0; r < n; r++)
          for (let j = 0; j < J; j++) {
            const q = U + r * Jp + j, u = f[q] - t[j], z = u / s[j];
            f[q] = u;
            const h = a[j] * s[j] * (z > 30 ? z : log1p(exp(z)));
            f[H + r * NK + j] = h;
            if (nB) f[H + r * NK + J + j] = h > 0 ? h * log(h) : 0;
          }
      }
    });
    const C = this.layers[last].J, O = this.OUT >> 2;
    for (let q = 0; q < n * C; q++) this.out[q] = f[O + q];
  }

  /** forward() of a training step on gathered rows: the soma inputs above the range penalty's limits are counted for rangeShare(). */
  forwardTraining(n: number): void {
    this.forward(n);
    if (this.penalty.length) this.countAbove(n);
  }

  /** Backward from dOut (dL/d(output currents), [n x C]) to dL/dE of every layer. */
  backward(n: number): void {
    const f = this.f32, last = this.layers.length - 1, C = this.layers[last].J;
    for (let q = 0; q < n * C; q++) f[(this.DOUT >> 2) + q] = this.dOut[q];
    this.somaBackward(this.layers[last], n, this.DOUT, C, 0, false);
    for (let l = last; l >= 0; l--) {
      const ly = this.layers[l];
      this.k.gemm(ly.dE, ly.H, ly.dU, ly.K, ly.Jp, n, 1, ly.K, 0); //  dE = H^T @ dU
      if (l === 0) break;
      this.k.gemmNT(ly.G, ly.dU, ly.E, n, ly.K, ly.Jp); //              G = dU @ E^T: [dL/dh via A | via B]
      this.somaBackward(this.layers[l - 1], n, ly.G, ly.K, ly.H, ly.hasB);
    }
  }

  /**
   * dL/du of a layer's somas: dh * dh/du, dh = D[:, j] (+ D[:, J + j] * (ln h + 1) through the
   * next layer's log term, h and h ln h from H). D, H: [n x DK] at those byte offsets.
   */
  private somaBackward(ly: Layer, n: number, D: number, DK: number, H: number, hasB: boolean): void {
    const { J, Jp, soma } = ly, pen = (2 * (this.penalty[this.layers.indexOf(ly)] ?? 0)) / n;
    if (!soma.s) return this.k.reluBackward(ly.dU, ly.U, ly.a, n, J, Jp, D, DK, H, hasB ? 1 : 0, ly.umax, pen);
    const f = this.f32, U = ly.U >> 2, dU = ly.dU >> 2, d = D >> 2, h0 = H >> 2, um = ly.umax >> 2;
    for (let r = 0; r < n; r++)
      for (let j = 0; j < J; j++) {
        let dh = f[d + r * DK + j];
        if (hasB) {
          const h = f[h0 + r * DK + j];
          if (h > 0) dh += f[d + r * DK + J + j] * (f[h0 + r * DK + J + j] / h + 1); // d(h ln h)/dh = ln h + 1
        }
        const u = f[U + r * Jp + j];
        f[dU + r * Jp + j] = dh * somaSlope(soma, u, j) + pen * max(0, u - f[um + j]);
      }
  }

  /** One Adam step on every layer from the last backward pass, then the effective weights. */
  adam(lr: number, decay: number, clip: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): void {
    this.step_t++;
    const c1 = 1 - b1 ** this.step_t, c2 = 1 - b2 ** this.step_t;
    for (const ly of this.layers) {
      const n = ly.I * ly.Jp;
      this.k.adam(ly.W, ly.M, ly.V, ly.dE, ly.dE + n * 4, ly.sAp, ly.sAn, ly.sBp, ly.sBn, n, ly.hasB ? 1 : 0, b1, b2, lr / c1, 1 / c2, eps, lr * decay, clip);
      this.rewriteEffective(ly, false);
    }
  }

  /** One training step on rows `idx` of a split: forward, softmax cross-entropy, backward, Adam. */
  step(split: string, idx: ArrayLike<number>, y: ArrayLike<number>, o: { logitScale: number; lr: number; weightDecay?: number }, clip: number): { loss: number; correct: number } {
    const n = idx.length, C = this.net.layers[this.net.layers.length - 1];
    this.gather(split, idx);
    this.forwardTraining(n);
    const r = softmaxCE(this.out, y, n, C, o.logitScale, this.dOut);
    this.backward(n);
    this.adam(o.lr, o.weightDecay ?? 0, clip);
    return r;
  }

  /**
   * Loss and accuracy over a whole split (forward only, in chunks of maxRows); with `limits`
   * (per weight layer, each soma's range, units of input_scale) also, per layer, the 99th
   * percentile over samples and somas of the soma input over its limit.
   */
  evaluate(split: string, y: ArrayLike<number>, logitScale: number, limits?: ArrayLike<number>[]): { loss: number; accuracy: number; rangeP99?: number[] } {
    const { n } = this.inputs.get(split)!, C = this.net.layers[this.net.layers.length - 1];
    const ratios = limits ? this.layers.map((ly) => new Float32Array(n * ly.J)) : null;
    let loss = 0, correct = 0;
    for (let from = 0; from < n; from += this.maxRows) {
      const m = min(this.maxRows, n - from);
      this.forward(m, split, from);
      if (ratios)
        this.layers.forEach((ly, l) => {
          const U = ly.U >> 2, f = this.f32, lim = limits![l], dst = ratios[l];
          for (let r = 0; r < m; r++) for (let j = 0; j < ly.J; j++) dst[(from + r) * ly.J + j] = f[U + r * ly.Jp + j] / lim[j];
        });
      const r = softmaxCE(this.out, (y as Uint8Array).subarray(from, from + m), m, C, logitScale, this.dOut);
      loss += r.loss * m;
      correct += r.correct;
    }
    const p99 = ratios?.map((a) => quantileInPlace(a, 0.99));
    return { loss: loss / n, accuracy: correct / n, ...(p99 ? { rangeP99: p99 } : {}) };
  }
}

/** Where a layer's device data lives in wasm memory: [byte offset, floats] of the slopes, a, t and requantize's table. */
function deviceRegions(ly: Layer, quantized: boolean): [number, number][] {
  const n = ly.I * ly.Jp;
  return [[ly.sAp, n], [ly.sAn, n], ...(ly.hasB ? ([[ly.sBp, n], [ly.sBn, n]] as [number, number][]) : []), [ly.a, ly.J], [ly.t, ly.J], ...(quantized ? ([[ly.tab, (ly.I * ly.J * ly.tstride) / 4]] as [number, number][]) : [])];
}

function somaSlope(s: SomaLayer, u: number, j: number): number {
  return s.s ? s.a[j] / (1 + exp(-u / s.s[j])) : u > 0 ? s.a[j] : 0;
}
