import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  ESTIMATE_ABOVE_TRANSISTORS,
  formatSi,
  GENERATOR_VERSION,
  LocalExecutor,
  parseSets,
  RedisExecutor,
  runSweep,
  runYield,
  STRATEGIES,
  writeReport,
  type AccuracySource,
  type DatasetName,
  type EnergyMode,
  type EngineName,
  type Executor,
  type ExecutorProgress,
  type FlowVerify,
  type Strategy,
  type StudyOptions,
  type SweepFile,
  type YieldFile,
} from '../index.js';
import { table } from './commands.js';
import { designFromArgs, designOptions, positiveSeconds, type DesignArgs } from './design-args.js';
import { Progress } from './progress.js';

const { seed: _seed, ...studyDesignOptions } = designOptions;

/** Options shared by sweep and yield (design flags except --seed: studies choose the dies). */
export const studyOptions = {
  ...studyDesignOptions,
  dataset: { choices: ['iris', 'mnist'] as const, describe: 'dataset (default iris; mnist uses the 196-50-10 preset)' },
  engine: { choices: ['wasm', 'ngspice'] as const, default: 'wasm' as const },
  out: { type: 'string', describe: 'study folder (default runs/<study>-<dataset>)' },
  concurrency: { type: 'number', describe: 'dies simulated at once, one worker thread each (default: all cores; local executor)' },
  executor: { type: 'string', describe: 'where the dies run: local (default: worker threads here) or redis://host[:port][/db] (a BullMQ queue served by codesign worker processes)' },
  verify: { choices: ['layered', 'none'] as const, describe: 'SPICE verification of each trained die (default: layered for iris, none for mnist)' },
  energy: { choices: ['estimate', 'full', 'none'] as const, describe: `latency, power and energy of every die: estimate (reduced network), full (whole-network transient) or none (sweep default: estimate above ${ESTIMATE_ABOVE_TRANSISTORS} transistors, else full; yield default: none)` },
  'energy-samples': { type: 'number', alias: 'full-samples', describe: 'test samples of the energy measurement (default 20 estimate, 10 full)' },
  'energy-period': { type: 'number', describe: 'window per sample of the energy measurement, s (default 100e-6 estimate, 20e-6 full); longer for slow design points, whose samples otherwise end unsettled' },
  samples: { type: 'number', describe: 'test samples verified in layered SPICE (default: the whole test split)' },
  'train-seed': { type: 'number', default: 1, describe: 'training seed (initial weights, sample order), the same for every die' },
  epochs: { type: 'number', describe: 'most training epochs (default: the dataset default)' },
} as const;

export const sweepOptions = {
  ...studyOptions,
  set: { type: 'string', array: true, demandOption: true, describe: 'KEY=V1,V2,...: a swept design field (soma.l, synapse.src.w, vdd, mismatch.avt_mv_um, pdk, corner, layers, ...); repeat for a grid' },
  dies: { type: 'number', describe: 'dies per point: seeds 1..K (default 2 for mnist, 3 for iris)' },
  seeds: { type: 'number', array: true, describe: 'die seeds (instead of --dies)' },
  'verify-dies': { type: 'number', describe: 'with --verify layered: dies of each point verified in SPICE, the first ones (default: 1 for mnist, a spot check; all for iris)' },
} as const;

export const yieldOptions = {
  ...studyOptions,
  dies: { type: 'number', default: 20, describe: 'independent dies' },
  'first-seed': { type: 'number', default: 1, describe: 'seed of the first die; dies are first..first+N-1' },
  spec: { type: 'number', demandOption: true, describe: 'accuracy a die must reach, e.g. 0.90' },
  accuracy: { choices: ['model', 'spice'] as const, default: 'model' as const, describe: 'model: fitted-model test accuracy; spice: layered SPICE accuracy (naive codes verified too)' },
  strategies: { type: 'string', default: 'naive,robust,aware', describe: 'networks judged, comma-separated: naive (ideal codes), robust (one code set trained over --population-dies training dies, judged only on the held-out dies), aware (codes per die)' },
  'population-dies': { type: 'number', default: 8, describe: 'robust: training dies K, seeds after the held-out dies (first+N .. first+N+K-1)' },
  'population-seeds': { type: 'number', array: true, describe: 'robust: training die seeds (instead of --population-dies); must not be held-out dies' },
  // Default 64 virtual dies: trained on the 8 MNIST training dies themselves, one code set of 10,300 codes learns those dies and scores below the naive codes on held-out dies (docs/robust.md).
  virtual: { type: 'number', default: 64, describe: 'robust: train on N virtual dies sampled from the model fitted to the training dies, which then only validate (0: train on the training dies themselves)' },
} as const;

