import { join, resolve } from 'node:path';
import { loadDataset } from '../data/index.js';
import { countTransistors } from '../characterize/index.js';
import { resolveDesign } from '../design/index.js';
import { modelsSchema, median } from '../fit/index.js';
import type { Engine } from '../spice/index.js';
import { deviceNet, effective, forward, inputLayer, weightsSchema } from '../train/index.js';
import { readRunJson, writeFileAtomic } from '../util/fs.js';
import { parseOrThrow } from '../util/zod.js';
import { decisions, verifyLayered, type SpiceOutputs } from './layered.js';
import { verifyTransient, type TransientResult } from './transient.js';

export type VerifyMode = 'layered' | 'full';

export interface VerifyOptions {
  mode: VerifyMode;
  /** Test samples to verify (default: the whole test split in layered mode, 20 in full mode). */
  samples?: number;
  /** Presentation time per sample in full mode, s. */
  period?: number;
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

const argmaxRows = (out: Float64Array, n: number, C: number) =>
  Int32Array.from({ length: n }, (_, s) => {
    let b = 0;
    for (let c = 1; c < C; c++) if (out[s * C + c] > out[s * C + b]) b = c;
    return b;
  });

const rows = (a: ArrayLike<number>, n: number, C: number) => Array.from({ length: n }, (_, s) => Array.from({ length: C }, (_, c) => a[s * C + c]));

/** The transient's waveforms for plots, thinned to at most `max` time points (every k-th). */
function waveform(r: TransientResult, max = 4000) {
  const { time, supply, classes } = r.wave;
  const step = Math.max(1, Math.ceil(time.length / max));
  const pick = (v: Float64Array) => Array.from({ length: Math.ceil(v.length / step) }, (_, q) => v[q * step]);
  return {
    t: pick(time),
    outputs: classes.map(pick),
    supply_current: pick(supply),
    sample_boundaries: Array.from({ length: r.samples }, (_, k) => r.t0 + k * r.period),
  };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] : NaN;
};

/**
 * Verifies a trained run in SPICE: the die's transistor-level network with the trained
 * codes on test samples, against the fitted models' predictions. Writes verify.json.
 */
export async function verifyRun(engine: Engine, run: string, opts: VerifyOptions) {
  const dir = resolve(run);
  const design = resolveDesign(readRunJson(dir, 'design.json', 'run codesign characterize first'), join(dir, 'design.json'));
  const models = parseOrThrow(modelsSchema, readRunJson(dir, 'models.json', 'run codesign characterize first'), join(dir, 'models.json'));
  const weights = parseOrThrow(weightsSchema, readRunJson(dir, 'weights.json', 'run codesign train first'), join(dir, 'weights.json'));
  const layers = design.config.layers;
  const seed = design.config.seed;
  const data = loadDataset(weights.dataset);
  const n = Math.min(opts.samples ?? (opts.mode === 'full' ? 20 : data.test.n), data.test.n);
  const F = layers[0], C = layers[layers.length - 1];
  const x = data.test.x.slice(0, n * F);
  const y = data.test.y.slice(0, n);
  const t0 = Date.now();

  // The fitted models' prediction (units of input_scale).
  const net = deviceNet(models);
  const W = weights.codes.map((m, k) => effective(net.synapses[k], Float64Array.from(m.flat()), true));
  const tapes = forward(net, W, inputLayer(net, x, n), n);
  const modelOut = tapes[tapes.length - 1].out.map((v) => v * models.input_scale);
  const modelClass = argmaxRows(modelOut, n, C);

  const inputs = x.map((v) => v * models.input_scale);
  let spice: SpiceOutputs | TransientResult;
  if (opts.mode === 'layered') spice = await verifyLayered(engine, design, seed, weights.codes, inputs, { timeoutMs: opts.timeoutMs, onProgress: opts.onProgress });
  else spice = await verifyTransient(engine, design, seed, weights.codes, inputs, { period: opts.period, timeoutMs: opts.timeoutMs });
  const spiceClass = decisions(spice);

  let agree = 0, spiceCorrect = 0, modelCorrect = 0;
  for (let s = 0; s < n; s++) {
    if (spiceClass[s] === modelClass[s]) agree++;
    if (spiceClass[s] === y[s]) spiceCorrect++;
    if (modelClass[s] === y[s]) modelCorrect++;
  }
  // Output current error relative to each sample's largest class current.
  const errors: number[] = [];
  for (let s = 0; s < n; s++) {
    const scale = Math.max(...Array.from({ length: C }, (_, c) => Math.abs(spice.currents[s * C + c])), 1e-12);
    for (let c = 0; c < C; c++) errors.push((modelOut[s * C + c] - spice.currents[s * C + c]) / scale);
  }
  const absErr = errors.map(Math.abs);
  const counts = countTransistors(layers);
  const macs = layers.slice(0, -1).reduce((a, m, k) => a + m * layers[k + 1], 0);
  const result: Record<string, unknown> = {
    mode: opts.mode,
    engine: await engine.identity(),
    dataset: weights.dataset,
    network: layers,
    die_seed: seed,
    transistors: counts.transistors,
    samples: n,
    accuracy: { spice: spiceCorrect / n, model: modelCorrect / n },
    agreement: agree / n,
    output_error: { median_abs: median(absErr), p90_abs: quantile(absErr, 0.9), max_abs: Math.max(...absErr), mean_signed: errors.reduce((a, b) => a + b, 0) / errors.length, note: 'model minus SPICE class current, relative to the sample\'s largest SPICE class current' },
    spice_runs: spice.runs,
    /** Per sample (the first `samples` of the test split): label, SPICE class, model class. */
    per_sample: { label: Array.from(y), spice_class: Array.from(spiceClass), model_class: Array.from(modelClass) },
    /** Class currents per sample, [sample][class], A. */
    currents: { spice: rows(spice.currents, n, C), model: rows(modelOut, n, C) },
    elapsed_s: (Date.now() - t0) / 1000,
  };
  if ('timing' in spice) {
    const t = spice.timing;
    const energy = median(t.map((v) => v.energy_to_settle_j));
    result.timing = {
      period_s: spice.period,
      settling_time_s: { median: median(t.map((v) => v.settle_s)), max: Math.max(...t.map((v) => v.settle_s)) },
      decision_time_s: { median: median(t.map((v) => v.decision_s)), max: Math.max(...t.map((v) => v.decision_s)) },
      power_w: { median: median(t.map((v) => v.power_w)), max: Math.max(...t.map((v) => v.power_w)) },
      energy_per_inference_j: energy,
      energy_to_decision_j: median(t.map((v) => v.energy_to_decision_j)),
      macs: macs,
      macs_per_joule: macs / energy,
      ops_per_joule: (2 * macs) / energy,
      waveform: waveform(spice),
      note: 'energy per inference: VDD * integral of the supply current from the input switch until every class current is within 1 % of its final value (median over samples); one MAC = 2 operations. Seed paper: ~7 TOp/J (one MAC = one op), classification within microseconds.',
    };
  }
  await writeFileAtomic(join(dir, opts.mode === 'full' ? 'verify-full.json' : 'verify.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}
