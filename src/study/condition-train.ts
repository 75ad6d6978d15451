/**
 * `codesign train --conditions temperature=0,27,85,vdd=1.62,1.8`: the run's die characterized
 * at each listed condition by `condition-models` jobs on an executor (the condition folders
 * codesign pvt uses, `<run>/pvt/<condition>/` by default), then one code set trained over
 * those models (src/train/conditions.ts). This module owns the condition list's syntax and
 * the hand-over from the study stage to the trainer.
 */
import { resolve } from 'node:path';
import type { InputReference } from '../design/index.js';
import type { EngineName } from '../spice/index.js';
import { trainRunOverConditions, type TrainConditionsOptions, type TrainConditionsResult } from '../train/index.js';
import { ConfigError } from '../util/errors.js';
import type { ExecutorProgress, Executor } from './executor.js';
import { characterizeConditions, conditionGrid, readRunDie, type Condition, type GridOptions } from './pvt.js';

const KEYS = { temperature: 'temperatures', vdd: 'vdds', corner: 'corners' } as const;

/**
 * Parses `temperature=0,27,85,vdd=1.62,1.8,corner=tt,ss`: each `key=` starts a list, the
 * values after it (comma-separated) are its own. Every combination is a condition; a key left
 * out stays at the run's value.
 */
export function parseConditions(spec: string): Pick<GridOptions, 'temperatures' | 'vdds' | 'corners'> {
  const out: { temperatures?: number[]; vdds?: number[]; corners?: string[] } = {};
  let key: keyof typeof KEYS | undefined;
  const example = 'e.g. temperature=0,27,85 or temperature=0,85,vdd=1.62,1.98';
  for (const raw of spec.split(',').map((s) => s.trim())) {
    let value = raw;
    const m = /^([a-z_]+)=(.*)$/.exec(raw);
    if (m) {
      if (!(m[1] in KEYS)) throw new ConfigError(`--conditions: unknown key "${m[1]}" (known: ${Object.keys(KEYS).join(', ')}); ${example}`);
      key = m[1] as keyof typeof KEYS;
      if (out[KEYS[key]]) throw new ConfigError(`--conditions: ${key} is given twice`);
      out[KEYS[key]] = [];
      value = m[2];
    }
    if (!key) throw new ConfigError(`--conditions: "${raw}" comes before any key; ${example}`);
    if (value === '') throw new ConfigError(`--conditions: an empty value in "${spec}"; ${example}`);
    if (key === 'corner') out.corners!.push(value);
    else {
      const x = Number(value);
      if (!Number.isFinite(x)) throw new ConfigError(`--conditions: ${key} "${value}" is not a number; ${example}`);
      (out[KEYS[key]] as number[]).push(x);
    }
  }
  if (!key) throw new ConfigError(`--conditions: no condition given; ${example}`);
  return out;
}

export interface TrainOverConditionsOptions extends Omit<TrainConditionsOptions, 'inputReference'> {
  run: string;
  /** The condition list (`parseConditions`). */
  conditions: string;
  input?: InputReference;
  engine: EngineName;
  cache?: boolean;
  timeoutS?: number;
  executor: Executor;
  /** Where the condition folders go, the executor's root (default `<run>/pvt`, shared with codesign pvt). */
  study?: string;
  onProgress?: (p: ExecutorProgress) => void;
}

/** The listed conditions only (conditionGrid adds the run's own when it is not listed). */
export function listedConditions(o: Pick<TrainOverConditionsOptions, 'conditions' | 'input'>, design: Parameters<typeof conditionGrid>[0]): Condition[] {
  const lists = parseConditions(o.conditions);
  const grid = conditionGrid(design, { ...lists, form: 'full', input: o.input });
  const listed = (xs: (number | string)[] | undefined, v: number | string, own: number | string) => (xs ? xs.includes(v) : v === own);
  const here = grid.find((c) => c.nominal)!.point;
  return grid.filter((c) => listed(lists.temperatures, c.point.temperature, here.temperature) && listed(lists.vdds, c.point.vdd, here.vdd) && listed(lists.corners, c.point.corner, here.corner));
}

/** Characterizes the run's die at each listed condition (jobs on `executor`), then trains one code set over them. */
export async function trainOverConditions(o: TrainOverConditionsOptions): Promise<TrainConditionsResult & { conditions: Condition[] }> {
  const die = readRunDie(o.run);
  const conditions = listedConditions(o, die.design);
  const study = resolve(o.study ?? resolve(die.dir, 'pvt'));
  const models = await characterizeConditions({ run: die.dir, conditions, engine: o.engine, cache: o.cache, timeoutS: o.timeoutS, input: o.input, executor: o.executor, out: study, onProgress: o.onProgress });
  const r = await trainRunOverConditions(
    die.dir,
    models.map((m) => ({ name: m.condition.name, point: m.condition.point, models: m.models, models_hash: m.models_hash })),
    { ...o, inputReference: o.input ?? 'fixed' },
  );
  return { ...r, conditions };
}