interface StudyArgs extends Omit<DesignArgs, 'seed'> {
  dataset?: DatasetName;
  engine: EngineName;
  out?: string;
  concurrency?: number;
  executor?: string;
  verify?: FlowVerify;
  samples?: number;
  'train-seed': number;
  epochs?: number;
  energy?: EnergyMode;
  'energy-samples'?: number;
  'energy-period'?: number;
  json?: boolean;
}

export interface SweepArgs extends StudyArgs {
  set: string[];
  dies?: number;
  seeds?: number[];
  'verify-dies'?: number;
}

export interface YieldArgs extends StudyArgs {
  dies: number;
  'first-seed': number;
  spec: number;
  accuracy: AccuracySource;
  strategies?: string;
  'population-dies'?: number;
  'population-seeds'?: number[];
  virtual?: number;
}

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');

function wholeNumber(v: number | undefined, flag: string, min: number): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new ConfigError(`${flag}: expected a whole number >= ${min}, got ${v}`);
  return v;
}

/** The design, dataset and study settings common to sweep and yield; the executor writes to <out>/jobs. */
function studySetup(a: StudyArgs, study: string) {
  const dataset = a.dataset ?? (a.preset === 'mnist' ? 'mnist' : 'iris');
  const design = designFromArgs({ ...a, seed: undefined, preset: a.preset ?? (a.design || a.layers ? undefined : dataset) });
  const dir = resolve(a.out ?? join('runs', `${study}-${dataset}`));
  wholeNumber(a.samples, '--samples', 1);
  wholeNumber(a.epochs, '--epochs', 1);
  wholeNumber(a['energy-samples'], '--energy-samples', 0);
  const { executor, where, connect } = makeExecutor(a, dir);
  let bar: Progress | undefined;
  const onProgress = (p: ExecutorProgress) => {
    if (p.done === 0 && !a.json) process.stderr.write(`${study}: ${p.total + p.skipped} dies, ${p.skipped} already done, ${p.total} to run on ${where}\n`);
    if (p.total > 0) (bar ??= new Progress(study, p.total)).update(p.done, p.total);
  };
  const opts: StudyOptions = {
    dataset,
    engine: a.engine,
    verify: a.verify ?? (dataset === 'iris' ? 'layered' : 'none'),
    energy: a['energy-samples'] === 0 ? 'none' : (a.energy ?? (study === 'yield' ? 'none' : undefined)),
    energySamples: a['energy-samples'] || undefined,
    energyPeriod: positiveSeconds(a['energy-period'], '--energy-period'),
    samples: a.samples,
    trainSeed: a['train-seed'],
    epochs: a.epochs,
    executor,
    onProgress,
  };
  return { dir, design, opts, executor, connect };
}

/**
 * The executor of --executor: local worker threads, or a Redis queue served by `codesign
 * worker` processes. `connect` fails fast when Redis is unreachable and says who is listening.
 */
