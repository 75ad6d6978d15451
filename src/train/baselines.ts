import { availableParallelism } from 'node:os';
import type { Dataset } from '../data/index.js';
import type { DieModels } from '../fit/models.js';
import { spawnModuleWorker } from '../util/worker.js';
import { deviceNet, nominalNet } from './device.js';
import { DEFAULT_RANGE, currentLimits, initScale, networkScale, type CurrentRange, type NetworkScale } from './scale.js';
import { evaluate, initialWeights, trainOn, type TrainOptions, type TrainResult } from './train.js';
import { kernelModule } from './wasm.js';

/**
 * Training settings that worked on each dataset ("iris..." or else MNIST), tuned on the
 * validation split: on MNIST, weight decay 0.03 held the ideal float network's overfitting
 * down (validation 93.4 -> 95.5 %). logitScale is the reference of scale.ts: each network
 * trains with logitScale / (its chain gain), so the same code-space problem at every design
 * point (the default cells' chain gain is about 1: they train at logit scale 6 per unit of
 * input_scale, where their class currents stay near the characterized range).
 */
export function defaultTrainOptions(dataset: string): Omit<TrainOptions, 'seed' | 'quantized'> {
  if (dataset.startsWith('iris')) return { epochs: 400, patience: 100, batch: 10, lr: 0.05, logitScale: 6, weightDecay: 0.03, rangePenalty: RANGE_PENALTY };
  return { epochs: 60, patience: 10, batch: 50, lr: 0.02, logitScale: 6, weightDecay: 0.03, rangePenalty: 0 };
}

/**
 * Weight of the range penalty (soma input currents above the characterized range, in code
 * units: divided by the chain gain squared), Iris's default. Measured on the default Iris die:
 * the median largest class current fell from about 200 nA to 70-77 nA at 0.03 (two seeds),
 * accuracy held. MNIST trains without it: on its dies it cost 0.4-0.6 points of aware accuracy
 * (default die 1 and a 3.3x-gain die 12: ideal quantized - aware 1.3 -> 1.7 points there).
 */
export const RANGE_PENALTY = 0.03;

export type BaselineName = 'ideal_float' | 'ideal_quantized' | 'naive' | 'aware';

export interface BaselineRow {
  name: BaselineName;
  /** Which devices the network is evaluated on: "nominal" (a = 1, t = 0, median gains) or "die". */
  devices: 'nominal' | 'die';
  /** Which weights: float shadow weights, or the codes of the ideal quantized or the aware training. */
  weights: 'float' | 'ideal codes' | 'aware codes';
  test_accuracy: number;
  test_loss: number;
  val_accuracy: number;
}

export interface BaselinesResult {
  rows: BaselineRow[];
  /** What the trainings derived from the models: each network's scale and logit scale, the initial weights' scale. */
  scale: { die: NetworkScale; nominal: NetworkScale; init_scale_codes: number[]; range_penalty: number; current_limits_a: { die: number[][]; nominal: number[][] } };
  float: TrainResult;
  ideal: TrainResult;
  aware: TrainResult;
}

/** One of the three trainings of a die: which devices, quantized or not, from the shared start. */
interface TrainingTask {
  devices: 'nominal' | 'die';
  options: TrainOptions;
}

/**
 * Runs independent trainings, on up to `threads` worker threads (each training on one thread,
 * taken in the order given), or one after another in this thread. Each training is a pure
 * function of its inputs, so the results do not depend on which thread ran what, or when.
 */
