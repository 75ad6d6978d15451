import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDesign } from '../../src/design/index.js';
import { activeArea, expandGrid, identify, LocalExecutor, parseSets, runSweep, SWEEP_COLUMNS, type FlowJobInput } from '../../src/study/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { writeReport } from '../../src/report/index.js';
import { nativeTest, runCli, tempDir } from '../helpers.js';

const native = await nativeTest();

describe('codesign sweep', () => {
  native(
    'a 2x2 sweep on Iris with 2 dies: one row per point, every column filled; a rerun simulates nothing',
    async () => {
      const out = tempDir();
      const axes = parseSets(['soma.l=0.45u,0.9u', 'synapse.w=0.27u,0.54u']);
      const sweep = async () => {
        const executor = new LocalExecutor({ store: join(out, 'jobs'), root: out, workers: 2 });
        try {
          return await runSweep({
            base: resolveDesign({}).config, axes, seeds: [1, 2], dataset: 'iris', engine: 'ngspice', verify: 'layered', samples: 6, energy: 'full', energySamples: 2, trainSeed: 1, out, executor,
          });
        } finally {
          await executor.close();
        }
      };
      const first = await sweep();
      expect(first.rows).toHaveLength(4);
      expect(first.jobs).toEqual({ total: 8, executed: 8, reused: 0, failed: 0 });
      for (const row of first.rows) {
        for (const c of ['soma.l', 'synapse.w', ...SWEEP_COLUMNS]) {
          expect([c, row[c]]).toEqual([c, expect.anything()]);
          if (typeof row[c] === 'number') expect(Number.isFinite(row[c])).toBe(true);
        }
        expect(row.dies).toBe(2);
        expect(row.failed).toBe(0);
        expect(row.aware_mean as number).toBeGreaterThan(0.5);
        expect(row.energy_per_inference_j as number).toBeGreaterThan(0);
        expect(row.energy_source).toBe('full');
        expect(row.spice_dies).toBe(2);
        expect(row.aware_minus_naive_mean as number).toBeCloseTo((row.aware_mean as number) - (row.naive_mean as number), 12);
      }
      // Every die has its own latency and energy; the point's are their mean.
      expect(first.per_die.every((d) => d.ok && d.energy_source === 'full' && d.energy_per_inference_j! > 0 && d.settling_time_s! > 0)).toBe(true);
      const p0 = first.per_die.filter((d) => d.point === first.rows[0].point);
      expect(first.rows[0].energy_per_inference_j as number).toBeCloseTo((p0[0].energy_per_inference_j! + p0[1].energy_per_inference_j!) / 2, 20);
      // Larger devices, larger area; at least one point on each front.
      const area = (l: number, w: number) => first.rows.find((r) => r['soma.l'] === l && r['synapse.w'] === w)!.area_m2 as number;
      expect(area(0.9e-6, 0.27e-6)).toBeGreaterThan(area(0.45e-6, 0.27e-6));
      expect(area(0.45e-6, 0.54e-6)).toBeGreaterThan(area(0.45e-6, 0.27e-6));
      expect(first.rows.some((r) => r.pareto_area)).toBe(true);
      expect(first.rows.some((r) => r.pareto_energy)).toBe(true);
      const csv = readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n');
      expect(csv[0].split(',')).toEqual(['soma.l', 'synapse.w', ...SWEEP_COLUMNS]);
      expect(csv).toHaveLength(5);
      expect(existsSync(join(out, 'points', first.rows[0].point as string, 'die-1', 'summary.json'))).toBe(true);
      // Each die's warnings are its summary.json's; a point counts its dies that have any.
      for (const d of first.per_die) expect(d.warnings).toEqual(JSON.parse(readFileSync(join(out, d.dir, 'summary.json'), 'utf8')).warnings);
      for (const row of first.rows) expect(row.dies_with_warnings).toBe(first.per_die.filter((d) => d.point === row.point && d.warnings.length > 0).length);

      const second = await sweep();
      expect(second.jobs).toEqual({ total: 8, executed: 0, reused: 8, failed: 0 });
      expect(second.rows).toEqual(first.rows);
      // The report reads the real sweep files: both Pareto plots are drawn.
      const report = await writeReport(out);
      expect(report.plots).toEqual(expect.arrayContaining(['pareto', 'pareto-energy']));
    },
    600_000,
  );

  native(
    'a failing job is reported as its outcome (error name, message, exit code), not thrown for the study',
    async () => {
      const out = tempDir();
      const executor = new LocalExecutor({ store: join(out, 'jobs'), workers: 2 });
      // A 2-2-3 network characterizes, then cannot train on Iris (4 features): a ConfigError.
      const input: FlowJobInput = { design: { layers: [2, 2, 3], seed: 1 }, dataset: 'iris', train_seed: 1, verify: 'none', verify_naive: false, energy: 'none', engine: 'ngspice', out: 'bad' };
      const bad = identify({ kind: 'flow', input });
      const unknown = identify({ kind: 'nonsense', input: {} });
      try {
        const outcomes = await executor.run([bad, unknown]);
        const b = outcomes.get(bad.id)!;
        expect(b.ok).toBe(false);
        if (!b.ok) expect(b.error).toMatchObject({ name: 'ConfigError', exitCode: 3, message: expect.stringContaining('does not fit dataset iris') });
        const u = outcomes.get(unknown.id)!;
        expect(u.ok || u.error.message).toMatch(/unknown job kind "nonsense"/);
        expect(existsSync(join(out, 'jobs', `${bad.id}.json`))).toBe(true);
      } finally {
        await executor.close();
      }
    },
    300_000,
  );

  it('job ids are content hashes of kind and input', () => {
    const a = identify({ kind: 'flow', input: { x: 1, y: [1, 2] } });
    expect(identify({ kind: 'flow', input: { y: [1, 2], x: 1 } }).id).toBe(a.id);
    expect(identify({ kind: 'flow', input: { x: 2, y: [1, 2] } }).id).not.toBe(a.id);
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('bad --set keys and values give errors naming the argument', () => {
    const err = (sets: string[]) => {
      try {
        parseSets(sets);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error(`no error for ${sets.join(' ')}`);
    };
    expect(err(['soma.x=1u'])).toMatch(/^--set soma.x=1u: unknown key "soma.x"; keys: .*soma.l/);
    expect(err(['soma.l=1u,abc'])).toMatch(/^--set soma.l=1u,abc: value "abc": .*not a number/);
    expect(err(['soma.l'])).toMatch(/^--set soma.l: expected KEY=V1,V2/);
    expect(err(['soma.l=1u,,2u'])).toMatch(/^--set soma.l=1u,,2u: empty value/);
    expect(err(['soma.l=1u,1000n'])).toMatch(/value "1000n" appears twice/);
    expect(err(['soma.l=1u', 'soma.n.l=2u'])).toMatch(/^--set soma.n.l=2u: overlaps --set soma.l=1u \(both set soma.n.l\)/);
    expect(err(['mismatch.enabled=maybe'])).toMatch(/expected true or false/);
    expect(err(['layers=5-x-3'])).toMatch(/expected layer sizes/);
    expect(err([])).toMatch(/at least one/);
    const axes = parseSets(['synapse.w=0.5u,1u', 'vdd=3.3']);
    expect(axes[0].paths.map((p) => p.join('.'))).toEqual(['synapse.sign.w', 'synapse.src.w', 'synapse.snk.w', 'synapse.bit.w']);
    expect(axes[1].values[0].table).toBe(3.3);
  });

  it('pdk is an axis: each PDK with its own reference cells unless sizes are set, which must exist in each', () => {
    const [gf, sky] = expandGrid({ layers: [4, 10, 3] }, parseSets(['pdk=gf180mcu,sky130']));
    expect([gf.name, sky.name]).toEqual(['pdk-gf180mcu', 'pdk-sky130']);
    expect(gf.design.hash).toBe(resolveDesign({ layers: [4, 10, 3] }).hash);
    expect(sky.design.config.soma.n).toEqual({ w: '3u', l: '500n' });
    expect(sky.design.config.synapse.src).toEqual({ w: '420n', l: '1u' });
    expect(activeArea(sky.design)).toBeGreaterThan(activeArea(gf.design));
    // The CLI's base for a PDK axis is the design as given (design.input): only sizes the user set.
    const given = resolveDesign({ layers: [4, 10, 3], synapse: { src: { l: '2u' } } }).input;
    const [, skyGiven] = expandGrid(given, parseSets(['pdk=gf180mcu,sky130']));
    expect(skyGiven.design.config.soma.n).toEqual({ w: '3u', l: '500n' });
    expect(skyGiven.design.config.synapse.src).toEqual({ w: '420n', l: '2u' });
    const both = expandGrid({}, parseSets(['pdk=gf180mcu,sky130', 'soma.l=1u']));
    expect(both.map((p) => p.design.sizes.soma.n.l)).toEqual([1e-6, 1e-6]);
    expect(() => expandGrid({}, parseSets(['pdk=gf180mcu,sky130', 'soma.l=0.45u']))).toThrow(/^--set pdk=sky130 soma.l=0.45u: soma.n W\/L = 3u\/450n has no sky130 nfet model: .*nearest W\/L: 3u\/500n/);
  });

  it('the CLI refuses a point below the PDK minimum before simulating, naming the --set value', async () => {
    const out = tempDir();
    const r = await runCli(['sweep', '--set', 'soma.l=1u,0.1u', '--dies', '1', '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--set soma.l=0.1u: soma.n.l = 100n is below the gf180mcu nfet minimum/);
    expect(existsSync(join(out, 'jobs'))).toBe(false);
  });
});
