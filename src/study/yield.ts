import { join, resolve } from 'node:path';
import type { DesignInput } from '../design/index.js';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { GENERATOR_VERSION } from '../util/version.js';
import { checkDisjoint, robustStrategy, STRATEGIES, type RobustStudyOptions, type Strategy } from './robust.js';
import { wilson } from './stats.js';
import { dieJob, runJobs, writeCsv, type StudyOptions } from './study.js';

/** Which accuracy a die must reach: the fitted models' on the whole test split, or layered SPICE's. */
export type AccuracySource = 'model' | 'spice';

export interface YieldOptions extends StudyOptions {
  design: DesignInput;
  seeds: number[];
  /** Accuracy a die must reach (inclusive), 0..1. */
  spec: number;
  accuracy: AccuracySource;
  /** Study folder: dies/die-<seed>/, jobs/, yield.csv, yield.json. */
  out: string;
  /** The networks judged (default: all three with `robust`, else naive and aware); robust needs `robust`. */
  strategies?: Strategy[];
  /** Robust: the training dies (seeds disjoint from `seeds`, the held-out dies) and virtual dies. */
  robust?: RobustStudyOptions;
}

/** Yield of one network (naive or aware): share of dies that meet the spec, 95 % Wilson interval. */
export interface YieldEstimate {
  yield: number;
  lo: number;
  hi: number;
  pass: number;
  dies: number;
}

export interface YieldDie {
  die_seed: number;
  naive: number | null;
  /** The population codes on this (held-out) die. */
  robust: number | null;
  aware: number | null;
  spice: number | null;
  spice_naive: number | null;
  spice_robust: number | null;
  ideal_quantized: number | null;
  /** The die's summary.json warnings (aware codes equal to the naive ones, currents beyond the range, energy samples unsettled or failed). */
  warnings: string[];
  ok: boolean;
  error: string | null;
}

export interface YieldFile {
  format: 'codesign-yield/1';
  generator: string;
  dataset: string;
  spec: number;
  /** Successful dies (the denominator); failed ones are listed in `failed` and not counted. */
  dies: number;
  accuracy_source: AccuracySource;
  strategies: Strategy[];
  naive: YieldEstimate;
  /** Population codes, judged on the held-out dies (`dies`) only; trained on `robust_training.dies`. */
  robust?: YieldEstimate;
  aware: YieldEstimate;
  robust_training?: { dies: number[]; virtual_dies: number; dir: string; weights_sha256: string; failed: { die_seed: number; error: string }[] } | null;
  failed: { die_seed: number; error: string }[];
  /** Successful dies whose summary has any warning (per_die[].warnings). */
  dies_with_warnings: number;
  per_die: YieldDie[];
  options: { engine: string; verify: string; samples: number | null; energy: string; energy_samples: number | null; energy_period_s: number | null; train_seed: number; epochs: number | null };
  jobs: { total: number; executed: number; reused: number };
  elapsed_s: number;
}

export const YIELD_COLUMNS = ['die_seed', 'naive', 'robust', 'aware', 'spice', 'spice_naive', 'spice_robust', 'ideal_quantized', 'warnings', 'ok', 'error'] as const;

function estimate(accs: number[], spec: number): YieldEstimate {
  const pass = accs.filter((a) => a >= spec - 1e-12).length;
  const w = wilson(pass, accs.length);
  return { yield: w.p, lo: w.lo, hi: w.hi, pass, dies: accs.length };
}

/**
 * Parametric yield: N independent dies, each characterized, fitted and trained on its own;
 * the share whose naive and aware networks meet the accuracy spec, with 95 % Wilson intervals.
 */
