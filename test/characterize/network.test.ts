import { readFileSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { batchNetlist, batchOptions, characterizationSweeps, characterizeDie, countTransistors, planBatches, predictSomaGainSpread, type MeasurementRow } from '../../src/characterize/index.js';
import { resolveDesign, type Design } from '../../src/design/index.js';
import { characterizeAndFit, median, synapseOut, type DieModels } from '../../src/fit/index.js';
import { somaBatchTestbench, synapseTestbench } from '../../src/netlist/index.js';
import { WasmEngine, type Engine, type SimJob } from '../../src/spice/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

let wasm: WasmEngine;
beforeAll(() => {
  wasm = new WasmEngine({ workers: 2 });
});
afterAll(() => wasm.close());

/** Counts the runs that reach the simulator. */
class CountingEngine implements Engine {
  runs = 0;
  constructor(private inner: Engine) {}
  readonly name = 'wasm' as const;
  get concurrency() {
    return this.inner.concurrency;
  }
  identity() {
    return this.inner.identity();
  }
  run(job: SimJob) {
    this.runs++;
    return this.inner.run(job);
  }
  async close() {}
}

const spread = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / Math.abs(median(xs));
const relErr = (x: number, ref: number) => Math.abs(x - ref) / Math.abs(ref);

describe('die characterization with mismatch off', () => {
  let design: Design;
  let models: DieModels;
  beforeAll(async () => {
    design = resolveDesign({ layers: [3, 4, 2], mismatch: { enabled: false } });
    models = (await characterizeAndFit(wasm, design, tempDir())).models;
  });

  it('all devices of a kind are identical', () => {
    expect(spread(models.somas.slice(0, -1).flatMap((s) => s.a))).toBeLessThan(1e-6);
    expect(spread(models.somas[2].a)).toBeLessThan(1e-6);
    for (const w of models.synapses) for (const key of ['gain_pos', 'gain_neg'] as const) for (let b = 0; b < 3; b++) expect(spread(w[key].filter((_, k) => k % 3 === b))).toBeLessThan(1e-6);
  });

  it('soma gains equal the nominal circuit value within 2 %', async () => {
    // The nominal value from a separate testbench: the secant slope of a nominal soma between 20 and 60 nA.
    const nominal = Object.fromEntries(['mn_in', 'mn_copy', 'mp_diode', 'mp_copy', 'mn_out'].map((d) => [d, { dvt: 0, mu: 1 }]));
    const read = Object.fromEntries([['mn_read', { dvt: 0, mu: 1 }]]);
    const tb = somaBatchTestbench(design, 0, [{ path: 'ref/hidden', mismatch: nominal }, { path: 'ref/out', mismatch: nominal, readout: { path: 'ref/r', mismatch: read } }], {
      sweep: { start: 20e-9, stop: 60e-9, step: 40e-9 },
    });
    const r = await wasm.run({ netlist: tb.text });
    const secant = (v: string) => (r.vectors[v][1] - r.vectors[v][0]) / 40e-9;
    expect(relErr(models.somas[0].a[0], secant(tb.outputs[0]))).toBeLessThan(0.02);
    expect(relErr(models.somas[1].a[0], secant(tb.outputs[0]))).toBeLessThan(0.02);
    expect(relErr(models.somas[2].a[0], secant(tb.outputs[1]))).toBeLessThan(0.02);
    expect(Math.abs(models.somas[0].t[0])).toBeLessThan(5e-9);
  });

  it('synapse bit currents from the fitted models equal the nominal circuit value within 2 %', async () => {
    // Nominal: the cell testbench (one synapse per code, its own copy) at 40 nA presynaptic input.
    const codes = [4, 2, 1, -4, -2, -1];
    const tb = synapseTestbench(design, 0, { codes, sweep: { start: 40e-9, stop: 41e-9, step: 1e-9 }, vout: design.config.characterize.synapse_vout });
    const r = await wasm.run({ netlist: tb.text });
    const h = r.vectors[tb.pre][0];
    const w = models.synapses[0];
    const iRef = models.input_scale;
    codes.forEach((c, k) => {
      const b = [4, 2, 1].indexOf(Math.abs(c));
      const fitted = synapseOut((c > 0 ? w.gain_pos : w.gain_neg)[b], (c > 0 ? w.dlog_pos : w.dlog_neg)[b], iRef, h);
      expect(relErr(fitted, Math.abs(r.vectors[tb.vectors[k].out][0]))).toBeLessThan(0.02);
    });
  });
});

describe('die characterization with mismatch on', () => {
  it('soma gain spread matches what the Pelgrom draws predict (std within 25 %), held-out points within 2 %', async () => {
    const design = resolveDesign({ layers: [150, 2], seed: 5 });
    const out = tempDir();
    const { models } = await characterizeAndFit(wasm, design, out);
    const lnA = models.somas[0].a.map(Math.log);
    const mean = lnA.reduce((a, b) => a + b, 0) / lnA.length;
    const sd = Math.sqrt(lnA.reduce((a, b) => a + (b - mean) ** 2, 0) / (lnA.length - 1));
    const pred = await predictSomaGainSpread(wasm, design, characterizationSweeps(design).soma);
    expect(pred.sigmaLnA).toBeGreaterThan(0.05);
    expect(Math.abs(sd / pred.sigmaLnA - 1)).toBeLessThan(0.25);
    // Every device's model reproduces its own held-out points.
    const summary = JSON.parse(readFileSync(join(out, 'characterization.json'), 'utf8')).summary;
    expect(summary.holdout_median_rel_error.soma).toBeLessThan(0.02);
    expect(summary.holdout_median_rel_error.synapse).toBeLessThan(0.02);
    expect(summary.holdout_max_device_median_rel_error.soma).toBeLessThan(0.02);
    expect(summary.holdout_max_device_median_rel_error.synapse).toBeLessThan(0.02);
    expect(summary.somas).toBe(152);
    expect(summary.synapses).toBe(300);
    expect(summary.transistors).toBe(countTransistors([150, 2]).transistors);
  });
});

/** Largest relative difference of two characterizations' measured currents (|value| above 0.1 nA), matched by device, config and point. */
function worstRelative(a: MeasurementRow[], b: MeasurementRow[]): number {
  const key = (r: { device: string; config: string; point: number }) => `${r.device} ${r.config} ${r.point}`;
  const ref = new Map(b.map((r) => [key(r), r]));
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (const r of a) {
    const p = ref.get(key(r))!;
    expect(p).toBeDefined();
    for (const c of ['x_a', 'y_a'] as const) if (Math.abs(p[c]) > 1e-10) worst = Math.max(worst, Math.abs(r[c] - p[c]) / Math.abs(p[c]));
  }
  return worst;
}

describe('synapse start aid', () => {
  it('measures the same points as the plain sweep, within 1e-5 relative', async () => {
    const design = resolveDesign({ layers: [3, 5, 2], seed: 3 });
    const [aided, plain] = await Promise.all([characterizeDie(wasm, design, 3, tempDir()), characterizeDie(wasm, design, 3, tempDir(), { startAid: false })]);
    expect(worstRelative(aided.rows, plain.rows)).toBeLessThan(1e-5);
  });
});

describe('held-out points on every Nth synapse batch', () => {
  it('the other batches measure the fit points only; the same points agree within 1e-5 relative and the models within 1e-5', async () => {
    // 3-5-2 in 100-transistor batches: 3 synapse batches in the first layer (5 synapses each), 2 in the second (6 and 4).
    const input = { layers: [3, 5, 2], seed: 6, characterize: { batch_transistors: 100 } };
    const every = resolveDesign({ ...input, characterize: { ...input.characterize, holdout_every: 1 } });
    const sampled = resolveDesign({ ...input, characterize: { ...input.characterize, holdout_every: 3 } });
    const held = planBatches(sampled).flatMap((b) => (b.kind === 'synapse' ? [b.holdout] : []));
    expect(held).toEqual([true, false, false, true, false]);
    expect(planBatches(every).every((b) => b.kind !== 'synapse' || b.holdout)).toBe(true);
    const [a, b] = await Promise.all([characterizeAndFit(wasm, every, tempDir()), characterizeAndFit(wasm, sampled, tempDir())]);
    const [ra, rb] = await Promise.all([characterizeDie(wasm, every, 6, tempDir()), characterizeDie(wasm, sampled, 6, tempDir())]);
    // Fit-only synapses have the even points of the sweep, with their indices in the whole sweep.
    const points = (rows: MeasurementRow[], device: string) => [...new Set(rows.filter((r) => r.device === device).map((r) => r.point))].sort();
    const fitOnly = planBatches(sampled).find((x) => x.kind === 'synapse' && !x.holdout)!;
    const device = rb.rows.find((r) => r.kind === 'synapse' && fitOnly.kind === 'synapse' && r.layer === fitOnly.layer && r.pre === fitOnly.pres[0].i)!.device;
    expect(points(ra.rows, device)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(points(rb.rows, device)).toEqual([0, 2, 4]);
    const key = (r: MeasurementRow) => `${r.device} ${r.config} ${r.point}`;
    const common = new Set(rb.rows.map(key));
    expect(worstRelative(rb.rows, ra.rows.filter((r) => common.has(key(r))))).toBeLessThan(1e-5);
    const flat = (m: DieModels) => m.synapses.flatMap((w) => [...w.gain_pos, ...w.gain_neg]);
    const ga = flat(a.models), gb = flat(b.models);
    ga.forEach((g, k) => expect(relErr(gb[k], g)).toBeLessThan(1e-5));
    const da = a.models.synapses.flatMap((w) => [...w.dlog_pos, ...w.dlog_neg]), db = b.models.synapses.flatMap((w) => [...w.dlog_pos, ...w.dlog_neg]);
    da.forEach((d, k) => expect(Math.abs(db[k] - d)).toBeLessThan(1e-5));
    // Held-out errors come from the sampled batches' synapses (5 + 6 of 25), 6 bits and signs each.
    expect(a.summary.holdout_devices.synapse).toBe(25 * 6);
    expect(b.summary.holdout_devices.synapse).toBe(11 * 6);
  });
});

describe('device bypass', () => {
  it('measures the same points as evaluating every device at every iteration, within 1e-8 relative', async () => {
    const design = resolveDesign({ layers: [3, 5, 2], seed: 4 });
    const b = planBatches(design)[0];
    expect(batchNetlist(design, 4, b)).toMatch(/^\.option .* bypass=1/m);
    expect(batchNetlist(design, 4, b, undefined, batchOptions({ bypass: false }))).not.toMatch(/bypass/);
    const [bypass, full] = await Promise.all([characterizeDie(wasm, design, 4, tempDir()), characterizeDie(wasm, design, 4, tempDir(), { bypass: false })]);
    expect(worstRelative(bypass.rows, full.rows)).toBeLessThan(1e-8);
  });
});

describe('resume', () => {
  it('a killed characterization resumes: finished batches are skipped and the files are identical', async () => {
    const design = resolveDesign({ layers: [4, 6, 3], characterize: { batch_transistors: 150 } });
    const out = tempDir();
    const first = new CountingEngine(wasm);
    const r1 = await characterizeAndFit(first, design, out);
    const batches = planBatches(design).length;
    expect(batches).toBeGreaterThan(4);
    // Two more runs: the nominal synapse's start points the synapse batches are built from (at the
    // top of the whole sweep, for the batches with held-out points, and at the top of the fit points).
    expect(planBatches(design).filter((b) => b.kind === 'synapse').map((b) => b.holdout)).toEqual([true, false, true, false]);
    expect(first.runs).toBe(batches + 2);
    expect(r1.stats).toMatchObject({ batches, simulated: batches, skipped: 0 });
    const csv = readFileSync(join(out, 'characterization.csv'));
    const models = readFileSync(join(out, 'models.json'));
    // A kill after some batches leaves their files and no outputs.
    const files = readdirSync(join(out, 'batches')).sort();
    for (const f of files.slice(0, 3)) rmSync(join(out, 'batches', f));
    for (const f of ['characterization.csv', 'models.json', 'characterization.json']) rmSync(join(out, f));
    const second = new CountingEngine(wasm);
    const r2 = await characterizeAndFit(second, design, out);
    expect(second.runs).toBe(3 + 2);
    expect(r2.stats).toMatchObject({ simulated: 3, skipped: batches - 3 });
    expect(readFileSync(join(out, 'characterization.csv')).equals(csv)).toBe(true);
    expect(readFileSync(join(out, 'models.json')).equals(models)).toBe(true);
  });
});

describe('bad design input', () => {
  it('a layer of size 0 is refused with the field named', () => {
    expect(() => resolveDesign({ layers: [4, 0, 3] })).toThrow(ConfigError);
    expect(() => resolveDesign({ layers: [4, 0, 3] })).toThrow(/layers\.1: a layer needs at least one soma/);
    expect(() => resolveDesign({ layers: [4] })).toThrow(/layers: need an input and an output layer/);
  });
});
