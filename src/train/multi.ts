/**
 * One code set trained over several models of one network at once: the same die at several
 * operating conditions (codesign train --conditions), or several dies of a design. Each step
 * puts the same minibatch through every model (one training Engine each, all holding the same
 * shadow weights), takes each model's straight-through gradient of the shadow weights with its
 * own devices' slopes, and makes one Adam step on their mean: the loss is the mean over the
 * models of each one's softmax cross-entropy (with its own logit scale and range penalty).
 * Early stopping watches the mean validation accuracy over the models; in a range phase the
 * best epoch is one in range on every model (range-phase.ts, as train.ts). The single-model
 * trainer (train.ts) stays as it is; with one model this is the same training in float64
 * shadow weights.
 */
import type { Dataset } from '../data/index.js';
import type { DieModels } from '../fit/models.js';
import { Stream } from '../mismatch/rng.js';
import type { RangePhaseOptions } from './baselines.js';
import { CODE_MAX, tables } from './codes.js';
import { deviceNet, nominalNet, type DeviceNet } from './device.js';
import { Engine, softmaxCE } from './engine.js';
import { RangeControl, better, judgeEpoch, noCandidate, rangePhaseTraining, secondStart, type Candidate, type Standing } from './range-phase.js';
import { DEFAULT_RANGE, currentLimits, currentStats, networkScale, type CurrentRange, type NetworkScale } from './scale.js';
import { W_CLIP, epochBatches, evaluate, initialWeights, joinPhases, trainResult, type EpochLog, type TrainOptions, type TrainResult } from './train.js';
import { kernelModule } from './wasm.js';

const { min, sqrt } = Math;

/** One model a code set is trained over, with what its loss needs. */
export interface Member {
  net: DeviceNet;
  /** logits = logitScale * output currents (units of input_scale). */
  logitScale: number;
  /** Range penalty weight and each layer's largest soma input (units of input_scale); none when absent. */
  rangePenalty?: number;
  currentMax?: number[][];
}

/** The straight-through slopes of one layer's shadow weights per sign, A and B (B null: linear synapses). */
interface Slopes {
  aPos: Float64Array;
  aNeg: Float64Array;
  bPos: Float64Array | null;
  bNeg: Float64Array | null;
}

function slopesOf(net: DeviceNet): Slopes[] {
  return net.synapses.map((syn) => {
    const T = tables(syn), per = (x: Float64Array) => x.map((v) => v / CODE_MAX);
    return { aPos: per(T.sumPos), aNeg: per(T.sumNeg), bPos: T.logTerm ? per(T.sumDPos) : null, bNeg: T.logTerm ? per(T.sumDNeg) : null };
  });
}

/**
 * Trains one set of shadow weights over every member (same layers), from `o.init` (default:
 * initialWeights of the first member), with the options of train(): `o.logitScale`,
 * `o.rangePenalty` and `o.currentMax` are the members' own here; the range penalty adapts and
 * anneals per member (range-phase.ts), and with `selectInRange` the best epoch is one in range
 * on every member. Deterministic: the sample order is drawn from the seed as in train().
 */
