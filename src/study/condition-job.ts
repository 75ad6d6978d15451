/**
 * One operating condition of a run's die, as study jobs: `condition-models` characterizes and
 * fits the die at the condition (what a multi-condition trainer needs: each condition's
 * DieModels), `pvt` does that and then deploys the run's code sets there: their accuracy on the
 * condition's models over the whole test split, and layered SPICE at the condition. Inputs are
 * self-contained (the design at the condition, the exact bytes of each weights file), so a
 * remote worker needs nothing from the run folder. Files: `<out>/` is run-like (condition.json,
 * design.json, models.json, weights.json = the first code set, verify.json), each further code
 * set in `<out>/codes/<label>/`.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadDataset } from '../data/index.js';
import { conditionRecord, resolveDesign, type Design, type DesignInput, type InputReference } from '../design/index.js';
import { characterizeAndFit, median } from '../fit/index.js';
import { loadPdk } from '../pdk/index.js';
import type { Engine, EngineName } from '../spice/index.js';
import { deviceNet, evaluate, fileHash, readModels, weightsSchema, type WeightsSource } from '../train/index.js';
import { CodesignError, ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { parseOrThrow } from '../util/zod.js';
import { verifyRun, type VerifyResult } from '../verify/index.js';
import { withJobEngine } from './job-engine.js';
import type { JobContext } from './jobs.js';

/** What a condition job characterizes: the run's die moved to one operating condition. */
export interface ConditionJobInput {
  /** Condition name (`t85c_1.8v_tt`). */
  name: string;
  /** The design at the condition (raw config, `seed` = the die seed). */
  design: DesignInput;
  /** The run's own design (raw config): its hash is what the run's codes were trained for. */
  nominal: DesignInput;
  input_reference: InputReference;
  engine: EngineName;
  /** Use the simulation cache (default true). */
  cache?: boolean;
  /** Per simulator run timeout, s (default: the engine's). */
  timeout_s?: number;
  /** The condition's folder, relative to the study folder. */
  out: string;
  /** The run folder, relative to the study folder (recorded in condition.json). */
  run: string;
}

/** One code set to deploy: a label and the exact text of its weights file. */
export interface CodeSetInput {
  label: string;
  weights: string;
}

export interface PvtJobInput extends ConditionJobInput {
  code_sets: CodeSetInput[];
  /** Layered SPICE samples (default: the whole test split); 0: the models only, no SPICE. */
  samples?: number;
  /** Full-network transient samples (supply power at the condition); 0 skips it. */
  full_samples: number;
}

export interface ConditionModelsResult {
  name: string;
  /** The condition's folder, relative to the study folder. */
  dir: string;
  models_hash: string;
  /** Median fitted parameters: soma gain a, synapse gain per unit code (bit 4, each sign). */
  params: { soma_a: number; g4_pos: number; g4_neg: number };
  characterize_s: number;
  sim_runs: number;
  sim_hits: number;
}

/** One code set at one condition. */
export interface CodeSetResult {
  label: string;
  /** The code set's folder, relative to the study folder. */
  dir: string;
  weights_sha256: string;
  provenance: WeightsSource;
  /** Accuracy of the codes on the condition's models over the whole test split. */
  model_accuracy: number;
  test_samples: number;
  spice: {
    samples: number;
    accuracy: number;
    model_accuracy: number;
    agreement: number;
    /** Class currents of the verified samples, [sample][class], A (null: its run failed). */
    currents: (number[] | null)[];
    model_currents: number[][];
    /** Samples whose simulation did not finish. */
    failures: number;
    /** verify.json of an earlier job made from the same die, models, codes and samples was kept. */
    reused: boolean;
  } | null;
  /** Median DC supply power over the SPICE samples (the layered run's supply current x VDD, each sample held and settled), else null. */
  dc_power_w: number | null;
  /** From a full-network transient at the condition (--full-samples), else null. */
  power_w: number | null;
  energy_per_inference_j: number | null;
  error: string | null;
}

export interface PvtJobResult extends ConditionModelsResult {
  code_sets: CodeSetResult[];
  engine: string;
  elapsed_s: number;
}

