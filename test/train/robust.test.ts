import { jest } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainCommand } from '../../src/cli/train-command.js';
import { head, loadIris, loadMnist, withBiasInput, type Dataset } from '../../src/data/index.js';
import type { DieModels } from '../../src/fit/index.js';
import {
  accuracyOnDies,
  defaultTrainOptions,
  deviceNet,
  fitPopulation,
  initialWeights,
  inputLayer,
  kernelModule,
  TrainEngine,
  heldOutAccuracy,
  nominalNet,
  parsePopulation,
  readRunWeights,
  sampleDie,
  syntheticModels,
  train,
  trainDieBatches,
  weightsSchema,
  type RobustRunResult,
  type SyntheticDie,
} from '../../src/train/index.js';
import { tempDir } from '../helpers.js';

/** Dies of one synthetic design with the spread of SPICE-characterized dies, and their log compression (d about -0.06). */
const die = (layers: number[], seed: number, spread = 1): DieModels => {
  const spec: SyntheticDie = { layers, seed, somaSpread: 0.2 * spread, thresholdSpread: 0.3e-9, bitSpread: [0.17 * spread, 0.22 * spread, 0.28 * spread], dlog: -0.06, dlogSpread: 0.015 };
  return { ...syntheticModels(spec), design_hash: 'synthetic-design' };
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const irisData = withBiasInput(loadIris());
const irisOpts = { ...defaultTrainOptions('iris'), seed: 1 };

/**
 * Dies with each soma's threshold tied to its gain (t = -2 nA * ln a + noise), and each
 * hidden soma's outgoing synapses scaled by 1/a (a row effect), as the circuit ties them.
 */
function correlatedDie(seed: number): DieModels {
  const m = die([5, 40, 3], seed);
  for (const s of m.somas) s.t = s.a.map((a, i) => -2e-9 * Math.log(a) + 0.05e-9 * Math.sin(7 * i + seed));
  const w = m.synapses[1];
  for (const key of ['gain_pos', 'gain_neg'] as const) w[key] = w[key].map((g, q) => g / m.somas[1].a[Math.floor(q / 3 / w.cols)]);
  return m;
}

/** Correlation of two equally long lists. */
function corr(x: number[], y: number[]): number {
  const mx = mean(x), my = mean(y);
  return mean(x.map((v, i) => (v - mx) * (y[i] - my))) / Math.sqrt(mean(x.map((v) => (v - mx) ** 2)) * mean(y.map((v) => (v - my) ** 2)));
}

/** ln of each row's mean bit-4 gain at the positive sign. */
const rowGain = (m: DieModels, k: number) => {
  const w = m.synapses[k];
  return Array.from({ length: w.rows }, (_, i) => Math.log(mean(Array.from({ length: w.cols }, (_, j) => w.gain_pos[(i * w.cols + j) * 3]))));
};

describe('population model', () => {
  it('keeps the correlations of the cells: gain and threshold of a soma, a soma and its row of synapses', () => {
    const dies = [1, 2, 3, 4].map(correlatedDie);
    const pop = fitPopulation(dies.map((models, k) => ({ models, hash: `h${k}`, path: `die${k}` })));
    expect(pop.dies.map((d) => d.die_seed)).toEqual([1, 2, 3, 4]);
    expect(pop.somas[1].params.slice(0, 3)).toEqual(['ln a', 't/input_scale', 'row ln g+4']); // a hidden soma with its row's synapses
    expect(pop.somas[2].params).toEqual(['ln a', 't/input_scale']); // an output soma: no row
    expect(pop.somas[1].correlation[0][1]).toBeLessThan(-0.95);
    expect(pop.synapses[0].std[0]).toBeCloseTo(0.17, 1); // the dies' lognormal sigma of bit 4
    const v = sampleDie(pop, 1, 0);
    expect(corr(v.somas[1].a.map(Math.log), v.somas[1].t)).toBeLessThan(-0.9);
    // The row effect: a hidden soma's outgoing synapses follow 1/a on the dies and on the virtual die.
    expect(corr(dies[0].somas[1].a.map(Math.log), rowGain(dies[0], 1))).toBeLessThan(-0.7);
    expect(corr(v.somas[1].a.map(Math.log), rowGain(v, 1))).toBeLessThan(-0.7);
    expect(Math.abs(corr(v.somas[0].a.map(Math.log), rowGain(v, 0)))).toBeLessThan(0.6); // the input somas' rows: no such tie
    // Control: the synthetic dies' synapse bits are independent, and so are the virtual die's.
    const refit = fitPopulation([{ models: v, hash: 'v', path: 'virtual' }]);
    expect(Math.abs(refit.synapses[0].correlation[0][1])).toBeLessThan(0.15);
    expect(refit.synapses[0].std[0]).toBeCloseTo(pop.synapses[0].std[0], 1);
  });

  it('refuses dies of two designs, a die given twice, and virtual:N without dies', () => {
    const a = { models: die([5, 10, 3], 1), hash: 'a', path: 'a' };
    expect(() => fitPopulation([a, { models: { ...die([5, 10, 3], 2), design_hash: 'other' }, hash: 'b', path: 'b' }])).toThrow(/a population is one design's dies/);
    expect(() => fitPopulation([a, { ...a, path: 'again' }])).toThrow('population: die 1 is given twice (a and again)');
    expect(() => parsePopulation(['virtual:8'])).toThrow(/name the run folders/);
    expect(parsePopulation(['runs/a,runs/b', 'virtual:8'])).toEqual({ runs: ['runs/a', 'runs/b'], virtual: 8 });
    expect(() => parsePopulation(['runs/a', 'virtual:0'])).toThrow(/virtual:N with N a whole number >= 1/);
  });

  it('samples the same virtual die for the same statistics, seed and index', () => {
    const pop = fitPopulation([1, 2].map((s) => ({ models: die([5, 10, 3], s), hash: String(s), path: String(s) })));
    expect(sampleDie(pop, 3, 7)).toEqual(sampleDie(pop, 3, 7));
    expect(sampleDie(pop, 3, 7).synapses[0].gain_pos).not.toEqual(sampleDie(pop, 3, 8).synapses[0].gain_pos);
    expect(sampleDie(pop, 3, 7).synapses[0].gain_pos).not.toEqual(sampleDie(pop, 4, 7).synapses[0].gain_pos);
  });
});

describe('robust training (one code set over a population)', () => {
  it('an engine moved to another die computes what an engine built on that die computes', async () => {
    const module = await kernelModule();
    const a = deviceNet(die([5, 10, 3], 1)), b = deviceNet(die([5, 10, 3], 2));
    const W = initialWeights(a, 1), x = irisData.test.x.subarray(0, 10 * 5);
    const run = (e: InstanceType<typeof TrainEngine>, net: typeof a) => {
      e.setInputs(inputLayer(net, x, 10), 10);
      e.forward(10);
      return Array.from(e.out.subarray(0, 30));
    };
    const built = (net: typeof a) => {
      const e = new TrainEngine(module, net, true, {}, 10);
      e.setWeights(W);
      return run(e, net);
    };
    const e = new TrainEngine(module, a, true, {}, 10);
    e.setWeights(W);
    const onA = run(e, a);
    expect(onA).toEqual(built(a));
    e.setDevices(b);
    expect(run(e, b)).toEqual(built(b));
    expect(run(e, b)).not.toEqual(onA);
    e.setDevices(a);
    expect(run(e, a)).toEqual(onA);
    e.setDevices(b); // from the engine's cache of b's devices
    expect(run(e, b)).toEqual(built(b));
  });

  it('beats the naive codes on held-out dies', async () => {
    const m = loadMnist();
    const data: Dataset = { ...m, train: head(m.train, 1000, 196), val: head(m.val, 300, 196), test: head(m.test, 500, 196) };
    const L = [196, 20, 10], o = { ...defaultTrainOptions('mnist'), epochs: 30, seed: 1 };
    const trainDies = [101, 102, 103, 104].map((s) => die(L, s));
    const held = [1, 2, 3, 4, 5, 6, 7, 8].map((s) => die(L, s));
    const robust = await trainDieBatches(trainDies, data, o);
    const naive = await train(nominalNet(held[0]), data, { ...o, quantized: true }); // ideal codes: nominal devices
    const r = accuracyOnDies(robust.codes!, held, data.test), n = accuracyOnDies(naive.codes!, held, data.test);
    expect(mean(r)).toBeGreaterThan(mean(n) + 0.05);
    expect(r.filter((x, k) => x > n[k]).length).toBeGreaterThanOrEqual(6);
    expect(robust.batches_per_die.every((b) => b > 0)).toBe(true); // every training die was trained on
  });

  it('gives identical codes for the same seeds, other codes for another seed', async () => {
    const dies = [11, 12, 13].map((s) => die([5, 10, 3], s, 1.5));
    const a = await trainDieBatches(dies, irisData, irisOpts);
    const b = await trainDieBatches(dies, irisData, irisOpts);
    expect(b.codes).toEqual(a.codes);
    expect(b.curve).toEqual(a.curve);
    const c = await trainDieBatches(dies, irisData, { ...irisOpts, seed: 2 });
    expect(c.weights).not.toEqual(a.weights);
  });
});

/** Runs the command with stdout captured. */
async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return await f();
  } finally {
    spy.mockRestore();
  }
}

