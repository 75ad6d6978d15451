/**
 * Energy and latency estimates of a trained run (`codesign verify --mode estimate`): settling,
 * supply power and energy per inference of each test sample from the reduced network
 * (reduced.ts) instead of the whole transistor-level transient, written to verify-estimate.json
 * with the same timing block as verify-full.json. The run's layered verify.json, when it was
 * made from the same SPICE inputs, is the check of the reduced network's DC state.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTransistors } from '../characterize/index.js';
import { median } from '../fit/index.js';
import type { Engine } from '../spice/index.js';
import { CodesignError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { decisions } from './layered.js';
import { estimateReduced } from './reduced.js';
import { loadRun, resultHead, timingSummary, waveform } from './run.js';

/** Estimate defaults: test samples, window per sample and largest step (MNIST 196-50-10 settles in ~30 us; 60 us windows left 6 of 50 unsettled in the full transient). */
export const ESTIMATE_DEFAULTS = { samples: 20, period: 100e-6, maxStep: 1e-6 } as const;

/**
 * Networks above this many transistors get the estimate by default (`codesign run`, sweeps):
 * MNIST 196-50-10 (114,590) is ~30x its reduced network; Iris 5-10-3 (973) takes seconds in
 * full and its reduced network saves little (337 devices).
 */
export const ESTIMATE_ABOVE_TRANSISTORS = 10_000;

/** How latency and energy are measured: the reduced network, the whole-network transient, or not at all. */
export type EnergyMode = 'estimate' | 'full' | 'none';

/** The default energy mode of a network: the estimate above ESTIMATE_ABOVE_TRANSISTORS, else the full transient. */
export function defaultEnergyMode(layers: number[]): Exclude<EnergyMode, 'none'> {
  return countTransistors(layers).transistors > ESTIMATE_ABOVE_TRANSISTORS ? 'estimate' : 'full';
}

export interface EstimateOptions {
  /** A weights file to deploy on the run's die instead of its weights.json (as verifyRun's). */
  weights?: string;
  /** Test samples (default 20). */
  samples?: number;
  /** Window per sample, s (default 100 us). */
  period?: number;
  /** Largest time step, s (default 1 us). */
  maxStep?: number;
  /** Samples per transient (default: split over the engine's workers, at most 5). */
  samplesPerRun?: number;
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

/** The layered result in verify.json when made from the same SPICE inputs: DC class currents and supply per sample. */
function layeredReference(dir: string, spiceInputs: string, n: number, C: number): { currents: (number[] | null)[]; supply?: (number | null)[] } | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8'));
    if (v.mode !== 'layered' || v.spice_inputs !== spiceInputs || !Array.isArray(v.currents?.spice) || v.currents.spice.length < n) return undefined;
    const currents = (v.currents.spice as (number[] | null)[]).slice(0, n).map((r) => (Array.isArray(r) && r.length === C ? r : null));
    return { currents, supply: Array.isArray(v.dc_supply_a) ? (v.dc_supply_a as (number | null)[]).slice(0, n) : undefined };
  } catch {
    return undefined;
  }
}

/**
 * Settling, power and energy per inference of a run's first test samples from its reduced
 * network. Writes verify-estimate.json; a failed group costs its samples (listed in
 * `failures`, then the command exits with the simulator's code after writing the file).
 */
export async function estimateRun(engine: Engine, run: string, opts: EstimateOptions = {}) {
  const t0 = Date.now();
  const loaded = loadRun(run, opts.samples, () => ESTIMATE_DEFAULTS.samples, opts.weights);
  const { dir, design, models, weights, layers, seed, n, C, inputs, modelClass, spiceInputs, macs } = loaded;
  const period = opts.period ?? ESTIMATE_DEFAULTS.period;
  const r = await estimateReduced(engine, design, seed, weights.codes, models, inputs, { period, maxStep: opts.maxStep ?? ESTIMATE_DEFAULTS.maxStep, samplesPerRun: opts.samplesPerRun, timeoutMs: opts.timeoutMs, onProgress: opts.onProgress });
  const done = Array.from({ length: n }, (_, s) => s).filter((s) => r.timing[s] !== null);
  const dcClass = decisions({ samples: n, classes: C, currents: r.dc, runs: 0, failures: [] });
  const result: Record<string, unknown> = {
    mode: 'estimate',
    method: 'reduced network: every soma and readout of the die, synapses aggregated per target soma and sign (netlists/reduced.sp.hbs); settling measured against its own DC solution',
    ...(await resultHead(engine, loaded)),
    reduced_devices: r.devices,
    dark_input_somas: { ...r.dark, of: layers[0], note: 'input somas whose input is 0 in every sample of a netlist and the one before it: off and still, left out of that netlist' },
    samples: done.length,
    samples_requested: n,
    class_agreement_dc_vs_model: done.filter((s) => dcClass[s] === modelClass[s]).length / Math.max(1, done.length),
    spice_runs: r.runs,
    failures: r.failures,
    elapsed_s: 0,
  };
  if (done.length) {
    result.timing = timingSummary(r.timing, { period: r.period, maxStep: r.maxStep, macs, finalValue: 'the reduced network\'s DC solution' });
    const p = done.map((s) => r.dcSupply[s] * design.vdd);
    result.dc_power_w = { median: median(p), max: Math.max(...p), note: 'VDD * the reduced network\'s DC supply current with the sample held' };
    const ref = layeredReference(dir, spiceInputs, n, C);
    if (ref) {
      const both = done.filter((s) => ref.currents[s] !== null);
      const dev = both.map((s) => {
        const row = ref.currents[s]!;
        const top = Math.max(...row.map(Math.abs), 1e-12);
        return Math.max(...row.map((v, c) => Math.abs(r.dc[s * C + c] - v))) / top;
      });
      const refClass = both.map((s) => ref.currents[s]!.reduce((b, v, c, row) => (v > row[b] ? c : b), 0));
      const powerRatio = ref.supply ? both.filter((s) => typeof ref.supply![s] === 'number').map((s) => r.dcSupply[s] / (ref.supply![s] as number)) : [];
      result.layered_reference = {
        file: join(dir, 'verify.json'),
        samples: both.length,
        class_agreement: both.filter((s, q) => dcClass[s] === refClass[q]).length / Math.max(1, both.length),
        dc_deviation: { median: median(dev), max: Math.max(...dev) },
        ...(powerRatio.length ? { dc_power_ratio: { median: median(powerRatio), min: Math.min(...powerRatio), max: Math.max(...powerRatio) } } : {}),
        note: 'the reduced network\'s DC state against layered SPICE of the real network: dc_deviation = largest |class current difference| / the largest layered class current; dc_power_ratio = reduced / layered DC supply current',
      };
    }
    /** Each sample's timing (null where its run failed). */
    result.timing_per_sample = r.timing;
    result.waveform = waveform(r);
  }
  result.elapsed_s = (Date.now() - t0) / 1000;
  const file = join(dir, 'verify-estimate.json');
  await writeFileAtomic(file, JSON.stringify(result, null, 2) + '\n');
  if (r.failures.length) {
    const lines = r.failures.map((f) => `  samples ${f.samples[0]}..${f.samples[1]}: ${f.error.split('\n')[0]}${f.netlist && !f.error.includes(f.netlist) ? ` (netlist ${f.netlist})` : ''}`);
    throw new CodesignError(`energy estimate: ${n - done.length} of ${n} samples did not finish; the ${done.length} finished ones are in ${file}\n${lines.join('\n')}`, r.failures[0].exitCode);
  }
  return result;
}
