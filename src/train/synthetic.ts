import { MODELS_FORMAT, type DieModels } from '../fit/models.js';
import { Stream } from '../mismatch/rng.js';

/**
 * Nominal device parameters of the default cells (GF180, 1.8 V), measured in SPICE: soma gain
 * and threshold, synapse gain per magnitude bit (4, 2, 1) and sign.
 */
export const NOMINAL = {
  soma_a: 1.163,
  soma_t: -1.4e-9,
  gain_pos: [0.592, 0.3, 0.151],
  gain_neg: [1.014, 0.51, 0.256],
  input_scale: 100e-9,
} as const;

export interface SyntheticDie {
  layers: number[];
  /** Seeds the device draws. */
  seed: number;
  /** Lognormal sigma of soma gains (0.15 = about 15 %). */
  somaSpread?: number;
  /** Standard deviation of soma thresholds, A. */
  thresholdSpread?: number;
  /** Lognormal sigma of the synapse bit gains, per bit (4, 2, 1), both signs. */
  bitSpread?: [number, number, number];
  /** Log slope d of every synapse (0: the linear model) and its standard deviation. */
  dlog?: number;
  dlogSpread?: number;
  /** Every synapse gain times this (a design point with more current per code step; default 1). */
  gainScale?: number;
  /** Nominal soma gain and threshold (default NOMINAL's). */
  a?: number;
  t?: number;
  soma_model?: 'relu' | 'softplus';
  /** Softplus width, A. */
  s?: number;
  input_scale?: number;
}

/**
 * A models.json object for a die with known parameters: nominal values with lognormal
 * spread, drawn from seeded streams (the same spec gives the same die).
 */
export function syntheticModels(spec: SyntheticDie): DieModels {
  const st = new Stream(`codesign/synthetic/${spec.seed}`);
  const a0 = spec.a ?? NOMINAL.soma_a, t0 = spec.t ?? NOMINAL.soma_t;
  const sa = spec.somaSpread ?? 0, stt = spec.thresholdSpread ?? 0, sb = spec.bitSpread ?? [0, 0, 0];
  const fit = (n: number) => ({ rms: new Array<number>(n).fill(0), r2: new Array<number>(n).fill(1) });
  const somas = spec.layers.map((n) => ({
    a: Array.from({ length: n }, () => a0 * Math.exp(sa * st.normal())),
    t: Array.from({ length: n }, () => t0 + stt * st.normal()),
    ...(spec.soma_model === 'softplus' ? { s: new Array<number>(n).fill(spec.s ?? 2e-9) } : {}),
    fit: fit(n),
  }));
  const k0 = spec.gainScale ?? 1;
  const gains = (nominal: readonly number[], n: number) => Array.from({ length: n * 3 }, (_, k) => k0 * nominal[k % 3] * Math.exp(sb[k % 3] * st.normal()));
  const dlog = (n: number) => Array.from({ length: n * 3 }, () => (spec.dlog ?? 0) + (spec.dlogSpread ?? 0) * st.normal());
  const synapses = spec.layers.slice(0, -1).map((rows, k) => {
    const cols = spec.layers[k + 1], n = rows * cols;
    return { rows, cols, gain_pos: gains(NOMINAL.gain_pos, n), gain_neg: gains(NOMINAL.gain_neg, n), dlog_pos: dlog(n), dlog_neg: dlog(n), fit: fit(n) };
  });
  return {
    format: MODELS_FORMAT,
    design_hash: `synthetic-${spec.seed}`,
    die_seed: spec.seed,
    pdk: 'synthetic',
    corner: 'tt',
    layers: [...spec.layers],
    input_scale: spec.input_scale ?? NOMINAL.input_scale,
    soma_model: spec.soma_model ?? 'relu',
    source: 'synthetic',
    somas,
    synapses,
  };
}
