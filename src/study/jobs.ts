import { join, resolve } from 'node:path';
import type { DatasetName } from '../data/index.js';
import { resolveDesign, type DesignInput } from '../design/index.js';
import { loadPdk } from '../pdk/index.js';
import type { EngineName } from '../spice/index.js';
import { ConfigError } from '../util/errors.js';
import type { EnergyMode } from '../verify/index.js';
import { runConditionModelsJob, runPvtJob } from './condition-job.js';
import { runFlowRecord, type FlowRecord, type FlowVerify } from './flow.js';
import { withJobEngine } from './job-engine.js';
import { runCharacterizeJob, runDeployJob } from './robust.js';

/** What a worker gives every job: the study folder its relative paths start from, and its core share. */
export interface JobContext {
  root: string;
  /** Parallel simulator runs this job may use (engine workers). */
  engineWorkers: number;
  /** Native ngspice threads per run (the machine's cores over every simulator run of every job at once); default: the engine's own. */
  engineThreads?: number;
}

export type JobHandler = (input: never, ctx: JobContext) => Promise<unknown>;

/**
 * The flow of one die, as a job: design (with its die seed), dataset, training seed and
 * options in; the die's flow record out. Its files go to `<study>/<out>/`.
 */
export interface FlowJobInput {
  /** Raw design config, `seed` = the die seed. */
  design: DesignInput;
  dataset: DatasetName;
  train_seed: number;
  epochs?: number;
  verify: FlowVerify;
  /** Also verify the naive codes in SPICE (yield --accuracy spice). */
  verify_naive: boolean;
  /** Layered SPICE samples (default: the whole test split). */
  samples?: number;
  /** How latency, power and energy are measured (estimate: reduced network; full: whole-network transient). */
  energy: EnergyMode;
  /** Test samples of that measurement (default 20 estimate, 10 full); 0 skips it. */
  energy_samples?: number;
  /** Window per sample of that measurement, s (default: the method's). */
  energy_period?: number;
  engine: EngineName;
  /** Run folder, relative to the study folder. */
  out: string;
}

export interface FlowJobResult extends FlowRecord {
  /** The run folder, relative to the study folder. */
  dir: string;
  /** Simulator runs this job started, and results it took from the simulation cache. */
  sim_runs: number;
  sim_hits: number;
}

export async function runFlowJob(input: FlowJobInput, ctx: JobContext): Promise<FlowJobResult> {
  const design = resolveDesign(input.design, `design of ${input.out}`);
  const dir = resolve(ctx.root, input.out);
  const { sim_runs, sim_hits, ...record } = await withJobEngine(input.engine, loadPdk(design.config.pdk), dir, ctx, (engine) =>
    runFlowRecord(engine, design, dir, {
      dataset: input.dataset,
      trainSeed: input.train_seed,
      epochs: input.epochs,
      verify: input.verify,
      verifyNaive: input.verify_naive,
      samples: input.samples,
      energy: input.energy,
      energySamples: input.energy_samples,
      energyPeriod: input.energy_period,
      trainThreads: ctx.engineWorkers,
    }),
  );
  return { ...record, dir: input.out, sim_runs, sim_hits };
}

/**
 * Folders inside a job's output that only serve to resume it on the same disk (the
 * characterization checkpoints); a remote worker does not send them back.
 */
export const SCRATCH_DIRS: readonly string[] = ['batches'];

/** Every job kind a worker can run. */
export const HANDLERS: Record<string, JobHandler> = {
  flow: runFlowJob as JobHandler,
  pvt: runPvtJob as JobHandler,
  'condition-models': runConditionModelsJob as JobHandler,
  characterize: runCharacterizeJob as JobHandler,
  deploy: runDeployJob as JobHandler,
};

export async function runJob(kind: string, input: unknown, ctx: JobContext): Promise<unknown> {
  const handler = HANDLERS[kind];
  if (!handler) throw new ConfigError(`unknown job kind "${kind}" (known: ${Object.keys(HANDLERS).join(', ')})`);
  return handler(input as never, ctx);
}
