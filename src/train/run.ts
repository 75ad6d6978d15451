import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDataset, withBiasInput, type Dataset } from '../data/index.js';
import { modelsSchema, type DieModels } from '../fit/models.js';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { parseOrThrow } from '../util/zod.js';
import { designSchema } from '../design/index.js';
import { defaultTrainOptions, trainWithBaselines, type BaselineRow, type BaselinesResult } from './baselines.js';
import { deviceNet, nominalNet } from './device.js';
import { checkRunDesign, fileHash, readHashedJson } from './provenance.js';
import { currentStats, type CurrentRange } from './scale.js';
import { ENGINE, TRAINING_FORMAT, WEIGHTS_FORMAT, type TrainingFile, type WeightsFile } from './files.js';

export interface TrainRunOptions {
  /** Default: iris for 3 output classes, mnist otherwise. */
  dataset?: 'iris' | 'mnist';
  /** Directory of the standard MNIST IDX files (instead of the packaged digits). */
  mnistIdx?: string;
  seed?: number;
  epochs?: number;
  patience?: number;
  batch?: number;
  lr?: number;
  /** Worker threads for the three trainings (default: every core; 1 trains in this thread). */
  threads?: number;
}

export interface TrainRunResult {
  dir: string;
  training: TrainingFile;
  weights: WeightsFile;
  result: BaselinesResult;
}

/** models.json of a run folder, validated, and the SHA-256 of its bytes. */
export function readModels(dir: string): { models: DieModels; hash: string; path: string } {
  const path = join(dir, 'models.json');
  const { raw, sha256 } = readHashedJson(path, `models.json not found in ${dir} (codesign characterize --out ${dir}, or codesign fit, writes it)`);
  return { models: parseOrThrow(modelsSchema, raw, path), hash: sha256, path };
}

/**
 * The current range the die's devices were characterized over: design.json's characterize
 * sweeps when the run folder has one (characterize writes it), else the design defaults.
 */
export function characterizedRange(dir: string): CurrentRange {
  const path = join(dir, 'design.json');
  let raw: unknown = {};
  if (existsSync(path)) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const c = parseOrThrow(designSchema, raw, path).characterize;
  return { soma_max_a: c.soma_sweep.to, synapse_input_max_a: c.synapse_sweep.to };
}

/** Aware codes below the naive ones on the validation split: the trainer did not do its job on this die. */
function trainingWarnings(rows: BaselineRow[]): string[] {
  const val = Object.fromEntries(rows.map((r) => [r.name, r.val_accuracy]));
  return val.aware < val.naive ? [`aware codes end below the naive ones on the validation split (${(100 * val.aware).toFixed(1)} % vs ${(100 * val.naive).toFixed(1)} %)`] : [];
}

function positiveInt(v: number | undefined, name: string): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new ConfigError(`${name}: expected a positive integer, got ${v}`);
  return v;
}

/**
 * The dataset (with a constant bias input when the network has one input more than it has
 * features) and the training options for a die's network: the dataset defaults, overridden by
 * what the caller set. `path` names models.json in errors.
 */
export function trainingSetup(models: DieModels, path: string, o: TrainRunOptions) {
  const L = models.layers;
  const name = o.dataset ?? (L[L.length - 1] === 3 ? 'iris' : 'mnist');
  let data: Dataset = loadDataset(name, { idxDir: o.mnistIdx });
  // One input more than the dataset has features: the last input is a constant (bias) input.
  const biasInput = L[0] === data.features + 1;
  if (biasInput) data = withBiasInput(data);
  if (L[0] !== data.features || L[L.length - 1] !== data.classes)
    throw new ConfigError(`${path}: network ${L.join('-')} does not fit dataset ${name} (${data.features} inputs, or ${data.features + 1} with a bias input; ${data.classes} classes)`);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new ConfigError(`seed: expected an integer, got ${o.seed}`);
  if (o.lr !== undefined && !(o.lr > 0)) throw new ConfigError(`lr: expected a positive number, got ${o.lr}`);
  const d = defaultTrainOptions(name);
  const options = {
    epochs: positiveInt(o.epochs, 'epochs') ?? d.epochs,
    patience: positiveInt(o.patience, 'patience') ?? d.patience,
    batch: positiveInt(o.batch, 'batch') ?? d.batch,
    lr: o.lr ?? d.lr,
    logitScale: d.logitScale,
    weightDecay: d.weightDecay ?? 0,
    rangePenalty: d.rangePenalty ?? 0,
  };
  return { data, biasInput, options, seed: o.seed ?? 1 };
}