export async function runYield(o: YieldOptions): Promise<YieldFile> {
  const t0 = Date.now();
  const dir = resolve(o.out);
  const spiceSource = o.accuracy === 'spice';
  if (spiceSource && o.verify === 'none') throw new ConfigError('--accuracy spice needs SPICE verification: drop --verify none');
  if (!(o.spec > 0 && o.spec <= 1)) throw new ConfigError(`--spec: expected an accuracy in (0, 1], e.g. 0.9, got ${o.spec}`);
  const strategies = STRATEGIES.filter((s) => (o.strategies ?? (o.robust ? STRATEGIES : ['naive', 'aware'])).includes(s));
  if (strategies.includes('robust')) {
    if (!o.robust) throw new ConfigError('yield: the robust strategy needs its training dies (robust.seeds)');
    checkDisjoint(o.seeds, o.robust.seeds);
  }
  const jobs = o.seeds.map((seed) => dieJob(o, o.design, seed, join('dies', `die-${seed}`), { verifyNaive: spiceSource }));
  const { outcomes, executed, skipped } = await runJobs(o, jobs);
  const robust = strategies.includes('robust')
    ? await robustStrategy({ ...o, robust: o.robust!, spice: spiceSource }, outcomes.filter((d) => d.ok).map((d) => ({ seed: d.seed, dir: d.dir })))
    : undefined;
  const perDie: YieldDie[] = outcomes.map((d) => {
    const a = d.ok ? d.result.accuracy : undefined;
    return {
      die_seed: d.seed,
      naive: a?.naive ?? null,
      robust: robust?.model.get(d.seed) ?? null,
      aware: a?.aware ?? null,
      spice: a?.spice ?? null,
      spice_naive: a?.spice_naive ?? null,
      spice_robust: robust?.spice.get(d.seed) ?? null,
      ideal_quantized: a?.ideal_quantized ?? null,
      warnings: d.ok ? d.result.warnings : [],
      ok: d.ok,
      error: d.ok ? null : `${d.error.name}: ${d.error.message}`,
    };
  });
  const good = perDie.filter((d) => d.ok);
  const pick = (d: YieldDie, net: Strategy) => (spiceSource ? { naive: d.spice_naive, robust: d.spice_robust, aware: d.spice }[net] : d[net]) ?? NaN;
  const file: YieldFile = {
    format: 'codesign-yield/1',
    generator: GENERATOR_VERSION,
    dataset: o.dataset,
    spec: o.spec,
    dies: good.length,
    accuracy_source: o.accuracy,
    strategies,
    naive: estimate(good.map((d) => pick(d, 'naive')), o.spec),
    ...(robust ? { robust: estimate(good.map((d) => pick(d, 'robust')).filter(Number.isFinite), o.spec) } : {}),
    aware: estimate(good.map((d) => pick(d, 'aware')), o.spec),
    ...(robust
      ? {
          robust_training: robust.training
            ? { dies: robust.training.dies.map((d) => d.die_seed), virtual_dies: robust.training.virtual_dies, dir: robust.training.dir, weights_sha256: robust.training.weights_hash, failed: robust.failed }
            : { dies: [], virtual_dies: o.robust!.virtual, dir: '', weights_sha256: '', failed: robust.failed },
        }
      : {}),
    failed: perDie.filter((d) => !d.ok).map((d) => ({ die_seed: d.die_seed, error: d.error! })),
    dies_with_warnings: good.filter((d) => d.warnings.length > 0).length,
    per_die: perDie,
    options: { engine: o.engine, verify: o.verify, samples: o.samples ?? null, energy: o.energy ?? 'default', energy_samples: o.energySamples ?? null, energy_period_s: o.energyPeriod ?? null, train_seed: o.trainSeed, epochs: o.epochs ?? null },
    jobs: { total: outcomes.length, executed, reused: skipped },
    elapsed_s: (Date.now() - t0) / 1000,
  };
  const csvRows = perDie.map((d) => ({ ...d, warnings: d.warnings.join(' | ') }));
  await writeCsv(join(dir, 'yield.csv'), YIELD_COLUMNS, csvRows as unknown as Record<string, string | number | boolean | null>[]);
  await writeFileAtomic(join(dir, 'yield.json'), JSON.stringify(file, null, 2) + '\n');
  return file;
}