export function makeExecutor(a: Pick<StudyArgs, 'executor' | 'concurrency' | 'json'>, dir: string): { executor: Executor; where: string; connect: () => Promise<void> } {
  const store = join(dir, 'jobs');
  const spec = a.executor ?? 'local';
  if (spec === 'local') {
    const executor = new LocalExecutor({ store, root: dir, workers: wholeNumber(a.concurrency, '--concurrency', 1) ?? availableParallelism() });
    return { executor, where: `${executor.workers} worker(s)`, connect: async () => undefined };
  }
  if (!/^rediss?:/.test(spec)) throw new ConfigError(`--executor: expected local or redis://host[:port][/db], got "${spec}"`);
  if (a.concurrency !== undefined) throw new ConfigError('--concurrency: set it on each codesign worker (codesign worker --concurrency N); with --executor redis://... the workers decide');
  const executor = new RedisExecutor({ url: spec, store, root: dir });
  const connect = async () => {
    const { workers } = await executor.connect();
    if (a.json) return;
    const others = workers.filter((w) => !w.startsWith(`codesign-${GENERATOR_VERSION}@`));
    process.stderr.write(
      workers.length === 0
        ? `executor ${executor.label}: no codesign worker is connected yet; the jobs wait in the queue until one starts (codesign worker --redis ${executor.label})\n`
        : `executor ${executor.label}: ${workers.length} worker process(es) connected: ${workers.join(', ')}\n`,
    );
    if (others.length) process.stderr.write(`executor ${executor.label}: warning: ${others.length} worker(s) run another codesign version and will refuse this study's jobs (this is ${GENERATOR_VERSION})\n`);
  };
  return { executor, where: `the workers of ${executor.label}`, connect };
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}`);
const si = (x: unknown, unit: string) => (typeof x === 'number' ? `${formatSi(x, 3)}${unit}` : '-');

const pm = (r: Record<string, unknown>, key: string, f: (x: number | null) => string, mean = `${key}_mean`) => {
  const sd = r[`${key}_std`] as number | null;
  return `${f(r[mean] as number | null)}${sd === null || sd === undefined ? '' : ` ± ${f(sd)}`}`;
};

function printSweep(s: SweepFile, dir: string): void {
  const num = (unit: string) => (x: number | null) => (x === null ? '-' : `${formatSi(x, 3)}${unit}`);
  const dpct = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`);
  const rows = s.rows.map((r) => [
    ...s.keys.map((k) => (typeof r[k] === 'number' ? formatSi(r[k] as number, 4) : String(r[k]))),
    `${r.dies}/${(r.dies as number) + (r.failed as number)}`,
    pm(r, 'ideal_quantized', pct),
    pm(r, 'naive', pct),
    pm(r, 'aware', pct),
    pm(r, 'aware_minus_naive', dpct),
    pm(r, 'aware_minus_ideal_quantized', dpct),
    r.spice_dies ? `${pm(r, 'spice', pct)} (${r.spice_dies})` : '-',
    typeof r.area_m2 === 'number' ? (r.area_m2 * 1e12).toFixed(0) : '-',
    pm(r, 'power_w', num('W'), 'power_w'),
    pm(r, 'energy_per_inference_j', num('J'), 'energy_per_inference_j'),
    pm(r, 'settling_time_s', num('s'), 'settling_time_s'),
    `${r.pareto_area ? 'A' : ''}${r.pareto_energy ? 'E' : ''}`,
  ]);
  out(table([...s.keys, 'dies ok', 'ideal q. %', 'naive %', 'aware %', 'aware-naive', 'aware-ideal q.', 'spice % (dies)', 'area um2', 'power', 'energy/inf', 'settling', 'pareto'], rows));
  const sources = [...new Set(s.rows.map((r) => r.energy_source).filter(Boolean))];
  out(`mean ± std over the dies of each point; power, energy and settling per die are medians over its test samples${sources.length ? `, from the ${sources.map((x) => (x === 'estimate' ? 'reduced-network estimate' : x === 'full' ? 'whole-network transient' : x)).join(' and ')}` : ''}`);
  out(`pareto: A = area vs aware accuracy, E = energy vs aware accuracy; ${s.jobs.executed} dies simulated, ${s.jobs.reused} reused, ${s.jobs.failed} failed, ${s.elapsed_s.toFixed(1)} s`);
  for (const d of s.per_die.filter((x) => !x.ok)) out(`failed: ${d.point} die ${d.seed}: ${d.error}`);
  for (const d of s.per_die) for (const w of d.warnings ?? []) out(`WARNING: ${d.point} die ${d.seed}: ${w}`);
  out(`wrote ${join(dir, 'sweep.csv')}, ${join(dir, 'sweep.json')}`);
}

/** `codesign sweep --set KEY=V1,V2 ...`: a grid of designs, K dies each, one table row per point. */
export async function sweepCommand(a: SweepArgs): Promise<SweepFile> {
  const axes = parseSets(a.set ?? []);
  wholeNumber(a.dies, '--dies', 1);
  wholeNumber(a['verify-dies'], '--verify-dies', 1);
  const dies = a.dies ?? ((a.dataset ?? (a.preset === 'mnist' ? 'mnist' : 'iris')) === 'mnist' ? 2 : 3);
  const seeds = a.seeds ?? Array.from({ length: dies }, (_, i) => i + 1);
  seeds.forEach((s) => wholeNumber(s, '--seeds', 0));
  if (seeds.length === 0 || new Set(seeds).size !== seeds.length) throw new ConfigError(`--seeds: expected distinct die seeds, got ${seeds.join(' ')}`);
  const { dir, design, opts, executor, connect } = studySetup(a, 'sweep');
  // Swept PDKs each take their own reference cells, so the base then holds only the sizes the
  // user set (otherwise the resolved config, whose job ids earlier sweeps used).
  const base = axes.some((x) => x.key === 'pdk') ? design.input : design.config;
  return finishStudy(a, dir, executor, async () => (await connect(), runSweep({ ...opts, base, axes, seeds, verifyDies: a['verify-dies'] ?? (opts.dataset === 'mnist' ? 1 : undefined), out: dir })), printSweep);
}