async function runTrainings(models: DieModels, data: Dataset, tasks: TrainingTask[], threads: number): Promise<TrainResult[]> {
  const module = await kernelModule();
  const splits = { train: data.train, val: data.val };
  if (threads <= 1 || tasks.length <= 1) {
    const nets = { nominal: nominalNet(models), die: deviceNet(models) };
    return tasks.map((t) => trainOn(module, nets[t.devices], splits, t.options));
  }
  const workers = Array.from({ length: Math.min(threads, tasks.length) }, () => spawnModuleWorker(import.meta.url, 'worker'));
  const results: TrainResult[] = new Array(tasks.length);
  let next = 0;
  try {
    await Promise.all(
      workers.map(async (w) => {
        w.postMessage({ init: { module, models, data: splits } });
        while (next < tasks.length) {
          const id = next++;
          results[id] = await new Promise<TrainResult>((resolve, reject) => {
            const onMessage = (m: { id: number; result?: TrainResult; error?: string }) => {
              w.off('error', reject);
              if (m.error !== undefined) reject(new Error(`training on a worker thread failed: ${m.error}`));
              else resolve(m.result!);
            };
            w.once('message', onMessage);
            w.once('error', reject);
            w.postMessage({ task: { id, ...tasks[id] } });
          });
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

/**
 * Every core when the trainings are big enough to pay for starting threads (about 0.1 s
 * each); one thread for small ones (Iris: 90 samples x 80 weights).
 */
function defaultThreads(models: DieModels, data: Dataset): number {
  const weights = models.synapses.reduce((s, w) => s + w.rows * w.cols, 0);
  return data.train.n * weights >= 1e6 ? availableParallelism() : 1;
}

/**
 * The four networks every report shows, trained from the same initial weights and sample
 * order (one seed): the ideal float network and the ideal quantized one (nominal devices),
 * the ideal codes deployed on this die ("naive"), and codes trained on this die's models
 * ("aware"). Accuracy on the test split for each. The three trainings run on up to `threads`
 * worker threads (default: every core for big trainings, see defaultThreads); the die's (with the synapses' log term, about twice
 * the work of a nominal one) goes first, so two threads finish together.
 */
export async function trainWithBaselines(
  models: DieModels,
  data: Dataset,
  opts: Omit<TrainOptions, 'quantized' | 'init' | 'currentMax'> & { range?: CurrentRange },
  threads = defaultThreads(models, data),
): Promise<BaselinesResult> {
  const nominal = nominalNet(models), die = deviceNet(models);
  const init = initialWeights(nominal, opts.seed);
  const range = opts.range ?? DEFAULT_RANGE, u = models.input_scale, lambda = opts.rangePenalty ?? 0;
  const s = { die: networkScale(die, opts.logitScale), nominal: networkScale(nominal, opts.logitScale) };
  const limits = { die: currentLimits(die, range, u, s.die.chain_gain), nominal: currentLimits(nominal, range, u, s.nominal.chain_gain) };
  const scale = { ...s, init_scale_codes: models.layers.slice(0, -1).map(initScale), range_penalty: lambda, current_limits_a: { die: limits.die.map((l) => l.map((v) => v * u)), nominal: limits.nominal.map((l) => l.map((v) => v * u)) } };
  const logit = { die: s.die.logit_scale, nominal: s.nominal.logit_scale };
  const per = (devices: 'die' | 'nominal', quantized: boolean): TrainingTask => ({
    devices,
    options: { ...opts, logitScale: logit[devices], rangePenalty: lambda / s[devices].chain_gain ** 2, currentMax: limits[devices], init, quantized },
  });
  const [aware, ideal, float] = await runTrainings(models, data, [per('die', true), per('nominal', true), per('nominal', false)], threads);
  const row = (name: BaselineName, devices: 'nominal' | 'die', weights: BaselineRow['weights'], r: TrainResult, quantized: boolean): BaselineRow => {
    const net = devices === 'die' ? die : nominal;
    const test = evaluate(net, r.weights, quantized, data.test, logit[devices]);
    const val = evaluate(net, r.weights, quantized, data.val, logit[devices]);
    return { name, devices, weights, test_accuracy: test.accuracy, test_loss: test.loss, val_accuracy: val.accuracy };
  };
  return {
    rows: [
      row('ideal_float', 'nominal', 'float', float, false),
      row('ideal_quantized', 'nominal', 'ideal codes', ideal, true),
      row('naive', 'die', 'ideal codes', ideal, true),
      row('aware', 'die', 'aware codes', aware, true),
    ],
    scale,
    float,
    ideal,
    aware,
  };
}
