import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchNetlist, planBatches } from '../../src/characterize/index.js';
import { atOperatingPoint, CELLS, inputScaleAt, operatingPoint, resolveDesign, type Design } from '../../src/design/index.js';
import { characterizeAndFit } from '../../src/fit/index.js';
import { drawInstance } from '../../src/mismatch/index.js';
import { writeReport } from '../../src/report/index.js';
import { createEngine, loadPdk } from '../../src/index.js';
import { characterizeConditions, conditionGrid, currentShift, listedConditions, LocalExecutor, parseConditions, PVT_COLUMNS, RedisExecutor, runPvt, type PvtFile } from '../../src/study/index.js';
import { deviceNet, dieOf, evaluate, fileHash, readModels, readRunWeights, trainRun } from '../../src/train/index.js';
import { loadDataset } from '../../src/data/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { networkNetlist } from '../../src/verify/index.js';
import { nativeTest, runCli, tempDir } from '../helpers.js';
import { redisTest, startRedis, startWorker } from './redis.js';

const native = await nativeTest();
const redis = redisTest();
const both = native === it.skip ? native : redis;

/** The Iris test die: 5-4-3 (415 transistors), die 1. */
const IRIS = { layers: [5, 4, 3], seed: 1 };

/** Every per-device mismatch value a netlist carries, in order: the `dvt_`/`mu_` instance parameters and inline delvto/mulu0. */
function mismatchValues(text: string): string[] {
  return [...text.matchAll(/\b(dvt_\w+|mu_\w+|delvto|mulu0)=(\S+)/g)].map((m) => `${m[1]}=${m[2]}`).filter((v) => !/=\{?(dvt|mu)_/.test(v));
}

/** The lines two netlists of one die differ in, as pairs. */
function differingLines(a: string, b: string): [string, string][] {
  const la = a.split('\n'), lb = b.split('\n');
  expect(la.length).toBe(lb.length);
  return la.flatMap((l, i) => (l === lb[i] ? [] : [[l, lb[i]] as [string, string]]));
}

/** The lines a condition may change: the header's hash, corner and supply lines, the corner's model include, .temp, the supply source, and code-sweep gate levels (at vdd). */
function onlyConditionLines(pairs: [string, string][], nominal: Design, other: Design): void {
  const allowed = [/^\* design: .* design hash: /, /^\* pdk: .* corner: /, /^\* vdd: .* temperature: /, /^\.include /, /^\.temp /, /^vdd vdd 0 /];
  for (const [x, y] of pairs) {
    if (allowed.some((re) => re.test(x) && re.test(y))) continue;
    // Anything else may differ only in the supply level written into it.
    expect(y.split(String(other.vdd)).join(String(nominal.vdd))).toBe(x);
  }
}

describe('operating conditions: the same die at another temperature, supply or corner', () => {
  const nominal = resolveDesign(IRIS);
  const hot = atOperatingPoint(nominal, { temperature: 85, vdd: 1.62, corner: 'ss', input_scale: nominal.config.input_scale });

  it('mismatch draws do not depend on the condition: every instance of the die draws the same values', () => {
    expect(hot.hash).not.toBe(nominal.hash);
    for (const cell of Object.keys(CELLS) as (keyof typeof CELLS)[])
      for (const path of [`${cell}/0/1`, `${cell}/1/2/3`]) expect(drawInstance(hot, 1, cell, path)).toEqual(drawInstance(nominal, 1, cell, path));
  });

  it('a condition changes only the netlists\' temperature, supply and corner: every mismatch parameter identical', () => {
    const batches = planBatches(nominal);
    expect(batches.map((b) => b.id)).toEqual(planBatches(hot).map((b) => b.id));
    const pairs = [
      ...batches.map((b) => [batchNetlist(nominal, 1, b), batchNetlist(hot, 1, b)]),
      [networkNetlist(nominal, 1).text, networkNetlist(hot, 1).text],
    ];
    for (const [a, b] of pairs) {
      const mm = mismatchValues(a);
      expect(mm.length).toBeGreaterThan(20);
      expect(mismatchValues(b)).toEqual(mm);
      const diff = differingLines(a, b);
      onlyConditionLines(diff, nominal, hot);
      // ...and each of them does change.
      expect(diff.map(([, y]) => y)).toEqual(expect.arrayContaining([expect.stringMatching(/^\.temp 85$/), expect.stringMatching(/^\.include modelcard\.GF180\.ss$/), expect.stringMatching(/^vdd vdd 0 dc 1\.62$/)]));
    }
  });

  it('the grid: temperature x supply at the first corner, the other corners at the run\'s temperature and supply, the run\'s condition always', () => {
    const cross = conditionGrid(nominal, { temperatures: [-40, 85], vdds: [1.62, 1.98], corners: ['tt', 'ss', 'ff'] });
    expect(cross.map((c) => c.name)).toEqual(['t27c_1.8v_tt', 't-40c_1.62v_tt', 't85c_1.62v_tt', 't-40c_1.98v_tt', 't85c_1.98v_tt', 't27c_1.8v_ss', 't27c_1.8v_ff']);
    expect(cross.filter((c) => c.nominal).map((c) => c.name)).toEqual(['t27c_1.8v_tt']);
    expect(cross[0].design.hash).toBe(nominal.hash); // the run's own die and condition
    for (const c of cross) expect(operatingPoint(c.design)).toEqual(c.point);
    const full = conditionGrid(nominal, { temperatures: [0, 27], vdds: [1.8], corners: ['ss', 'tt'], form: 'full' });
    expect(full.map((c) => c.name)).toEqual(['t0c_1.8v_ss', 't27c_1.8v_ss', 't0c_1.8v_tt', 't27c_1.8v_tt']);
    expect(conditionGrid(nominal, { corners: ['all'] }).map((c) => c.point.corner)).toEqual(['tt', ...Object.keys(loadPdk('gf180mcu').corners).filter((c) => c !== 'tt')]);
  });

  it('input currents: fixed by default, PTAT on request (proportional to absolute temperature, 1 at the run\'s temperature)', () => {
    const here = operatingPoint(nominal);
    for (const c of conditionGrid(nominal, { temperatures: [-40, 125] })) expect(c.point.input_scale).toBe(100e-9);
    const ptat = conditionGrid(nominal, { temperatures: [-40, 27, 125], input: 'ptat' });
    expect(ptat.map((c) => c.name)).toEqual(['t-40c_1.8v_tt_ptat', 't27c_1.8v_tt_ptat', 't125c_1.8v_tt_ptat']);
    expect(ptat.map((c) => c.point.input_scale / 100e-9)).toEqual([233.15 / 300.15, 1, 398.15 / 300.15].map((x) => expect.closeTo(x, 10)));
    expect(inputScaleAt(here, 27, 'ptat')).toBe(here.input_scale);
    expect(ptat[1].design.hash).toBe(nominal.hash);
  });

  it('bad conditions name the option: unknown corner (with the PDK\'s list), supply above the PDK maximum, repeated values', () => {
    expect(() => conditionGrid(nominal, { corners: ['tt', 'slow'] })).toThrow(/--corner: unknown corner "slow" for PDK gf180mcu \(known: tt, ff, ss, fs, sf\)/);
    expect(() => conditionGrid(nominal, { vdds: [1.8, 5] })).toThrow(/vdd 5 V exceeds the gf180mcu maximum 3.6 V/);
    expect(() => conditionGrid(nominal, { temperatures: [27, 27] })).toThrow(/--temperature: 27 is listed twice/);
    expect(() => conditionGrid(nominal, { temperatures: [-300] })).toThrow(ConfigError);
  });

  it('a corner the PDK lacks names the PDK and what it offers (SKY130 bundled: tt only, the others through PDK_ROOT)', () => {
    const sky = resolveDesign({ ...IRIS, pdk: 'sky130' });
    expect(() => conditionGrid(sky, { corners: ['tt', 'ss'] })).toThrow(/--corner: unknown corner "ss" for PDK sky130 \(known: tt\); .*PDK_ROOT/);
    expect(conditionGrid(sky, { corners: ['all'] }).map((c) => c.name)).toEqual(['t27c_1.8v_tt']);
  });

  it('train --conditions lists: each key starts a list, every combination, only the listed conditions', () => {
    expect(parseConditions('temperature=-40,27,85,vdd=1.62,1.98')).toEqual({ temperatures: [-40, 27, 85], vdds: [1.62, 1.98] });
    expect(parseConditions('corner=ss,ff')).toEqual({ corners: ['ss', 'ff'] });
    expect(listedConditions({ conditions: 'temperature=0,85' }, nominal).map((c) => c.name)).toEqual(['t0c_1.8v_tt', 't85c_1.8v_tt']);
    expect(listedConditions({ conditions: 'temperature=0,27,vdd=1.62,1.8' }, nominal).map((c) => c.name)).toEqual(['t0c_1.62v_tt', 't27c_1.62v_tt', 't0c_1.8v_tt', 't27c_1.8v_tt']);
    expect(() => parseConditions('temperature=0,hot')).toThrow(/--conditions: temperature "hot" is not a number/);
    expect(() => parseConditions('temp=0')).toThrow(/--conditions: unknown key "temp" \(known: temperature, vdd, corner\)/);
    expect(() => parseConditions('0,27')).toThrow(/--conditions: "0" comes before any key/);
    expect(() => listedConditions({ conditions: 'corner=slow' }, nominal)).toThrow(/--corner: unknown corner "slow"/);
  });

  it('class-current shift: ratio of total currents and the largest change relative to the largest nominal current', () => {
    const nom = [[1, 2, 4], [2, 2, 2], null];
    const here = [[1.1, 2.2, 4.4], [2, 3, 2], [1, 1, 1]];
    const s = currentShift(here, nom);
    expect(s.ratio).toBeCloseTo(1.1, 12); // median of 1.1 and 7/6
    expect(s.median).toBeCloseTo(0.1, 12); // 0.4/4 and 1/2
    expect(s.p90).toBeCloseTo(0.1, 12);
    expect(currentShift(nom, nom)).toEqual({ ratio: 1, median: 0, p90: 0 });
  });
});

describe('codesign pvt on an Iris die (native ngspice)', () => {
  const root = tempDir('codesign-pvt-');
  const run = join(root, 'iris-1');
  const study = join(run, 'pvt');
  const options = { run, temperatures: [27, 85], vdds: [1.8], corners: ['tt', 'ss'], samples: 6, engine: 'ngspice' as const, cache: false };
  let first: PvtFile;
  const pvt = async () => {
    const executor = new LocalExecutor({ store: join(study, 'jobs'), root: study, workers: 2 });
    try {
      return await runPvt({ ...options, executor });
    } finally {
      await executor.close();
    }
  };

  beforeAll(async () => {
    if (native === it.skip) return;
    const engine = await createEngine('ngspice', loadPdk('gf180mcu'), { workers: 2 });
    try {
      await characterizeAndFit(engine, resolveDesign(IRIS), run);
    } finally {
      await engine.close();
    }
    await trainRun(run, { dataset: 'iris', epochs: 60 });
    first = await pvt();
  }, 600_000);

  native('pvt.json and pvt.csv: one row per condition, the run\'s codes verified in SPICE at each', () => {
    expect(first.failed).toEqual([]);
    expect(first.rows.map((r) => r.condition)).toEqual(['t27c_1.8v_tt', 't85c_1.8v_tt', 't27c_1.8v_ss']);
    expect(first.rows.map((r) => r.nominal)).toEqual([true, false, false]);
    expect(first.jobs).toMatchObject({ total: 3, executed: 3, reused: 0, failed: 0 });
    const csv = readFileSync(join(study, 'pvt.csv'), 'utf8').trim().split('\n');
    expect(csv[0].split(',')).toEqual([...PVT_COLUMNS]);
    expect(csv).toHaveLength(4);
    for (const r of first.rows) {
      expect(r).toMatchObject({ code_set: 'run', spice_samples: 6, spice_failures: 0, ok: true, error: null });
      for (const k of ['model_accuracy', 'spice_accuracy', 'agreement'] as const) expect(r[k]).toEqual(expect.any(Number));
      // The settled supply power of the layered samples: microwatts for an Iris network, never a transient's figure.
      expect(r.dc_power_w).toBeGreaterThan(1e-7);
      expect(r.dc_power_w).toBeLessThan(1e-3);
      expect(r.power_w).toBeNull();
    }
    // The models move with the condition: hotter, the weak-inversion mirrors' gains change.
    expect(first.rows[1].soma_a_median).not.toBe(first.rows[0].soma_a_median);
    expect(first.rows[2].g4_pos_median).not.toBe(first.rows[0].g4_pos_median);
    // At the run's own condition nothing moved; elsewhere the class currents did.
    expect(first.rows[0]).toMatchObject({ current_ratio_spice: 1, current_shift_spice_median: 0 });
    expect(first.rows[1].current_shift_spice_median).toBeGreaterThan(0.005);
    expect(first.power_note).toMatch(/--full-samples/);
  });

  native('the run\'s own condition, characterized again without the cache, reproduces the run\'s models; its model accuracy is the training\'s', () => {
    expect(first.models_vs_run).toMatchObject({ identical: true, max_rel_diff: 0 });
    const again = readModels(join(study, 't27c_1.8v_tt')).models, orig = readModels(run).models;
    expect(again.somas).toEqual(orig.somas);
    expect(again.synapses).toEqual(orig.synapses);
    const training = JSON.parse(readFileSync(join(run, 'training.json'), 'utf8'));
    expect(first.rows[0].model_accuracy).toBe(training.baselines.find((b: { name: string }) => b.name === 'aware').test_accuracy);
  });

  native('each condition folder is the run\'s die at that condition; the run\'s codes there are a recorded cross-condition deployment', () => {
    const runWeights = fileHash(readFileSync(join(run, 'weights.json')));
    const verify = (c: string) => JSON.parse(readFileSync(join(study, c, 'verify.json'), 'utf8'));
    const condition = (c: string) => JSON.parse(readFileSync(join(study, c, 'condition.json'), 'utf8'));
    expect(verify('t27c_1.8v_tt').provenance.weights).toEqual({ file: 'weights.json', sha256: runWeights, trained_for: expect.objectContaining({ die_seed: 1 }), cross_die: false });
    const hot = verify('t85c_1.8v_tt');
    expect(hot.provenance.weights).toMatchObject({ sha256: runWeights, cross_die: false, cross_condition: { trained_at: { temperature: 27, vdd: 1.8, corner: 'tt' }, deployed_at: { temperature: 85, vdd: 1.8, corner: 'tt' } } });
    expect(hot.provenance.design_hash).toBe(JSON.parse(readFileSync(join(study, 't85c_1.8v_tt', 'models.json'), 'utf8')).design_hash);
    expect(condition('t27c_1.8v_ss')).toMatchObject({ name: 't27c_1.8v_ss', condition: { corner: 'ss' }, trained_at: { corner: 'tt', design_hash: resolveDesign(IRIS).hash }, run: '../..' });
  });

  native('the checks stay: another die\'s codes or a design moved to another condition in a condition folder are refused', () => {
    const dir = join(root, 'mixed');
    cpSync(join(study, 't85c_1.8v_tt'), dir, { recursive: true });
    const design = resolveDesign(JSON.parse(readFileSync(join(dir, 'design.json'), 'utf8')));
    const { hash } = readModels(dir);
    expect(readRunWeights(dir, dieOf(design, hash)).source.cross_condition?.deployed_at.temperature).toBe(85);
    const w = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8'));
    writeFileSync(join(dir, 'weights.json'), JSON.stringify({ ...w, die_seed: 5 }));
    expect(() => readRunWeights(dir, dieOf(design, hash))).toThrow(/was trained for die 5 .* but .* holds die 1/);
    copyFileSync(join(study, 't85c_1.8v_tt', 'weights.json'), join(dir, 'weights.json'));
    writeFileSync(join(dir, 'condition.json'), readFileSync(join(study, 't27c_1.8v_ss', 'condition.json')));
    expect(() => readRunWeights(dir, dieOf(design, hash))).toThrow(/records the condition 27 °C, 1.8 V, ss but .* is at 85 °C, 1.8 V, tt/);
  });

  native('the report draws accuracy against temperature and per corner', async () => {
    const r = await writeReport(study);
    expect(r.plots).toEqual(['pvt-temperature', 'pvt-corners', 'pvt-currents']);
    const html = readFileSync(r.path, 'utf8');
    for (const p of r.plots) expect(html).toMatch(new RegExp(`<figure data-plot="${p}">\\s*<h3>[^<]+</h3>\\s*<svg`));
    expect(html).toContain('t85c_1.8v_tt');
  });

  native('a rerun simulates nothing and leaves every condition folder as it was', async () => {
    const mtime = (f: string) => statSync(join(study, f)).mtimeMs;
    const before = ['t27c_1.8v_tt/verify.json', 't85c_1.8v_tt/models.json', 't27c_1.8v_ss/verify.json'].map(mtime);
    const csv = readFileSync(join(study, 'pvt.csv'), 'utf8');
    const again = await pvt();
    expect(again.jobs).toMatchObject({ total: 3, executed: 0, reused: 3 });
    expect(['t27c_1.8v_tt/verify.json', 't85c_1.8v_tt/models.json', 't27c_1.8v_ss/verify.json'].map(mtime)).toEqual(before);
    expect(readFileSync(join(study, 'pvt.csv'), 'utf8')).toBe(csv);
  });

  native('codesign pvt: a negative temperature list is a value, not flags; a bad list or corner stops before anything runs (exit 3)', async () => {
    const bad = join(root, 'bad');
    const [corner, list] = await Promise.all([
      runCli(['pvt', '--run', run, '--temperature', '-40,27', '--corner', 'tt,slow', '--out', bad]),
      runCli(['pvt', '--run', run, '--temperature', '-40,hot', '--out', bad]),
    ]);
    expect([corner.code, corner.stderr]).toEqual([3, expect.stringMatching(/--corner: unknown corner "slow" for PDK gf180mcu/)]);
    expect([list.code, list.stderr]).toEqual([3, expect.stringMatching(/--temperature: expected temperatures in °C separated by commas, e.g. -40,27,125 \(got "-40,hot"\)/)]);
    expect(existsSync(bad)).toBe(false);
  });

  native('codesign train --conditions: one code set over the die at 27 and 85 °C, recorded with each condition\'s models; the run\'s codes compared on the same models as pvt does', async () => {
    const r = await runCli(['train', '--run', run, '--conditions', 'temperature=27,85', '--engine', 'ngspice', '--epochs', '60', '--study', study]);
    expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
    expect(r.stdout).toMatch(/over 2 conditions of die 1/);
    const dir = join(run, 'conditions');
    const weights = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8'));
    const training = JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8'));
    const runModels = readModels(run);
    expect(weights).toMatchObject({ die_seed: 1, design_hash: resolveDesign(IRIS).hash, models_hash: runModels.hash });
    expect(weights.conditions.map((c: { name: string }) => c.name)).toEqual(['t27c_1.8v_tt', 't85c_1.8v_tt']);
    for (const c of weights.conditions) expect(c.models_hash).toBe(readModels(join(study, c.name)).hash);
    expect(training.weights_hash).toBe(fileHash(readFileSync(join(dir, 'weights.json'))));
    // Each condition's accuracies are the codes on that condition's models: the run's codes as in pvt.json.
    const byName = Object.fromEntries(training.conditions.map((c: { name: string }) => [c.name, c]));
    for (const row of first.rows.filter((x) => x.condition !== 't27c_1.8v_ss')) expect(byName[String(row.condition)].run_codes_test_accuracy).toBe(row.model_accuracy);
    const hot = readModels(join(study, 't85c_1.8v_tt')).models, test = loadDataset(weights.dataset).test;
    expect(byName['t85c_1.8v_tt']).toMatchObject({ test_accuracy: evaluate(deviceNet(hot), weights.codes.map((m: number[][]) => Float64Array.from(m.flat())), true, test, 1).accuracy });
    // They deploy on the run (its die and models) and, as a cross-condition deployment, in the 85 °C folder.
    const die = resolveDesign(JSON.parse(readFileSync(join(run, 'design.json'), 'utf8')));
    expect(readRunWeights(run, dieOf(die, runModels.hash), join(dir, 'weights.json')).source.cross_die).toBe(false);
    const hotDesign = resolveDesign(JSON.parse(readFileSync(join(study, 't85c_1.8v_tt', 'design.json'), 'utf8')));
    expect(readRunWeights(join(study, 't85c_1.8v_tt'), dieOf(hotDesign, readModels(join(study, 't85c_1.8v_tt')).hash), join(dir, 'weights.json')).source.cross_condition?.deployed_at.temperature).toBe(85);
    const bad = await runCli(['train', '--run', run, '--conditions', 'temperature=27,hot', '--study', join(root, 'bad-train')]);
    expect([bad.code, bad.stderr]).toEqual([3, expect.stringMatching(/--conditions: temperature "hot" is not a number/)]);
  }, 300_000);

  native('--samples 0: the codes on each condition\'s models only, no SPICE', async () => {
    const executor = new LocalExecutor({ store: join(study, 'jobs'), root: study, workers: 2 });
    try {
      const m = await runPvt({ ...options, samples: 0, executor });
      expect(m.failed).toEqual([]);
      expect(m.rows.map((r) => [r.condition, r.spice_samples, r.spice_accuracy, r.ok])).toEqual(first.rows.map((r) => [r.condition, null, null, true]));
      expect(m.rows.map((r) => r.model_accuracy)).toEqual(first.rows.map((r) => r.model_accuracy));
    } finally {
      await executor.close();
    }
  }, 300_000);

  both('characterizeConditions on a Redis queue served by a codesign worker: each condition\'s models, as a trainer would take them', async () => {
    const server = await startRedis();
    const worker = await startWorker(server.url, ['--concurrency', '1']);
    const out = join(root, 'conditions');
    mkdirSync(out, { recursive: true });
    const executor = new RedisExecutor({ url: server.url, store: join(out, 'jobs'), root: out, pollMs: 500 });
    try {
      const die = resolveDesign(JSON.parse(readFileSync(join(run, 'design.json'), 'utf8')));
      const conditions = conditionGrid(die, { temperatures: [27, 85] });
      const models = await characterizeConditions({ run, conditions, engine: 'ngspice', executor, out });
      expect(models.map((m) => m.condition.name)).toEqual(['t27c_1.8v_tt', 't85c_1.8v_tt']);
      expect(models[0].models.synapses).toEqual(readModels(run).models.synapses);
      // The 85 °C models are the ones codesign pvt fitted there, from the same netlists.
      expect(models[1].models).toEqual(readModels(join(study, 't85c_1.8v_tt')).models);
      expect(JSON.parse(readFileSync(join(out, 't85c_1.8v_tt', 'condition.json'), 'utf8')).run).toBe('../../iris-1');
    } finally {
      await executor.close();
      await worker.stop();
      await server.stop();
    }
  }, 300_000);
});