/** Runs a study, writes its report, prints its table (or JSON) and closes the executor. */
async function finishStudy<T extends object>(a: { json?: boolean }, dir: string, executor: { close(): Promise<void> }, run: () => Promise<T>, print: (r: T, dir: string) => void): Promise<T> {
  try {
    const r = await run();
    const report = (await writeReport(dir)).path;
    if (a.json) out(JSON.stringify({ out: dir, report, ...r }, null, 2));
    else {
      print(r, dir);
      out(`wrote ${report}`);
    }
    return r;
  } finally {
    await executor.close();
  }
}

function printYield(y: YieldFile, dir: string): void {
  const robust = !!y.robust, spice = y.accuracy_source === 'spice';
  const cols = ['die', 'naive %', ...(robust ? ['robust %'] : []), 'aware %', 'spice %', 'spice naive %', ...(robust && spice ? ['spice robust %'] : []), 'ideal quantized %', 'status'];
  out(table(cols, y.per_die.map((d) => [d.die_seed, pct(d.naive), ...(robust ? [pct(d.robust)] : []), pct(d.aware), pct(d.spice), pct(d.spice_naive), ...(robust && spice ? [pct(d.spice_robust)] : []), pct(d.ideal_quantized), d.ok ? 'ok' : d.error!.split('\n')[0]])));
  const line = (name: string, e: YieldFile['naive']) => `${name}: yield ${pct(e.yield)} % (${e.pass}/${e.dies} dies >= ${pct(y.spec)} %), 95 % Wilson interval ${pct(e.lo)}..${pct(e.hi)} %`;
  out(`accuracy source: ${y.accuracy_source === 'model' ? 'fitted-model test accuracy' : 'layered SPICE accuracy'}`);
  for (const s of y.strategies) if (y[s]) out(line(s, y[s]!));
  const t = y.robust_training;
  if (t) out(`robust: one code set trained over dies ${t.dies.join(', ') || '(none succeeded)'}${t.virtual_dies ? ` (${t.virtual_dies} virtual dies sampled from their fitted model)` : ''}, judged on the ${y.robust?.dies ?? 0} held-out dies above${t.dir ? `; codes in ${join(dir, t.dir, 'weights.json')}` : ''}`);
  for (const f of t?.failed ?? []) out(`robust training die ${f.die_seed} failed: ${f.error.split('\n')[0]}`);
  for (const d of y.per_die) for (const w of d.warnings) out(`WARNING: die ${d.die_seed}: ${w}`);
  if (y.failed.length) out(`${y.failed.length} die(s) failed and are not counted: ${y.failed.map((f) => f.die_seed).join(', ')}`);
  out(`${y.jobs.executed} dies simulated, ${y.jobs.reused} reused, ${y.elapsed_s.toFixed(1)} s; wrote ${join(dir, 'yield.csv')}, ${join(dir, 'yield.json')}`);
}

/** `codesign yield --dies N --spec 0.9`: share of independent dies meeting the spec, naive and aware. */
export async function yieldCommand(a: YieldArgs): Promise<YieldFile> {
  wholeNumber(a.dies, '--dies', 1);
  wholeNumber(a['first-seed'], '--first-seed', 0);
  const seeds = Array.from({ length: a.dies }, (_, i) => a['first-seed'] + i);
  const strategies = (a.strategies ?? STRATEGIES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = strategies.filter((s) => !(STRATEGIES as readonly string[]).includes(s));
  if (unknown.length || !strategies.length) throw new ConfigError(`--strategies: expected a comma-separated list of ${STRATEGIES.join(', ')}, got "${a.strategies}"`);
  const K = wholeNumber(a['population-dies'], '--population-dies', 1) ?? 8;
  const robust = { seeds: a['population-seeds'] ?? Array.from({ length: K }, (_, i) => a['first-seed'] + a.dies + i), virtual: wholeNumber(a.virtual, '--virtual', 0) ?? 0 };
  robust.seeds.forEach((s) => wholeNumber(s, '--population-seeds', 0));
  const { dir, design, opts, executor, connect } = studySetup(a, 'yield');
  return finishStudy(
    a,
    dir,
    executor,
    async () => (await connect(), runYield({ ...opts, design: design.config, seeds, spec: a.spec, accuracy: a.accuracy, out: dir, strategies: strategies as Strategy[], robust })),
    printYield,
  );
}
