import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDesign } from '../../src/design/index.js';
import { writeReport } from '../../src/report/index.js';
import { LocalExecutor, runYield, wilson, YIELD_COLUMNS, type YieldOptions } from '../../src/study/index.js';
import { nativeTest, tempDir } from '../helpers.js';

const native = await nativeTest();

/** Yield of Iris dies on native ngspice, model accuracy, no SPICE verification (the spec reads the fitted models). */
async function irisYield(mismatch: boolean, seeds: number[], spec: number) {
  const out = tempDir();
  const executor = new LocalExecutor({ store: join(out, 'jobs'), root: out, workers: 2 });
  const o: YieldOptions = { design: resolveDesign({ mismatch: { enabled: mismatch } }).config, seeds, spec, accuracy: 'model', dataset: 'iris', engine: 'ngspice', verify: 'none', energy: 'none', trainSeed: 1, out, executor };
  try {
    return { out, y: await runYield(o) };
  } finally {
    await executor.close();
  }
}

describe('codesign yield', () => {
  it('Wilson interval matches published values (Newcombe 1998, 95 %)', () => {
    const cases: [number, number, number, number][] = [
      [0, 10, 0, 0.2775],
      [1, 10, 0.0179, 0.4042],
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [k, n, lo, hi] of cases) {
      const w = wilson(k, n);
      expect(w.p).toBeCloseTo(k / n, 12);
      expect(w.lo).toBeCloseTo(lo, 4);
      expect(w.hi).toBeCloseTo(hi, 4);
    }
    // Symmetric: k of n passing is n-k of n failing.
    expect(wilson(10, 10).lo).toBeCloseTo(1 - wilson(0, 10).hi, 12);
    expect(wilson(0, 0)).toMatchObject({ lo: 0, hi: 1 });
  });

  native(
    '4 mismatched Iris dies: naive and aware yields with intervals around them; yield.json and yield.csv per die',
    async () => {
      const { out, y } = await irisYield(true, [1, 2, 3, 4], 0.9);
      expect(y.dies).toBe(4);
      expect(y.failed).toEqual([]);
      expect(y.accuracy_source).toBe('model');
      for (const e of [y.naive, y.aware]) {
        expect(e.dies).toBe(4);
        expect(e.yield).toBe(e.pass / 4);
        expect(e.lo).toBeLessThanOrEqual(e.yield);
        expect(e.hi).toBeGreaterThanOrEqual(e.yield);
        expect(e.hi - e.lo).toBeGreaterThan(0.3); // four dies say little
        const w = wilson(e.pass, 4);
        expect([e.lo, e.hi]).toEqual([w.lo, w.hi]);
      }
      expect(y.per_die.map((d) => d.die_seed)).toEqual([1, 2, 3, 4]);
      expect(y.aware.pass).toBe(y.per_die.filter((d) => d.aware! >= 0.9 - 1e-12).length);
      expect(y.naive.pass).toBe(y.per_die.filter((d) => d.naive! >= 0.9 - 1e-12).length);
      // Each die's warnings are its summary.json's; the study counts the dies that have any.
      for (const d of y.per_die) expect(d.warnings).toEqual(JSON.parse(readFileSync(join(out, 'dies', `die-${d.die_seed}`, 'summary.json'), 'utf8')).warnings);
      expect(y.dies_with_warnings).toBe(y.per_die.filter((d) => d.warnings.length > 0).length);
      const stored = JSON.parse(readFileSync(join(out, 'yield.json'), 'utf8'));
      expect(Object.keys(stored)).toEqual(expect.arrayContaining(['spec', 'dies', 'accuracy_source', 'naive', 'aware', 'failed', 'dies_with_warnings']));
      const csv = readFileSync(join(out, 'yield.csv'), 'utf8').trim().split('\n');
      expect(csv[0].split(',')).toEqual([...YIELD_COLUMNS]);
      expect(csv).toHaveLength(5);
      expect((await writeReport(out)).plots).toContain('yield'); // the report reads the real yield files
    },
    600_000,
  );

  native(
    'with mismatch off every die is the nominal one: yield 1 for naive and aware at a spec it reaches',
    async () => {
      const { y } = await irisYield(false, [1, 2, 3], 0.9);
      expect(y.dies).toBe(3);
      for (const d of y.per_die) {
        expect(d.ideal_quantized).toBeGreaterThanOrEqual(0.9);
        expect(d.naive).toBe(y.per_die[0].naive);
        expect(d.aware).toBe(y.per_die[0].aware);
      }
      expect(y.naive).toMatchObject({ yield: 1, pass: 3, hi: 1 });
      expect(y.aware).toMatchObject({ yield: 1, pass: 3, hi: 1 });
      expect(y.aware.lo).toBeCloseTo(wilson(3, 3).lo, 12);
    },
    600_000,
  );
});

