import { join, resolve } from 'node:path';
import { ConfigError, DATASETS, INPUT_NOTE, parsePopulation, trainOverConditions, trainRobustRun, trainRunFull, type ConditionsTrainingFile, type EngineName, type ExecutorProgress, type InputReference, type RobustRunResult, type TrainingFile } from '../index.js';
import { table } from './commands.js';
import { Progress } from './progress.js';
import { makeExecutor } from './study-commands.js';

export interface TrainArgs {
  /** Run folder holding models.json, e.g. runs/iris-1 (strategy aware). */
  run?: string;
  strategy?: 'aware' | 'robust';
  /** Strategy robust: run folders of characterized dies, and virtual:N. */
  population?: string[];
  /** Strategy robust: the folder the population codes go to; with conditions: where their codes go (default <run>/conditions). */
  out?: string;
  'virtual-seed'?: number;
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
  study?: string;
  executor?: string;
  concurrency?: number;
  timeout?: number;
  cache?: boolean;
}

/** Options of `codesign train`, for yargs' `.options(trainOptions)`. */
export const trainOptions = {
  run: { type: 'string', describe: 'run folder with models.json (written by characterize or fit), e.g. runs/iris-1: aware codes for its die' },
  strategy: { choices: ['aware', 'robust'] as const, default: 'aware' as const, describe: 'aware: codes for the die of --run (with the baselines); robust: one code set for every die of the design, trained over --population, written to --out' },
  population: {
    type: 'string',
    array: true,
    describe:
      'robust: the population, K run folders of characterized dies of one design (each batch trains on one of them); add virtual:N to train on N virtual dies sampled from a multivariate normal fitted to those K instead (the K dies then only validate). e.g. --population runs/die-21 runs/die-22 virtual:64',
  },
  'virtual-seed': { type: 'number', describe: 'robust with virtual:N: seed of the virtual dies (default: --seed)' },
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
  out: { type: 'string', describe: 'robust: folder for weights.json (deploys on any die of the design), population.json (fitted statistics), robust.json; with --conditions: folder for weights.json and training.json (default <run>/conditions; the run\'s own codes stay)' },
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
export async function trainCommand(a: TrainArgs): Promise<TrainingFile | RobustRunResult> {
  if (a.strategy === 'robust') return robustCommand(a);
  if (a.population || a.out || a['virtual-seed'] !== undefined) throw new ConfigError('--population, --out and --virtual-seed go with --strategy robust');
  if (!a.run) throw new ConfigError('--run: name the run folder of the die to train for (or --strategy robust --population ... --out DIR)');
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
  out(`scale: chain gain die ${d.die.chain_gain.toFixed(2)} (gain per code step ${d.die.gain_per_code.map((g) => g.pos.toFixed(3)).join(', ')}), nominal ${d.nominal.chain_gain.toFixed(2)}; first-phase logit scale die ${d.die.logit_scale.toFixed(2)}, nominal ${d.nominal.logit_scale.toFixed(2)}${d.range_phase ? `; aware codes ${{ ideal: 'from the ideal codes (better on validation)', die: "from the die's first phase (better on validation)", naive: 'are the naive codes (no trained codes beat them on validation)' }[d.aware_start]}` : ''}`);
  const ratio = (s: typeof c.aware) => `${s.limit_ratio_p99.map((r) => r.toFixed(2)).join(', ')}${s.in_range ? '' : ' (beyond)'}`;
  out(`currents (training split; somas characterized to ${nA(c.range.soma_max_a)}, synapse inputs to ${nA(c.range.synapse_input_max_a)}): soma input p99 over its limit per layer: aware ${ratio(c.aware)}, ideal quantized ${ratio(c.ideal_quantized)}, naive ${ratio(c.naive)}; aware soma inputs p99 ${c.aware.soma_input_p99_a.map(nA).join(', ')}, median largest class current ${nA(c.aware.largest_class_current_median_a)}`);
  for (const w of training.warnings) out(`WARNING: ${w}`);
  out(`wrote ${paths.weights} and ${paths.training}`);
  return training;
}

/** `codesign train --run <dir> --conditions ...`: one code set over the die's models at several conditions, next to the run's own codes. */
export async function trainConditionsCommand(a: TrainArgs & { conditions: string }): Promise<ConditionsTrainingFile> {
  if (!a.run) throw new ConfigError('--run: --conditions trains over the conditions of the die of a run folder; name it');
  if (a.strategy === 'robust') throw new ConfigError('--conditions: trains one die over its conditions; --strategy robust trains over a population of dies (use one or the other)');
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
    const r = await trainOverConditions({ ...a, run: a.run, engine: a.engine ?? 'wasm', timeoutS: a.timeout, executor, study, onProgress });
    const t = r.training, paths = { weights: join(r.dir, 'weights.json'), training: join(r.dir, 'training.json') };
    if (a.json) {
      out(JSON.stringify({ run: t.run, ...paths, conditions: t.conditions, metrics: t.metrics }, null, 2));
      return t;
    }
    const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)} %`);
    out(`trained ${t.layers.join('-')} on ${t.dataset} over ${t.conditions.length} conditions of die ${r.weights.die_seed} of ${t.run}, seed ${t.seed}, ${t.metrics.elapsed_s.toFixed(1)} s (best epoch ${t.metrics.best_epoch}/${t.metrics.epochs_run}${t.range_phase_start ? `; range phase from the ${t.range_phase_start}` : ''})`);
    out(table(['condition', 'temperature', 'vdd', 'corner', 'these codes (test)', 'run\'s codes (test)'], t.conditions.map((c) => [c.name, `${c.temperature} °C`, `${c.vdd} V`, c.corner, pct(c.test_accuracy), pct(c.run_codes_test_accuracy)])));
    out(`mean ${pct(t.metrics.mean_test_accuracy)}, worst ${pct(t.metrics.worst_test_accuracy)}; run's codes: mean ${pct(t.metrics.run_codes_mean_test_accuracy)}, worst ${pct(t.metrics.run_codes_worst_test_accuracy)} (accuracy on each condition's fitted models)`);
    out(`wrote ${paths.weights} and ${paths.training}; deploy them with codesign pvt --run ${t.run} --weights conditions=${paths.weights}`);
    return t;
  } finally {
    await executor.close();
  }
}

/** `codesign train --strategy robust --population DIR... [virtual:N] --out DIR`: one code set over a population of dies. */
async function robustCommand(a: TrainArgs): Promise<RobustRunResult> {
  if (a.run) throw new ConfigError('--run: robust codes are trained over --population and written to --out, not into a die\'s run folder');
  if (!a.population?.length) throw new ConfigError('--population: name the run folders of the characterized dies (codesign characterize --seed S --out DIR for each)');
  if (!a.out) throw new ConfigError('--out: name the folder for the population codes (weights.json, population.json, robust.json)');
  const r = await trainRobustRun(parsePopulation(a.population), a.out, { ...a, virtualSeed: a['virtual-seed'] });
  const paths = ['weights.json', 'population.json', 'robust.json'].map((f) => join(r.dir, f));
  const b = r.robust;
  if (a.json) {
    out(JSON.stringify({ out: r.dir, files: paths, ...b, curve: undefined }, null, 2));
    return r;
  }
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const over = b.virtual_dies ? `${b.virtual_dies} virtual dies (seed ${b.virtual_seed}) sampled from the model fitted to K = ${b.k} dies` : `K = ${b.k} dies`;
  out(`trained one code set ${b.layers.join('-')} on ${b.dataset} over ${over}: ${b.dies.map((d) => d.die_seed).join(', ')} (design ${b.design_hash}), seed ${b.seed}, best epoch ${b.best_epoch}/${b.epochs_run}, ${b.elapsed_s.toFixed(1)} s`);
  out(table(['die', 'test accuracy (fitted models; a training die, not held out)'], b.training_dies_test_accuracy.map((d) => [d.die_seed, pct(d.accuracy)])));
  out(`deploy on any die of the design: codesign verify --run <die folder> --weights ${paths[0]}`);
  out(`wrote ${paths.join(', ')}`);
  return r;
}
