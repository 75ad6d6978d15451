import type { DieModels } from '../fit/models.js';
import { ConfigError } from '../util/errors.js';

/**
 * The die as the trainer sees it: every device's fitted parameters in units of the input
 * scale (currents divided by models.input_scale), so activations and thresholds are O(1).
 *
 *   soma:    h = a * max(0, u - t)            (relu)
 *            h = a * s * ln(1 + exp((u - t)/s))  (softplus, when s is given)
 *   synapse: I = sign(c) * sum_b bit_b(|c|) * g_b * h * (1 + d_b * ln h),  c in -7..7
 *            gains g and log slopes d per bit b = (4, 2, 1) and sign, row-major [i][j][b].
 */
export interface SomaLayer {
  a: Float64Array;
  t: Float64Array;
  s?: Float64Array;
}

export interface SynapseLayer {
  rows: number;
  cols: number;
  gPos: Float64Array;
  gNeg: Float64Array;
  dPos: Float64Array;
  dNeg: Float64Array;
}

export interface DeviceNet {
  layers: number[];
  somas: SomaLayer[];
  synapses: SynapseLayer[];
}

/** The die's own devices, from its models.json. */
export function deviceNet(m: DieModels): DeviceNet {
  const u = m.input_scale;
  return {
    layers: [...m.layers],
    somas: m.somas.map((s, k) => {
      if (m.soma_model === 'softplus' && s.s?.length !== s.a.length)
        throw new ConfigError(`models.json: somas.${k}.s: soma_model "softplus" needs a width s for each of the ${s.a.length} somas, got ${s.s?.length ?? 'none'}`);
      return {
        a: Float64Array.from(s.a),
        t: Float64Array.from(s.t, (t) => t / u),
        s: m.soma_model === 'softplus' ? Float64Array.from(s.s!, (v) => v / u) : undefined,
      };
    }),
    synapses: m.synapses.map((w) => ({
      rows: w.rows,
      cols: w.cols,
      gPos: Float64Array.from(w.gain_pos),
      gNeg: Float64Array.from(w.gain_neg),
      dPos: Float64Array.from(w.dlog_pos),
      dNeg: Float64Array.from(w.dlog_neg),
    })),
  };
}

export function median(xs: ArrayLike<number>): number {
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median gain of each bit (4, 2, 1) at one sign over every synapse of the die. */
export function medianGains(m: DieModels, key: 'gain_pos' | 'gain_neg'): [number, number, number] {
  const bit = (b: number) => median(m.synapses.flatMap((w) => w[key].filter((_, k) => k % 3 === b)));
  return [bit(0), bit(1), bit(2)];
}

/**
 * Nominal devices of the same network: every parameter at the die's median, without spread.
 * Each soma layer's a and t are the die's median for that layer (ReLU); every synapse has the
 * die's median gain per bit and sign, linear (d = 0). So the ideal networks see the die's
 * scale of currents, and meet the characterized range (scale.ts) in the same units as the die;
 * a threshold t below 0 (the somas' offset, about -1 nA) also keeps a soma whose input codes
 * are all 0 from a zero gradient.
 */
export function nominalNet(m: DieModels): DeviceNet {
  const gp = medianGains(m, 'gain_pos');
  const gn = medianGains(m, 'gain_neg');
  const tile = (g: number[], n: number) => Float64Array.from({ length: n * 3 }, (_, k) => g[k % 3]);
  return {
    layers: [...m.layers],
    somas: m.somas.map((s) => ({ a: new Float64Array(s.a.length).fill(median(s.a)), t: new Float64Array(s.t.length).fill(median(s.t) / m.input_scale) })),
    synapses: m.synapses.map((w) => ({
      rows: w.rows,
      cols: w.cols,
      gPos: tile(gp, w.rows * w.cols),
      gNeg: tile(gn, w.rows * w.cols),
      dPos: new Float64Array(w.rows * w.cols * 3),
      dNeg: new Float64Array(w.rows * w.cols * 3),
    })),
  };
}
