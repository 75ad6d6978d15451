import { join, resolve } from 'node:path';
import { countTransistors } from '../characterize/index.js';
import type { DesignInput } from '../design/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { GENERATOR_VERSION } from '../util/version.js';
import { activeArea, expandGrid, type Axis } from './grid.js';
import { mean, paretoFront, sampleStd } from './stats.js';
import { dieJob, runJobs, writeCsv, type Cell, type DieOutcome, type StudyOptions } from './study.js';

export interface SweepOptions extends StudyOptions {
  /** Base design config; the axes override its fields. */
  base: DesignInput;
  axes: Axis[];
  /** Die seeds, the same for every point. */
  seeds: number[];
  /** With verify 'layered': how many dies of each point (the first seeds) are verified in SPICE (default all; a spot check with 1). */
  verifyDies?: number;
  /** Study folder: points/<point>/die-<seed>/, jobs/, sweep.csv, sweep.json. */
  out: string;
}

/**
 * The columns after the swept keys, in order (sweep.csv; the report reads these names). Every
 * number is over the point's dies: `_mean` and `_std` (sample std, null below two dies); power,
 * energy and settling are the mean of each die's median over its samples, with `_std` beside.
 * aware_minus_* are per-die differences (same die, same test split), then mean and std.
 */
export const SWEEP_COLUMNS = [
  'point', 'dies', 'failed', 'naive_mean', 'naive_std', 'aware_mean', 'aware_std', 'ideal_quantized_mean', 'ideal_quantized_std', 'ideal_float_mean', 'ideal_float_std',
  'aware_minus_naive_mean', 'aware_minus_naive_std', 'aware_minus_ideal_quantized_mean', 'aware_minus_ideal_quantized_std',
  'spice_mean', 'spice_std', 'spice_dies',
  'area_m2', 'transistors', 'power_w', 'power_w_std', 'energy_per_inference_j', 'energy_per_inference_j_std', 'settling_time_s', 'settling_time_s_std', 'energy_source',
  'pareto_area', 'pareto_energy', 'dies_with_warnings',
] as const;

export type SweepRow = Record<string, Cell>;

/** One die of a sweep point. */
export interface SweepDie {
  point: string;
  seed: number;
  dir: string;
  ok: boolean;
  ideal_float: number | null;
  ideal_quantized: number | null;
  naive: number | null;
  aware: number | null;
  /** Layered SPICE accuracy (null: not verified). */
  spice: number | null;
  power_w: number | null;
  energy_per_inference_j: number | null;
  settling_time_s: number | null;
  energy_source: string | null;
  /** The die's summary.json warnings (aware codes below or equal to the naive ones, currents beyond the range, energy samples unsettled or failed). */
  warnings: string[];
  error: string | null;
}

export interface SweepFile {
  format: 'codesign-sweep/1';
  generator: string;
  dataset: string;
  keys: string[];
  seeds: number[];
  options: { engine: string; verify: string; verify_dies: number | null; samples: number | null; energy: string; energy_samples: number | null; energy_period_s: number | null; train_seed: number; epochs: number | null };
  columns: string[];
  rows: SweepRow[];
  /** Every die of every point: its accuracies, latency and energy, or its error. */
  per_die: SweepDie[];
  jobs: { total: number; executed: number; reused: number; failed: number };
  elapsed_s: number;
}

/** The table row of one point from its dies' outcomes. */
function pointRow(values: Record<string, Cell>, name: string, area: number, transistors: number, dies: DieOutcome[]): SweepRow {
  const ok = dies.flatMap((d) => (d.ok ? [d.result] : []));
  const stats = (key: string, xs: (number | null)[]) => ({ [`${key}_mean`]: mean(xs), [`${key}_std`]: sampleStd(xs) });
  const acc = (k: 'naive' | 'aware' | 'ideal_quantized' | 'ideal_float') => ok.map((r) => r.accuracy[k]);
  const diff = (k: 'naive' | 'ideal_quantized') => ok.map((r) => r.accuracy.aware - r.accuracy[k]);
  const spice = ok.map((r) => r.accuracy.spice);
  const sources = [...new Set(ok.map((r) => r.energy_source).filter((v) => v !== null))];
  const timed = (k: 'power_w' | 'energy_per_inference_j' | 'settling_time_s') => ({ [k]: mean(ok.map((r) => r[k])), [`${k}_std`]: sampleStd(ok.map((r) => r[k])) });
  return {
    ...values,
    point: name,
    dies: ok.length,
    failed: dies.length - ok.length,
    ...stats('naive', acc('naive')),
    ...stats('aware', acc('aware')),
    ...stats('ideal_quantized', acc('ideal_quantized')),
    ...stats('ideal_float', acc('ideal_float')),
    ...stats('aware_minus_naive', diff('naive')),
    ...stats('aware_minus_ideal_quantized', diff('ideal_quantized')),
    ...stats('spice', spice),
    spice_dies: spice.filter((v) => v !== null).length,
    area_m2: area,
    transistors,
    ...timed('power_w'),
    ...timed('energy_per_inference_j'),
    ...timed('settling_time_s'),
    energy_source: sources.length ? sources.join('+') : null,
    dies_with_warnings: ok.filter((r) => r.warnings.length > 0).length,
  };
}

