/**
 * `codesign pvt --run DIR --temperature ... --vdd ... --corner ...`: the operating-conditions
 * study of a run's die. Parses the lists and options, runs the study on the local pool or a
 * Redis queue, writes the report and prints one row per condition and code set.
 */
import { join, resolve } from 'node:path';
import { ConfigError, GRID_NOTE, INPUT_NOTE, runPvt, writeReport, type EngineName, type ExecutorProgress, type GridForm, type InputReference, type PvtFile } from '../index.js';
import { formatSi } from '../util/si.js';
import { table } from './commands.js';
import { Progress } from './progress.js';
import { makeExecutor } from './study-commands.js';

export const pvtOptions = {
  run: { type: 'string', demandOption: true, describe: 'run folder with design.json, models.json and weights.json (its codes are the ones studied)' },
  temperature: { type: 'string', describe: 'temperatures, °C, comma-separated, e.g. -40,0,27,85,125 (default: the run\'s)' },
  vdd: { type: 'string', describe: 'supplies, V, comma-separated, e.g. 1.62,1.8,1.98 (default: the run\'s)' },
  corner: { type: 'string', describe: 'process corners of the design\'s PDK, comma-separated, e.g. tt,ss,ff, or all (every corner of the PDK descriptor; default: the run\'s)' },
  grid: { choices: ['cross', 'full'] as const, default: 'cross' as const, describe: `cross: ${GRID_NOTE.cross}; full: ${GRID_NOTE.full}` },
  input: { choices: ['fixed', 'ptat'] as const, default: 'fixed' as const, describe: `fixed: ${INPUT_NOTE.fixed}; ptat: ${INPUT_NOTE.ptat}` },
  weights: { type: 'string', array: true, describe: 'a further code set to deploy at every condition: FILE or LABEL=FILE (repeat); the run\'s weights.json is always the first' },
  samples: { type: 'number', describe: 'test samples verified in layered SPICE at each condition (default: the whole test split; 0: the fitted models only, no SPICE)' },
  'full-samples': { type: 'number', default: 0, describe: 'samples of a full-network transient at each condition (supply power, energy); 0 skips' },
  engine: { choices: ['wasm', 'ngspice'] as const, default: 'wasm' as const },
  out: { type: 'string', describe: 'study folder (default <run>/pvt): one run-like folder per condition, jobs/, pvt.json, pvt.csv, report.html' },
  concurrency: { type: 'number', describe: 'conditions simulated at once, one worker thread each (default: all cores; local executor)' },
  executor: { type: 'string', describe: 'where the conditions run: local (default) or redis://host[:port][/db] (served by codesign worker processes)' },
  timeout: { type: 'number', describe: 'seconds before a simulator run is stopped (default: the engine\'s, 300 s for native ngspice)' },
  cache: { type: 'boolean', default: true, describe: 'reuse stored simulation results (--no-cache to simulate everything)' },
} as const;

export interface PvtArgs {
  run: string;
  temperature?: string;
  vdd?: string;
  corner?: string;
  grid: GridForm;
  input: InputReference;
  weights?: string[];
  samples?: number;
  'full-samples': number;
  engine: EngineName;
  out?: string;
  concurrency?: number;
  executor?: string;
  timeout?: number;
  cache: boolean;
  json?: boolean;
}

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/** A comma-separated list of numbers; anything else names the option. */
function numbers(v: string | undefined, flag: string, unit: string): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = String(v).split(',').map((s) => s.trim());
  const xs = parts.map(Number);
  if (!parts.length || parts.some((p) => p === '') || xs.some((x) => !Number.isFinite(x))) throw new ConfigError(`${flag}: expected ${unit} separated by commas, e.g. ${flag === '--vdd' ? '1.62,1.8,1.98' : '-40,27,125'} (got "${v}")`);
  return xs;
}

function words(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : String(v).split(',').map((s) => s.trim()).filter(Boolean);
}

/** `--weights LABEL=FILE` or `--weights FILE`. */
function weightFiles(v: string[] | undefined): { file: string; label?: string }[] {
  return (v ?? []).map((w) => {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(w);
    return m ? { label: m[1], file: m[2] } : { file: w };
  });
}

const pct = (x: unknown) => (typeof x === 'number' ? (100 * x).toFixed(1) : '-');
const ratio = (x: unknown) => (typeof x === 'number' ? x.toFixed(3) : '-');

