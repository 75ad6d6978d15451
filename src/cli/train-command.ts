import { join, resolve } from 'node:path';
import { ConfigError, DATASETS, INPUT_NOTE, trainOverConditions, trainRunFull, type ConditionsTrainingFile, type EngineName, type ExecutorProgress, type InputReference, type TrainingFile } from '../index.js';
import { table } from './commands.js';
import { Progress } from './progress.js';
import { makeExecutor } from './study-commands.js';

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
  conditions?: string;
  input?: InputReference;
  engine?: EngineName;
  out?: string;
  study?: string;
  executor?: string;
  concurrency?: number;
  timeout?: number;
  cache?: boolean;
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
  conditions: { type: 'string', describe: 'train one code set over the die\'s models at several operating conditions, e.g. temperature=0,27,85 or temperature=0,85,vdd=1.62,1.98 (every combination; corner=... too): each condition characterized (jobs as in codesign pvt), the loss averaged over them; writes <out>/weights.json and training.json' },
  input: { choices: ['fixed', 'ptat'] as const, default: 'fixed' as const, describe: `with --conditions: fixed: ${INPUT_NOTE.fixed}; ptat: ${INPUT_NOTE.ptat}` },
  engine: { choices: ['wasm', 'ngspice'] as const, default: 'wasm' as const, describe: 'with --conditions: the simulator that characterizes the conditions' },
  out: { type: 'string', describe: 'with --conditions: folder for weights.json and training.json (default <run>/conditions; the run\'s own codes stay)' },
  study: { type: 'string', describe: 'with --conditions: folder of the condition folders and jobs (default <run>/pvt, shared with codesign pvt)' },
  executor: { type: 'string', describe: 'with --conditions: local (default) or redis://host[:port][/db] (served by codesign worker processes)' },
  concurrency: { type: 'number', describe: 'with --conditions: conditions characterized at once (default: all cores; local executor)' },
  timeout: { type: 'number', describe: 'with --conditions: seconds before a simulator run is stopped' },
  cache: { type: 'boolean', default: true, describe: 'with --conditions: reuse stored simulation results (--no-cache to simulate everything)' },
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

/** `codesign train --run <dir> --conditions ...`: one code set over the die's models at several conditions, next to the run's own codes. */
export async function trainConditionsCommand(a: TrainArgs & { conditions: string }): Promise<ConditionsTrainingFile> {
  const study = resolve(a.study ?? join(a.run, 'pvt'));
  if (a.timeout !== undefined && !(Number.isFinite(a.timeout) && a.timeout > 0)) throw new ConfigError(`--timeout: expected seconds > 0, got ${a.timeout}`);
  const { executor, where, connect } = makeExecutor(a, study);
  let bar: Progress | undefined;
  const onProgress = (p: ExecutorProgress) => {
    if (p.done === 0 && !a.json) process.stderr.write(`train: ${p.total + p.skipped} conditions to characterize, ${p.skipped} already done, ${p.total} to run on ${where}\n`);
    if (p.total > 0) (bar ??= new Progress('conditions', p.total)).update(p.done, p.total);
  };
  try {
    await connect();
    const r = await trainOverConditions({ ...a, engine: a.engine ?? 'wasm', timeoutS: a.timeout, executor, study, onProgress });
    const t = r.training, paths = { weights: join(r.dir, 'weights.json'), training: join(r.dir, 'training.json') };
    if (a.json) {
      out(JSON.stringify({ run: t.run, ...paths, conditions: t.conditions, metrics: t.metrics }, null, 2));
      return t;
    }
    const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)} %`);
    out(`trained ${t.layers.join('-')} on ${t.dataset} over ${t.conditions.length} conditions of die ${r.weights.die_seed} of ${t.run}, seed ${t.seed}, ${t.metrics.elapsed_s.toFixed(1)} s (best epoch ${t.metrics.best_epoch}/${t.metrics.epochs_run})`);
    out(table(['condition', 'temperature', 'vdd', 'corner', 'these codes (test)', 'run\'s codes (test)'], t.conditions.map((c) => [c.name, `${c.temperature} °C`, `${c.vdd} V`, c.corner, pct(c.test_accuracy), pct(c.run_codes_test_accuracy)])));
    out(`mean ${pct(t.metrics.mean_test_accuracy)}, worst ${pct(t.metrics.worst_test_accuracy)}; run's codes: mean ${pct(t.metrics.run_codes_mean_test_accuracy)}, worst ${pct(t.metrics.run_codes_worst_test_accuracy)} (accuracy on each condition's fitted models)`);
    out(`wrote ${paths.weights} and ${paths.training}; deploy them with codesign pvt --run ${t.run} --weights conditions=${paths.weights}`);
    return t;
  } finally {
    await executor.close();
  }
}
