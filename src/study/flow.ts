import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { countTransistors } from '../characterize/index.js';
import type { Design } from '../design/index.js';
import { characterizeAndFit } from '../fit/index.js';
import type { Engine } from '../spice/index.js';
import { trainRunFull, type WeightsFile } from '../train/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { defaultEnergyMode, estimateRun, verifyRun, type EnergyMode } from '../verify/index.js';

/** What SPICE verifies after training: the layered network over the test split, or nothing. */
export type FlowVerify = 'layered' | 'none';

/** summary.json of a flow that may skip SPICE verification (studies): the SPICE fields are null then. */
export interface FlowRecord {
  dataset: string;
  network: number[];
  die_seed: number;
  design_hash: string;
  accuracy: {
    ideal_float: number;
    ideal_quantized: number;
    naive: number;
    aware: number;
    spice: number | null;
    model_on_spice_samples: number | null;
    /** The naive codes (ideal codes on this die) in layered SPICE, when asked for (`verifyNaive`). */
    spice_naive?: number | null;
  };
  agreement: number | null;
  spice_samples: number;
  verify: FlowVerify;
  /** How latency, power and energy were measured: estimate (reduced network), full (whole-network transient), or null (not measured). */
  energy_source: Exclude<EnergyMode, 'none'> | null;
  /** Test samples behind the energy numbers. */
  energy_samples: number;
  energy_per_inference_j: number | null;
  ops_per_joule: number | null;
  macs_per_joule: number | null;
  settling_time_s: number | null;
  decision_time_s: number | null;
  power_w: number | null;
  transistors: number;
  elapsed_s: number;
  stages_s: Record<string, number>;
  engine: string;
  /** What these numbers were computed from: the die, the SHA-256 of its models.json and of the weights.json trained on them (verify.json and verify-full.json record the same). */
  provenance: { design_hash: string; die_seed: number; models_hash: string; weights_hash: string | null };
  /** From training.json: aware codes below the naive ones on the validation split. */
  warnings: string[];
}

/** summary.json: the headline numbers of one die through the whole flow, SPICE-verified. */
export interface FlowSummary extends FlowRecord {
  accuracy: FlowRecord['accuracy'] & { spice: number; model_on_spice_samples: number };
  agreement: number;
}

export interface FlowOptions {
  dataset?: 'iris' | 'mnist';
  /** Test samples verified in layered mode (default: the whole test split). */
  samples?: number;
  /** How latency, power and energy are measured (default: defaultEnergyMode of the network). */
  energy?: EnergyMode;
  /** Test samples of that measurement (default 20 for the estimate, 10 for the full transient); 0 skips it. */
  energySamples?: number;
  /** Window per sample of that measurement, s (default: the estimate's or the full transient's; longer for slow design points, whose samples otherwise end unsettled). */
  energyPeriod?: number;
  trainSeed?: number;
  epochs?: number;
  /** Threads for the three trainings (default: every core for big trainings). */
  trainThreads?: number;
  /** runFlowRecord only: 'none' skips SPICE verification (default 'layered'). */
  verify?: FlowVerify;
  /** runFlowRecord only: also verify the naive codes in layered SPICE (in `<out>/naive/`). */
  verifyNaive?: boolean;
  onStage?: (stage: string, detail?: string) => void;
  onBatch?: () => void;
  onVerifyProgress?: (done: number, total: number) => void;
}

/**
 * One die from design to SPICE-verified trained network: characterize and fit every device,
 * train mismatch-aware codes (with the baselines), verify in SPICE (layered over the test
 * split), and measure latency and energy (the reduced network's estimate or the full-network
 * transient). Every stage writes its files into `out`; summary.json last.
 */
export async function runFlow(engine: Engine, design: Design, out: string, opts: FlowOptions = {}): Promise<FlowSummary> {
  return (await runFlowRecord(engine, design, out, { ...opts, verify: 'layered', verifyNaive: false })) as FlowSummary;
}

/**
 * Verifies the naive codes (the ideal quantized network's codes deployed on this die) in
 * layered SPICE: a sibling run folder `<dir>/naive/` with the die's design and models and
 * those codes as weights.json.
 */
async function verifyNaive(engine: Engine, dir: string, weights: WeightsFile, ideal: ArrayLike<number>[], samples?: number): Promise<number> {
  const naive = join(dir, 'naive');
  await mkdir(naive, { recursive: true });
  for (const f of ['design.json', 'models.json']) await copyFile(join(dir, f), join(naive, f));
  const L = weights.layers;
  const codes = ideal.map((c, k) => Array.from({ length: L[k] }, (_, i) => Array.from(c).slice(i * L[k + 1], (i + 1) * L[k + 1])));
  await writeFileAtomic(join(naive, 'weights.json'), JSON.stringify({ ...weights, codes }) + '\n');
  const r = await verifyRun(engine, naive, { mode: 'layered', samples });
  return (r.accuracy as { spice: number }).spice;
}

