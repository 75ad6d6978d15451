import { loadIris } from '../../src/data/index.js';
import { DEFAULT_RANGE, currentStats, defaultTrainOptions, deviceNet, evaluate, kernelModule, syntheticModels, trainAcross, trainOverDies } from '../../src/train/index.js';
import type { DieModels } from '../../src/fit/index.js';

const iris = loadIris();
const opts = { ...defaultTrainOptions('iris'), seed: 1 };

/** A strongly mismatched synthetic Iris die (30 % lognormal on soma gains and every synapse bit gain), as in train.test.ts. */
const dieOf = (seed: number) => syntheticModels({ layers: [4, 10, 3], seed, somaSpread: 0.3, bitSpread: [0.3, 0.3, 0.3] });

/**
 * The die at another temperature, in the weak-inversion picture: a device's deviation from its
 * nominal current, exp(dVt / (n kT/q)), raised to T_run / T (more spread cold, less hot), and
 * the p- and n-side mirrors' gains moving apart by `skew` (synapse gains of one sign up, the
 * other down). Cold: T_run / T = 300 / 233; hot: 300 / 398; skew 1.15.
 */
function atTemperature(m: DieModels, k: number, skew: number): DieModels {
  const nominal = syntheticModels({ layers: m.layers, seed: m.die_seed, somaSpread: 0, bitSpread: [0, 0, 0] });
  const pow = (x: number, x0: number) => x0 * (x / x0) ** k;
  return {
    ...m,
    somas: m.somas.map((s, l) => ({ ...s, a: s.a.map((a, j) => pow(a, nominal.somas[l].a[j])) })),
    synapses: m.synapses.map((w, l) => ({
      ...w,
      gain_pos: w.gain_pos.map((g, q) => skew * pow(g, nominal.synapses[l].gain_pos[q])),
      gain_neg: w.gain_neg.map((g, q) => pow(g, nominal.synapses[l].gain_neg[q]) / skew),
    })),
  };
}

const accuracy = (w: Float64Array[], m: DieModels) => evaluate(deviceNet(m), w, true, iris.test, 1).accuracy;

describe('training one code set over several models (multi.ts)', () => {
  it('the loss is the mean over the models: two copies of one model train exactly as the model alone; the same seed gives the same codes', async () => {
    const die = dieOf(1), net = deviceNet(die), module = await kernelModule();
    const member = { net, logitScale: 6 };
    const o = { ...opts, epochs: 30, patience: 30, quantized: true };
    const one = trainAcross(module, [member], iris, o);
    const two = trainAcross(module, [member, { ...member }], iris, o);
    expect(two.weights).toEqual(one.weights);
    expect(two.curve).toEqual(one.curve);
    expect(trainAcross(module, [member], iris, o).codes).toEqual(one.codes);
    const other = { net: deviceNet(syntheticModels({ layers: [4, 5, 3], seed: 2 })), logitScale: 6 };
    expect(() => trainAcross(module, [member, other], iris, o)).toThrow(/networks 4-5-3 and 4-10-3 differ/);
  });

  it('condition-aware codes (trained over cold, run and hot models) are at least as accurate as codes trained at the run\'s condition only, at the extreme temperatures', async () => {
    const rows: { nominalOnly: number[]; conditions: number[] }[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const die = dieOf(seed), cold = atTemperature(die, 300 / 233, 1 / 1.15), hot = atTemperature(die, 300 / 398, 1.15);
      // The effect is there: the run's models and the extremes differ device by device.
      expect(hot.synapses[0].gain_pos[0]).not.toBeCloseTo(die.synapses[0].gain_pos[0], 3);
      const nominalOnly = (await trainOverDies([die], iris, opts)).result.weights;
      const trained = (await trainOverDies([cold, die, hot], iris, opts)).result, overConditions = trained.weights;
      // Both phases ran (code units, then the range phase), and the codes keep the soma inputs in the characterized range at every
      // condition: the range phase takes an epoch in range at all three when there is one, else the least beyond (die 5 at hot:
      // no epoch in range, the best 0.06 % beyond), hence 1 % of slack.
      expect(trained.phases?.length).toBe(2);
      for (const m of [cold, die, hot]) for (const r of currentStats(deviceNet(m), overConditions, true, iris.train, m.input_scale, DEFAULT_RANGE).limit_ratio_p99) expect(r).toBeLessThanOrEqual(1.01);
      rows.push({ nominalOnly: [cold, hot].map((m) => accuracy(nominalOnly, m)), conditions: [cold, hot].map((m) => accuracy(overConditions, m)) });
    }
    // Over the dies (30 test samples each, so one die's accuracy moves in steps of 3.3 points):
    // the mean of the worse extreme, and each extreme's mean, at least as good.
    const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
    expect(mean((r) => Math.min(...r.conditions))).toBeGreaterThanOrEqual(mean((r) => Math.min(...r.nominalOnly)));
    for (const k of [0, 1]) expect(mean((r) => r.conditions[k])).toBeGreaterThanOrEqual(mean((r) => r.nominalOnly[k]));
  }, 300_000);

  it('started also from the codes trained at the run\'s condition, the range phase over the conditions keeps the better start: never behind those codes on validation', async () => {
    const starts: string[] = [];
    for (const seed of [1, 2, 3]) {
      const die = dieOf(seed), models = [atTemperature(die, 300 / 233, 1 / 1.15), die, atTemperature(die, 300 / 398, 1.15)];
      const meanVal = (w: Float64Array[]) => models.reduce((s, m) => s + evaluate(deviceNet(m), w, true, iris.val, opts.logitScale).accuracy, 0) / models.length;
      const inRange = (w: Float64Array[]) => models.every((m) => currentStats(deviceNet(m), w, true, iris.train, m.input_scale, DEFAULT_RANGE).in_range);
      const runCodes = (await trainOverDies([die], iris, opts)).result.weights.map((w) => w.map(Math.round));
      const plain = await trainOverDies(models, iris, opts);
      const started = await trainOverDies(models, iris, { ...opts, start: runCodes });
      starts.push(started.range_phase_start!);
      // The first phase is the same; the kept range phase is the plain one's or the one from the run's codes, whichever stands better.
      if (started.range_phase_start === 'first phase') expect(started.result.weights).toEqual(plain.result.weights);
      for (const rival of [runCodes, plain.result.weights])
        if (inRange(rival)) {
          expect(inRange(started.result.weights)).toBe(true);
          expect(meanVal(started.result.weights)).toBeGreaterThanOrEqual(meanVal(rival));
        }
    }
    expect(starts).toContain('start'); // the run's codes won somewhere: the comparison above is not only the plain training against itself
  }, 300_000);
});