/** The models.json fields a study reports per condition. */
function modelParams(models: ReturnType<typeof readModels>['models']): ConditionModelsResult['params'] {
  const somaA = models.somas.flatMap((s) => s.a);
  const pick = (key: 'gain_pos' | 'gain_neg') => models.synapses.flatMap((w) => w[key].filter((_, q) => q % 3 === 0));
  return { soma_a: median(somaA), g4_pos: median(pick('gain_pos')), g4_neg: median(pick('gain_neg')) };
}

/** Writes condition.json into a folder that holds the run's die at the condition. */
async function writeCondition(dir: string, input: ConditionJobInput, design: Design): Promise<void> {
  const record = conditionRecord(input.name, design, resolveDesign(input.nominal, 'the run\'s design'), input.input_reference, relative(dir, input.run));
  await writeFileAtomic(join(dir, 'condition.json'), JSON.stringify(record, null, 2) + '\n');
}

/** Characterizes and fits the die at the condition in `dir`, with condition.json next to it (`input.run` absolute). */
async function characterizeAt(engine: Engine, input: ConditionJobInput, dir: string): Promise<{ design: Design; models_hash: string; params: ConditionModelsResult['params']; characterize_s: number }> {
  const design = resolveDesign(input.design, `design at ${input.name}`);
  const t0 = Date.now();
  await characterizeAndFit(engine, design, dir);
  await writeCondition(dir, input, design);
  const { models, hash } = readModels(dir);
  return { design, models_hash: hash, params: modelParams(models), characterize_s: (Date.now() - t0) / 1000 };
}

/** The job's engine at its condition's design (PDK, cache and timeout of the job). */
function withConditionEngine<T extends object>(input: ConditionJobInput, dir: string, ctx: JobContext, f: (e: Engine) => Promise<T>) {
  const pdk = loadPdk(resolveDesign(input.design, `design at ${input.name}`).config.pdk);
  return withJobEngine(input.engine, pdk, dir, ctx, f, { cache: input.cache ?? true, ...(input.timeout_s ? { timeoutMs: input.timeout_s * 1000 } : {}) });
}

const absolute = (ctx: JobContext, rel: string) => resolve(ctx.root, rel);

/** The `condition-models` job: the die characterized and fitted at one condition. */
export async function runConditionModelsJob(input: ConditionJobInput, ctx: JobContext): Promise<ConditionModelsResult> {
  const dir = absolute(ctx, input.out);
  const full = { ...input, run: absolute(ctx, input.run) };
  const r = await withConditionEngine(full, dir, ctx, (e) => characterizeAt(e, full, dir));
  return { name: input.name, dir: input.out, models_hash: r.models_hash, params: r.params, characterize_s: r.characterize_s, sim_runs: r.sim_runs, sim_hits: r.sim_hits };
}

/** The folder's verify.json when it was computed on these models with these codes (same bytes), else undefined. */
async function verifyOf(dir: string, modelsHash: string, weightsHash: string): Promise<VerifyResult | undefined> {
  try {
    const v = JSON.parse(await readFile(join(dir, 'verify.json'), 'utf8')) as VerifyResult;
    return v.mode === 'layered' && v.provenance?.models_hash === modelsHash && v.provenance.weights?.sha256 === weightsHash ? v : undefined;
  } catch {
    return undefined; // absent or unreadable
  }
}

/** A code set's folder: the condition folder for the first, `codes/<label>/` (design and models copied) for the others. */
async function codeSetFolder(condDir: string, k: number, label: string, input: ConditionJobInput, design: Design): Promise<string> {
  if (k === 0) return condDir;
  const dir = join(condDir, 'codes', label);
  await mkdir(dir, { recursive: true });
  for (const f of ['design.json', 'models.json']) await copyFile(join(condDir, f), join(dir, f));
  await writeCondition(dir, input, design);
  return dir;
}

/**
 * Deploys one code set at the condition: model accuracy on the whole test split, layered SPICE
 * on the first `samples` test samples (none with 0). The run's codes (the first set) go through the folder's
 * condition.json, which accepts only codes of this die; others are given as an explicit file
 * (recorded as cross-die when they are). A verify.json made from the same models, codes and
 * samples on this engine is kept, so a study that adds a code set or more conditions verifies
 * only what is new. Samples whose simulation fails are counted in the result, not retried.
 */
