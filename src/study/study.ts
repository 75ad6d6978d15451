import type { DatasetName } from '../data/index.js';
import { resolveDesign, type DesignInput } from '../design/index.js';
import type { EngineName } from '../spice/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { toCsv } from '../util/csv.js';
import { identify, type Executor, type ExecutorProgress, type IdentifiedJob, type JobError, type JobOutcome } from './executor.js';
import { defaultEnergyMode, type EnergyMode } from '../verify/index.js';
import type { FlowVerify } from './flow.js';
import type { FlowJobInput, FlowJobResult } from './jobs.js';

/** What every die of a study runs: dataset, engine, training and verification settings. */
export interface StudyOptions {
  dataset: DatasetName;
  engine: EngineName;
  verify: FlowVerify;
  /** How each die's latency, power and energy are measured (default: defaultEnergyMode of its network). */
  energy?: EnergyMode;
  /** Test samples of that measurement (default 20 estimate, 10 full). */
  energySamples?: number;
  /** Window per sample of that measurement, s (default: the method's). */
  energyPeriod?: number;
  /** Layered SPICE samples (default: the whole test split). */
  samples?: number;
  trainSeed: number;
  epochs?: number;
  executor: Executor;
  onProgress?: (p: ExecutorProgress) => void;
}

/** The flow job of one die: `config` with its seed set to `seed`, files under `out` (relative to the study folder). */
export function dieJob(o: StudyOptions, config: DesignInput, seed: number, out: string, extra: { verify?: FlowVerify; verifyNaive?: boolean } = {}): IdentifiedJob<FlowJobInput> {
  const input: FlowJobInput = {
    design: { ...config, seed },
    dataset: o.dataset,
    train_seed: o.trainSeed,
    verify: extra.verify ?? o.verify,
    verify_naive: extra.verifyNaive ?? false,
    energy: o.energy ?? defaultEnergyMode(resolveDesign(config, 'study design').config.layers),
    engine: o.engine,
    out,
  };
  if (o.energySamples !== undefined) input.energy_samples = o.energySamples;
  if (o.energyPeriod !== undefined) input.energy_period = o.energyPeriod;
  if (o.epochs !== undefined) input.epochs = o.epochs;
  if (o.samples !== undefined) input.samples = o.samples;
  return identify({ kind: 'flow', input });
}

/** One die's outcome in a study table: its record, or its error. */
export type DieOutcome = { seed: number; dir: string } & ({ ok: true; result: FlowJobResult } | { ok: false; error: JobError });

export function dieOutcome(job: IdentifiedJob<FlowJobInput>, outcome: JobOutcome | undefined): DieOutcome {
  const base = { seed: job.input.design.seed as number, dir: job.input.out };
  if (!outcome) return { ...base, ok: false, error: { name: 'Missing', message: `no outcome for job ${job.id}`, exitCode: 1 } };
  return outcome.ok ? { ...base, ok: true, result: outcome.result as FlowJobResult } : { ...base, ok: false, error: outcome.error };
}

/** Runs the jobs; counts what ran and what was taken from the result store. */
export async function runJobs(o: StudyOptions, jobs: IdentifiedJob<FlowJobInput>[]): Promise<{ outcomes: DieOutcome[]; executed: number; skipped: number }> {
  let last: ExecutorProgress = { done: 0, total: 0, failed: 0, skipped: 0 };
  const map = await o.executor.run(jobs, {
    onProgress: (p) => {
      last = p;
      o.onProgress?.(p);
    },
  });
  return { outcomes: jobs.map((j) => dieOutcome(j, map.get(j.id))), executed: last.done, skipped: last.skipped };
}

export type Cell = string | number | boolean | null;

/** Writes rows as CSV with danfo.js, columns in the given order (null = empty cell). */
export async function writeCsv(path: string, columns: readonly string[], rows: readonly Record<string, Cell>[]): Promise<void> {
  await writeFileAtomic(path, toCsv(columns, rows));
}
