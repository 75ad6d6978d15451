import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainCommand, trainOptions } from '../../src/cli/train-command.js';
import { ENGINE, defaultTrainOptions, syntheticModels, trainingSchema, weightsSchema } from '../../src/train/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

/** A run folder holding the models.json of a synthetic Iris die. */
function runWith(models: unknown): string {
  const dir = tempDir('codesign-train-');
  writeFileSync(join(dir, 'models.json'), JSON.stringify(models) + '\n');
  return dir;
}

const irisDie = () => syntheticModels({ layers: [4, 10, 3], seed: 4, somaSpread: 0.15, bitSpread: [0.1, 0.15, 0.2], thresholdSpread: 0.3e-9, dlog: -0.05, dlogSpread: 0.02 });

/** Runs the command with stdout captured. */
async function quiet<T>(f: () => Promise<T>): Promise<{ value: T; stdout: string }> {
  let stdout = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  try {
    return { value: await f(), stdout };
  } finally {
    spy.mockRestore();
  }
}

describe('codesign train', () => {
  it('writes weights.json (codes per layer, metadata) and training.json (curves, baselines), and prints the table', async () => {
    const dir = runWith(irisDie());
    const { stdout } = await quiet(() => trainCommand({ run: dir, epochs: 60, seed: 3 }));
    const weights = weightsSchema.parse(JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8')));
    const training = trainingSchema.parse(JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8')));
    expect(weights.codes.map((m) => [m.length, m[0].length])).toEqual([[4, 10], [10, 3]]);
    expect(weights.codes.flat(2).every((c) => Number.isInteger(c) && c >= -7 && c <= 7)).toBe(true);
    expect(weights.codes.flat(2).some((c) => c !== 0)).toBe(true);
    expect(weights).toMatchObject({ dataset: 'iris', bias_input: false, seed: 3, engine: ENGINE, die_seed: 4, input_scale: 100e-9 });
    expect(weights.models_hash).toBe(createHash('sha256').update(readFileSync(join(dir, 'models.json'))).digest('hex'));
    expect(weights.epochs_run).toBeLessThanOrEqual(60 + defaultTrainOptions('iris').rangePhase!.epochs); // first phase, then the range phase
    expect(training.curves.aware).toHaveLength(weights.epochs_run);
    expect(training.baselines.map((b) => b.name)).toEqual(['ideal_float', 'ideal_quantized', 'naive', 'aware']);
    expect(training.metrics.test_accuracy).toBe(training.baselines[3].test_accuracy);
    expect(training.splits).toEqual({ train: 90, val: 30, test: 30 });
    // Derived from the die's own models: the logit scale is the reference over the network's chain gain.
    expect(training.derived.die.logit_scale).toBeCloseTo(training.options.logitScale / training.derived.die.chain_gain, 12);
    expect(training.derived.die.gain_per_code).toHaveLength(2);
    expect(training.currents.range).toEqual({ soma_max_a: 76e-9, synapse_input_max_a: 80e-9 }); // the design defaults (no design.json here)
    expect(training.currents.aware.largest_class_current_median_a).toBeGreaterThan(0);
    const val = Object.fromEntries(training.baselines.map((b) => [b.name, b.val_accuracy]));
    expect(training.warnings.some((w) => w.startsWith('aware codes end below the naive ones'))).toBe(val.aware < val.naive);
    expect(training.warnings.some((w) => w.includes('beyond the characterized range'))).toBe(!training.currents.aware.in_range || !training.currents.ideal_quantized.in_range);
    for (const name of ['ideal float', 'ideal quantized', 'naive', 'aware']) expect(stdout).toContain(name);
    expect(stdout).toContain(join(dir, 'weights.json'));
  });

  it('gives identical files for the same seed twice (but for the run time)', async () => {
    const dir = runWith(irisDie());
    const read = () => ({ w: readFileSync(join(dir, 'weights.json'), 'utf8'), t: JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8')) });
    await quiet(() => trainCommand({ run: dir, epochs: 40, json: true }));
    const first = read();
    await quiet(() => trainCommand({ run: dir, epochs: 40, json: true }));
    const second = read();
    expect(second.w).toBe(first.w);
    for (const t of [first.t, second.t]) {
      delete t.metrics.elapsed_s;
      delete t.metrics.samples_per_s;
      delete t.metrics.training_s;
    }
    expect(second.t).toEqual(first.t);
  });

  it('prints JSON with --json', async () => {
    const dir = runWith(irisDie());
    const { stdout } = await quiet(() => trainCommand({ run: dir, epochs: 20, json: true }));
    const j = JSON.parse(stdout);
    expect(j.baselines).toHaveLength(4);
    expect(j.weights).toBe(join(dir, 'weights.json'));
  });

  it('takes a bias input when the network has one input more than the dataset', async () => {
    const dir = runWith(syntheticModels({ layers: [5, 10, 3], seed: 1 }));
    await quiet(() => trainCommand({ run: dir, epochs: 20 }));
    const weights = weightsSchema.parse(JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8')));
    expect(weights).toMatchObject({ dataset: 'iris+bias', bias_input: true });
  });

  it('fails with errors that name the file or field', async () => {
    const empty = tempDir();
    await expect(trainCommand({ run: empty })).rejects.toThrow(ConfigError);
    await expect(trainCommand({ run: empty })).rejects.toThrow(`models.json not found in ${empty}`);
    const broken = runWith({ ...irisDie(), input_scale: -1 });
    await expect(trainCommand({ run: broken })).rejects.toThrow(/models\.json:\n {2}input_scale: /);
    const notJson = tempDir();
    writeFileSync(join(notJson, 'models.json'), '{ nope');
    await expect(trainCommand({ run: notJson })).rejects.toThrow(/models\.json is not valid JSON/);
    const wrongNet = runWith(syntheticModels({ layers: [4, 10, 3], seed: 1 }));
    await expect(trainCommand({ run: wrongNet, dataset: 'mnist' })).rejects.toThrow(/network 4-10-3 does not fit dataset mnist \(196 inputs/);
    await expect(trainCommand({ run: wrongNet, epochs: 0 })).rejects.toThrow('epochs: expected a positive integer, got 0');
    await expect(trainCommand({ run: wrongNet, lr: -1 })).rejects.toThrow('lr: expected a positive number, got -1');
    await expect(trainCommand({})).rejects.toThrow(/--run: name the run folder/);
    await expect(trainCommand({ run: wrongNet, population: [wrongNet] })).rejects.toThrow('--population, --out and --virtual-seed go with --strategy robust');
  });

  it('exports its yargs options', () => {
    expect(Object.keys(trainOptions)).toEqual(expect.arrayContaining(['run', 'dataset', 'epochs', 'seed', 'mnist-idx']));
    expect(trainOptions.strategy.choices).toEqual(['aware', 'robust']);
    expect(trainOptions.strategy.default).toBe('aware');
    expect(trainOptions.dataset.choices).toEqual(['iris', 'mnist']);
  });
});
