/**
 * Codes for a run's die trained over its models at several operating conditions (codesign
 * train --conditions): the conditions' models come in (the study stage characterizes them),
 * one code set goes out, trained by multi.ts on the mean loss over the conditions. Written to
 * their own folder (default `<run>/conditions`: weights.json, training.json), so the run's own
 * codes stay for comparison. weights.json records the run's die and models (it deploys on the
 * run like its own codes) and every condition it was trained over; training.json has each
 * condition's accuracy of these codes and of the run's own codes.
 */
import { join, resolve } from 'node:path';
import type { InputReference, OperatingPoint } from '../design/index.js';
import type { DieModels } from '../fit/models.js';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { deviceNet } from './device.js';
import { CONDITIONS_TRAINING_FORMAT, type ConditionsTrainingFile, type WeightsFile } from './files.js';
import { trainOverDies } from './multi.js';
import { checkRunDesign, dieOf, readRunWeights } from './provenance.js';
import { characterizedRange, readModels, runDataset, runTrainOptions, trainingHead, weightsFile, type TrainRunOptions } from './run.js';
import { evaluate } from './train.js';

/** The run's die at one operating condition, characterized and fitted there. */
export interface ConditionDie {
  name: string;
  point: OperatingPoint;
  models: DieModels;
  /** SHA-256 of the condition's models.json. */
  models_hash: string;
}

export interface TrainConditionsOptions extends TrainRunOptions {
  /** Output folder (default `<run>/conditions`). */
  out?: string;
  /** How the conditions' input currents were set (recorded). */
  inputReference?: InputReference;
}

export interface TrainConditionsResult {
  dir: string;
  training: ConditionsTrainingFile;
  weights: WeightsFile;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The run's own weights.json when it holds codes for this die and models, else null (nothing to compare with). */
function runCodes(dir: string, design: ReturnType<typeof checkRunDesign>, modelsHash: string): { file: string; sha256: string; codes: Float64Array[] } | null {
  if (!design) return null;
  try {
    const w = readRunWeights(dir, dieOf(design, modelsHash));
    const codes = (w.raw as WeightsFile).codes.map((m) => Float64Array.from(m.flat()));
    return { file: w.path, sha256: w.source.sha256, codes };
  } catch (e) {
    if (e instanceof ConfigError) return null; // no weights.json, or not this die's
    throw e;
  }
}

/**
 * Trains one code set for the die of `run` over the models of `conditions` (each the run's
 * die: same die seed and network, else a ConfigError naming the condition), and writes
 * training.json, then weights.json, into the output folder.
 */
export async function trainRunOverConditions(run: string, conditions: ConditionDie[], o: TrainConditionsOptions = {}): Promise<TrainConditionsResult> {
  const t0 = performance.now();
  const dir = resolve(run);
  const { models, hash, path } = readModels(dir);
  const design = checkRunDesign(dir, models, path);
  if (!conditions.length) throw new ConfigError('--conditions: no condition to train over');
  for (const c of conditions) {
    if (c.models.die_seed !== models.die_seed) throw new ConfigError(`condition ${c.name}: models of die ${c.models.die_seed}, not die ${models.die_seed} of ${dir}`);
    if (c.models.layers.join('-') !== models.layers.join('-')) throw new ConfigError(`condition ${c.name}: network ${c.models.layers.join('-')}, not ${models.layers.join('-')} of ${dir}`);
  }
  const { data, biasInput } = runDataset(models, path, o.dataset, o.mnistIdx);
  // The phases of codesign train's die training (multi.ts): code units, then the range phase at every condition's range.
  const { options, seed } = runTrainOptions(data.name, o);
  // The run's own codes, trained at its condition, are also where the range phase starts over the conditions (the better start kept).
  const own = runCodes(dir, design, hash);
  const { result, members, range_phase_start } = await trainOverDies(conditions.map((c) => c.models), data, { ...options, seed, range: characterizedRange(dir), start: own?.codes });
  const rows = conditions.map((c, k) => {
    const net = deviceNet(c.models);
    return {
      name: c.name,
      temperature: c.point.temperature,
      vdd: c.point.vdd,
      corner: c.point.corner,
      input_scale: c.point.input_scale,
      design_hash: c.models.design_hash,
      models_hash: c.models_hash,
      chain_gain: members[k].scale.chain_gain,
      logit_scale: members[k].scale.logit_scale,
      test_accuracy: evaluate(net, result.weights, true, data.test, 1).accuracy,
      val_accuracy: evaluate(net, result.weights, true, data.val, 1).accuracy,
      run_codes_test_accuracy: own ? evaluate(net, own.codes, true, data.test, 1).accuracy : null,
    };
  });
  const weights: WeightsFile = {
    ...weightsFile(models, hash, data.name, biasInput, seed, result, options),
    conditions: rows.map(({ name, temperature, vdd, corner, input_scale, design_hash, models_hash }) => ({ name, temperature, vdd, corner, input_scale, design_hash, models_hash })),
  };
  const weightsText = JSON.stringify(weights) + '\n';
  const ownAcc = own ? rows.map((r) => r.run_codes_test_accuracy!) : null;
  const training: ConditionsTrainingFile = {
    format: CONDITIONS_TRAINING_FORMAT,
    ...trainingHead(data, models.layers, seed, hash, weightsText),
    run: dir,
    options,
    loss: 'mean over the conditions of each condition\'s softmax cross-entropy (its own logit scale and range penalty), one Adam step on the mean straight-through gradient; early stopping on the mean validation accuracy; in the range phase the best epoch in range at every condition',
    input_reference: o.inputReference ?? 'fixed',
    conditions: rows,
    run_codes: own ? { file: own.file, sha256: own.sha256 } : null,
    ...(range_phase_start ? { range_phase_start: range_phase_start === 'start' ? ('run codes' as const) : ('first phase' as const) } : {}),
    curve: result.curve,
    metrics: {
      mean_test_accuracy: mean(rows.map((r) => r.test_accuracy)),
      worst_test_accuracy: Math.min(...rows.map((r) => r.test_accuracy)),
      run_codes_mean_test_accuracy: ownAcc ? mean(ownAcc) : null,
      run_codes_worst_test_accuracy: ownAcc ? Math.min(...ownAcc) : null,
      best_epoch: result.best_epoch,
      epochs_run: result.epochs_run,
      elapsed_s: (performance.now() - t0) / 1000,
    },
  };
  const out = resolve(o.out ?? join(dir, 'conditions'));
  await writeFileAtomic(join(out, 'training.json'), JSON.stringify(training, null, 2) + '\n');
  await writeFileAtomic(join(out, 'weights.json'), weightsText); // last: it marks a complete training
  return { dir: out, training, weights };
}