function printPvt(p: PvtFile, dir: string, report: string): void {
  out(`codesign pvt: die ${p.die_seed} of ${resolve(dir, p.run)} (${p.network.join('-')}), ${p.rows.length / p.code_sets.length} conditions x ${p.code_sets.length} code set(s), engine ${p.engine}`);
  out(`inputs: ${p.input_note}`);
  out(table(
    ['condition', 'codes', 'model %', 'spice %', 'agree %', 'samples', 'I ratio', 'I shift', 'DC power', 'soma a', 'g+4', 'status'],
    p.rows.map((r) => [
      `${r.condition}${r.nominal ? ' *' : ''}`,
      String(r.code_set),
      pct(r.model_accuracy),
      pct(r.spice_accuracy),
      pct(r.agreement),
      r.spice_samples === null ? '-' : `${r.spice_samples}${r.spice_failures ? ` (${r.spice_failures} failed)` : ''}`,
      ratio(r.current_ratio_spice),
      pct(r.current_shift_spice_median),
      typeof r.dc_power_w === 'number' ? `${formatSi(r.dc_power_w, 3)}W` : '-',
      ratio(r.soma_a_median),
      ratio(r.g4_pos_median),
      r.ok ? 'ok' : String(r.error ?? '').split('\n')[0],
    ]),
  ));
  out('* the run\'s own condition. model: accuracy on the condition\'s fitted models, whole test split; spice: layered SPICE at the condition; agree: SPICE vs model class agreement');
  out('I ratio: median total class current / at the run\'s condition; I shift: median largest class-current change / largest class current at the run\'s condition (SPICE)');
  if (p.models_vs_run) out(`the run's condition characterized again: ${p.models_vs_run.identical ? 'identical models' : `largest relative parameter difference ${p.models_vs_run.max_rel_diff.toExponential(2)}`} against the run's models.json`);
  out(p.power_note);
  out(`${p.jobs.executed} condition(s) simulated, ${p.jobs.reused} reused, ${p.jobs.failed} failed, ${p.elapsed_s.toFixed(1)} s`);
  out(`wrote ${join(dir, 'pvt.csv')}, ${join(dir, 'pvt.json')}, ${report}`);
}

export const PVT_EPILOG = [
  'The die is the run\'s (same design and seed: every mismatch draw is identical); only the netlists\' .temp, supply and corner change.',
  'Each condition gets <out>/<condition>/ (condition.json, design.json, models.json, weights.json = the run\'s codes, verify.json); a rerun simulates nothing that already succeeded.',
  'Example: codesign pvt --run runs/mnist-1 --temperature -40,0,27,85,125 --vdd 1.62,1.8,1.98 --corner tt,ss,ff --samples 200 --engine ngspice',
].join('\n');

/** Runs the operating-conditions study of a run and writes its report. */
export async function pvtCommand(a: PvtArgs): Promise<PvtFile> {
  const dir = resolve(a.out ?? join(a.run, 'pvt'));
  const temperatures = numbers(a.temperature, '--temperature', 'temperatures in °C');
  const vdds = numbers(a.vdd, '--vdd', 'supplies in V');
  if (a.timeout !== undefined && !(Number.isFinite(a.timeout) && a.timeout > 0)) throw new ConfigError(`--timeout: expected seconds > 0, got ${a.timeout}`);
  for (const [flag, v] of [['--samples', a.samples], ['--full-samples', a['full-samples']]] as const)
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new ConfigError(`${flag}: expected a whole number >= 0, got ${v}`);
  const { executor, where, connect } = makeExecutor(a, dir);
  let bar: Progress | undefined;
  const onProgress = (p: ExecutorProgress) => {
    if (p.done === 0 && !a.json) process.stderr.write(`pvt: ${p.total + p.skipped} conditions, ${p.skipped} already done, ${p.total} to run on ${where}\n`);
    if (p.total > 0) (bar ??= new Progress('pvt', p.total)).update(p.done, p.total);
  };
  try {
    await connect();
    const r = await runPvt({
      run: a.run,
      temperatures,
      vdds,
      corners: words(a.corner),
      form: a.grid,
      input: a.input,
      weights: weightFiles(a.weights),
      samples: a.samples,
      fullSamples: a['full-samples'],
      engine: a.engine,
      cache: a.cache,
      timeoutS: a.timeout,
      executor,
      out: dir,
      onProgress,
    });
    const report = (await writeReport(dir)).path;
    if (a.json) out(JSON.stringify({ out: dir, report, ...r }, null, 2));
    else printPvt(r, dir, report);
    return r;
  } finally {
    await executor.close();
  }
}
