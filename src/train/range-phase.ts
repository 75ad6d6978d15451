/**
 * What a training needs per Engine to hold its soma inputs to the characterized range (the
 * second phase of trainWithBaselines, and of a training over several models): the penalty
 * whose weight adapts per layer and whose limits fall from the start's currents to the range,
 * and the choice of the best epoch among those in range. The single-model trainer (train.ts)
 * and the one over several models (multi.ts) share it, so both do exactly the same.
 */
import type { RangePhaseOptions } from './baselines.js';
import type { Engine } from './engine.js';
import type { TrainOptions } from './train.js';

const { max, min } = Math;

/** Steps between updates of the adaptive range penalty weights (TrainOptions.rangeTarget). */
const ADAPT_STEPS = 20;

/**
 * The range penalty of one engine through a run (TrainOptions.rangePenalty, currentMax,
 * rangeTarget, rangeAnneal) and the logit scale it implies (rising with the limits during the
 * anneal). Without a penalty or limits it does nothing and the logit scale stays as given.
 * The engine must hold the run's initial weights when it is made (the anneal starts from their
 * currents on the training split).
 */
export class RangeControl {
  /** The logit scale of the next training step. */
  logitScale: number;
  private readonly penalty: { lambda: number[]; umax: number[][] } | null;
  private readonly rho0: number[] | null;
  private readonly annealSteps: number;

  constructor(
    private readonly e: Engine,
    private readonly o: Pick<TrainOptions, 'logitScale' | 'rangePenalty' | 'currentMax' | 'rangeTarget' | 'rangeAnneal'>,
    trainY: ArrayLike<number>,
    steps: number,
  ) {
    this.logitScale = o.logitScale;
    this.penalty = o.rangePenalty && o.currentMax ? { lambda: o.currentMax.map(() => o.rangePenalty!), umax: o.currentMax } : null;
    // Annealing factors per layer: from the start's p99 of u / limit (at least 1) to 1 over `annealSteps`.
    this.rho0 = this.penalty && o.rangeAnneal ? e.evaluate('train', trainY, o.logitScale, this.penalty.umax).rangeP99!.map((r) => max(1, r)) : null;
    this.annealSteps = (o.rangeAnneal ?? 0) * steps;
    this.set(0);
  }

  private set(step: number): void {
    if (!this.penalty) return;
    if (!this.rho0) return this.e.setRangePenalty(this.penalty.lambda, this.penalty.umax);
    const rho = this.rho0.map((r) => r ** max(0, 1 - step / this.annealSteps));
    this.logitScale = this.o.logitScale / rho[rho.length - 1];
    this.e.setRangePenalty(this.penalty.lambda, this.penalty.umax.map((l, k) => l.map((v) => v * rho[k])));
  }

  /** After training step `step` (counted from 1): adapt the weights (every ADAPT_STEPS steps) and move the limits. */
  after(step: number): void {
    if (!this.penalty) return;
    const adapt = this.o.rangeTarget && step % ADAPT_STEPS === 0;
    if (adapt) this.e.rangeShare().forEach((share, l) => (this.penalty!.lambda[l] = max(this.o.rangePenalty! * 1e-3, this.penalty!.lambda[l] * min(2, max(0.5, share / this.o.rangeTarget!)))));
    if (adapt || (this.rho0 && step <= this.annealSteps)) this.set(step);
  }
}

/** An epoch's weights as a candidate for the best: validation accuracy and loss, and how far beyond the range. */
export interface Candidate {
  epoch: number;
  acc: number;
  loss: number;
  /** The largest 99th percentile of soma input over its limit, less 1, over the layers (and models); 0 in range. */
  excess: number;
  W: Float64Array[];
}

/** In range first, then accuracy, then loss; beyond the range, the least beyond. */
export const better = (a: Candidate, b: Candidate): boolean => (a.excess === 0 && b.excess === 0 ? a.acc > b.acc || (a.acc === b.acc && a.loss < b.loss) : a.excess < b.excess);

/** Where a finished range phase stands: in range on the training split, validation accuracy and loss. */
export interface Standing {
  inRange: boolean;
  acc: number;
  loss: number;
}

/** Of two range phases from different starts, whether the second is kept: in range first, then validation accuracy, then loss (the first on a tie). */
export const secondStart = (a: Standing, b: Standing): boolean => (b.inRange && !a.inRange) || (b.inRange === a.inRange && (b.acc > a.acc || (b.acc === a.acc && b.loss < a.loss)));

/** The first best: any epoch beats it. */
export const noCandidate = (W: Float64Array[]): Candidate => ({ epoch: 0, acc: -1, loss: Infinity, excess: Infinity, W });

/** One model's part in judging an epoch: its engine (holding the weights judged), its reference logit scale, its limits with selectInRange. */
export interface Judge {
  e: Engine;
  logitScale: number;
  limits?: number[][];
}

/**
 * The weights the engines hold as a candidate for the best epoch: the mean validation accuracy
 * and loss over the models, and, when there are limits and the candidate could win, the range
 * on the training split (per layer, the largest over the models; TrainOptions.selectInRange).
 */
export function judgeEpoch(parts: Judge[], data: { train: { y: ArrayLike<number> }; val: { y: ArrayLike<number> } }, epoch: number, best: Candidate): { c: Candidate; range?: number[] } {
  let loss = 0, acc = 0;
  for (const p of parts) {
    const r = p.e.evaluate('val', data.val.y, p.logitScale);
    loss += r.loss;
    acc += r.accuracy;
  }
  const c: Candidate = { epoch, acc: acc / parts.length, loss: loss / parts.length, excess: 0, W: [] };
  if (!parts.every((p) => p.limits) || !(best.excess > 0 || better(c, best))) return { c };
  const ranges = parts.map((p) => p.e.evaluate('train', data.train.y, p.logitScale, p.limits).rangeP99!);
  const range = ranges[0].map((_, l) => max(...ranges.map((r) => r[l])));
  return { c: { ...c, excess: max(0, ...range.map((r) => r - 1)) }, range };
}

/**
 * The options of a range phase (RangePhaseOptions) for a training of batch size, weight decay
 * and seed `o`: cosine decay over its epochs, no early stop, the penalty adapting to the
 * target, limits annealed, the best epoch in range. The logit scale, penalty weight and limits
 * are each model's (in current units: the reference logit scale, the characterized range).
 */
export function rangePhaseTraining(o: Pick<TrainOptions, 'seed' | 'batch' | 'weightDecay'>, rp: RangePhaseOptions, quantized: boolean): Omit<TrainOptions, 'logitScale' | 'rangePenalty' | 'currentMax'> {
  return {
    seed: o.seed,
    batch: o.batch,
    weightDecay: o.weightDecay,
    quantized,
    epochs: rp.epochs,
    patience: rp.epochs,
    lr: rp.lr,
    schedule: 'cosine',
    rangeTarget: rp.target,
    rangeAnneal: rp.anneal,
    selectInRange: true,
  };
}