export function trainAcross(module: WebAssembly.Module, members: Member[], data: Pick<Dataset, 'train' | 'val'>, o: Omit<TrainOptions, 'logitScale' | 'rangePenalty' | 'currentMax'>): TrainResult {
  if (!members.length) throw new Error('trainAcross: no models to train over');
  const layers = members[0].net.layers;
  for (const m of members) if (m.net.layers.join('-') !== layers.join('-')) throw new Error(`trainAcross: networks ${m.net.layers.join('-')} and ${layers.join('-')} differ`);
  const N = data.train.n, C = layers[layers.length - 1], M = members.length;
  const W = (o.init ?? initialWeights(members[0].net, o.seed)).map((w) => Float64Array.from(w));
  const steps = o.epochs * Math.ceil(N / o.batch);
  const engines = members.map((m) => {
    const e = new Engine(module, m.net, o.quantized, { train: data.train, val: data.val }, Math.max(o.batch, min(1000, data.val.n)));
    e.setWeights(W);
    return e;
  });
  const ranges = members.map((m, k) => new RangeControl(engines[k], { ...o, logitScale: m.logitScale, rangePenalty: m.rangePenalty, currentMax: m.currentMax }, data.train.y, steps));
  const judges = members.map((m, k) => ({ e: engines[k], logitScale: m.logitScale, limits: o.selectInRange ? m.currentMax : undefined }));
  const judge = (weights: Float64Array[], epoch: number, best: Candidate) => {
    for (const e of engines) e.setWeights(weights);
    return judgeEpoch(judges, data, epoch, best);
  };
  const slopes = members.map((m) => slopesOf(m.net));
  const mom = W.map((w) => new Float64Array(w.length)), vel = W.map((w) => new Float64Array(w.length)), grad = W.map((w) => new Float64Array(w.length));
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  let step = 0;
  const order = new Stream(`codesign/train/${o.seed}/order`);
  const curve: EpochLog[] = [];
  let best = noCandidate(W.map((w) => Float64Array.from(w)));
  if (o.rival) best = { ...judge(o.rival, 0, best).c, W: o.rival.map((w) => Float64Array.from(w)) };
  const idx = new Uint32Array(N);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    let lossSum = 0, correct = 0;
    for (const b of epochBatches(order, idx, o.batch)) {
      const n = b.length, y = Uint8Array.from(b, (k) => data.train.y[k]);
      for (const g of grad) g.fill(0);
      let stepLoss = 0, stepCorrect = 0;
      engines.forEach((e, k) => {
        e.setWeights(W);
        e.gather('train', b);
        e.forwardTraining(n);
        const r = softmaxCE(e.out, y, n, C, ranges[k].logitScale, e.dOut);
        e.backward(n);
        stepLoss += r.loss;
        stepCorrect += r.correct;
        e.effectiveGrads().forEach(({ dA, dB }, l) => {
          const s = slopes[k][l], w = W[l], g = grad[l];
          for (let q = 0; q < w.length; q++) {
            const neg = w[q] < 0;
            g[q] += (dA[q] * (neg ? s.aNeg[q] : s.aPos[q]) + (dB ? dB[q] * (neg ? s.bNeg![q] : s.bPos![q]) : 0)) / M;
          }
        });
      });
      lossSum += (stepLoss * n) / M;
      correct += stepCorrect / M;
      // Adam as the engine's kernel does it (decoupled weight decay, clip at W_CLIP), on the mean gradient.
      step++;
      const lr = o.schedule === 'cosine' ? 0.5 * o.lr * (1 + Math.cos((Math.PI * (step - 1)) / steps)) : o.lr;
      const c1 = 1 - b1 ** step, c2 = 1 - b2 ** step, decay = lr * (o.weightDecay ?? 0);
      W.forEach((w, l) => {
        const m = mom[l], v = vel[l], g = grad[l];
        for (let q = 0; q < w.length; q++) {
          m[q] = b1 * m[q] + (1 - b1) * g[q];
          v[q] = b2 * v[q] + (1 - b2) * g[q] * g[q];
          const next = w[q] - ((lr / c1) * m[q]) / (sqrt(v[q] / c2) + eps) - decay * w[q];
          w[q] = next > W_CLIP ? W_CLIP : next < -W_CLIP ? -W_CLIP : next;
        }
      });
      for (const r of ranges) r.after(step);
    }
    const { c, range } = judge(W, epoch, best);
    curve.push({ epoch, train_loss: lossSum / N, train_accuracy: correct / N, val_loss: c.loss, val_accuracy: c.acc, ...(range ? { train_range_p99: range } : {}) });
    if (better(c, best)) best = { ...c, W: W.map((w) => Float64Array.from(w)) };
    else if (epoch - best.epoch >= o.patience) break;
  }
  return trainResult(best, !!o.quantized, curve);
}

/** What a training over several models derived for each: its network scale (chain gain, logit scale) and current limits (A). */
export interface MemberScale {
  scale: NetworkScale;
  range_penalty: number;
  current_limits_a: number[][];
}

