import type { Dataset, Split } from '../data/index.js';
import { Stream } from '../mismatch/rng.js';
import { CODE_MAX, effective, quantize } from './codes.js';
import type { DeviceNet } from './device.js';
import { Engine, softmaxCE } from './engine.js';
import { forward, inputLayer, softmaxCrossEntropy } from './network.js';
import { RangeControl, better, judgeEpoch, noCandidate } from './range-phase.js';
import { initScale } from './scale.js';
import { kernelModule } from './wasm.js';

/** Math's functions as module constants: a hot loop then reads no global (slow inside vm contexts such as jest's). */
const { floor, max, min } = Math;

export interface TrainOptions {
  /** Seeds the initial weights and the order of the samples. */
  seed: number;
  /** Most epochs; training stops earlier when validation accuracy has not improved for `patience` epochs. */
  epochs: number;
  patience: number;
  batch: number;
  /** Adam step size, in code units. */
  lr: number;
  /** logits = logitScale * output currents (units of input_scale). */
  logitScale: number;
  /** Decoupled weight decay (pulls shadow weights, so codes, toward 0). */
  weightDecay?: number;
  /**
   * Range penalty weight: adds rangePenalty * sum over somas of max(0, u - currentMax)^2
   * (batch mean) to the loss, u a soma's input current (units of input_scale).
   */
  rangePenalty?: number;
  /** Largest soma input current per weight layer's postsynaptic somas (units of input_scale); the range penalty applies only with these (trainWithBaselines derives them). */
  currentMax?: number[][];
  /**
   * The best epoch is one whose soma inputs on the training split stay within currentMax
   * (99th percentile of u / limit over samples and somas <= 1 in every layer), if any; among
   * epochs beyond it, the least beyond.
   */
  selectInRange?: boolean;
  /**
   * Share of training soma inputs allowed above currentMax per layer: every ADAPT_STEPS steps
   * (range-phase.ts) each layer's penalty weight (rangePenalty at the start) is multiplied by (the layer's share
   * of soma inputs above its limits in those steps / rangeTarget), clamped to [0.5, 2], so it
   * settles where the constraint just holds, whatever the scale of the problem.
   */
  rangeTarget?: number;
  /**
   * Reach currentMax gradually: over this share of the run's steps, each layer's limits fall
   * geometrically from the initial weights' 99th percentile of u / limit on the training split
   * (when above 1) to currentMax, and the logit scale rises from logitScale over the output
   * layer's factor to logitScale (the same problem at a larger current scale). So a start far
   * beyond the range (a high-gain design point's first phase) is brought into it step by step,
   * instead of a penalty gradient that swamps the loss's at once.
   */
  rangeAnneal?: number;
  /**
   * Weights that compete for the best epoch as epoch 0 (the ideal codes for the aware
   * training): the result is never worse on validation than these, when they are in range.
   */
  rival?: Float64Array[];
  /** Step size over the run: constant, or cosine decay from lr to 0 over `epochs`. */
  schedule?: 'constant' | 'cosine';
  /** true: integer codes in the forward pass, straight-through gradient; false: the ideal float network. */
  quantized: boolean;
  /** Initial shadow weights (code units); default: initialWeights(net, seed). */
  init?: Float64Array[];
}

export interface EpochLog {
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  val_loss: number;
  val_accuracy: number;
  /** With selectInRange, epochs that could be the best: per layer, the 99th percentile of soma input over its limit on the training split. */
  train_range_p99?: number[];
}

export interface TrainResult {
  /** Shadow weights of the best epoch (code units), one [I x J] row-major array per weight layer. */
  weights: Float64Array[];
  /** Their integer codes (quantized training), or null for the float network. */
  codes: Int8Array[] | null;
  curve: EpochLog[];
  best_epoch: number;
  epochs_run: number;
  /** trainPhases: each phase's best and run epochs, and the wall time of the training on its thread. */
  phases?: { best_epoch: number; epochs_run: number }[];
  elapsed_s?: number;
}

/** Shadow weights beyond the largest code are clipped here after each step. */
export const W_CLIP = CODE_MAX + 0.5;

/** Initial shadow weights in code units (scale.ts initScale): the same for every design point, one stream per layer. */
export function initialWeights(net: Pick<DeviceNet, 'layers'>, seed: number): Float64Array[] {
  return net.layers.slice(0, -1).map((rows, k) => {
    const r = initScale(rows), n = rows * net.layers[k + 1];
    const s = new Stream(`codesign/train/${seed}/init/${k}`);
    return Float64Array.from({ length: n }, () => max(-CODE_MAX, min(CODE_MAX, (2 * s.uniform() - 0.5) * r)));
  });
}

/** Loss and accuracy of the network with the given weights on a split. */
export function evaluate(net: DeviceNet, weights: Float64Array[], quantized: boolean, split: Split, logitScale: number): { loss: number; accuracy: number } {
  const W = weights.map((w, k) => effective(net.synapses[k], w, quantized));
  const F = net.layers[0], C = net.layers[net.layers.length - 1];
  let loss = 0, correct = 0;
  for (let from = 0; from < split.n; from += 1000) {
    const n = min(1000, split.n - from);
    const h0 = inputLayer(net, split.x.subarray(from * F, (from + n) * F), n);
    const out = forward(net, W, h0, n).at(-1)!.out;
    const r = softmaxCrossEntropy(out, split.y.subarray(from, from + n), n, C, logitScale);
    loss += r.loss * n;
    correct += r.correct;
  }
  return { loss: loss / split.n, accuracy: correct / split.n };
}

