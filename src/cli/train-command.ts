import { join } from 'node:path';
import { DATASETS, trainRunFull, type TrainingFile } from '../index.js';
import { table } from './commands.js';

export interface TrainArgs {
  /** Run folder holding models.json, e.g. runs/iris-1. */
  run: string;
  dataset?: 'iris' | 'mnist';
  /** Directory of the standard MNIST IDX files (instead of the packaged digits). */
  mnistIdx?: string;
  epochs?: number;
  patience?: number;
  batch?: number;
  lr?: number;
  rangeEpochs?: number;
  seed?: number;
  json?: boolean;
}

/** Options of `codesign train`, for yargs' `.options(trainOptions)`. */
export const trainOptions = {
  run: { type: 'string', demandOption: true, describe: 'run folder with models.json (written by characterize or fit), e.g. runs/iris-1' },
  dataset: { choices: DATASETS, describe: 'dataset (default: iris for 3 output classes, mnist otherwise); a network with one input more than the dataset gets a constant bias input' },
  'mnist-idx': { type: 'string', describe: 'directory with the standard MNIST IDX files (train-images-idx3-ubyte, ...) instead of the packaged 10,000 digits' },
  epochs: { type: 'number', describe: 'most epochs of each training\'s first phase (default iris 400, mnist 30); early stopping on validation accuracy' },
  patience: { type: 'number', describe: 'first phase: epochs without a better validation accuracy before stopping (default iris 100, mnist 10)' },
  batch: { type: 'number', describe: 'minibatch size (default iris 10, mnist 50)' },
  lr: { type: 'number', describe: 'first phase: Adam step size in code units (default iris 0.05, mnist 0.02)' },
  'range-epochs': { type: 'number', describe: 'epochs of the second phase, which holds the currents to the characterized range (default iris 100, mnist 25; 0: no second phase)' },
  seed: { type: 'number', default: 1, describe: 'training seed: initial weights and sample order' },
} as const;

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/**
 * `codesign train --run <dir>`: trains mismatch-aware codes for the die of a run folder and
 * the three baselines next to them; writes weights.json and training.json into the folder.
 */
export async function trainCommand(a: TrainArgs): Promise<TrainingFile> {
  const { dir, training, weights, result } = await trainRunFull(a.run, a);
  const paths = { weights: join(dir, 'weights.json'), training: join(dir, 'training.json') };
  if (a.json) {
    out(JSON.stringify({ run: dir, ...paths, dataset: training.dataset, seed: training.seed, engine: training.engine, baselines: training.baselines, derived: training.derived, currents: training.currents, warnings: training.warnings, metrics: training.metrics }, null, 2));
    return training;
  }
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const { splits: s, metrics: m } = training;
  out(`trained ${weights.layers.join('-')} on ${training.dataset} (${s.train}/${s.val}/${s.test}) for die ${weights.die_seed} of ${dir}, seed ${training.seed}, ${training.engine}, ${m.elapsed_s.toFixed(1)} s`);
  const runOf = { ideal_float: result.float, ideal_quantized: result.ideal, aware: result.aware } as const;
  out(
    table(
      ['network', 'devices', 'weights', 'test accuracy', 'val accuracy', 'best/run epochs'],
      training.baselines.map((row) => {
        const t = row.name === 'naive' ? undefined : runOf[row.name];
        return [row.name.replace('_', ' '), row.devices, row.weights, pct(row.test_accuracy), pct(row.val_accuracy), t ? `${t.best_epoch}/${t.epochs_run}` : '-'];
      }),
    ),
  );
  out(`aware - naive: ${(100 * m.aware_gain_over_naive).toFixed(1)} points; ideal quantized - aware: ${(100 * m.aware_gap_to_ideal_quantized).toFixed(1)} points`);
  const d = training.derived, c = training.currents, nA = (a: number) => `${(a * 1e9).toFixed(0)} nA`;
  out(`scale: chain gain die ${d.die.chain_gain.toFixed(2)} (gain per code step ${d.die.gain_per_code.map((g) => g.pos.toFixed(3)).join(', ')}), nominal ${d.nominal.chain_gain.toFixed(2)}; first-phase logit scale die ${d.die.logit_scale.toFixed(2)}, nominal ${d.nominal.logit_scale.toFixed(2)}${d.range_phase ? `; aware codes from ${d.aware_start === 'ideal' ? 'the ideal codes' : 'the die\'s first phase'} (better on validation)` : ''}`);
  const ratio = (s: typeof c.aware) => `${s.limit_ratio_p99.map((r) => r.toFixed(2)).join(', ')}${s.in_range ? '' : ' (beyond)'}`;
  out(`currents (training split; somas characterized to ${nA(c.range.soma_max_a)}, synapse inputs to ${nA(c.range.synapse_input_max_a)}): soma input p99 over its limit per layer: aware ${ratio(c.aware)}, ideal quantized ${ratio(c.ideal_quantized)}, naive ${ratio(c.naive)}; aware soma inputs p99 ${c.aware.soma_input_p99_a.map(nA).join(', ')}, median largest class current ${nA(c.aware.largest_class_current_median_a)}`);
  for (const w of training.warnings) out(`WARNING: ${w}`);
  out(`wrote ${paths.weights} and ${paths.training}`);
  return training;
}