/**
 * Trains mismatch-aware codes for the die of a run folder (its models.json) and the three
 * baselines next to them; writes training.json, then weights.json (last: it marks a
 * complete training).
 */
export async function trainRun(run: string, o: TrainRunOptions = {}): Promise<TrainingFile> {
  return (await trainRunFull(run, o)).training;
}

/** trainRun, also returning the weights file and the trained networks. */
export async function trainRunFull(run: string, o: TrainRunOptions = {}): Promise<TrainRunResult> {
  const t0 = performance.now();
  const dir = resolve(run);
  const { models, hash, path } = readModels(dir);
  checkRunDesign(dir, models, path);
  const L = models.layers;
  const { data, biasInput, options, seed } = trainingSetup(models, path, o);
  const range = characterizedRange(dir);
  const result = await trainWithBaselines(models, data, { ...options, seed, range }, o.threads);
  const die = deviceNet(models), nominal = nominalNet(models);
  const currents = {
    range,
    aware: currentStats(die, result.aware.weights, true, data.test, models.input_scale, range),
    ideal_quantized: currentStats(nominal, result.ideal.weights, true, data.test, models.input_scale, range),
  };
  const warnings = trainingWarnings(result.rows);
  const elapsed = (performance.now() - t0) / 1000;
  const samples = (result.float.epochs_run + result.ideal.epochs_run + result.aware.epochs_run) * data.train.n;
  const acc = Object.fromEntries(result.rows.map((row) => [row.name, row.test_accuracy]));
  const weights: WeightsFile = {
    format: WEIGHTS_FORMAT,
    layers: [...L],
    codes: result.aware.codes!.map((c, k) => Array.from({ length: L[k] }, (_, i) => Array.from(c.subarray(i * L[k + 1], (i + 1) * L[k + 1])))),
    dataset: data.name,
    bias_input: biasInput,
    seed,
    epochs_run: result.aware.epochs_run,
    best_epoch: result.aware.best_epoch,
    engine: ENGINE,
    models_hash: hash,
    design_hash: models.design_hash,
    die_seed: models.die_seed,
    input_scale: models.input_scale,
    options,
  };
  const weightsText = JSON.stringify(weights) + '\n';
  const training: TrainingFile = {
    format: TRAINING_FORMAT,
    dataset: data.name,
    dataset_notes: data.notes,
    splits: { train: data.train.n, val: data.val.n, test: data.test.n },
    layers: [...L],
    seed,
    engine: ENGINE,
    models_hash: hash,
    weights_hash: fileHash(weightsText),
    options,
    curves: { ideal_float: result.float.curve, ideal_quantized: result.ideal.curve, aware: result.aware.curve },
    baselines: result.rows,
    derived: result.scale,
    currents,
    warnings,
    metrics: {
      test_accuracy: acc.aware,
      aware_gain_over_naive: acc.aware - acc.naive,
      aware_gap_to_ideal_quantized: acc.ideal_quantized - acc.aware,
      epochs_run: result.aware.epochs_run,
      elapsed_s: elapsed,
      samples_per_s: samples / elapsed,
    },
  };
  await writeFileAtomic(join(dir, 'training.json'), JSON.stringify(training, null, 2) + '\n');
  await writeFileAtomic(join(dir, 'weights.json'), weightsText);
  return { dir, training, weights, result };
}
