import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { checkCondition, describePoint, resolveDesign, type ConditionRecord, type Design, type OperatingPoint } from '../design/index.js';
import type { DieModels } from '../fit/index.js';
import { ConfigError } from '../util/errors.js';
import { readRunJson } from '../util/fs.js';

/**
 * What a run folder's files were made from, and the checks that keep one folder to one die:
 * design.json -> models.json (design_hash, die_seed) -> weights.json (design_hash, die_seed,
 * models_hash) -> verify.json / verify-full.json / summary.json (a `provenance` record). Every
 * command that deploys weights on a die (verify, netlist network, report) takes them through
 * `readRunWeights`: weights.json trained for another die or on other models is refused with a
 * message naming both; a weights file given on purpose (`--weights FILE`) is deployed whatever
 * it was trained for, and the record says so (`cross_die`). A folder with a condition.json holds
 * the run's die at another operating condition (codesign pvt): the run's own codes there are a
 * deployment on purpose too, recorded as `cross_condition`.
 */

/** The die and models a weights file says it was trained for. */
export interface TrainedFor {
  design_hash: string;
  die_seed: number;
  /** SHA-256 of the models.json bytes. */
  models_hash: string;
}

/** Which weights a result was computed with. */
export interface WeightsSource {
  /** The file: relative to the run folder when inside it, else absolute. */
  file: string;
  /** SHA-256 of its bytes. */
  sha256: string;
  /** What the file records it was trained for (null: it records nothing). */
  trained_for: TrainedFor | null;
  /** Deployed on a die or models other than it was trained for (only ever on request: --weights). */
  cross_die: boolean;
  /** The same die at another operating condition than it was trained at (a condition.json folder); absent otherwise. */
  cross_condition?: { trained_at: OperatingPoint; deployed_at: OperatingPoint };
  /** Population codes (train --strategy robust): the dies they were trained over, and whether this die is held out (not among them). */
  population?: { dies: number[]; virtual_dies: number; held_out: boolean };
}

/** The `provenance` record of verify.json and verify-full.json: the die, its models and the weights. */
export interface Provenance {
  design_hash: string;
  die_seed: number;
  models_hash: string;
  weights: WeightsSource;
}

