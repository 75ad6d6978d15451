/**
 * The operating-conditions study (`codesign pvt`): a run's die characterized and fitted again at
 * each temperature, supply and corner of a grid, and the run's codes (plus any further code
 * sets) deployed there: accuracy on each condition's models over the test split, layered SPICE
 * at the condition, and how far the class currents moved from the run's own condition. One
 * content-addressed job per condition on any Executor; `<out>/<condition>/` is a run-like
 * folder per condition; pvt.json and pvt.csv hold one row per condition and code set.
 * `characterizeConditions` is the characterization alone: each condition's DieModels, what a
 * trainer over several conditions consumes.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { atOperatingPoint, conditionName, describePoint, inputScaleAt, operatingPoint, resolveDesign, type Design, type InputReference, type OperatingPoint } from '../design/index.js';
import { cornerInclude } from '../pdk/index.js';
import { modelsSchema, type DieModels } from '../fit/index.js';
import type { EngineName } from '../spice/index.js';
import { checkModelsForDesign, dieOf, readModels, readRunWeights, type TrainedFor } from '../train/index.js';
import { ConfigError } from '../util/errors.js';
import { readRunJson, writeFileAtomic } from '../util/fs.js';
import { parseOrThrow } from '../util/zod.js';
import { GENERATOR_VERSION } from '../util/version.js';
import { identify, type Executor, type ExecutorProgress, type IdentifiedJob, type JobOutcome } from './executor.js';
import type { CodeSetResult, ConditionJobInput, ConditionModelsResult, PvtJobInput, PvtJobResult } from './condition-job.js';
import { writeCsv, type Cell } from './study.js';

/** How the conditions are combined: `cross` (temperature x supply at the first corner, each other corner at the run's temperature and supply) or `full` (every combination). */
export type GridForm = 'cross' | 'full';

export const GRID_NOTE = {
  cross: 'temperature x supply at the first corner; every other corner at the run\'s own temperature and supply; the run\'s own condition always',
  full: 'every combination of temperature, supply and corner; the run\'s own condition always',
} as const;

export const INPUT_NOTE = {
  fixed: 'input currents from a fixed external reference: the same input_scale (A per unit feature) at every condition',
  ptat: 'input currents proportional to absolute temperature: input_scale x (T + 273.15) / (T_run + 273.15), referenced to the run\'s temperature',
} as const;

export interface GridOptions {
  /** °C; default: the run's temperature. */
  temperatures?: number[];
  /** V; default: the run's supply. */
  vdds?: number[];
  /** Corners of the design's PDK, or ['all'] for every corner of its descriptor; default: the run's corner. */
  corners?: string[];
  form?: GridForm;
  input?: InputReference;
}

/** One operating condition of a die. */
export interface Condition {
  name: string;
  point: OperatingPoint;
  /** The run's own condition. */
  nominal: boolean;
  /** The run's design at this condition. */
  design: Design;
}

/** The corners asked for: `all` is every corner of the PDK descriptor, the design's own first. */
function cornerList(nominal: Design, corners: string[] | undefined): string[] {
  if (!corners?.length) return [nominal.config.corner];
  if (corners.length === 1 && corners[0] === 'all') return [nominal.config.corner, ...Object.keys(nominal.pdk.corners).filter((c) => c !== nominal.config.corner)];
  return corners;
}

function distinct<T>(xs: T[], flag: string): T[] {
  const seen = new Set<T>();
  for (const x of xs) {
    if (seen.has(x)) throw new ConfigError(`${flag}: ${x} is listed twice`);
    seen.add(x);
  }
  return xs;
}

/** A corner the design's PDK loads (`.include` or `.lib` section); otherwise the PDK's own error (known corners, where to get others) under `--corner`. */
function checkCorner(nominal: Design, corner: string): void {
  try {
    cornerInclude(nominal.pdk, corner);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`--corner: ${e.message}`);
    throw e;
  }
}

/**
 * The conditions of a study on a die (`nominal` = the run's design), each checked against the
 * PDK (an unknown corner or a supply above its maximum names the option). The run's own
 * condition is always one of them: the class-current shift is measured against it, and it
 * checks that characterizing again reproduces the run's models.
 */