describe('codesign yield with the robust strategy', () => {
  it('refuses training dies that are also held-out dies, before anything runs', async () => {
    const out = tempDir();
    const executor = new LocalExecutor({ store: join(out, 'jobs'), root: out, workers: 1 });
    const o: YieldOptions = { design: resolveDesign({}).config, seeds: [1, 2, 3], spec: 0.9, accuracy: 'model', dataset: 'iris', engine: 'ngspice', verify: 'none', energy: 'none', trainSeed: 1, out, executor, robust: { seeds: [3, 4], virtual: 0 } };
    try {
      await expect(runYield(o)).rejects.toThrow('--population-seeds: die(s) 3 are also held-out dies; robust codes are judged only on dies they never saw');
      await expect(runYield({ ...o, robust: undefined, strategies: ['robust'] })).rejects.toThrow(/needs its training dies/);
    } finally {
      await executor.close();
    }
  });

  native(
    'robust codes trained once on 2 training dies, judged on 4 held-out dies; the same seeds give the same codes and yields',
    async () => {
      const out = tempDir();
      const run = async () => {
        const executor = new LocalExecutor({ store: join(out, 'jobs'), root: out, workers: 2 });
        const o: YieldOptions = { design: resolveDesign({ mismatch: { enabled: true } }).config, seeds: [1, 2, 3, 4], spec: 0.9, accuracy: 'model', dataset: 'iris', engine: 'ngspice', verify: 'none', energy: 'none', trainSeed: 1, out, executor, robust: { seeds: [5, 6], virtual: 0 } };
        try {
          return await runYield(o);
        } finally {
          await executor.close();
        }
      };
      const y = await run();
      expect(y.strategies).toEqual(['naive', 'robust', 'aware']);
      expect(y.robust_training).toMatchObject({ dies: [5, 6], virtual_dies: 0, dir: 'robust', failed: [] });
      expect(y.robust).toMatchObject({ dies: 4 });
      expect(y.robust!.lo).toBeLessThanOrEqual(y.robust!.yield);
      expect(y.robust!.hi).toBeGreaterThanOrEqual(y.robust!.yield);
      for (const d of y.per_die) expect(d.robust).toBeGreaterThan(0.3);
      const weights = JSON.parse(readFileSync(join(out, 'robust', 'weights.json'), 'utf8'));
      expect(weights.population.dies.map((d: { die_seed: number }) => d.die_seed)).toEqual([5, 6]);
      const csv = readFileSync(join(out, 'yield.csv'), 'utf8').trim().split('\n');
      expect(csv[0].split(',')).toEqual([...YIELD_COLUMNS]);
      const again = await run();
      expect(readFileSync(join(out, 'robust', 'weights.json'), 'utf8')).toBe(JSON.stringify(weights) + '\n');
      expect(again.per_die).toEqual(y.per_die);
      expect(again.robust).toEqual(y.robust);
      const report = await writeReport(out);
      expect(report.plots).toContain('yield-curve');
    },
    900_000,
  );
});