async function deployCodeSet(engine: Engine, engineId: string, condDir: string, k: number, cs: CodeSetInput, input: PvtJobInput, ctx: JobContext, c: { design: Design; models_hash: string }): Promise<CodeSetResult> {
  const dir = await codeSetFolder(condDir, k, cs.label, input, c.design);
  const weightsPath = join(dir, 'weights.json');
  await writeFileAtomic(weightsPath, cs.weights);
  const sha = fileHash(cs.weights);
  const weights = parseOrThrow(weightsSchema, JSON.parse(cs.weights), `code set ${cs.label}`);
  const { models } = readModels(dir);
  const test = loadDataset(weights.dataset).test;
  const modelAccuracy = evaluate(deviceNet(models), weights.codes.map((m) => Float64Array.from(m.flat())), true, test, 1).accuracy;
  const n = Math.min(input.samples ?? test.n, test.n);
  const explicit = k === 0 ? undefined : weightsPath;
  const stored = await verifyOf(dir, c.models_hash, sha);
  let v = stored && stored.samples_requested === n && stored.samples === n && stored.failures.length === 0 && stored.engine === engineId ? stored : undefined;
  const reused = v !== undefined;
  let error: string | null = null;
  try {
    if (n > 0) v ??= await verifyRun(engine, dir, { mode: 'layered', samples: n, weights: explicit });
  } catch (e) {
    if (e instanceof ConfigError || !(e instanceof CodesignError)) throw e;
    error = e.message;
    v = await verifyOf(dir, c.models_hash, sha); // the samples that finished
  }
  let power: Pick<CodeSetResult, 'power_w' | 'energy_per_inference_j'> = { power_w: null, energy_per_inference_j: null };
  if (input.full_samples > 0 && n > 0 && !error) {
    const t = (await verifyRun(engine, dir, { mode: 'full', samples: input.full_samples, weights: explicit })).timing as { power_w: { median: number }; energy_per_inference_j: number } | undefined;
    power = { power_w: t?.power_w.median ?? null, energy_per_inference_j: t?.energy_per_inference_j ?? null };
  }
  return {
    label: cs.label,
    dir: relative(ctx.root, dir),
    weights_sha256: sha,
    provenance: v?.provenance.weights ?? { file: 'weights.json', sha256: sha, trained_for: null, cross_die: false },
    model_accuracy: modelAccuracy,
    test_samples: test.n,
    spice: v ? { samples: v.samples, accuracy: v.accuracy.spice, model_accuracy: v.accuracy.model, agreement: v.agreement, currents: v.currents.spice, model_currents: v.currents.model, failures: n - v.samples, reused } : null,
    dc_power_w: v?.dc_power_w?.median ?? null,
    ...power,
    error,
  };
}

/** The `pvt` job: the die at one condition, characterized, fitted, and every code set deployed there. */
export async function runPvtJob(input: PvtJobInput, ctx: JobContext): Promise<PvtJobResult> {
  const t0 = Date.now();
  const dir = absolute(ctx, input.out);
  const full = { ...input, run: absolute(ctx, input.run) };
  const r = await withConditionEngine(full, dir, ctx, async (engine) => {
    const c = await characterizeAt(engine, full, dir);
    const engineId = await engine.identity();
    const codeSets: CodeSetResult[] = [];
    for (const [k, cs] of input.code_sets.entries()) codeSets.push(await deployCodeSet(engine, engineId, dir, k, cs, full, ctx, c));
    return { ...c, code_sets: codeSets, engine: engineId };
  });
  return {
    name: input.name,
    dir: input.out,
    models_hash: r.models_hash,
    params: r.params,
    characterize_s: r.characterize_s,
    sim_runs: r.sim_runs,
    sim_hits: r.sim_hits,
    code_sets: r.code_sets,
    engine: r.engine,
    elapsed_s: (Date.now() - t0) / 1000,
  };
}