export function conditionGrid(nominal: Design, o: GridOptions = {}): Condition[] {
  const here = operatingPoint(nominal);
  const temps = distinct(o.temperatures?.length ? o.temperatures : [here.temperature], '--temperature');
  const vdds = distinct(o.vdds?.length ? o.vdds : [here.vdd], '--vdd');
  const corners = distinct(cornerList(nominal, o.corners), '--corner');
  for (const t of temps) if (!Number.isFinite(t) || t <= -273.15) throw new ConfigError(`--temperature: expected temperatures in °C above -273.15, got ${t}`);
  for (const v of vdds) if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`--vdd: expected supplies in V above 0, got ${v}`);
  for (const c of corners) checkCorner(nominal, c);
  const form = o.form ?? 'cross';
  const input = o.input ?? 'fixed';
  const triples: [number, number, string][] = [];
  for (const [k, c] of corners.entries())
    if (form === 'full' || k === 0) for (const v of vdds) for (const t of temps) triples.push([t, v, c]);
    else triples.push([here.temperature, here.vdd, c]);
  const isNominal = ([t, v, c]: [number, number, string]) => t === here.temperature && v === here.vdd && c === here.corner;
  if (!triples.some(isNominal)) triples.unshift([here.temperature, here.vdd, here.corner]);
  const out = new Map<string, Condition>();
  for (const tvc of triples) {
    const [temperature, vdd, corner] = tvc;
    const point: OperatingPoint = { temperature, vdd, corner, input_scale: inputScaleAt(here, temperature, input) };
    const name = conditionName(point, input);
    if (out.has(name)) continue;
    const design = atOperatingPoint(nominal, point, `condition ${describePoint(point)}`);
    out.set(name, { name, point, nominal: isNominal(tvc), design });
  }
  return [...out.values()];
}

/** A run folder's die: design.json and models.json checked against each other. */
export function readRunDie(run: string): { dir: string; design: Design; models: DieModels; modelsHash: string } {
  const dir = resolve(run);
  const design = resolveDesign(readRunJson(dir, 'design.json', `${dir} is not a run folder (codesign characterize writes design.json)`), join(dir, 'design.json'));
  const { models, hash, path } = readModels(dir);
  checkModelsForDesign(design, join(dir, 'design.json'), models, path);
  return { dir, design, models, modelsHash: hash };
}

/** The common part of a condition job's input. */
function conditionInput(c: Condition, nominal: Design, study: string, run: string, o: { engine: EngineName; cache?: boolean; input?: InputReference; timeoutS?: number }): ConditionJobInput {
  const input: ConditionJobInput = { name: c.name, design: c.design.config, nominal: nominal.config, input_reference: o.input ?? 'fixed', engine: o.engine, cache: o.cache ?? true, out: c.name, run: relative(study, run) };
  if (o.timeoutS !== undefined) input.timeout_s = o.timeoutS;
  return input;
}

export interface ConditionModels {
  condition: Condition;
  /** The condition's run-like folder (design.json, models.json, condition.json). */
  dir: string;
  models: DieModels;
  models_hash: string;
}

export interface CharacterizeConditionsOptions {
  run: string;
  conditions: Condition[];
  engine: EngineName;
  cache?: boolean;
  /** Per simulator run timeout, s (default: the engine's). */
  timeoutS?: number;
  input?: InputReference;
  executor: Executor;
  /** Study folder (default `<run>/pvt`), the executor's root. */
  out?: string;
  onProgress?: (p: ExecutorProgress) => void;
}

/**
 * Each condition's models of a run's die, characterized and fitted by `condition-models` jobs
 * into `<out>/<condition>/` (the folders codesign pvt uses, so either reuses the other's
 * characterization). A condition whose job failed is an error naming it.
 */
export async function characterizeConditions(o: CharacterizeConditionsOptions): Promise<ConditionModels[]> {
  const die = readRunDie(o.run);
  const study = resolve(o.out ?? join(die.dir, 'pvt'));
  const jobs = o.conditions.map((c) => identify({ kind: 'condition-models', input: conditionInput(c, die.design, study, die.dir, o) }));
  const outcomes = await o.executor.run(jobs, { onProgress: o.onProgress });
  return o.conditions.map((c, k) => {
    const outcome = outcomes.get(jobs[k].id);
    if (!outcome?.ok) throw new ConfigError(`condition ${c.name}: ${outcome ? outcome.error.message : 'no outcome'}`);
    const r = outcome.result as ConditionModelsResult;
    const dir = join(study, r.dir);
    const { models, hash } = readModels(dir);
    return { condition: c, dir, models, models_hash: hash };
  });
}

