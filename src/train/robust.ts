/**
 * `train --strategy robust`: one code set for every die of a design, trained over a
 * population instead of one die, so that it ships without characterizing each chip. The
 * population is K characterized run folders, or N virtual dies sampled from the model
 * (population.ts) fitted to those K. Writes into its own folder: weights.json (recording the
 * population, not a die: it deploys on any die of the design), population.json (the fitted
 * statistics) and robust.json (which dies, options, learning curve, accuracy per training die).
 */
import { join, resolve } from 'node:path';
import type { Split } from '../data/index.js';
import type { DieModels } from '../fit/models.js';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { ENGINE, WEIGHTS_FORMAT, type WeightsFile } from './files.js';
import { accuracyOnDies, trainDieBatches, type MultiResult } from './die-batches.js';
import { fitPopulation, sampleDie, type PopulationStatistics } from './population.js';
import { checkRunDesign, fileHash } from './provenance.js';
import { characterizedRange, readModels, trainingSetup, type TrainRunOptions } from './run.js';
import { nominalNet } from './device.js';
import { networkScale } from './scale.js';
import { initialWeights, train as trainNet, type EpochLog } from './train.js';

export const ROBUST_FORMAT = 'codesign-robust/1';

/** Where the population comes from: run folders of characterized dies, and how many virtual dies to sample from them (0: train on the folders' dies). */
export interface PopulationSource {
  runs: string[];
  virtual: number;
}

/** `--population DIR... [virtual:N]`: the run folders, and virtual:N once at most. */
export function parsePopulation(items: readonly string[]): PopulationSource {
  const runs: string[] = [];
  let virtual = 0;
  for (const item of items.flatMap((s) => s.split(',')).filter(Boolean)) {
    const m = /^virtual:(.*)$/.exec(item);
    if (!m) {
      runs.push(item);
      continue;
    }
    const n = Number(m[1]);
    if (!(Number.isInteger(n) && n >= 1)) throw new ConfigError(`--population: ${item}: expected virtual:N with N a whole number >= 1 (N virtual dies)`);
    if (virtual) throw new ConfigError(`--population: virtual:N given twice`);
    virtual = n;
  }
  if (runs.length === 0) throw new ConfigError('--population: name the run folders of the characterized dies (virtual:N samples from the model fitted to them, so it needs them too)');
  return { runs, virtual };
}

/** robust.json: what robust training ran on and how it went. */
export interface RobustFile {
  format: typeof ROBUST_FORMAT;
  dataset: string;
  layers: number[];
  design_hash: string;
  seed: number;
  engine: string;
  /** K: the characterized dies the population was fitted to (and validated on). */
  k: number;
  dies: { die_seed: number; models_hash: string; run: string }[];
  /** Virtual dies trained on (0: the K dies themselves), and the seed they were drawn with. */
  virtual_dies: number;
  virtual_seed: number;
  population_sha256: string;
  options: WeightsFile['options'];
  logit_scale: number;
  chain_gain: number;
  /** The ideal codes robust training starts from (nominal devices of the first die): their best epoch and validation accuracy on nominal devices. */
  start: { from: string; best_epoch: number; val_accuracy_nominal: number };
  curve: EpochLog[];
  /** 0: no epoch beat the start (the ideal codes) on the mean validation accuracy. */
  best_epoch: number;
  epochs_run: number;
  /** Test accuracy of the codes on each characterized die (fitted models; these dies are not held out). */
  training_dies_test_accuracy: { die_seed: number; accuracy: number }[];
  weights_hash: string;
  elapsed_s: number;
}

export interface RobustRunOptions extends TrainRunOptions {
  /** Seed of the virtual dies' draws (default: the training seed). */
  virtualSeed?: number;
}

export interface RobustRunResult {
  dir: string;
  weights: WeightsFile;
  robust: RobustFile;
  population: PopulationStatistics;
  result: MultiResult;
}

