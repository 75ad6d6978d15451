/**
 * One code set trained over many dies of a design: every minibatch runs on a different die
 * (characterized dies, or virtual dies sampled from population.ts), so the loss minimized is
 * the expected loss over the dies, and the codes that come out do not depend on any one die's
 * mismatch. Early stopping reads the mean validation accuracy over a fixed list of dies.
 * Quantized as in train.ts (straight-through gradient along each die's gain per code step),
 * Adam's state carried from die to die; everything seeded. Started from given weights (robust.ts
 * starts from the ideal codes), the start is epoch 0's candidate for early stopping.
 * (multi.ts, by contrast, sums the loss over every member at each step: one die's conditions.)
 */
import type { Dataset, Split } from '../data/index.js';
import type { DieModels } from '../fit/models.js';
import { Stream } from '../mismatch/rng.js';
import { ConfigError } from '../util/errors.js';
import { deviceNet, type DeviceNet } from './device.js';
import { Engine, softmaxCE } from './engine.js';
import { inputLayer } from './network.js';
import { DEFAULT_RANGE, currentLimits, networkScale, type CurrentRange } from './scale.js';
import { W_CLIP, epochBatches, evaluate, initialWeights, shuffle, trainResult, type EpochLog, type TrainOptions, type TrainResult } from './train.js';
import { kernelModule } from './wasm.js';

const { ceil, max, min } = Math;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export interface MultiOptions extends Omit<TrainOptions, 'quantized' | 'currentMax'> {
  /** The characterized current range (the range penalty's limits per die). */
  range?: CurrentRange;
}

export interface MultiResult extends TrainResult {
  /** The logit scale trained with: the reference over the mean chain gain of the training dies. */
  logit_scale: number;
  chain_gain: number;
  /** Batches per die over the whole training. */
  batches_per_die: number[];
}

/** Mean loss and accuracy of the engine's current weights over a split, on each die of `nets`. */
function validate(e: Engine, nets: DeviceNet[], split: Split, logitScale: number): { loss: number; accuracy: number }[] {
  const F = nets[0].layers[0], C = nets[0].layers.at(-1)!;
  return nets.map((net) => {
    e.setDevices(net);
    let loss = 0, correct = 0;
    for (let from = 0; from < split.n; from += e.maxRows) {
      const n = min(e.maxRows, split.n - from);
      e.setInputs(inputLayer(net, split.x.subarray(from * F, (from + n) * F), n), n);
      e.forward(n);
      const r = softmaxCE(e.out, split.y.subarray(from, from + n), n, C, logitScale, e.dOut);
      loss += r.loss * n;
      correct += r.correct;
    }
    return { loss: loss / split.n, accuracy: correct / split.n };
  });
}

/**
 * Trains one code set over `train` dies (batch b runs on die order[b]: a fresh permutation
 * of the dies every len(train) batches, drawn from the seed), early stopping on the mean
 * validation accuracy over `val` dies (ties: lower mean validation loss).
 */
export function trainOverNets(module: WebAssembly.Module, train: DeviceNet[], val: DeviceNet[], data: Pick<Dataset, 'train' | 'val'>, o: MultiOptions & { inputScale: number }): MultiResult {
  if (train.length === 0 || val.length === 0) throw new ConfigError('robust training: no die to train or validate on');
  const chain = train.reduce((s, n) => s + networkScale(n, 1).chain_gain, 0) / train.length;
  const logitScale = o.logitScale / chain;
  // In code units, as the first phase of train.ts: the characterized limits times the chain gain.
  const limits = train.map((n) => currentLimits(n, o.range ?? DEFAULT_RANGE, o.inputScale).map((l) => l.map((v) => v * chain)));
  const lambda = (o.rangePenalty ?? 0) / chain ** 2;
  const init = o.init ?? initialWeights(train[0], o.seed);
  const N = data.train.n, F = train[0].layers[0], C = train[0].layers.at(-1)!;
  const e = new Engine(module, train[0], true, {}, max(o.batch, min(1000, max(data.val.n, o.batch))));
  e.setWeights(init);
  const order = new Stream(`codesign/train/${o.seed}/order`);
  const dieOrder = new Stream(`codesign/train/${o.seed}/dies`);
  const dies = new Uint32Array(train.length);
  const batches = new Array<number>(train.length).fill(0);
  const steps = o.epochs * ceil(N / o.batch);
  let step = 0, current = -1;
  const curve: EpochLog[] = [];
  // The start is a candidate too (epoch 0): codes fine-tuned from given weights never end below them on the validation dies.
  const start = validate(e, val, data.val, logitScale);
  let best: { epoch: number; acc: number; loss: number; W: Float64Array[] } = { epoch: 0, acc: mean(start.map((x) => x.accuracy)), loss: mean(start.map((x) => x.loss)), W: init.map((w) => Float64Array.from(w)) };
  const idx = new Uint32Array(N);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    let lossSum = 0, correct = 0;
    for (const b of epochBatches(order, idx, o.batch)) {
      const n = b.length;
      const slot = step % train.length;
      if (slot === 0) shuffle(dieOrder, dies);
      const d = dies[slot];
      if (d !== current) {
        e.setDevices(train[d]);
        if (lambda > 0) e.setRangePenalty(lambda, limits[d]);
        current = d;
      }
      batches[d]++;
      const x = new Float64Array(n * F);
      for (let r = 0; r < n; r++) x.set(data.train.x.subarray(b[r] * F, (b[r] + 1) * F), r * F);
      e.setInputs(inputLayer(train[d], x, n), n);
      e.forward(n);
      const r = softmaxCE(e.out, Uint8Array.from(b, (k) => data.train.y[k]), n, C, logitScale, e.dOut);
      e.backward(n);
      const lr = o.schedule === 'cosine' ? 0.5 * o.lr * (1 + Math.cos((Math.PI * step) / steps)) : o.lr;
      e.adam(lr, o.weightDecay ?? 0, W_CLIP);
      step++;
      lossSum += r.loss * n;
      correct += r.correct;
    }
    const v = validate(e, val, data.val, logitScale);
    current = -1;
    const acc = mean(v.map((x) => x.accuracy)), loss = mean(v.map((x) => x.loss));
    curve.push({ epoch, train_loss: lossSum / N, train_accuracy: correct / N, val_loss: loss, val_accuracy: acc });
    if (acc > best.acc || (acc === best.acc && loss < best.loss)) best = { epoch, acc, loss, W: e.weights() };
    else if (epoch - best.epoch >= o.patience) break;
  }
  return {
    ...trainResult(best, true, curve),
    logit_scale: logitScale,
    chain_gain: chain,
    batches_per_die: batches,
  };
}

/** trainOverNets on models.json objects (characterized or virtual dies); validation on `val` (default: the training dies). */
export async function trainDieBatches(train: DieModels[], data: Pick<Dataset, 'train' | 'val'>, o: MultiOptions, val: DieModels[] = train): Promise<MultiResult> {
  if (train.length === 0) throw new ConfigError('robust training: no die to train on');
  const nets = train.map(deviceNet), valNets = val === train ? nets : val.map(deviceNet);
  return trainOverNets(await kernelModule(), nets, valNets, data, { ...o, inputScale: train[0].input_scale });
}

/** Test accuracy of one code set on each die (fitted models, float64 reference forward). */
export function accuracyOnDies(codes: ArrayLike<number>[], dies: DieModels[], split: Split, logitScale = 1): number[] {
  const W = codes.map((c) => Float64Array.from(c));
  return dies.map((m) => evaluate(deviceNet(m), W, true, split, logitScale).accuracy);
}