export interface PvtOptions extends GridOptions {
  run: string;
  /** Further code sets beyond the run's weights.json: files, each with a label (default: derived from the path). */
  weights?: { file: string; label?: string }[];
  /** Layered SPICE samples per condition (default: the whole test split). */
  samples?: number;
  /** Full-network transient samples per condition and code set (supply power); default 0. */
  fullSamples?: number;
  engine: EngineName;
  cache?: boolean;
  /** Per simulator run timeout, s (default: the engine's). */
  timeoutS?: number;
  executor: Executor;
  /** Study folder (default `<run>/pvt`). */
  out?: string;
  onProgress?: (p: ExecutorProgress) => void;
}

export const PVT_COLUMNS = [
  'condition', 'temperature', 'vdd', 'corner', 'input_scale', 'nominal', 'code_set',
  'model_accuracy', 'spice_accuracy', 'model_accuracy_spice_samples', 'agreement', 'spice_samples', 'spice_failures',
  'current_ratio_spice', 'current_shift_spice_median', 'current_shift_spice_p90', 'current_ratio_model', 'current_shift_model_median',
  'dc_power_w', 'power_w', 'energy_per_inference_j', 'soma_a_median', 'g4_pos_median', 'g4_neg_median', 'ok', 'error',
] as const;

export type PvtRow = Record<(typeof PVT_COLUMNS)[number], Cell>;

export interface CodeSetInfo {
  label: string;
  file: string;
  sha256: string;
  trained_for: TrainedFor | null;
}

export interface PvtFile {
  format: 'codesign-pvt/1';
  generator: string;
  /** The run folder, relative to the study folder. */
  run: string;
  dataset: string;
  network: number[];
  die_seed: number;
  design_hash: string;
  nominal: OperatingPoint & { name: string };
  input_reference: InputReference;
  input_note: string;
  grid: { form: GridForm; temperatures: number[]; vdds: number[]; corners: string[]; note: string };
  code_sets: CodeSetInfo[];
  samples: number | null;
  full_samples: number;
  engine: string;
  power_note: string;
  shift_note: string;
  columns: string[];
  rows: PvtRow[];
  /** The run's condition characterized again against the run's models.json: largest relative parameter difference. */
  models_vs_run: { identical: boolean; max_rel_diff: number; note: string } | null;
  failed: { condition: string; error: string }[];
  jobs: { total: number; executed: number; reused: number; failed: number };
  elapsed_s: number;
}

/** A label for a code set file: `<folder>` for a weights.json, else the file name without .json. */
function labelOf(file: string): string {
  const parts = resolve(file).split('/');
  const base = parts[parts.length - 1];
  const raw = base === 'weights.json' && parts.length > 1 ? parts[parts.length - 2] : base.replace(/\.json$/, '');
  return raw.replace(/[^A-Za-z0-9_.-]/g, '_') || 'codes';
}

/** The code sets: the run's weights.json (checked to be the run's die's) first, then the extra files. */
function codeSets(run: ReturnType<typeof readRunDie>, extra: PvtOptions['weights']): { info: CodeSetInfo; text: string }[] {
  const own = readRunWeights(run.dir, dieOf(run.design, run.modelsHash));
  const sets = [{ label: 'run', path: own.path, source: own }];
  for (const w of extra ?? []) {
    const label = w.label ?? labelOf(w.file);
    if (!/^[A-Za-z0-9_.-]+$/.test(label)) throw new ConfigError(`--weights ${w.file}: label "${label}" must be letters, digits, _ . - only`);
    if (sets.some((s) => s.label === label)) throw new ConfigError(`--weights ${w.file}: label "${label}" is taken; name it (--weights LABEL=FILE)`);
    const src = readRunWeights(run.dir, dieOf(run.design, run.modelsHash), w.file);
    sets.push({ label, path: src.path, source: src });
  }
  return sets.map((s) => ({ info: { label: s.label, file: s.path, sha256: s.source.source.sha256, trained_for: s.source.source.trained_for }, text: readFileSync(s.path, 'utf8') }));
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
};

/**
 * How the class currents moved from the run's condition, on the samples both verified: the
 * median over samples of the total output current's ratio, and the largest class-current
 * change relative to the sample's largest class current at the run's condition (median, p90).
 */
