import type { Dataset, Split } from '../data/index.js';
import { Stream } from '../mismatch/rng.js';
import { CODE_MAX, effective, quantize } from './codes.js';
import type { DeviceNet } from './device.js';
import { Engine, softmaxCE } from './engine.js';
import { forward, inputLayer, softmaxCrossEntropy } from './network.js';
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
}

export interface TrainResult {
  /** Shadow weights of the best epoch (code units), one [I x J] row-major array per weight layer. */
  weights: Float64Array[];
  /** Their integer codes (quantized training), or null for the float network. */
  codes: Int8Array[] | null;
  curve: EpochLog[];
  best_epoch: number;
  epochs_run: number;
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
  if (o.rangePenalty && o.currentMax) e.setRangePenalty(o.rangePenalty, o.currentMax);
  const steps = o.epochs * Math.ceil(N / o.batch);
  let step = 0;
  const order = new Stream(`codesign/train/${o.seed}/order`);
  const curve: EpochLog[] = [];
  let best: { epoch: number; acc: number; loss: number; W: Float64Array[] } = { epoch: 0, acc: -1, loss: Infinity, W: init.map((w) => Float64Array.from(w)) };
  const idx = new Uint32Array(N);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    shuffle(order, idx);
    let lossSum = 0, correct = 0;
    for (let from = 0; from < N; from += o.batch) {
      const b = idx.subarray(from, min(N, from + o.batch)), n = b.length;
      const lr = o.schedule === 'cosine' ? 0.5 * o.lr * (1 + Math.cos((Math.PI * step++) / steps)) : o.lr;
      const r = e.step('train', b, Uint8Array.from(b, (k) => data.train.y[k]), { ...o, lr }, W_CLIP);
      lossSum += r.loss * n;
      correct += r.correct;
    }
    const val = e.evaluate('val', data.val.y, o.logitScale);
    curve.push({ epoch, train_loss: lossSum / N, train_accuracy: correct / N, val_loss: val.loss, val_accuracy: val.accuracy });
    if (val.accuracy > best.acc || (val.accuracy === best.acc && val.loss < best.loss)) best = { epoch, acc: val.accuracy, loss: val.loss, W: e.weights() };
    else if (epoch - best.epoch >= o.patience) break;
  }
  return {
    weights: best.W,
    codes: o.quantized ? best.W.map((w) => Int8Array.from(w, quantize)) : null,
    curve,
    best_epoch: best.epoch,
    epochs_run: curve.length,
  };
}