/** The sample order of the next epoch: a Fisher-Yates shuffle of 0..n-1 drawn from `order`, into idx. */
export function shuffle(order: Stream, idx: Uint32Array): Uint32Array {
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  for (let i = idx.length - 1; i > 0; i--) {
    const j = floor(order.uniform() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/** One epoch's minibatches: `idx` (the sample indices, one per training sample) shuffled by `order`, then cut into runs of `batch`. */
export function* epochBatches(order: Stream, idx: Uint32Array, batch: number): Generator<Uint32Array> {
  shuffle(order, idx);
  for (let from = 0; from < idx.length; from += batch) yield idx.subarray(from, min(idx.length, from + batch));
}

/**
 * Trains shadow weights for the devices of `net` (a die's, or nominal ones): quantize in the
 * forward pass, straight-through gradient, softmax cross-entropy, Adam, early stopping on
 * validation accuracy (ties: lower validation loss). Every random draw comes from a Stream
 * keyed by the seed, so the same seed and data give the same weights.
 */
export async function train(net: DeviceNet, data: Dataset, o: TrainOptions): Promise<TrainResult> {
  return trainOn(await kernelModule(), net, data, o);
}

/** train() with the compiled kernels given (a worker thread receives them). */
export function trainOn(module: WebAssembly.Module, net: DeviceNet, data: Pick<Dataset, 'train' | 'val'>, o: TrainOptions): TrainResult {
  const init = o.init ?? initialWeights(net, o.seed);
  const N = data.train.n;
  const e = new Engine(module, net, o.quantized, { train: data.train, val: data.val }, max(o.batch, min(1000, data.val.n)));
  e.setWeights(init);
  const steps = o.epochs * Math.ceil(N / o.batch);
  const range = new RangeControl(e, o, data.train.y, steps);
  let step = 0;
  const order = new Stream(`codesign/train/${o.seed}/order`);
  const curve: EpochLog[] = [];
  const judge = [{ e, logitScale: o.logitScale, limits: o.selectInRange ? o.currentMax : undefined }];
  let best = noCandidate(init.map((w) => Float64Array.from(w)));
  if (o.rival) {
    e.setWeights(o.rival);
    best = { ...judgeEpoch(judge, data, 0, best).c, W: o.rival.map((w) => Float64Array.from(w)) };
    e.setWeights(init);
  }
  const idx = new Uint32Array(N);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    let lossSum = 0, correct = 0;
    for (const b of epochBatches(order, idx, o.batch)) {
      const n = b.length;
      const lr = o.schedule === 'cosine' ? 0.5 * o.lr * (1 + Math.cos((Math.PI * step) / steps)) : o.lr;
      const r = e.step('train', b, Uint8Array.from(b, (k) => data.train.y[k]), { ...o, lr, logitScale: range.logitScale }, W_CLIP);
      step++;
      lossSum += r.loss * n;
      correct += r.correct;
      range.after(step);
    }
    const { c, range: p99 } = judgeEpoch(judge, data, epoch, best);
    curve.push({ epoch, train_loss: lossSum / N, train_accuracy: correct / N, val_loss: c.loss, val_accuracy: c.acc, ...(p99 ? { train_range_p99: p99 } : {}) });
    if (better(c, best)) best = { ...c, W: e.weights() };
    else if (epoch - best.epoch >= o.patience) break;
  }
  return trainResult(best, !!o.quantized, curve);
}

/** A training's result from its best epoch (weights, and codes when quantized) and its curve. */
export function trainResult(best: { epoch: number; W: Float64Array[] }, quantized: boolean, curve: EpochLog[]): TrainResult {
  return {
    weights: best.W,
    codes: quantized ? best.W.map((w) => Int8Array.from(w, quantize)) : null,
    curve,
    best_epoch: best.epoch,
    epochs_run: curve.length,
  };
}

/**
 * Trainings one after another, each from the best weights of the one before (the first from
 * its own init), joined (joinPhases).
 */
export function trainPhases(module: WebAssembly.Module, net: DeviceNet, data: Pick<Dataset, 'train' | 'val'>, phases: TrainOptions[]): TrainResult {
  const t0 = performance.now();
  const parts: TrainResult[] = [];
  for (const o of phases) parts.push(trainOn(module, net, data, parts.length ? { ...o, init: parts[parts.length - 1].weights } : o));
  return { ...joinPhases(parts), elapsed_s: (performance.now() - t0) / 1000 };
}

/** Phases of one training as one result: the last phase's weights, one curve running on through the phases, best epoch counted the same way. */
export function joinPhases(parts: TrainResult[]): TrainResult {
  const curve: EpochLog[] = [];
  for (const r of parts) curve.push(...r.curve.map((c) => ({ ...c, epoch: c.epoch + curve.length })));
  const last = parts[parts.length - 1];
  return {
    ...last,
    curve,
    best_epoch: curve.length - last.epochs_run + last.best_epoch,
    epochs_run: curve.length,
    phases: parts.map((r) => ({ best_epoch: r.best_epoch, epochs_run: r.epochs_run })),
    elapsed_s: parts.reduce((t, r) => t + (r.elapsed_s ?? 0), 0),
  };
}