/**
 * A grid sweep: every point of the axes' cartesian product on every die seed, one flow job
 * each (characterize, fit, train, verify), then one row per point. Jobs already in the
 * result store are not run again.
 */
export async function runSweep(o: SweepOptions): Promise<SweepFile> {
  const t0 = Date.now();
  const dir = resolve(o.out);
  const points = expandGrid(o.base, o.axes);
  const verified = o.verifyDies ?? o.seeds.length;
  const jobs = points.map((p) =>
    o.seeds.map((seed, i) => dieJob(o, p.config, seed, join('points', p.name, `die-${seed}`), { verify: i < verified ? o.verify : 'none' })),
  );
  const { outcomes, executed, skipped } = await runJobs(o, jobs.flat());
  const perPoint = points.map((_, i) => outcomes.slice(i * o.seeds.length, (i + 1) * o.seeds.length));
  const rows = points.map((p, i) =>
    pointRow(Object.fromEntries(o.axes.map((a) => [a.key, p.values[a.key].table])), p.name, activeArea(p.design), countTransistors(p.design.config.layers).transistors, perPoint[i]),
  );
  const front = (cost: string) => paretoFront(rows.map((r) => ({ cost: r[cost] as number | null, value: r.aware_mean as number | null })));
  const pa = front('area_m2'), pe = front('energy_per_inference_j');
  rows.forEach((r, i) => Object.assign(r, { pareto_area: pa[i], pareto_energy: pe[i] }));
  const columns = [...o.axes.map((a) => a.key), ...SWEEP_COLUMNS];
  const file: SweepFile = {
    format: 'codesign-sweep/1',
    generator: GENERATOR_VERSION,
    dataset: o.dataset,
    keys: o.axes.map((a) => a.key),
    seeds: o.seeds,
    options: { engine: o.engine, verify: o.verify, verify_dies: o.verify === 'none' ? null : Math.min(verified, o.seeds.length), samples: o.samples ?? null, energy: o.energy ?? 'default', energy_samples: o.energySamples ?? null, energy_period_s: o.energyPeriod ?? null, train_seed: o.trainSeed, epochs: o.epochs ?? null },
    columns,
    rows,
    per_die: perPoint.flatMap((ds, i) =>
      ds.map((d): SweepDie => {
        const r = d.ok ? d.result : undefined;
        return {
          point: points[i].name,
          seed: d.seed,
          dir: d.dir,
          ok: d.ok,
          ideal_float: r?.accuracy.ideal_float ?? null,
          ideal_quantized: r?.accuracy.ideal_quantized ?? null,
          naive: r?.accuracy.naive ?? null,
          aware: r?.accuracy.aware ?? null,
          spice: r?.accuracy.spice ?? null,
          power_w: r?.power_w ?? null,
          energy_per_inference_j: r?.energy_per_inference_j ?? null,
          settling_time_s: r?.settling_time_s ?? null,
          energy_source: r?.energy_source ?? null,
          warnings: r?.warnings ?? [],
          error: d.ok ? null : `${d.error.name}: ${d.error.message}`,
        };
      }),
    ),
    jobs: { total: outcomes.length, executed, reused: skipped, failed: outcomes.filter((d) => !d.ok).length },
    elapsed_s: (Date.now() - t0) / 1000,
  };
  await writeCsv(join(dir, 'sweep.csv'), columns, rows);
  await writeFileAtomic(join(dir, 'sweep.json'), JSON.stringify(file, null, 2) + '\n');
  return file;
}