export interface TrainOverDiesResult {
  result: TrainResult;
  members: MemberScale[];
  /** With `start`: where the kept range phase began, the first phase's weights or the start's. */
  range_phase_start?: 'first phase' | 'start';
}

/**
 * Trains one code set (quantized) over the devices of several DieModels of one network, in the
 * phases of trainWithBaselines' die training, from the initial weights it uses for the same
 * seed: first in code units, each model with its own logit scale and range penalty (scale.ts:
 * the reference logit scale over the model's chain gain, the characterized range times it);
 * then, with `rangePhase`, from the first phase's best weights in current units at each
 * model's characterized range (the reference logit scale, the penalty adapting and annealing
 * per model, the best epoch in range on every model).
 *
 * `start` (e.g. the run's own codes, trained on one of the models): the range phase also runs
 * from it, with it as the phase's epoch 0, and the better of the two phases is kept (in range on
 * every model first, then the mean validation accuracy and loss, as trainWithBaselines picks between its two starts). A code set
 * trained at one condition is a good start for several, and without it the training over
 * conditions has only its own first phase to begin from, where a one-die training also tries
 * the ideal codes (trainWithBaselines); so the result is never behind the start on validation.
 */
export async function trainOverDies(
  models: DieModels[],
  data: Pick<Dataset, 'train' | 'val'>,
  opts: Omit<TrainOptions, 'quantized' | 'init' | 'currentMax'> & { range?: CurrentRange; rangePhase?: RangePhaseOptions | null; start?: Float64Array[] },
): Promise<TrainOverDiesResult> {
  if (!models.length) throw new Error('trainOverDies: no models');
  const range = opts.range ?? DEFAULT_RANGE, lambda = opts.rangePenalty ?? 0;
  const scales: MemberScale[] = [];
  const nets = models.map((mod) => deviceNet(mod));
  const limits = models.map((mod, k) => currentLimits(nets[k], range, mod.input_scale));
  const members: Member[] = models.map((mod, k) => {
    // As trainWithBaselines' first phase: code units, limits and penalty scaled by the chain gain.
    const net = nets[k], scale = networkScale(net, opts.logitScale);
    const P = scale.chain_gain, penalty = lambda / P ** 2;
    scales.push({ scale, range_penalty: penalty, current_limits_a: limits[k].map((l) => l.map((v) => v * mod.input_scale)) });
    return { net, logitScale: scale.logit_scale, rangePenalty: penalty, currentMax: limits[k].map((l) => l.map((v) => v * P)) };
  });
  const init = initialWeights(nominalNet(models[0]), opts.seed);
  const { range: _range, rangePhase, start, ...train } = opts;
  const module = await kernelModule();
  const first = trainAcross(module, members, data, { ...train, quantized: true, init });
  if (!rangePhase) return { result: first, members: scales };
  const inRange = nets.map((net, k) => ({ net, logitScale: opts.logitScale, rangePenalty: rangePhase.penalty, currentMax: limits[k] }));
  const phase = rangePhaseTraining(opts, rangePhase, true);
  const second = trainAcross(module, inRange, data, { ...phase, init: first.weights });
  if (!start) return { result: joinPhases([first, second]), members: scales };
  const fromStart = trainAcross(module, inRange, data, { ...phase, init: start, rival: start });
  // In range on every model, the mean validation accuracy and loss (float64, the reference logit scale).
  const standing = (w: Float64Array[]): Standing => {
    const v = nets.map((net) => evaluate(net, w, true, data.val, opts.logitScale));
    return {
      inRange: nets.every((net, k) => currentStats(net, w, true, data.train, models[k].input_scale, range).in_range),
      acc: v.reduce((s, r) => s + r.accuracy, 0) / nets.length,
      loss: v.reduce((s, r) => s + r.loss, 0) / nets.length,
    };
  };
  const useStart = secondStart(standing(second.weights), standing(fromStart.weights));
  return { result: joinPhases([first, useStart ? fromStart : second]), members: scales, range_phase_start: useStart ? 'start' : 'first phase' };
}
