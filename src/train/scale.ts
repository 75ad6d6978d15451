/**
 * The scale of a network, derived from its own device models, and the training settings that
 * follow from it; and the currents a trained network drives, against the range its devices
 * were characterized over.
 *
 * The somas are nearly homogeneous (t is about -1 nA), so multiplying every gain of a layer by
 * k multiplies that layer's currents by k and leaves the argmax alone. In code units a network
 * whose synapses have chain gain P (the product over weight layers of the mean excitatory gain
 * per code step times 7: 1 when code 7 passes its input current unchanged) is then the
 * unity-gain problem with its outputs multiplied by P. Initial weights in code units that do
 * not depend on the gains, and a logit scale divided by P, make training in code units the same
 * problem at every design point. The default cells have P close to 1, so they train as with a
 * fixed logit scale of 6 per unit of input_scale, which keeps their class currents near the
 * characterized range (SPICE agrees with the models). Measured on MNIST dies (docs/_incoming/
 * trainer.md): with the logit scale fixed in current units, a die with 3.3x the default gain per
 * code step (soma.l = 0.9u, synapse.w = 0.54u) trained aware codes below the naive ones; with
 * it divided by P, aware beats naive there too. The price of equal training is that such a die
 * drives currents about P times the default's, beyond the characterized range (training.json
 * records them). Including the somas' gains in P (the die's differ from the nominal a = 1)
 * trained the high-gain die a little better but pushed the default Iris die's class currents
 * far enough beyond the range that SPICE disagreed with the models on 1 test sample in 30.
 */
import type { Split } from '../data/index.js';
import { CODE_MAX, effective } from './codes.js';
import type { DeviceNet } from './device.js';
import { median } from './device.js';
import { forward, inputLayer } from './network.js';
import { quantileInPlace } from '../util/quantile.js';

export interface NetworkScale {
  /** Mean gain per code step of each weight layer, excitatory and inhibitory synapses. */
  gain_per_code: { pos: number; neg: number }[];
  /** Median gain a of each soma layer after the input. */
  soma_gain: number[];
  /** Product over weight layers of the mean excitatory gain per code step times 7. */
  chain_gain: number;
  /** logitReference / chain_gain: the logit scale this network trains with (per unit of input_scale). */
  logit_scale: number;
}

/** The scale of a network (a die's, or nominal devices) and its logit scale for a given reference. */
export function networkScale(net: DeviceNet, logitReference: number): NetworkScale {
  const gain_per_code = net.synapses.map((s) => {
    let p = 0, n = 0;
    for (let k = 0; k < s.gPos.length; k++) (p += s.gPos[k]), (n += s.gNeg[k]);
    return { pos: p / (s.rows * s.cols) / CODE_MAX, neg: n / (s.rows * s.cols) / CODE_MAX };
  });
  const soma_gain = net.somas.slice(1).map((s) => median(s.a));
  const chain_gain = gain_per_code.reduce((p, g) => p * g.pos * CODE_MAX, 1);
  return { gain_per_code, soma_gain, chain_gain, logit_scale: logitReference / chain_gain };
}

/**
 * Initial shadow weights in code units, the same for every design point: uniform on
 * [-r/2, 3r/2], r = 7 * sqrt(6 / fan-in) (He's scale for a synapse whose code 7 has unity
 * gain), clipped to +-7. Skewed positive on purpose: inputs are non-negative and there are no
 * biases, so zero-mean weights leave whole output neurons off for every sample, and an off
 * ReLU never learns (measured on Iris: with zero-mean weights 1 to 2 seeds in 3 stayed at chance).
 */
export function initScale(fanIn: number): number {
  return CODE_MAX * Math.sqrt(6 / fanIn);
}

/** The design defaults of characterize's sweeps: somas to 76 nA, synapse inputs to 80 nA. */
export const DEFAULT_RANGE: CurrentRange = { soma_max_a: 76e-9, synapse_input_max_a: 80e-9 };

/**
 * The range each weight layer's postsynaptic somas were characterized over, as the largest
 * soma input current u (units of input_scale): the soma sweep's end, and for hidden somas also
 * the synapse input range over the soma's gain a (its output feeds the next synapses).
 */
export function currentLimits(net: DeviceNet, range: CurrentRange, inputScale: number): number[][] {
  const last = net.synapses.length - 1;
  return net.synapses.map((_, k) => Array.from(net.somas[k + 1].a, (a) => (k === last ? range.soma_max_a : Math.min(range.soma_max_a, range.synapse_input_max_a / a)) / inputScale));
}

/**
 * The currents a trained network drives on a split, in A, against the characterized range.
 * In range (the criterion the trainer holds every network to): in every weight layer the 99th
 * percentile over samples and somas of u / limit is at most 1 (currentLimits: a soma's input
 * within the soma sweep, a hidden soma's output within the synapse sweep).
 */
export interface CurrentStats {
  /** Per soma layer after the input: 99th percentile and largest soma input current u, A. */
  soma_input_p99_a: number[];
  soma_input_max_a: number[];
  /** Per layer: 99th percentile of each soma input over its own limit (1 = at the limit). */
  limit_ratio_p99: number[];
  /** Share of soma inputs (samples x somas) above their limits, per layer. */
  above_range: number[];
  /** Every layer's limit_ratio_p99 <= 1. */
  in_range: boolean;
  /** Over samples: median and 90th percentile of the largest class current (output soma output a * u), A. */
  largest_class_current_median_a: number;
  largest_class_current_p90_a: number;
}

export interface CurrentRange {
  /** Largest soma input current characterized, A (characterize.soma_sweep.to). */
  soma_max_a: number;
  /** Largest presynaptic input current characterized for the synapses, A (characterize.synapse_sweep.to). */
  synapse_input_max_a: number;
}

/** Soma input and class currents of the network with these weights on a split (float64 reference forward). */
export function currentStats(net: DeviceNet, weights: Float64Array[], quantized: boolean, split: Split, inputScale: number, range: CurrentRange): CurrentStats {
  const W = weights.map((w, k) => effective(net.synapses[k], w, quantized));
  const tapes = forward(net, W, inputLayer(net, split.x, split.n), split.n);
  const C = net.layers[net.layers.length - 1], out = tapes[tapes.length - 1].out;
  const largest = Float64Array.from({ length: split.n }, (_, r) => Math.max(...out.subarray(r * C, (r + 1) * C)));
  const limits = currentLimits(net, range, inputScale);
  const ratios = tapes.map((t, k) => Float64Array.from(t.u, (v, q) => v / limits[k][q % limits[k].length]));
  const limit_ratio_p99 = ratios.map((r) => quantileInPlace(r, 0.99));
  return {
    soma_input_p99_a: tapes.map((t) => quantileInPlace(Float64Array.from(t.u), 0.99) * inputScale),
    soma_input_max_a: tapes.map((t) => t.u.reduce((m, v) => Math.max(m, v), -Infinity) * inputScale),
    limit_ratio_p99,
    above_range: ratios.map((r) => r.reduce((s, v) => s + (v > 1 ? 1 : 0), 0) / r.length),
    in_range: limit_ratio_p99.every((r) => r <= 1),
    largest_class_current_median_a: quantileInPlace(largest, 0.5) * inputScale,
    largest_class_current_p90_a: quantileInPlace(largest, 0.9) * inputScale,
  };
}