export function currentShift(here: (number[] | null)[], nominal: (number[] | null)[]): { ratio: number | null; median: number | null; p90: number | null } {
  const ratios: number[] = [], shifts: number[] = [];
  for (let s = 0; s < Math.min(here.length, nominal.length); s++) {
    const a = here[s], b = nominal[s];
    if (!a || !b) continue;
    const sumB = b.reduce((x, y) => x + y, 0);
    const maxB = Math.max(...b.map(Math.abs));
    if (!(sumB > 0) || !(maxB > 0)) continue;
    ratios.push(a.reduce((x, y) => x + y, 0) / sumB);
    shifts.push(Math.max(...a.map((v, c) => Math.abs(v - b[c]))) / maxB);
  }
  return { ratio: quantile(ratios, 0.5), median: quantile(shifts, 0.5), p90: quantile(shifts, 0.9) };
}

/** Largest relative difference between two models files' parameters (0 for identical fits). */
function modelsDifference(a: DieModels, b: DieModels): number {
  let worst = 0;
  const cmp = (x: number[], y: number[]) => x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]) / Math.max(Math.abs(v), Math.abs(y[i]), 1e-30))));
  a.somas.forEach((s, k) => (cmp(s.a, b.somas[k].a), cmp(s.t, b.somas[k].t)));
  a.synapses.forEach((w, k) => (['gain_pos', 'gain_neg', 'dlog_pos', 'dlog_neg'] as const).forEach((key) => cmp(w[key], b.synapses[k][key])));
  return worst;
}

function modelsVsRun(study: string, nominal: Condition | undefined, run: DieModels, ok: boolean): PvtFile['models_vs_run'] {
  if (!nominal || !ok) return null;
  const again = parseOrThrow(modelsSchema, JSON.parse(readFileSync(join(study, nominal.name, 'models.json'), 'utf8')), join(study, nominal.name, 'models.json'));
  const d = modelsDifference(again, run);
  return { identical: d === 0, max_rel_diff: d, note: `the run's own condition (${nominal.name}) characterized and fitted again, against the run's models.json: largest relative difference of any soma a, t or synapse g, d` };
}

const nullable = (v: number | null | undefined) => (v === undefined || v === null || Number.isNaN(v) ? null : v);

function rowsOf(c: Condition, outcome: JobOutcome | undefined, sets: CodeSetInfo[], nominal: PvtJobResult | undefined): PvtRow[] {
  const r = outcome?.ok ? (outcome.result as PvtJobResult) : undefined;
  const jobError = outcome ? (outcome.ok ? null : `${outcome.error.name}: ${outcome.error.message}`) : 'no outcome';
  return sets.map((s) => {
    const cs: CodeSetResult | undefined = r?.code_sets.find((x) => x.label === s.label);
    const ref = nominal?.code_sets.find((x) => x.label === s.label);
    const spice = cs?.spice;
    const sh = spice && ref?.spice ? currentShift(spice.currents, ref.spice.currents) : undefined;
    const shm = spice && ref?.spice ? currentShift(spice.model_currents, ref.spice.model_currents) : undefined;
    return {
      condition: c.name,
      temperature: c.point.temperature,
      vdd: c.point.vdd,
      corner: c.point.corner,
      input_scale: c.point.input_scale,
      nominal: c.nominal,
      code_set: s.label,
      model_accuracy: nullable(cs?.model_accuracy),
      spice_accuracy: nullable(spice?.accuracy),
      model_accuracy_spice_samples: nullable(spice?.model_accuracy),
      agreement: nullable(spice?.agreement),
      spice_samples: spice?.samples ?? null,
      spice_failures: spice?.failures ?? null,
      current_ratio_spice: nullable(sh?.ratio),
      current_shift_spice_median: nullable(sh?.median),
      current_shift_spice_p90: nullable(sh?.p90),
      current_ratio_model: nullable(shm?.ratio),
      current_shift_model_median: nullable(shm?.median),
      dc_power_w: nullable(cs?.dc_power_w),
      power_w: nullable(cs?.power_w),
      energy_per_inference_j: nullable(cs?.energy_per_inference_j),
      soma_a_median: nullable(r?.params.soma_a),
      g4_pos_median: nullable(r?.params.g4_pos),
      g4_neg_median: nullable(r?.params.g4_neg),
      ok: !!cs && !cs.error,
      error: jobError ?? cs?.error ?? (cs ? null : 'no result for this code set'),
    };
  });
}

