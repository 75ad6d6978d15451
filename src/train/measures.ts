/**
 * What the baselines' report needs of each trained network (loss and accuracy on a split, the
 * currents on the training split), named so that a trainer thread can compute them right after
 * its training, while the other thread still trains, instead of the main thread computing them
 * all after the last training. The same pure functions either way, so the same numbers.
 */
import type { Split } from '../data/index.js';
import type { DeviceNet } from './device.js';
import { currentStats, type CurrentRange, type CurrentStats } from './scale.js';
import { evaluate } from './train.js';

export type MeasureSplit = 'train' | 'val' | 'test';

/** Loss and accuracy of the trained weights on a split, or their currents on the training split (quantized: through the codes). */
export type Measure =
  | { kind: 'eval'; devices: 'nominal' | 'die'; quantized: boolean; split: MeasureSplit; logitScale: number }
  | { kind: 'currents'; devices: 'nominal' | 'die'; quantized: boolean };

export type MeasureValue = { loss: number; accuracy: number } | CurrentStats;

/** A measure's key: equal measures of one training are computed once. */
export const measureKey = (m: Measure): string => (m.kind === 'eval' ? `eval ${m.devices} ${m.quantized} ${m.split} ${m.logitScale}` : `currents ${m.devices} ${m.quantized}`);

/** What the measures run on: both networks, the splits, the characterized range and the input scale. */
export interface MeasureContext {
  nets: Record<'nominal' | 'die', DeviceNet>;
  data: Record<MeasureSplit, Split>;
  range: CurrentRange;
  inputScale: number;
}

/** Every measure of one trained network, by key. */
export function measureAll(ctx: MeasureContext, weights: Float64Array[], measures: Measure[]): Record<string, MeasureValue> {
  const out: Record<string, MeasureValue> = {};
  for (const m of measures) {
    const key = measureKey(m);
    if (key in out) continue;
    const net = ctx.nets[m.devices];
    out[key] = m.kind === 'eval' ? evaluate(net, weights, m.quantized, ctx.data[m.split], m.logitScale) : currentStats(net, weights, m.quantized, ctx.data.train, ctx.inputScale, ctx.range);
  }
  return out;
}