/**
 * Per-run limit of the energy measurement's transients: they simulate many sample windows of a
 * whole (or reduced) MNIST-size network, which takes minutes idle and can take an hour on a
 * loaded machine; the engines' default (300 s, right for a characterization batch) would stop them.
 */
const ENERGY_TIMEOUT_MS = 3 * 3600_000;

/** What a user must know about a die's energy measurement: samples that failed to simulate, and windows that ended unsettled (their figures are lower bounds). */
function energyWarnings(timed: Record<string, unknown>): string[] {
  const w: string[] = [];
  const failures = (timed.failures ?? []) as { samples?: number[]; netlist?: string; error?: string }[];
  if (failures.length) w.push(`energy: ${timed.samples} of ${timed.samples_requested ?? '?'} samples measured; ${failures.length} simulator run(s) failed: ${failures.map((f) => f.error ?? f.netlist).join('; ')}`);
  const settled = (timed.timing as { settled_within_window?: { count: number; of: number } } | undefined)?.settled_within_window;
  if (settled && settled.count < settled.of)
    w.push(`energy: ${settled.of - settled.count} of ${settled.of} samples did not settle within their window, so settling time and energy are lower bounds (a longer --energy-period)`);
  return w;
}

/** runFlow with SPICE verification optional (studies): the SPICE fields are null when skipped. */
export async function runFlowRecord(engine: Engine, design: Design, out: string, opts: FlowOptions = {}): Promise<FlowRecord> {
  const verify = opts.verify ?? 'layered';
  const dir = resolve(out);
  const t0 = Date.now();
  const stages: Record<string, number> = {};
  const stage = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    opts.onStage?.(name);
    const s = Date.now();
    const r = await f();
    stages[name] = (Date.now() - s) / 1000;
    return r;
  };
  await stage('characterize', () => characterizeAndFit(engine, design, dir, opts.onBatch));
  const { training, weights, result } = await stage('train', () => trainRunFull(dir, { dataset: opts.dataset, seed: opts.trainSeed, epochs: opts.epochs, threads: opts.trainThreads }));
  const layered = verify === 'layered' ? await stage('verify', () => verifyRun(engine, dir, { mode: 'layered', samples: opts.samples, onProgress: opts.onVerifyProgress })) : undefined;
  const spiceNaive = opts.verifyNaive && verify === 'layered' ? await stage('verify-naive', () => verifyNaive(engine, dir, weights, result.ideal.codes!, opts.samples)) : undefined;
  const energy = opts.energy ?? defaultEnergyMode(design.config.layers);
  const energySamples = energy === 'none' ? 0 : (opts.energySamples ?? (energy === 'estimate' ? 20 : 10));
  const timed =
    energySamples === 0 ? undefined
    : energy === 'estimate' ? await stage('energy-estimate', () => estimateRun(engine, dir, { samples: energySamples, period: opts.energyPeriod, timeoutMs: ENERGY_TIMEOUT_MS }))
    : await stage('verify-full', () => verifyRun(engine, dir, { mode: 'full', samples: energySamples, period: opts.energyPeriod, timeoutMs: ENERGY_TIMEOUT_MS }));
  const acc = Object.fromEntries(training.baselines.map((b) => [b.name, b.test_accuracy])) as Record<string, number>;
  const t = timed?.timing as Record<string, any> | undefined;
  const summary: FlowRecord = {
    dataset: training.dataset,
    network: design.config.layers,
    die_seed: design.config.seed,
    design_hash: design.hash,
    accuracy: {
      ideal_float: acc.ideal_float,
      ideal_quantized: acc.ideal_quantized,
      naive: acc.naive,
      aware: acc.aware,
      spice: layered ? (layered.accuracy as { spice: number }).spice : null,
      model_on_spice_samples: layered ? (layered.accuracy as { model: number }).model : null,
      ...(spiceNaive !== undefined ? { spice_naive: spiceNaive } : {}),
    },
    agreement: layered ? (layered.agreement as number) : null,
    spice_samples: layered ? (layered.samples as number) : 0,
    verify,
    energy_source: t && energy !== 'none' ? energy : null,
    energy_samples: t ? (timed!.samples as number) : 0,
    energy_per_inference_j: t?.energy_per_inference_j ?? null,
    ops_per_joule: t?.ops_per_joule ?? null,
    macs_per_joule: t?.macs_per_joule ?? null,
    settling_time_s: t?.settling_time_s.median ?? null,
    decision_time_s: t?.decision_time_s.median ?? null,
    power_w: t?.power_w.median ?? null,
    transistors: countTransistors(design.config.layers).transistors,
    elapsed_s: (Date.now() - t0) / 1000,
    stages_s: stages,
    engine: await engine.identity(),
    provenance: { design_hash: design.hash, die_seed: design.config.seed, models_hash: training.models_hash, weights_hash: training.weights_hash ?? null },
    warnings: [...training.warnings, ...(timed ? energyWarnings(timed) : [])],
  };
  await writeFileAtomic(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