describe('codesign train --strategy robust', () => {
  const runWith = (m: DieModels) => {
    const dir = tempDir('codesign-robust-');
    writeFileSync(join(dir, 'models.json'), JSON.stringify(m) + '\n');
    return dir;
  };

  it('writes population codes that deploy on held-out dies of the design and are refused on another design', async () => {
    const runs = [21, 22, 23].map((s) => runWith(die([5, 10, 3], s, 1.5)));
    const out = tempDir('codesign-robust-out-');
    const r = (await quiet(() => trainCommand({ strategy: 'robust', population: [...runs, 'virtual:16'], out, epochs: 60 }))) as RobustRunResult;
    const w = weightsSchema.parse(JSON.parse(readFileSync(join(out, 'weights.json'), 'utf8')));
    expect(w.population).toMatchObject({ dies: [21, 22, 23].map((s) => ({ die_seed: s })), virtual_dies: 16, virtual_seed: 1 });
    expect(w.die_seed).toBeUndefined();
    const robust = JSON.parse(readFileSync(join(out, 'robust.json'), 'utf8'));
    expect(robust).toMatchObject({ k: 3, virtual_dies: 16, dies: [{ die_seed: 21 }, { die_seed: 22 }, { die_seed: 23 }] });
    const population = JSON.parse(readFileSync(join(out, 'population.json'), 'utf8'));
    expect(population.somas[1].std[0]).toBeGreaterThan(0.15);
    expect(r.robust.training_dies_test_accuracy).toHaveLength(3);
    // Any die of the design: accepted, held out or not (and said so).
    const heldOut = runWith(die([5, 10, 3], 5, 1.5));
    const onHeld = readRunWeights(heldOut, { design_hash: 'synthetic-design', die_seed: 5 }, join(out, 'weights.json'));
    expect(onHeld.source).toMatchObject({ cross_die: false, population: { dies: [21, 22, 23], held_out: true } });
    expect(onHeld.note).toBeUndefined();
    writeFileSync(join(heldOut, 'weights.json'), readFileSync(join(out, 'weights.json')));
    expect(readRunWeights(heldOut, { design_hash: 'synthetic-design', die_seed: 5 }).source.population?.held_out).toBe(true);
    expect(readRunWeights(runs[0], { design_hash: 'synthetic-design', die_seed: 21 }, join(out, 'weights.json')).note).toMatch(/include this die: it is not held out/);
    // Another design is a mix-up: refused unless given on purpose.
    expect(() => readRunWeights(heldOut, { design_hash: 'other-design', die_seed: 5 })).toThrow(/of another design/);
    expect(readRunWeights(heldOut, { design_hash: 'other-design', die_seed: 5 }, join(heldOut, 'weights.json')).source.cross_die).toBe(true);
    // Held-out accuracy refuses a training die (by seed) and a die of another design.
    const test = irisData.test;
    expect(heldOutAccuracy(w, [die([5, 10, 3], 5, 1.5)], test)[0]).toBeGreaterThan(0.3);
    expect(() => heldOutAccuracy(w, [die([5, 10, 3], 22, 1.5)], test)).toThrow(/die 22 is one of the dies the population codes were trained over/);
    expect(() => heldOutAccuracy(w, [{ ...die([5, 10, 3], 5), design_hash: 'x' }], test)).toThrow(/of design x/);
  });

  it('asks for the population and the output folder', async () => {
    await expect(trainCommand({ strategy: 'robust', out: tempDir() })).rejects.toThrow(/--population: name the run folders/);
    await expect(trainCommand({ strategy: 'robust', population: ['x'] })).rejects.toThrow(/--out: name the folder/);
  });
});
