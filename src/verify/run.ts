import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDataset } from '../data/index.js';
import { countTransistors } from '../characterize/index.js';
import { resolveDesign } from '../design/index.js';
import { median } from '../fit/index.js';
import type { Engine } from '../spice/index.js';
import { checkModelsForDesign, deviceNet, dieOf, effective, forward, inputLayer, provenanceOf, readModels, readRunWeights, weightsSchema, type Provenance } from '../train/index.js';
import { readRunJson, writeFileAtomic } from '../util/fs.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { parseOrThrow } from '../util/zod.js';
import { decisions, verifyLayered, type LayeredRelease, type SampleFailure, type SpiceOutputs } from './layered.js';
import { verifyTransient, type SampleTiming, type TransientResult } from './transient.js';
import { checkCodes } from './network.js';
import { CodesignError } from '../util/errors.js';

export type VerifyMode = 'layered' | 'full';

export interface VerifyOptions {
  mode: VerifyMode;
  /** Test samples to verify (default: the whole test split in layered mode, 20 in full mode). */
  samples?: number;
  /** Presentation time per sample in full mode, s. */
  period?: number;
  /** Largest time step in full mode, s (default period/200). */
  maxStep?: number;
  timeoutMs?: number;
  /** Samples per simulator run (layered: per DC sweep, default 200; full: per transient, default 10). */
  samplesPerRun?: number;
  /** Layered mode: transistors per netlist. */
  chunkTransistors?: number;
  /**
   * Full mode: also solve every sample's DC state (layered verification) and measure settling
   * to it, so a window too short for the network shows as unsettled (default true). The
   * run's verify.json is reused instead when it was made from the same SPICE inputs (die,
   * codes, input currents) and covers the samples.
   */
  dcReference?: boolean;
  /**
   * A weights file to deploy on this die instead of the run folder's weights.json, whatever die
   * or models it was trained for (cross-die deployment, recorded in the result's provenance).
   * The folder's own weights.json must have been trained for this die and its models.
   */
  weights?: string;
  /** Start from the fitted models' operating point (default true): layered, every DC point (same result, far fewer Newton iterations); full, each transient instead of a supply ramp. */
  warmStart?: boolean;
  /** Layered mode: how each sample starts and is released, device bypass and junction-init biases (LayeredOptions.start, .release, .bypass, .deviceInit; defaults there). */
  layeredStart?: 'nodes' | 'diode';
  bypass?: boolean;
  deviceInit?: boolean;
  release?: LayeredRelease;
  onProgress?: (done: number, total: number) => void;
}

/**
 * What verifyRun returns and writes (verify.json, verify-full.json). The fields below are in
 * every result; full mode adds `timing`, `timing_per_sample`, `dc_reference` and `waveform`.
 */
export interface VerifyResult {
  mode: VerifyMode;
  /** The simulator that computed it: `wasm/eecircuit-engine@...` or `ngspice/...`. */
  engine: string;
  /** What it was computed from: the die, its models.json, the weights deployed on it. */
  provenance: Provenance;
  /** SHA-256 of what the SPICE results depend on (die, codes, input scale, dataset). */
  spice_inputs: string;
  dataset: string;
  network: number[];
  die_seed: number;
  transistors: number;
  /** Samples whose simulation finished (every statistic is over these). */
  samples: number;
  samples_requested: number;
  accuracy: { spice: number; model: number };
  /** Share of samples SPICE and the fitted models classify alike. */
  agreement: number;
  output_error: { median_abs: number; p90_abs: number; max_abs: number; mean_signed: number; note: string };
  spice_runs: number;
  per_sample: { label: number[]; spice_class: (number | null)[]; model_class: number[] };
  currents: { spice: (number[] | null)[]; model: number[][] };
  failures: SampleFailure[];
  /** Layered: VDD x the network's DC supply current per sample held (median, max over the finished samples). */
  dc_power_w?: { median: number; max: number; note: string };
  elapsed_s: number;
  [field: string]: unknown;
}

const argmaxRows = (out: Float64Array, n: number, C: number) =>
  Int32Array.from({ length: n }, (_, s) => {
    let b = 0;
    for (let c = 1; c < C; c++) if (out[s * C + c] > out[s * C + b]) b = c;
    return b;
  });

const rows = (a: ArrayLike<number>, n: number, C: number) => Array.from({ length: n }, (_, s) => Array.from({ length: C }, (_, c) => a[s * C + c]));