/** Hex SHA-256 of a file's bytes (models_hash, weights sha256). */
export function fileHash(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A die (design hash and seed) and, when known, the SHA-256 of its models.json. */
export interface DieIdentity {
  design_hash: string;
  die_seed: number;
  models_hash?: string;
}

/** The identity of a design's die, with its models' hash when known. */
export function dieOf(design: Design, modelsHash?: string): DieIdentity {
  return { design_hash: design.hash, die_seed: design.config.seed, ...(modelsHash ? { models_hash: modelsHash } : {}) };
}

/** A JSON file and the SHA-256 of its bytes; missing (`missing` is the message) or broken: a ConfigError naming it. */
export function readHashedJson(path: string, missing: string): { raw: unknown; sha256: string } {
  if (!existsSync(path)) throw new ConfigError(missing);
  const bytes = readFileSync(path);
  try {
    return { raw: JSON.parse(bytes.toString('utf8')), sha256: fileHash(bytes) };
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

const short = (hash: string) => hash.slice(0, 12);

export function describeDie(d: DieIdentity): string {
  return `die ${d.die_seed} (design ${d.design_hash}${d.models_hash ? `, models.json sha256 ${short(d.models_hash)}` : ''})`;
}

/** models.json must describe the die of design.json (same design hash and die seed). */
export function checkModelsForDesign(design: Design, designPath: string, models: DieModels, modelsPath: string): void {
  if (models.design_hash === design.hash && models.die_seed === design.config.seed) return;
  throw new ConfigError(
    `${modelsPath} was fitted for ${describeDie(models)} but ${designPath} describes ${describeDie({ design_hash: design.hash, die_seed: design.config.seed })}: ` +
      'the run folder mixes two dies; characterize it again (codesign characterize --out <folder>) or use the folder the models came from',
  );
}

/** The run folder's design.json (when it has one), checked against models.json. */
export function checkRunDesign(dir: string, models: DieModels, modelsPath: string): Design | undefined {
  const designPath = join(resolve(dir), 'design.json');
  if (!existsSync(designPath)) return undefined;
  const design = resolveDesign(readRunJson(dir, 'design.json', ''), designPath);
  checkModelsForDesign(design, designPath, models, modelsPath);
  return design;
}

/** The record a weights file carries, or null when it has none (hand-written codes, older files). */
function trainedFor(raw: unknown): TrainedFor | null {
  const w = raw as Partial<TrainedFor> | null;
  if (!w || typeof w.design_hash !== 'string' || typeof w.die_seed !== 'number' || typeof w.models_hash !== 'string') return null;
  return { design_hash: w.design_hash, die_seed: w.die_seed, models_hash: w.models_hash };
}

export interface RunWeights {
  /** The parsed JSON of the weights file (validate it with weightsSchema or checkCodes). */
  raw: unknown;
  /** Its absolute path. */
  path: string;
  source: WeightsSource;
  /** For the user, when the weights are deployed on purpose on another die or models. */
  note?: string;
}

/**
 * The weights to deploy on the die of a run folder: `explicit` (a file given on purpose,
 * `--weights`), or else the folder's weights.json, which must record that it was trained for
 * this die (design hash, die seed) and, when the folder has models.json, these models
 * (models_hash). Anything else is a ConfigError naming both dies.
 */
export function readRunWeights(dir: string, die: DieIdentity, explicit?: string): RunWeights {
  const run = resolve(dir);
  const path = resolve(explicit ?? join(run, 'weights.json'));
  const { raw, sha256 } = readHashedJson(path, explicit ? `--weights: ${path} not found` : `${path} not found: run codesign train --run ${run} first`);
  const here = die;
  const population = populationOf(raw);
  if (population) return populationWeights(run, path, raw, sha256, population, here, !!explicit);
  const record = trainedFor(raw);
  const sameDie = !!record && record.design_hash === here.design_hash && record.die_seed === here.die_seed;
  const sameModels = sameDie && (here.models_hash === undefined || record!.models_hash === here.models_hash);
  const condition = sameModels || !record ? undefined : conditionOfFolder(run, here);
  const atCondition = !!condition && record!.die_seed === here.die_seed && record!.design_hash === condition.trained_at.design_hash;
  if (!explicit && !sameModels && !atCondition) {
    const onPurpose = `retrain for this die (codesign train --run ${run}); to deploy those weights on this die on purpose, give them to codesign verify or codesign netlist network as --weights ${path}`;
    if (!record) throw new ConfigError(`${path} does not record the die it was trained for (design_hash, die_seed, models_hash), so it cannot be checked against ${run}, ${describeDie(here)}: ${onPurpose}`);
    if (!sameDie) throw new ConfigError(`${path} was trained for ${describeDie(record)} but ${run} holds ${describeDie(here)}: ${onPurpose}`);
    throw new ConfigError(`${path} was trained on other models of ${describeDie(record)} than ${join(run, 'models.json')} (sha256 ${short(here.models_hash!)}), fitted since: ${onPurpose}`);
  }
  const rel = relative(run, path);
  const file = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  const source: WeightsSource = { file, sha256, trained_for: record, cross_die: !sameModels && !atCondition };
  let note: string | undefined;
  if (atCondition) {
    const { design_hash: _hash, ...trainedAt } = condition.trained_at;
    source.cross_condition = { trained_at: trainedAt, deployed_at: condition.condition };
    note = `weights ${path} were trained for ${describeDie(record!)} at ${describePoint(trainedAt)}; deployed on the same die at ${describePoint(condition.condition)} (${join(run, 'condition.json')})`;
  } else if (!sameModels) note = `weights ${path} ${record ? `were trained for ${describeDie(record)}` : 'record no die they were trained for'}; deployed on ${describeDie(here)} as asked (--weights)`;
  return { raw, path, source, note };
}

/**
 * The folder's condition.json, checked against its design.json (the same die at the recorded
 * condition), when the folder has one and holds the die `here`; else undefined.
 */
function conditionOfFolder(run: string, here: DieIdentity): ConditionRecord | undefined {
  const path = join(run, 'condition.json');
  const designPath = join(run, 'design.json');
  if (!existsSync(path) || !existsSync(designPath)) return undefined;
  const design = resolveDesign(readRunJson(run, 'design.json', ''), designPath);
  if (design.hash !== here.design_hash || design.config.seed !== here.die_seed) return undefined;
  return checkCondition(readHashedJson(path, `${path} not found`).raw, path, design, designPath);
}

/** The population a weights file records it was trained over, or null (codes of one die). */
function populationOf(raw: unknown): { design_hash: string; dies: number[]; virtual_dies: number } | null {
  const w = raw as { design_hash?: unknown; population?: { dies?: { die_seed?: unknown }[]; virtual_dies?: unknown } } | null;
  const p = w?.population;
  if (!p || typeof w!.design_hash !== 'string' || !Array.isArray(p.dies) || !p.dies.every((d) => typeof d?.die_seed === 'number')) return null;
  return { design_hash: w!.design_hash, dies: p.dies.map((d) => d.die_seed as number), virtual_dies: typeof p.virtual_dies === 'number' ? p.virtual_dies : 0 };
}

/**
 * Population codes deploy on any die of the design they were trained for, as the folder's
 * weights.json or as --weights: they depend on no die's models. A die of another design
 * (other sizes, PDK, network) is a mix-up and refused unless given on purpose (--weights).
 */
function populationWeights(run: string, path: string, raw: unknown, sha256: string, p: NonNullable<ReturnType<typeof populationOf>>, here: DieIdentity, explicit: boolean): RunWeights {
  const sameDesign = p.design_hash === here.design_hash;
  const over = `dies ${p.dies.join(', ')} of design ${p.design_hash}${p.virtual_dies ? ` (${p.virtual_dies} virtual dies sampled from their fitted model)` : ''}`;
  if (!sameDesign && !explicit)
    throw new ConfigError(`${path} holds population codes trained over ${over}, but ${run} holds ${describeDie(here)} of another design: train population codes for this design (codesign train --strategy robust), or give them as --weights ${path} to deploy them on purpose`);
  const rel = relative(run, path);
  const file = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  const held_out = !p.dies.includes(here.die_seed);
  const source: WeightsSource = { file, sha256, trained_for: null, cross_die: !sameDesign, population: { dies: p.dies, virtual_dies: p.virtual_dies, held_out } };
  const note = sameDesign
    ? held_out ? undefined : `population codes ${path} were trained over ${over}, which include this die: it is not held out`
    : `population codes ${path} were trained over ${over}; deployed on ${describeDie(here)} of another design as asked (--weights)`;
  return { raw, path, source, note };
}

/** The `provenance` record of a result computed on a run folder's die with these weights. */
export function provenanceOf(design: Design, modelsHash: string, weights: WeightsSource): Provenance {
  return { design_hash: design.hash, die_seed: design.config.seed, models_hash: modelsHash, weights };
}
