import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDataset, withBiasInput, type Dataset } from '../data/index.js';
import { modelsSchema, type DieModels } from '../fit/models.js';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { parseOrThrow } from '../util/zod.js';
import { designSchema } from '../design/index.js';
import { defaultTrainOptions, trainWithBaselines, type AwareStart, type BaselineRow, type BaselinesResult } from './baselines.js';
import { checkRunDesign, fileHash, readHashedJson } from './provenance.js';
import type { CurrentRange, CurrentStats } from './scale.js';
import type { TrainResult } from './train.js';
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
  /** Epochs of the second phase, at the characterized range (baselines.ts; 0: none, the currents are then not held to the range). */
  rangeEpochs?: number;
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

/**
 * What a user must know about a training: aware codes below the naive ones on the validation
 * split (the trainer did not do its job on this die), and trained networks whose currents
 * leave the characterized range on the training split (scale.ts CurrentStats.in_range).
 */
function trainingWarnings(rows: BaselineRow[], currents: Record<'aware' | 'ideal_quantized', CurrentStats>, range: CurrentRange, awareStart: AwareStart): string[] {
  const val = Object.fromEntries(rows.map((r) => [r.name, r.val_accuracy]));
  const w = val.aware < val.naive ? [`aware codes end below the naive ones on the validation split (${(100 * val.aware).toFixed(1)} % vs ${(100 * val.naive).toFixed(1)} %)`] : [];
  if (awareStart === 'naive') w.push(`the aware codes are the naive ones: no codes trained on this die's models beat them on the validation split (${(100 * val.naive).toFixed(1)} %)`);
  for (const [name, c] of Object.entries(currents))
    if (!c.in_range)
      w.push(
        `${name.replace('_', ' ')} currents beyond the characterized range on the training split: 99th percentile of soma input over its limit ${c.limit_ratio_p99.map((r) => r.toFixed(2)).join(', ')} per layer ` +
          `(somas characterized to ${(range.soma_max_a * 1e9).toFixed(0)} nA, synapse inputs to ${(range.synapse_input_max_a * 1e9).toFixed(0)} nA; beyond, the fitted models extrapolate)`,
      );
  return w;
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
export function trainingSetup(models: DieModels, path: string, o: TrainRunOptions): { data: Dataset; biasInput: boolean; options: WeightsFile['options']; seed: number } {
  const { data, biasInput } = runDataset(models, path, o.dataset, o.mnistIdx);
  return { data, biasInput, ...runTrainOptions(data.name, o) };
}

/**
 * Trains mismatch-aware codes for the die of a run folder (its models.json) and the baselines
 * next to them; writes training.json, then weights.json (last: it marks a complete training).
 */
export async function trainRun(run: string, o: TrainRunOptions = {}): Promise<TrainingFile> {
  return (await trainRunFull(run, o)).training;
}

/** The dataset a network of these models trains on (a constant bias input when it has one input more); a misfit names models.json. */
export function runDataset(models: DieModels, path: string, dataset?: 'iris' | 'mnist', mnistIdx?: string): { data: Dataset; biasInput: boolean } {
  const L = models.layers;
  const name = dataset ?? (L[L.length - 1] === 3 ? 'iris' : 'mnist');
  let data: Dataset = loadDataset(name, { idxDir: mnistIdx });
  // One input more than the dataset has features: the last input is a constant (bias) input.
  const biasInput = L[0] === data.features + 1;
  if (biasInput) data = withBiasInput(data);
  if (L[0] !== data.features || L[L.length - 1] !== data.classes)
    throw new ConfigError(`${path}: network ${L.join('-')} does not fit dataset ${name} (${data.features} inputs, or ${data.features + 1} with a bias input; ${data.classes} classes)`);
  return { data, biasInput };
}

/** The training options of a run: the dataset's defaults, overridden by the user's (checked); and the seed. */
export function runTrainOptions(dataset: string, o: TrainRunOptions): { options: WeightsFile['options']; seed: number } {
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new ConfigError(`seed: expected an integer, got ${o.seed}`);
  if (o.lr !== undefined && !(o.lr > 0)) throw new ConfigError(`lr: expected a positive number, got ${o.lr}`);
  const d = defaultTrainOptions(dataset);
  const options = {
    epochs: positiveInt(o.epochs, 'epochs') ?? d.epochs,
    patience: positiveInt(o.patience, 'patience') ?? d.patience,
    batch: positiveInt(o.batch, 'batch') ?? d.batch,
    lr: o.lr ?? d.lr,
    logitScale: d.logitScale,
    weightDecay: d.weightDecay ?? 0,
    rangePenalty: d.rangePenalty ?? 0,
    rangePhase: o.rangeEpochs === 0 ? null : d.rangePhase && { ...d.rangePhase, epochs: positiveInt(o.rangeEpochs, 'range-epochs') ?? d.rangePhase.epochs },
  };
  return { options, seed: o.seed ?? 1 };
}

/** weights.json of codes trained for the die of `models` (its models.json's SHA-256 `hash`). */
export function weightsFile(models: DieModels, hash: string, dataset: string, biasInput: boolean, seed: number, r: TrainResult, options: WeightsFile['options']): WeightsFile {
  const L = models.layers;
  return {
    format: WEIGHTS_FORMAT,
    layers: [...L],
    codes: r.codes!.map((c, k) => Array.from({ length: L[k] }, (_, i) => Array.from(c.subarray(i * L[k + 1], (i + 1) * L[k + 1])))),
    dataset,
    bias_input: biasInput,
    seed,
    epochs_run: r.epochs_run,
    best_epoch: r.best_epoch,
    engine: ENGINE,
    models_hash: hash,
    design_hash: models.design_hash,
    die_seed: models.die_seed,
    input_scale: models.input_scale,
    options,
  };
}

/** The fields every training.json opens with: the data, the network, the seed, the models and weights it was made from. */
export function trainingHead(data: Dataset, layers: number[], seed: number, modelsHash: string, weightsText: string) {
  return {
    dataset: data.name,
    dataset_notes: data.notes,
    splits: { train: data.train.n, val: data.val.n, test: data.test.n },
    layers: [...layers],
    seed,
    engine: ENGINE,
    models_hash: modelsHash,
    weights_hash: fileHash(weightsText),
  };
}

/** trainRun, also returning the weights file and the trained networks. */
export async function trainRunFull(run: string, o: TrainRunOptions = {}): Promise<TrainRunResult> {
  const t0 = performance.now();
  const dir = resolve(run);
  const { models, hash, path } = readModels(dir);
  checkRunDesign(dir, models, path);
  const L = models.layers;
  const { data, biasInput } = runDataset(models, path, o.dataset, o.mnistIdx);
  const { options, seed } = runTrainOptions(data.name, o);
  const range = characterizedRange(dir);
  const result = await trainWithBaselines(models, data, { ...options, seed, range }, o.threads);
  const trained = { aware: result.currents.aware, ideal_quantized: result.currents.ideal_quantized };
  const currents = { range, split: 'train' as const, ...trained, naive: result.currents.naive };
  const warnings = trainingWarnings(result.rows, trained, range, result.aware_start);
  const elapsed = (performance.now() - t0) / 1000;
  const samples = (result.float.epochs_run + result.ideal.epochs_run + result.die_epochs_run) * data.train.n;
  const acc = Object.fromEntries(result.rows.map((row) => [row.name, row.test_accuracy]));
  const weights = weightsFile(models, hash, data.name, biasInput, seed, result.aware, options);
  const weightsText = JSON.stringify(weights) + '\n';
  const training: TrainingFile = {
    format: TRAINING_FORMAT,
    ...trainingHead(data, L, seed, hash, weightsText),
    options,
    curves: { ideal_float: result.float.curve, ideal_quantized: result.ideal.curve, aware: result.aware.curve },
    baselines: result.rows,
    derived: { ...result.scale, aware_start: result.aware_start },
    currents,
    warnings,
    metrics: {
      test_accuracy: acc.aware,
      aware_gain_over_naive: acc.aware - acc.naive,
      aware_gap_to_ideal_quantized: acc.ideal_quantized - acc.aware,
      epochs_run: result.aware.epochs_run,
      elapsed_s: elapsed,
      training_s: { ideal_float: result.float.elapsed_s ?? 0, ideal_quantized: result.ideal.elapsed_s ?? 0, aware: result.aware.elapsed_s ?? 0 },
      samples_per_s: samples / elapsed,
    },
  };
  await writeFileAtomic(join(dir, 'training.json'), JSON.stringify(training, null, 2) + '\n');
  await writeFileAtomic(join(dir, 'weights.json'), weightsText);
  return { dir, training, weights, result };
}
