import { join, resolve } from 'node:path';
import { countTransistors } from '../characterize/index.js';
import type { Design } from '../design/index.js';
import { characterizeAndFit } from '../fit/index.js';
import type { Engine } from '../spice/index.js';
import { trainRun } from '../train/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { verifyRun } from '../verify/index.js';

/** summary.json: the headline numbers of one die through the whole flow. */
export interface FlowSummary {
  dataset: string;
  network: number[];
  die_seed: number;
  design_hash: string;
  accuracy: { ideal_float: number; ideal_quantized: number; naive: number; aware: number; spice: number; model_on_spice_samples: number };
  agreement: number;
  spice_samples: number;
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
}

export interface FlowOptions {
  dataset?: 'iris' | 'mnist';
  /** Test samples verified in layered mode (default: the whole test split). */
  samples?: number;
  /** Samples of the full-network transient (energy, settling); 0 skips it. */
  fullSamples?: number;
  trainSeed?: number;
  epochs?: number;
  onStage?: (stage: string, detail?: string) => void;
  onBatch?: () => void;
  onVerifyProgress?: (done: number, total: number) => void;
}

/**
 * One die from design to SPICE-verified trained network: characterize and fit every device,
 * train mismatch-aware codes (with the baselines), verify in SPICE (layered over the test
 * split, and a full-network transient for latency and energy). Every stage writes its files
 * into `out`; summary.json last.
 */
export async function runFlow(engine: Engine, design: Design, out: string, opts: FlowOptions = {}): Promise<FlowSummary> {
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
  const training = await stage('train', () => trainRun(dir, { dataset: opts.dataset, seed: opts.trainSeed, epochs: opts.epochs }));
  const layered = await stage('verify', () => verifyRun(engine, dir, { mode: 'layered', samples: opts.samples, onProgress: opts.onVerifyProgress }));
  const full = (opts.fullSamples ?? 10) > 0 ? await stage('verify-full', () => verifyRun(engine, dir, { mode: 'full', samples: opts.fullSamples ?? 10 })) : undefined;
  const acc = Object.fromEntries(training.baselines.map((b) => [b.name, b.test_accuracy])) as Record<string, number>;
  const t = full?.timing as Record<string, any> | undefined;
  const summary: FlowSummary = {
    dataset: training.dataset,
    network: design.config.layers,
    die_seed: design.config.seed,
    design_hash: design.hash,
    accuracy: {
      ideal_float: acc.ideal_float,
      ideal_quantized: acc.ideal_quantized,
      naive: acc.naive,
      aware: acc.aware,
      spice: (layered.accuracy as { spice: number }).spice,
      model_on_spice_samples: (layered.accuracy as { model: number }).model,
    },
    agreement: layered.agreement as number,
    spice_samples: layered.samples as number,
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
  };
  await writeFileAtomic(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