/**
 * Runs the operating-conditions study on a run: one `pvt` job per condition (characterize, fit,
 * deploy every code set), then pvt.json and pvt.csv in the study folder. Everything is checked
 * before any job runs: the run folder's die, its codes, each extra code set, every condition
 * against the PDK.
 */
export async function runPvt(o: PvtOptions): Promise<PvtFile> {
  const t0 = Date.now();
  const die = readRunDie(o.run);
  const study = resolve(o.out ?? join(die.dir, 'pvt'));
  const conditions = conditionGrid(die.design, o);
  const sets = codeSets(die, o.weights);
  const dataset = (JSON.parse(sets[0].text) as { dataset: string }).dataset;
  if (o.samples !== undefined && !(Number.isInteger(o.samples) && o.samples >= 0)) throw new ConfigError(`--samples: expected a whole number >= 0 (0: the fitted models only), got ${o.samples}`);
  const fullSamples = o.fullSamples ?? 0;
  const input = o.input ?? 'fixed';
  const jobs: IdentifiedJob<PvtJobInput>[] = conditions.map((c) => {
    const job: PvtJobInput = { ...conditionInput(c, die.design, study, die.dir, o), code_sets: sets.map((s) => ({ label: s.info.label, weights: s.text })), full_samples: fullSamples };
    if (o.samples !== undefined) job.samples = o.samples;
    return identify({ kind: 'pvt', input: job });
  });
  let last: ExecutorProgress = { done: 0, total: 0, failed: 0, skipped: 0 };
  const outcomes = await o.executor.run(jobs, {
    onProgress: (p) => {
      last = p;
      o.onProgress?.(p);
    },
  });
  const nominalIdx = conditions.findIndex((c) => c.nominal);
  const nominalOutcome = outcomes.get(jobs[nominalIdx].id);
  const nominalResult = nominalOutcome?.ok ? (nominalOutcome.result as PvtJobResult) : undefined;
  const rows = conditions.flatMap((c, k) => rowsOf(c, outcomes.get(jobs[k].id), sets.map((s) => s.info), nominalResult));
  const failed = conditions.flatMap((c, k) => {
    const out = outcomes.get(jobs[k].id);
    return out?.ok ? [] : [{ condition: c.name, error: out ? `${out.error.name}: ${out.error.message}` : 'no outcome' }];
  });
  const nominal = conditions[nominalIdx];
  const file: PvtFile = {
    format: 'codesign-pvt/1',
    generator: GENERATOR_VERSION,
    run: relative(study, die.dir),
    dataset,
    network: die.design.config.layers,
    die_seed: die.design.config.seed,
    design_hash: die.design.hash,
    nominal: { name: nominal.name, ...nominal.point },
    input_reference: input,
    input_note: INPUT_NOTE[input],
    grid: { form: o.form ?? 'cross', temperatures: [...new Set(conditions.map((c) => c.point.temperature))], vdds: [...new Set(conditions.map((c) => c.point.vdd))], corners: [...new Set(conditions.map((c) => c.point.corner))], note: GRID_NOTE[o.form ?? 'cross'] },
    code_sets: sets.map((s) => s.info),
    samples: o.samples ?? null,
    full_samples: fullSamples,
    engine: nominalResult?.engine ?? o.engine,
    power_note:
      fullSamples > 0
        ? `supply power: median over ${fullSamples} samples of a full-network transient at each condition (verify-full.json of the condition folder)`
        : 'dc_power_w: median DC supply power over the SPICE samples, each held and settled (layered verification); power_w and energy per inference need a full-network transient at each condition: --full-samples N',
    shift_note: 'against the run\'s own condition, on the SPICE-verified samples of both: current_ratio = median over samples of (sum of class currents here) / (sum at the run\'s condition); current_shift = largest |class current here - at the run\'s condition| relative to the sample\'s largest class current at the run\'s condition (median, p90); _model: the same from each condition\'s fitted models',
    columns: [...PVT_COLUMNS],
    rows,
    models_vs_run: modelsVsRun(study, nominal, die.models, !!nominalResult),
    failed,
    jobs: { total: jobs.length, executed: last.done, reused: last.skipped, failed: last.failed },
    elapsed_s: (Date.now() - t0) / 1000,
  };
  await writeCsv(join(study, 'pvt.csv'), PVT_COLUMNS, rows);
  await writeFileAtomic(join(study, 'pvt.json'), JSON.stringify(file, null, 2) + '\n');
  return file;
}
