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
  /** Full-network transient samples (power, energy, settling), run on the first die of each point; 0 skips. */
  fullSamples: number;
  /** Study folder: points/<point>/die-<seed>/, jobs/, sweep.csv, sweep.json. */
  out: string;
}

/** The columns after the swept keys, in order (sweep.csv; the report reads these names). */
export const SWEEP_COLUMNS = [
  'point', 'dies', 'failed', 'naive_mean', 'naive_std', 'aware_mean', 'aware_std', 'ideal_quantized_mean', 'spice_mean',
  'area_m2', 'transistors', 'power_w', 'energy_per_inference_j', 'settling_time_s', 'pareto_area', 'pareto_energy',
] as const;

export type SweepRow = Record<string, Cell>;

export interface SweepFile {
  format: 'codesign-sweep/1';
  generator: string;
  dataset: string;
  keys: string[];
  seeds: number[];
  options: { engine: string; verify: string; samples: number | null; full_samples: number; train_seed: number; epochs: number | null };
  columns: string[];
  rows: SweepRow[];
  /** Every die of every point: its accuracies, or its error. */
  per_die: { point: string; seed: number; dir: string; ok: boolean; naive: number | null; aware: number | null; spice: number | null; error: string | null }[];
  jobs: { total: number; executed: number; reused: number; failed: number };
  elapsed_s: number;
}

/** The table row of one point from its dies' outcomes. */
function pointRow(values: Record<string, Cell>, name: string, area: number, transistors: number, dies: DieOutcome[]): SweepRow {
  const ok = dies.flatMap((d) => (d.ok ? [d.result] : []));
  const acc = (k: 'naive' | 'aware' | 'ideal_quantized' | 'spice') => ok.map((r) => r.accuracy[k]);
  return {
    ...values,
    point: name,
    dies: ok.length,
    failed: dies.length - ok.length,
    naive_mean: mean(acc('naive')),
    naive_std: sampleStd(acc('naive')),
    aware_mean: mean(acc('aware')),
    aware_std: sampleStd(acc('aware')),
    ideal_quantized_mean: mean(acc('ideal_quantized')),
    spice_mean: mean(acc('spice')),
    area_m2: area,
    transistors,
    power_w: mean(ok.map((r) => r.power_w)),
    energy_per_inference_j: mean(ok.map((r) => r.energy_per_inference_j)),
    settling_time_s: mean(ok.map((r) => r.settling_time_s)),
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
  const jobs = points.map((p) =>
    o.seeds.map((seed, i) => dieJob(o, p.config, seed, join('points', p.name, `die-${seed}`), { fullSamples: i === 0 ? o.fullSamples : 0 })),
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
    options: { engine: o.engine, verify: o.verify, samples: o.samples ?? null, full_samples: o.fullSamples, train_seed: o.trainSeed, epochs: o.epochs ?? null },
    columns,
    rows,
    per_die: perPoint.flatMap((ds, i) =>
      ds.map((d) => ({
        point: points[i].name,
        seed: d.seed,
        dir: d.dir,
        ok: d.ok,
        naive: d.ok ? d.result.accuracy.naive : null,
        aware: d.ok ? d.result.accuracy.aware : null,
        spice: d.ok ? d.result.accuracy.spice : null,
        error: d.ok ? null : `${d.error.name}: ${d.error.message}`,
      })),
    ),
    jobs: { total: outcomes.length, executed, reused: skipped, failed: outcomes.filter((d) => !d.ok).length },
    elapsed_s: (Date.now() - t0) / 1000,
  };
  await writeCsv(join(dir, 'sweep.csv'), columns, rows);
  await writeFileAtomic(join(dir, 'sweep.json'), JSON.stringify(file, null, 2) + '\n');
  return file;
}