/** The DC supply of the whole network per sample (layered with supply probes): what it draws with the sample held. */
function dcPower(supply: Float64Array, finished: number[], vdd: number) {
  const p = finished.map((s) => supply[s] * vdd);
  return {
    dc_power_w: { median: median(p), max: Math.max(...p), note: 'VDD * the DC supply current of the whole network (every cell, readout and input source) with the sample held: the power once it has settled' },
    /** DC supply current per sample, A (null where its run failed). */
    dc_supply_a: Array.from(supply, (v) => (Number.isNaN(v) ? null : v)),
  };
}

/** A transient's waveforms for plots, thinned to at most `max` time points (every k-th). */
export function waveform(r: { wave: { time: Float64Array; supply: Float64Array; classes: Float64Array[] }; samples: number; t0: number; period: number }, max = 4000) {
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
 * What verification of a run needs: its die, models and codes (`weightsFile`: deployed instead
 * of the folder's weights.json), the first n test samples as input currents, and the fitted
 * models' prediction for them.
 */
export function loadRun(run: string, samples: number | undefined, defaultSamples: (testSplit: number) => number, weightsFile?: string) {
  const dir = resolve(run);
  const design = resolveDesign(readRunJson(dir, 'design.json', 'run codesign characterize first'), join(dir, 'design.json'));
  const { models, hash: modelsHash, path: modelsPath } = readModels(dir);
  checkModelsForDesign(design, join(dir, 'design.json'), models, modelsPath);
  const deployed = readRunWeights(dir, dieOf(design, modelsHash), weightsFile);
  const weights = parseOrThrow(weightsSchema, deployed.raw, deployed.path);
  const layers = design.config.layers;
  checkCodes(weights.codes, layers, deployed.path);
  const seed = design.config.seed;
  const data = loadDataset(weights.dataset);
  const n = Math.min(samples ?? defaultSamples(data.test.n), data.test.n);
  const F = layers[0], C = layers[layers.length - 1];
  const x = data.test.x.slice(0, n * F);
  const y = data.test.y.slice(0, n);

  // The fitted models' prediction (units of input_scale).
  const net = deviceNet(models);
  const W = weights.codes.map((m, k) => effective(net.synapses[k], Float64Array.from(m.flat()), true));
  const tapes = forward(net, W, inputLayer(net, x, n), n);
  const modelOut = tapes[tapes.length - 1].out.map((v) => v * models.input_scale);
  const modelClass = argmaxRows(modelOut, n, C);

  const inputs = x.map((v) => v * models.input_scale);
  // What the SPICE results depend on besides the sample: the die, the codes, the input scale.
  const spiceInputs = sha256(design.hash, canonicalJson(weights.codes), String(models.input_scale), weights.dataset);
  // Each soma layer's predicted input current (u + t): where layered and full verification start.
  const predicted = [undefined, ...tapes.map((tp, k) => tp.u.map((v, q) => (v + net.somas[k + 1].t[q % layers[k + 1]]) * models.input_scale))];
  const macs = layers.slice(0, -1).reduce((a, m, k) => a + m * layers[k + 1], 0);
  return { dir, design, models, modelsHash, deployed, weights, layers, seed, n, C, y, inputs, tapes, modelOut, modelClass, spiceInputs, predicted, macs };
}

/** The fields every verification result opens with: engine, provenance, SPICE inputs, dataset, network, die, size. */
export async function resultHead(engine: Engine, l: Pick<ReturnType<typeof loadRun>, 'design' | 'modelsHash' | 'deployed' | 'spiceInputs' | 'weights' | 'layers' | 'seed'>) {
  return {
    engine: await engine.identity(),
    /** What this result was computed from: the die (design hash, seed), its models.json, the weights deployed on it. */
    provenance: provenanceOf(l.design, l.modelsHash, l.deployed.source),
    /** SHA-256 of what the SPICE results depend on (die, codes, input scale, dataset): full mode reuses a layered result's DC currents only when this matches. */
    spice_inputs: l.spiceInputs,
    dataset: l.weights.dataset,
    network: l.layers,
    die_seed: l.seed,
    transistors: countTransistors(l.layers).transistors,
  };
}

/**
 * The timing block of verify-full.json and verify-estimate.json: medians over the samples of
 * settling, classification, power and energy per inference, and the efficiency it gives.
 */
export function timingSummary(timing: (SampleTiming | null)[], o: { period: number; maxStep: number; macs: number; finalValue: string }): Record<string, unknown> {
  const t = timing.filter((v): v is SampleTiming => v !== null);
  const energy = median(t.map((v) => v.energy_to_settle_j));
  const out: Record<string, unknown> = {
    period_s: o.period,
    max_step_s: o.maxStep,
    settling_time_s: { median: median(t.map((v) => v.settle_s)), max: Math.max(...t.map((v) => v.settle_s)) },
    decision_time_s: { median: median(t.map((v) => v.decision_s)), max: Math.max(...t.map((v) => v.decision_s)) },
    power_w: { median: median(t.map((v) => v.power_w)), max: Math.max(...t.map((v) => v.power_w)) },
    energy_per_inference_j: energy,
    energy_to_decision_j: median(t.map((v) => v.energy_to_decision_j)),
    macs: o.macs,
    macs_per_joule: o.macs / energy,
    ops_per_joule: (2 * o.macs) / energy,
    note: `energy per inference: VDD * integral of the supply current from the input switch until every class current is within 1 % (of the largest) of its final value: ${o.finalValue} (median over samples); one MAC = 2 operations. Seed paper: ~7 TOp/J (one MAC = one op), classification within microseconds.`,
  };
  const withDc = t.filter((v) => v.settled !== undefined);
  if (withDc.length) out.settled_within_window = { count: withDc.filter((v) => v.settled).length, of: withDc.length, note: 'windows whose class currents ended within 1 % (of the largest) of the DC solution; the others count as settling for the whole window, and their energy to settling is to the window end' };
  return out;
}

/**
 * Verifies a trained run in SPICE: the die's transistor-level network with the trained
 * codes on test samples, against the fitted models' predictions. Writes verify.json.
 */
export async function verifyRun(engine: Engine, run: string, opts: VerifyOptions): Promise<VerifyResult> {
  const loaded = loadRun(run, opts.samples, (all) => (opts.mode === 'full' ? 20 : all), opts.weights);
  const { dir, design, weights, layers, seed, n, C, y, inputs, modelOut, modelClass, spiceInputs, predicted, macs } = loaded;
  const t0 = Date.now();
  let spice: SpiceOutputs | TransientResult;
  let dcReport: Record<string, unknown> | undefined;
  const common = { timeoutMs: opts.timeoutMs, onProgress: opts.onProgress, samplesPerRun: opts.samplesPerRun };
  const start = opts.warmStart === false ? undefined : predicted;
  if (opts.mode === 'layered') spice = await verifyLayered(engine, design, seed, weights.codes, inputs, { ...common, chunkTransistors: opts.chunkTransistors, predicted: start, start: opts.layeredStart, bypass: opts.bypass, deviceInit: opts.deviceInit, release: opts.release, supply: true });
  else {
    // Layered's own sweep size: samplesPerRun sizes the transients here, and small DC sweeps cost a netlist each.
    const dcOpts = { timeoutMs: opts.timeoutMs, onProgress: opts.onProgress, chunkTransistors: opts.chunkTransistors, predicted: start };
    const stored = opts.dcReference === false ? undefined : storedDc(dir, spiceInputs, n, C);
    const dc = stored ?? (opts.dcReference === false ? undefined : await verifyLayered(engine, design, seed, weights.codes, inputs, dcOpts));
    const tran = await verifyTransient(engine, design, seed, weights.codes, inputs, { ...common, period: opts.period, maxStep: opts.maxStep, predicted: start, reference: dc?.currents });
    spice = dc ? { ...tran, runs: tran.runs + dc.runs, failures: [...tran.failures, ...dc.failures.map((f) => ({ ...f, error: `DC reference: ${f.error}` }))] } : tran;
    if (dc) dcReport = { ...dcComparison(dc, tran, modelClass, C), source: stored ? { file: join(dir, 'verify.json'), engine: stored.engine } : 'solved (layered)' };
  }
  const spiceClass = decisions(spice);
  // Samples of failed runs have no SPICE result: every statistic is over the finished ones.
  const finished = Array.from({ length: n }, (_, s) => s).filter((s) => !Number.isNaN(spice.currents[s * C]));
  const nDone = finished.length;

  let agree = 0, spiceCorrect = 0, modelCorrect = 0;
  for (const s of finished) {
    if (spiceClass[s] === modelClass[s]) agree++;
    if (spiceClass[s] === y[s]) spiceCorrect++;
    if (modelClass[s] === y[s]) modelCorrect++;
  }
  // Output current error relative to each sample's largest class current.
  const errors: number[] = [];
  for (const s of finished) {
    const scale = Math.max(...Array.from({ length: C }, (_, c) => Math.abs(spice.currents[s * C + c])), 1e-12);
    for (let c = 0; c < C; c++) errors.push((modelOut[s * C + c] - spice.currents[s * C + c]) / scale);
  }
  const absErr = errors.map(Math.abs);
  const result: VerifyResult = {
    mode: opts.mode,
    ...(await resultHead(engine, loaded)),
    samples: nDone,
    samples_requested: n,
    accuracy: { spice: spiceCorrect / nDone, model: modelCorrect / nDone },
    agreement: agree / nDone,
    output_error: { median_abs: median(absErr), p90_abs: quantile(absErr, 0.9), max_abs: Math.max(...absErr), mean_signed: errors.reduce((a, b) => a + b, 0) / errors.length, note: 'model minus SPICE class current, relative to the sample\'s largest SPICE class current' },
    spice_runs: spice.runs,
    /** Newton iterations of those runs (native ngspice reports them; 0 when none did). */
    newton_iterations: 'iterations' in spice ? (spice.iterations ?? 0) : 0,
    /** Per sample (the first `samples_requested` of the test split): label, SPICE class (null: its run failed), model class. */
    per_sample: { label: Array.from(y), spice_class: Array.from(spiceClass, (c, s) => (Number.isNaN(spice.currents[s * C]) ? null : c)), model_class: Array.from(modelClass) },
    /** Class currents per sample, [sample][class], A (SPICE: null where its run failed). */
    currents: { spice: rows(spice.currents, n, C).map((r) => (Number.isNaN(r[0]) ? null : r)), model: rows(modelOut, n, C) },
    /** Sample groups whose simulation failed: samples [first, last], layer, the saved netlist, the error. */
    failures: spice.failures,
    ...(spice.supply ? dcPower(spice.supply, finished, design.vdd) : {}),
    elapsed_s: (Date.now() - t0) / 1000,
  };
  if ('timing' in spice && spice.timing.some((v) => v)) {
    result.timing = timingSummary(spice.timing, { period: spice.period, maxStep: spice.maxStep, macs, finalValue: dcReport ? 'the DC solution (dc_reference)' : 'the last point of the window' });
    if (dcReport) result.dc_reference = dcReport;
    /** Each sample's timing (null where its run failed): the distributions behind the medians. */
    result.timing_per_sample = spice.timing;
    /** Waveforms of the first transient, for the report's settling plot. */
    result.waveform = waveform(spice);
  }
  const file = join(dir, opts.mode === 'full' ? 'verify-full.json' : 'verify.json');
  await writeFileAtomic(file, JSON.stringify(result, null, 2) + '\n');
  if (spice.failures.length) {
    const lines = spice.failures.map((f) => `  samples ${f.samples[0]}..${f.samples[1]} (soma layer ${f.layer}): ${f.error.split('\n')[0]}${f.netlist && !f.error.includes(f.netlist) ? ` (netlist ${f.netlist})` : ''}`);
    throw new CodesignError(`${opts.mode} verification: ${n - nDone} of ${n} samples did not finish; the ${nDone} finished ones are in ${file}\n${lines.join('\n')}`, spice.failures[0].exitCode);
  }
  return result;
}

/**
 * The layered result in verify.json as the DC reference, when it was made from the same SPICE
 * inputs and every one of the first n samples finished; else undefined (then it is solved).
 */
function storedDc(dir: string, spiceInputs: string, n: number, C: number): (SpiceOutputs & { engine: string }) | undefined {
  let v: { mode?: string; spice_inputs?: string; engine?: string; currents?: { spice?: (number[] | null)[] } };
  try {
    v = JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const rowsIn = v.currents?.spice?.slice(0, n);
  if (v.mode !== 'layered' || v.spice_inputs !== spiceInputs || !rowsIn || rowsIn.length < n || rowsIn.some((r) => !r || r.length !== C)) return undefined;
  return { samples: n, classes: C, currents: Float64Array.from(rowsIn.flat() as number[]), runs: 0, failures: [], engine: String(v.engine) };
}

/**
 * The transient's window ends against each sample's DC solution (layered): where a window is
 * too short for the network, the two differ and the transient's class can too.
 */
function dcComparison(dc: SpiceOutputs, tran: TransientResult, modelClass: Uint8Array | Int32Array | number[], C: number): Record<string, unknown> {
  const both = Array.from({ length: tran.samples }, (_, s) => s).filter((s) => !Number.isNaN(dc.currents[s * C]) && !Number.isNaN(tran.currents[s * C]));
  const dcClass = decisions(dc), tranClass = decisions(tran);
  const dev = both.map((s) => tran.timing[s]?.dc_deviation ?? NaN).filter((v) => !Number.isNaN(v));
  return {
    samples: both.length,
    class_agreement_transient_vs_dc: both.filter((s) => dcClass[s] === tranClass[s]).length / both.length,
    class_agreement_dc_vs_model: both.filter((s) => dcClass[s] === modelClass[s]).length / both.length,
    window_end_deviation: { median: median(dev), p90: quantile(dev, 0.9), max: Math.max(...dev) },
    currents: rows(dc.currents, tran.samples, C).map((r) => (Number.isNaN(r[0]) ? null : r)),
    note: 'DC: each sample solved layered (the steady state); window_end_deviation: largest |transient class current at the window end - DC| / the largest DC class current',
  };
}