/** Trains population codes over `source` and writes weights.json, population.json and robust.json into `out`. */
export async function trainRobustRun(source: PopulationSource, out: string, o: RobustRunOptions = {}): Promise<RobustRunResult> {
  const t0 = performance.now();
  const dir = resolve(out);
  const dies = source.runs.map((run) => {
    const r = readModels(resolve(run));
    checkRunDesign(resolve(run), r.models, r.path);
    if (resolve(run) === dir) throw new ConfigError(`--out ${dir} is one of the population's run folders: robust codes go into a folder of their own`);
    return { ...r, run: resolve(run) };
  });
  const population = fitPopulation(dies);
  const populationText = JSON.stringify(population, null, 2) + '\n';
  const populationHash = fileHash(populationText);
  const first = dies[0];
  const { data, biasInput, options, seed } = trainingSetup(first.models, first.path, o);
  const virtualSeed = o.virtualSeed ?? seed;
  const models = dies.map((d) => d.models);
  const train = source.virtual ? Array.from({ length: source.virtual }, (_, i) => sampleDie(population, virtualSeed, i)) : models;
  // Start from the ideal codes (nominal devices of the first die, as the naive baseline trains
  // them): measured on MNIST (2,000 digits, 30 epochs, virtual dies of die 1) robust training from
  // them reached 83.5 % on held-out virtual dies, from the initial weights 74.2 % (naive 57.1 %).
  const nominal = nominalNet(first.models);
  const ideal = await trainNet(nominal, data, { ...options, seed, quantized: true, logitScale: networkScale(nominal, options.logitScale).logit_scale, init: initialWeights(nominal, seed) });
  const result = await trainDieBatches(train, data, { ...options, seed, range: characterizedRange(first.run), init: ideal.weights }, models);
  const L = first.models.layers;
  const weights: WeightsFile = {
    format: WEIGHTS_FORMAT,
    layers: [...L],
    codes: result.codes!.map((c, k) => Array.from({ length: L[k] }, (_, i) => Array.from(c.subarray(i * L[k + 1], (i + 1) * L[k + 1])))),
    dataset: data.name,
    bias_input: biasInput,
    seed,
    epochs_run: result.epochs_run,
    best_epoch: result.best_epoch,
    engine: ENGINE,
    design_hash: population.design_hash,
    input_scale: population.input_scale,
    options,
    population: { dies: population.dies, virtual_dies: source.virtual, virtual_seed: virtualSeed, population_sha256: populationHash },
  };
  const weightsText = JSON.stringify(weights) + '\n';
  const accuracy = accuracyOnDies(result.codes!, models, data.test);
  const robust: RobustFile = {
    format: ROBUST_FORMAT,
    dataset: data.name,
    layers: [...L],
    design_hash: population.design_hash,
    seed,
    engine: ENGINE,
    k: dies.length,
    dies: dies.map((d) => ({ die_seed: d.models.die_seed, models_hash: d.hash, run: d.run })),
    virtual_dies: source.virtual,
    virtual_seed: virtualSeed,
    population_sha256: populationHash,
    options,
    logit_scale: result.logit_scale,
    chain_gain: result.chain_gain,
    start: { from: `ideal codes: nominal devices of die ${first.models.die_seed}`, best_epoch: ideal.best_epoch, val_accuracy_nominal: ideal.curve[ideal.best_epoch - 1]?.val_accuracy ?? NaN },
    curve: result.curve,
    best_epoch: result.best_epoch,
    epochs_run: result.epochs_run,
    training_dies_test_accuracy: models.map((m, k) => ({ die_seed: m.die_seed, accuracy: accuracy[k] })),
    weights_hash: fileHash(weightsText),
    elapsed_s: (performance.now() - t0) / 1000,
  };
  await writeFileAtomic(join(dir, 'population.json'), populationText);
  await writeFileAtomic(join(dir, 'robust.json'), JSON.stringify(robust, null, 2) + '\n');
  await writeFileAtomic(join(dir, 'weights.json'), weightsText);
  return { dir, weights, robust, population, result };
}

/**
 * Test accuracy of population codes on held-out dies (fitted models): every die must be of
 * the codes' design and none of the dies they were trained over (checked by die seed), else a
 * ConfigError names it.
 */
export function heldOutAccuracy(weights: WeightsFile, dies: DieModels[], split: Split): number[] {
  const p = weights.population;
  if (!p) throw new ConfigError('held-out accuracy: these weights are codes of one die, not population codes (train --strategy robust)');
  const trained = new Set(p.dies.map((d) => d.die_seed));
  for (const m of dies) {
    if (m.design_hash !== weights.design_hash) throw new ConfigError(`held-out die ${m.die_seed} is of design ${m.design_hash}, the population codes of design ${weights.design_hash}`);
    if (trained.has(m.die_seed)) throw new ConfigError(`die ${m.die_seed} is one of the dies the population codes were trained over (${[...trained].join(', ')}): it is not held out`);
  }
  return accuracyOnDies(weights.codes.map((m) => m.flat()), dies, split);
}
