/**
 * Operating conditions of one die: temperature, supply, process corner and the input current
 * scale are what a chip meets after it was characterized, so they are the only fields a
 * condition changes. `atOperatingPoint` moves a design there; the mismatch draws are keyed by
 * (die seed, instance path) and sized by the devices alone (src/mismatch), so the die stays
 * the same die. `condition.json` marks a run-like folder as the run's die at another
 * condition: the provenance checks (src/train/provenance.ts) then accept the run's codes there
 * as a cross-condition deployment and record it.
 */
import { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import { parseOrThrow } from '../util/zod.js';
import { resolveDesign, type Design } from './config.js';

/** Where a die operates: what changes between conditions of one die. */
export interface OperatingPoint {
  /** °C (the netlists' `.temp`). */
  temperature: number;
  /** Supply, V. */
  vdd: number;
  /** Process corner: a corner of the PDK descriptor. */
  corner: string;
  /** Input current for a feature value of 1.0, A. */
  input_scale: number;
}

/** How the input currents follow the temperature: a fixed external reference, or proportional to absolute temperature. */
export type InputReference = 'fixed' | 'ptat';

const KELVIN = 273.15;

/** The operating point a design describes. */
export function operatingPoint(design: Design): OperatingPoint {
  const c = design.config;
  return { temperature: c.temperature, vdd: design.vdd, corner: c.corner, input_scale: c.input_scale };
}

/**
 * The input scale at `temperature`: the nominal one for a fixed reference; for a PTAT
 * reference, scaled by the ratio of absolute temperatures to the nominal one.
 */
export function inputScaleAt(nominal: OperatingPoint, temperature: number, reference: InputReference): number {
  if (reference === 'fixed') return nominal.input_scale;
  if (!(temperature + KELVIN > 0)) throw new ConfigError(`temperature ${temperature} °C is at or below absolute zero`);
  return Number((nominal.input_scale * ((temperature + KELVIN) / (nominal.temperature + KELVIN))).toPrecision(12));
}

/** The same die at another operating point (every other field, the die seed included, unchanged). */
export function atOperatingPoint(design: Design, p: OperatingPoint, source = 'design'): Design {
  return resolveDesign({ ...design.config, temperature: p.temperature, vdd: p.vdd, corner: p.corner, input_scale: p.input_scale }, source);
}

/** A short, file-name-safe name of an operating point: `t85c_1.8v_tt` (`_ptat` when the inputs follow the temperature). */
export function conditionName(p: Pick<OperatingPoint, 'temperature' | 'vdd' | 'corner'>, reference: InputReference = 'fixed'): string {
  return `t${p.temperature}c_${p.vdd}v_${p.corner}${reference === 'ptat' ? '_ptat' : ''}`;
}

/** `85 °C, 1.8 V, tt` */
export function describePoint(p: Pick<OperatingPoint, 'temperature' | 'vdd' | 'corner'>): string {
  return `${p.temperature} °C, ${p.vdd} V, ${p.corner}`;
}

const pointSchema = z.object({ temperature: z.number(), vdd: z.number().positive(), corner: z.string().min(1), input_scale: z.number().positive() });

export const CONDITION_FORMAT = 'codesign-condition/1';

/**
 * condition.json: this folder holds the die of a run at another operating point. `trained_at`
 * is the run's own point and its design hash: weights trained for that design hash and this
 * die seed are the run's codes, deployed here on purpose.
 */
export const conditionSchema = z.object({
  format: z.literal(CONDITION_FORMAT),
  name: z.string(),
  condition: pointSchema,
  input_reference: z.enum(['fixed', 'ptat']),
  trained_at: pointSchema.extend({ design_hash: z.string() }),
  /** The run folder, relative to this folder. */
  run: z.string(),
});

export type ConditionRecord = z.infer<typeof conditionSchema>;

export function conditionRecord(name: string, design: Design, nominal: Design, reference: InputReference, run: string): ConditionRecord {
  return { format: CONDITION_FORMAT, name, condition: operatingPoint(design), input_reference: reference, trained_at: { ...operatingPoint(nominal), design_hash: nominal.hash }, run };
}

/**
 * Checks a condition.json against the folder's design: the design is at the recorded
 * condition, and the same design at `trained_at` has the recorded design hash (the same die,
 * every non-operating field unchanged). Returns the record; a mismatch is a ConfigError.
 */
export function checkCondition(raw: unknown, path: string, design: Design, designPath: string): ConditionRecord {
  const rec = parseOrThrow(conditionSchema, raw, path);
  const here = operatingPoint(design);
  const same = (a: OperatingPoint, b: OperatingPoint) => a.temperature === b.temperature && a.vdd === b.vdd && a.corner === b.corner && a.input_scale === b.input_scale;
  if (!same(here, rec.condition)) throw new ConfigError(`${path} records the condition ${describePoint(rec.condition)} but ${designPath} is at ${describePoint(here)}: the folder mixes two conditions`);
  const back = atOperatingPoint(design, rec.trained_at, designPath);
  if (back.hash !== rec.trained_at.design_hash)
    throw new ConfigError(`${path}: ${designPath} moved back to ${describePoint(rec.trained_at)} has design hash ${back.hash}, not the run's ${rec.trained_at.design_hash}: it is not the run's die at another condition`);
  return rec;
}
