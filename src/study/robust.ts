/**
 * The robust strategy of a yield study: one code set for every die, trained on a population
 * of training dies and judged only on held-out dies it never saw. The training dies are
 * characterized as jobs of their own (`characterize`: no training, no verification) under
 * `population/die-<seed>/`; the codes are trained once into `robust/`; with SPICE accuracy they
 * are verified on each held-out die as `deploy` jobs in `dies/die-<seed>/robust/` (a copy of
 * the die's design and models with the population codes as its weights.json: deployed as
 * any user would, through the run-folder checks).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DatasetName } from '../data/index.js';
import { resolveDesign, type DesignInput } from '../design/index.js';
import { characterizeAndFit, type DieModels } from '../fit/index.js';
import { loadPdk } from '../pdk/index.js';
import type { EngineName } from '../spice/index.js';
import { heldOutAccuracy, readModels, trainingSetup, trainRobustRun, type RobustFile } from '../train/index.js';
import { ConfigError } from '../util/errors.js';
import { readRunJson } from '../util/fs.js';
import { verifyRun } from '../verify/index.js';
import { identify, type IdentifiedJob } from './executor.js';
import { withJobEngine } from './job-engine.js';
import type { JobContext } from './jobs.js';
import type { StudyOptions } from './study.js';

/** The networks a yield study compares: ideal codes deployed as they are, one code set for every die, codes per die. */
export const STRATEGIES = ['naive', 'robust', 'aware'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** How the robust codes are trained: the training dies' seeds (disjoint from the held-out dies'), and virtual dies (0: the training dies themselves). */
export interface RobustStudyOptions {
  seeds: number[];
  virtual: number;
}

export interface CharacterizeJobInput {
  /** Raw design config, `seed` = the die seed. */
  design: DesignInput;
  engine: EngineName;
  /** Run folder, relative to the study folder. */
  out: string;
}

/** A training die of a population: characterize and fit, nothing else. */
export async function runCharacterizeJob(input: CharacterizeJobInput, ctx: JobContext): Promise<{ dir: string; die_seed: number; sim_runs: number; sim_hits: number }> {
  const design = resolveDesign(input.design, `design of ${input.out}`);
  const dir = resolve(ctx.root, input.out);
  return withJobEngine(input.engine, loadPdk(design.config.pdk), dir, ctx, async (engine) => {
    await characterizeAndFit(engine, design, dir);
    return { dir: input.out, die_seed: design.config.seed };
  });
}

export interface DeployJobInput {
  /** The held-out die's run folder and the population codes' weights.json, relative to the study folder. */
  run: string;
  weights: string;
  /** SHA-256 of the weights (so that retrained codes are a new job). */
  weights_sha256: string;
  engine: EngineName;
  samples?: number;
}

/** Population codes on a held-out die in layered SPICE, in `<run>/robust/`. */
export async function runDeployJob(input: DeployJobInput, ctx: JobContext): Promise<{ spice: number; model: number; agreement: number }> {
  const dir = resolve(ctx.root, input.run), out = join(dir, 'robust');
  await mkdir(out, { recursive: true });
  for (const f of ['design.json', 'models.json']) await copyFile(join(dir, f), join(out, f));
  await copyFile(resolve(ctx.root, input.weights), join(out, 'weights.json'));
  const design = resolveDesign(readRunJson(out, 'design.json', ''), join(out, 'design.json'));
  const { spice, model, agreement } = await withJobEngine(input.engine, loadPdk(design.config.pdk), out, ctx, async (engine) => {
    const r = await verifyRun(engine, out, { mode: 'layered', samples: input.samples });
    const a = r.accuracy as { spice: number; model: number };
    return { spice: a.spice, model: a.model, agreement: r.agreement as number };
  });
  return { spice, model, agreement };
}

/** The training dies must not be held-out dies: checked by seed before anything runs. */
export function checkDisjoint(heldOut: number[], training: number[]): void {
  const both = training.filter((s) => heldOut.includes(s));
  if (both.length) throw new ConfigError(`--population-seeds: die(s) ${both.join(', ')} are also held-out dies; robust codes are judged only on dies they never saw`);
  if (new Set(training).size !== training.length) throw new ConfigError(`--population-seeds: expected distinct die seeds, got ${training.join(' ')}`);
  if (training.length === 0) throw new ConfigError('--population-seeds: the robust strategy needs at least one training die');
}

export interface RobustOutcome {
  /** Fitted-model test accuracy of the codes per held-out die seed (whole test split). */
  model: Map<number, number>;
  /** Layered SPICE accuracy per held-out die seed (with --accuracy spice). */
  spice: Map<number, number | null>;
  /** What the codes were trained on (robust.json), or the error that stopped the training dies. */
  training: (RobustFile & { dir: string }) | null;
  failed: { die_seed: number; error: string }[];
}

/**
 * Characterizes the training dies, trains the population codes once over them, and judges the
 * codes on the held-out dies that succeeded (their run folders, relative to the study folder).
 */
export async function robustStrategy(
  o: StudyOptions & { design: DesignInput; out: string; robust: RobustStudyOptions; spice: boolean },
  heldOut: { seed: number; dir: string }[],
): Promise<RobustOutcome> {
  const root = resolve(o.out);
  const jobs: IdentifiedJob<CharacterizeJobInput>[] = o.robust.seeds.map((seed) => identify({ kind: 'characterize', input: { design: { ...o.design, seed }, engine: o.engine, out: join('population', `die-${seed}`) } }));
  const outcomes = await o.executor.run(jobs, { onProgress: o.onProgress });
  const failed = jobs.flatMap((j) => {
    const r = outcomes.get(j.id);
    return r?.ok ? [] : [{ die_seed: j.input.design.seed as number, error: r ? `${r.error.name}: ${r.error.message}` : 'no outcome' }];
  });
  const none = { model: new Map<number, number>(), spice: new Map<number, number | null>(), training: null, failed };
  const good = jobs.filter((j) => outcomes.get(j.id)?.ok).map((j) => join(root, j.input.out));
  if (good.length === 0) return none;
  const trained = await trainRobustRun({ runs: good, virtual: o.robust.virtual }, join(root, 'robust'), { dataset: o.dataset as 'iris' | 'mnist', seed: o.trainSeed, epochs: o.epochs });
  const dies: DieModels[] = heldOut.map((d) => readModels(join(root, d.dir)).models);
  const { data } = trainingSetup(readModels(good[0]).models, join(good[0], 'models.json'), { dataset: o.dataset as 'iris' | 'mnist' });
  const acc = heldOutAccuracy(trained.weights, dies, data.test);
  const model = new Map(heldOut.map((d, k) => [d.seed, acc[k]]));
  const spice = new Map<number, number | null>();
  if (o.spice && heldOut.length) {
    const weights = join('robust', 'weights.json');
    const deploy = heldOut.map((d) => identify({ kind: 'deploy', input: { run: d.dir, weights, weights_sha256: trained.robust.weights_hash, engine: o.engine, ...(o.samples !== undefined ? { samples: o.samples } : {}) } as DeployJobInput }));
    const r = await o.executor.run(deploy, { onProgress: o.onProgress });
    deploy.forEach((j, k) => {
      const x = r.get(j.id);
      spice.set(heldOut[k].seed, x?.ok ? (x.result as { spice: number }).spice : null);
    });
  }
  return { model, spice, training: { ...trained.robust, dir: 'robust' }, failed };
}
