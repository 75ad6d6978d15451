import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  allowedSizes,
  discreteSizes,
  CELLS,
  characterizeAndFit,
  checkCodes,
  checkModelsForDesign,
  estimateRun,
  ConfigError,
  countTransistors,
  createEngine,
  describePoint,
  dieOf,
  exportModels,
  fitMeasurements,
  formatSi,
  listPdks,
  loadPdk,
  measureSomas,
  measureSynapses,
  networkFiles,
  ngspiceHasKlu,
  planBatches,
  readModels,
  readRunJson,
  readRunWeights,
  resolveDesign,
  runFlow,
  somaTestbench,
  synapseTestbench,
  verifyRun,
  writeFileAtomic,
  writeReport,
  writeResultsCsv,
  type CellName,
  type EnergyMode,
  type Engine,
  type FitRunResult,
  type LayeredRelease,
  type Provenance,
  type VerifyMode,
} from '../index.js';
import { Progress } from './progress.js';
import { designFromArgs, positiveSeconds, type DesignArgs } from './design-args.js';
import { reviewFolderCommand } from './review-commands.js';

const out = (s: string): void => void process.stdout.write(s.endsWith("\n") ? s : s + "\n");
const json = (v: unknown): void => out(JSON.stringify(v, null, 2));

/** A plain text table, columns padded to their widest cell. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export interface NetlistArgs extends DesignArgs {
  cell: CellName | 'network';
  run?: string;
  /** network: a weights file to deploy on the run's die instead of its weights.json (cross-die, on purpose). */
  weights?: string;
  for?: 'simulation' | 'review';
  instances?: number;
  codes?: number[];
  output?: string;
  json?: boolean;
}

/** network: the trained network of a run folder on its die, as network.cir + weights.inc + inputs.inc. */
async function networkNetlistCommand(a: NetlistArgs): Promise<void> {
  if (!a.run) throw new ConfigError('netlist network needs --run <run folder> (holding design.json and weights.json)');
  if (a.for === 'review') return reviewFolderCommand({ run: a.run, output: a.output, json: a.json, weights: a.weights });
  const run = resolve(a.run);
  const design = resolveDesign(readRunJson(run, 'design.json', 'run codesign characterize first'), join(run, 'design.json'));
  const models = existsSync(join(run, 'models.json')) ? readModels(run) : undefined;
  if (models) checkModelsForDesign(design, join(run, 'design.json'), models.models, models.path);
  const deployed = readRunWeights(run, dieOf(design, models?.hash), a.weights);
  const codes = (deployed.raw as { codes: number[][][] }).codes;
  checkCodes(codes, design.config.layers, deployed.path);
  const dir = resolve(a.output ?? a.run);
  const files = networkFiles(design, design.config.seed, codes);
  if (deployed.note) files['weights.inc'] = `* ${deployed.note}\n${files['weights.inc']}`;
  for (const [name, text] of Object.entries(files)) await writeFileAtomic(join(dir, name), text);
  const counts = countTransistors(design.config.layers);
  if (a.json) return json({ dir, files: Object.keys(files).map((f) => join(dir, f)), ...counts, weights: deployed.source });
  if (deployed.note) process.stderr.write(`netlist: ${deployed.note}\n`);
  out(`wrote ${Object.keys(files).map((f) => join(dir, f)).join(', ')}: ${design.config.layers.join('-')} network, ${counts.transistors} transistors (5 x ${counts.somas} somas + 11 x ${counts.synapses} synapses + ${counts.readouts} readout nFETs)`);
}

export async function netlistCommand(a: NetlistArgs): Promise<void> {
  if (a.cell === 'network') return networkNetlistCommand(a);
  const design = designFromArgs(a, a.cell);
  const seed = design.config.seed;
  if (a.codes?.some((c) => !Number.isInteger(c))) throw new ConfigError(`--codes: expected integers in -7..7, got ${a.codes.join(' ')}`);
  const text = a.cell === 'soma' ? somaTestbench(design, seed, { instances: a.instances }).text : synapseTestbench(design, seed, { codes: a.codes }).text;
  if (a.output) await writeFileAtomic(resolve(a.output), text);
  const summary = {
    cell: a.cell,
    path: a.output ? resolve(a.output) : undefined,
    design_hash: design.hash,
    seed,
    pdk: design.pdk.name,
    corner: design.config.corner,
    transistors_per_cell: CELLS[a.cell].length,
    bytes: Buffer.byteLength(text),
  };
  if (a.json) json(a.output ? summary : { ...summary, netlist: text });
  else if (a.output) out(`wrote ${summary.path} (${a.cell}, ${design.pdk.name} ${design.config.corner}, seed ${seed}, design ${design.hash})`);
  else out(text);
}

async function withEngine<T>(name: string, pdkName: string | undefined, opts: { cache?: boolean; timeoutMs?: number; failDir?: string }, f: (e: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine(name, loadPdk(pdkName ?? 'gf180mcu'), opts);
  try {
    return await f(engine);
  } finally {
    await engine.close();
  }
}

export interface SimulateArgs {
  netlist: string;
  engine: string;
  pdk?: string;
  output?: string;
  json?: boolean;
  timeout?: number;
  cache?: boolean;
}

export async function simulateCommand(a: SimulateArgs): Promise<void> {
  const path = resolve(a.netlist);
  if (!existsSync(path)) throw new ConfigError(`netlist not found: ${path}`);
  const netlist = await readFile(path, 'utf8');
  if (a.timeout !== undefined && !(a.timeout > 0)) throw new ConfigError('--timeout: expected a positive number of seconds');
  const r = await withEngine(a.engine, a.pdk, { cache: a.cache, timeoutMs: a.timeout ? a.timeout * 1000 : undefined }, (e) =>
    e.run({ netlist, path, label: 'simulate' }),
  );
  if (a.output) await writeResultsCsv(resolve(a.output), r);
  if (a.json) {
    json({ engine: r.engine, cached: r.cached, elapsed_ms: r.elapsedMs, points: r.points, scale: r.scale, output: a.output ? resolve(a.output) : undefined, vectors: Object.fromEntries(r.names.map((n) => [n, Array.from(r.vectors[n])])) });
    return;
  }
  const rows = r.names.map((n) => {
    const v = r.vectors[n];
    return [n, formatSi(Math.min(...v), 4), formatSi(Math.max(...v), 4), formatSi(v[v.length - 1], 4)];
  });
  out(`${r.engine}: ${r.points} point(s), ${r.cached ? 'from cache' : `${(r.elapsedMs / 1000).toFixed(2)} s`}${a.output ? `, written to ${resolve(a.output)}` : ''}`);
  out(table(['vector', 'min', 'max', 'last'], rows));
}

export async function pdkListCommand(a: { json?: boolean }): Promise<void> {
  const pdks = listPdks().map((n) => loadPdk(n));
  if (a.json) {
    json(pdks.map((p) => ({ name: p.name, description: p.description, corners: Object.keys(p.corners), supply: p.supply, devices: p.devices })));
    return;
  }
  out(
    table(
      ['pdk', 'corners', 'nfet', 'pfet', 'A_VT n/p (mV*um)', 'description'],
      pdks.map((p) => [
        p.name,
        Object.keys(p.corners).join(','),
        ...(['nfet', 'pfet'] as const).map((t) => {
          const d = p.devices[t];
          return discreteSizes(d) ? `${d.model} (${d.bins!.length} sizes)` : `${d.model} >= ${formatSi(d.minW)}/${formatSi(d.minL)}`;
        }),
        `${+(p.devices.nfet.avt * 1e9).toFixed(3)}/${+(p.devices.pfet.avt * 1e9).toFixed(3)}`,
        p.description,
      ]),
    ),
  );
}

/** The W/L pairs each device type of a PDK has models for, and the cells' sizes on it. */
export async function pdkSizesCommand(a: { pdk: string; json?: boolean }): Promise<void> {
  const pdk = loadPdk(a.pdk);
  const design = resolveDesign({ pdk: a.pdk });
  const reference = Object.fromEntries(Object.entries(design.sizes).map(([c, gs]) => [c, Object.fromEntries(Object.entries(gs).map(([g, s]) => [g, `${formatSi(s.w)}/${formatSi(s.l)}`]))]));
  const devices = (['nfet', 'pfet'] as const).map((t) => {
    const d = pdk.devices[t];
    const binned = discreteSizes(d);
    const top = (k: 'w' | 'l') => formatSi(Math.max(...d.bins!.map((b) => b[k][1])), 3);
    const ranges = d.bins && !binned ? { bins: `${top('w')}/${top('l')}`, binCount: d.bins.length } : {};
    return { type: t, model: d.model, binned, ...ranges, min: `${formatSi(d.minW)}/${formatSi(d.minL)}`, sizes: binned ? allowedSizes(d).map((s) => `${formatSi(s.w, 3)}/${formatSi(s.l, 3)}`) : [] };
  });
  if (a.json) return json({ pdk: pdk.name, devices, reference_sizes: reference });
  for (const d of devices) {
    if (!d.binned) out(`${d.type} ${d.model}: any W/L at or above ${d.min}${d.bins ? ` up to ${d.bins} (${d.binCount} model bins)` : ''}`);
    else out(`${d.type} ${d.model}: ${d.sizes.length} binned sizes W/L (+-5 nm)\n  ${d.sizes.join('  ')}`);
  }
  out(`reference cells (used where a design sets no size):\n${Object.entries(reference).map(([c, gs]) => `  ${c}: ${Object.entries(gs).map(([g, s]) => `${g} ${s}`).join(', ')}`).join('\n')}`);
}

export async function pdkExportCommand(a: { dir: string; pdk?: string; json?: boolean }): Promise<void> {
  const pdk = loadPdk(a.pdk ?? 'gf180mcu');
  const files = await exportModels(pdk, a.dir);
  if (a.json) json({ pdk: pdk.name, files });
  else out(`exported ${files.length} model files of ${pdk.name} to ${resolve(a.dir)}:\n${files.map((f) => `  ${f}`).join('\n')}\nnative ngspice: run netlists with that directory as the working directory (their .include names are relative).`);
}

export interface DemoArgs extends DesignArgs {
  engine: string;
  instances: number;
  json?: boolean;
  cache?: boolean;
}

/** The main job until the full flow lands: simulate the cells of one die and show what they compute. */
export async function demoCommand(a: DemoArgs): Promise<void> {
  const t0 = Date.now();
  const design = designFromArgs(a);
  const seed = design.config.seed;
  const { somas, synapses } = await withEngine(a.engine, design.config.pdk, { cache: a.cache }, async (e) => {
    const [somas, synapses] = await Promise.all([measureSomas(e, design, seed, { instances: a.instances }), measureSynapses(e, design, seed)]);
    return { somas, synapses };
  });
  const at = (xs: number[], ys: number[], x: number) => ys[xs.findIndex((v) => Math.abs(v - x) < 1e-12)];
  const result = {
    design: design.config.name,
    design_hash: design.hash,
    pdk: design.pdk.name,
    corner: design.config.corner,
    die_seed: seed,
    engine: a.engine,
    somas: somas.map((s) => ({ path: s.path, gain: s.gain, threshold_a: s.threshold, r2: s.r2, out_at_40na: at(s.input, s.output, 40e-9) })),
    synapses: synapses.map((s) => ({ code: s.code, out_at_40na: at(s.input, s.output, 40e-9) })),
    elapsed_s: (Date.now() - t0) / 1000,
  };
  if (a.json) return json(result);
  out(`codesign: cells of die ${seed} (${design.pdk.name} ${design.config.corner}, vdd ${design.vdd} V, design ${design.hash}), engine ${a.engine}\n`);
  out('Soma: out = a * max(0, I_in - t), fitted on the active region of a DC sweep');
  out(table(['instance', 'gain a', 'threshold t', 'R^2', 'out @ 40 nA'], result.somas.map((s) => [s.path, s.gain.toFixed(3), formatSi(s.threshold_a, 3) + 'A', s.r2.toFixed(5), formatSi(s.out_at_40na, 4) + 'A'])));
  out('\nSynapse: current into the target at 40 nA presynaptic input, per weight code');
  out(table(['code', 'I(out) @ 40 nA'], result.synapses.map((s) => [s.code, formatSi(s.out_at_40na, 4) + 'A'])));
  out(`\ndone in ${result.elapsed_s.toFixed(1)} s`);
}

/** The end-of-run summary: devices, fit quality, parameter spread, time. */
function printFitSummary(r: FitRunResult, out: string, design: { layers: number[]; seed: number }): void {
  const s = r.summary;
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const st = r.stats;
  out_(`characterized ${s.somas} somas and ${s.synapses} synapses of die ${design.seed} (${design.layers.join('-')}, ${s.transistors} transistors) in ${s.elapsed_s.toFixed(1)} s` + (st ? `: ${st.batches} testbenches (${st.simulated} simulated, ${st.skipped} reused from an earlier run)` : ''));
  out_(`source: ${s.source}`);
  out_(`fit quality: R^2 min ${s.fit_r2.min.toFixed(5)}, median ${s.fit_r2.median.toFixed(5)}; held-out points, median relative error: soma ${pct(s.holdout_median_rel_error.soma)}, synapse ${pct(s.holdout_median_rel_error.synapse)} (${s.holdout_devices.synapse} synapse bits and signs)`);
  const fmt = (name: string, p: { n: number; mean: number; std: number; min: number; max: number }, scale = 1, unit = '') =>
    [name + unit, p.n, (p.mean * scale).toPrecision(4), (p.std * scale).toPrecision(3), (p.min * scale).toPrecision(4), (p.max * scale).toPrecision(4), p.mean ? `${((100 * p.std) / Math.abs(p.mean)).toFixed(1)} %` : '-'];
  const P = s.params;
  out_(table(['parameter', 'n', 'mean', 'std', 'min', 'max', 'std/mean'], [
    fmt('soma a', P.soma_a),
    fmt('soma t', P.soma_t_a, 1e9, ' (nA)'),
    ...(['g+4', 'g+2', 'g+1', 'g-4', 'g-2', 'g-1', 'd+', 'd-'] as const).map((k) => fmt(`synapse ${k}`, P[k])),
  ]));
  out_(`wrote ${['design.json', 'characterization.csv', 'characterization.json', 'models.json'].map((f) => join(out, f)).join(', ')}`);
}
const out_ = out;

/** A progress callback drawing a bar (silent off a terminal and under CI). */
function progressBar(label: string): (done: number, total: number) => void {
  let bar: Progress | undefined;
  return (done, total) => (bar ??= new Progress(label, total)).update(done, total);
}

export interface CharacterizeArgs extends DesignArgs {
  out: string;
  engine: string;
  json?: boolean;
  cache?: boolean;
}

/** Measures every device of one die in SPICE and fits its models into a run folder. */
export async function characterizeCommand(a: CharacterizeArgs): Promise<void> {
  const design = designFromArgs(a);
  const outDir = resolve(a.out);
  const r = await withEngine(a.engine, design.config.pdk, { cache: a.cache, failDir: join(outDir, 'failed') }, async (e) => {
    const progress = new Progress('characterize', planBatches(design).length);
    return characterizeAndFit(e, design, outDir, () => progress.tick());
  });
  if (a.json) return json({ out: outDir, ...r.summary, stats: r.stats });
  printFitSummary(r, outDir, { layers: design.config.layers, seed: design.config.seed });
}

export interface FitArgs extends DesignArgs {
  measurements: string;
  out: string;
  json?: boolean;
}

/** Fits models from a measurement CSV (schema: src/characterize/table.ts, example in examples/). */
export async function fitCommand(a: FitArgs): Promise<void> {
  const design = designFromArgs(a);
  const outDir = resolve(a.out);
  const r = await fitMeasurements(a.measurements, design, outDir);
  if (a.json) return json({ out: outDir, ...r.summary });
  printFitSummary(r, outDir, { layers: r.models.layers, seed: r.models.die_seed });
}

export interface VerifyArgs {
  run: string;
  /** A weights file to deploy on the run's die instead of its weights.json (cross-die, on purpose). */
  weights?: string;
  engine: string;
  mode: VerifyMode | 'estimate';
  samples?: number;
  period?: number;
  maxStep?: number;
  timeout?: number;
  samplesPerRun?: number;
  'warm-start'?: boolean;
  release?: LayeredRelease;
  'dc-reference'?: boolean;
  json?: boolean;
  cache?: boolean;
}

/** Simulates the trained network of a run in SPICE and compares it with the fitted models. */
export async function verifyCommand(a: VerifyArgs): Promise<void> {
  if (a.samples !== undefined && !(Number.isInteger(a.samples) && a.samples > 0)) throw new ConfigError(`--samples: expected a positive integer, got ${a.samples}`);
  if (a.samplesPerRun !== undefined && !(Number.isInteger(a.samplesPerRun) && a.samplesPerRun > 0)) throw new ConfigError(`--samples-per-run: expected a positive integer, got ${a.samplesPerRun}`);
  positiveSeconds(a.period, '--period');
  positiveSeconds(a.maxStep, '--max-step');
  const design = JSON.parse(await readFile(join(resolve(a.run), 'design.json'), 'utf8').catch(() => '{}'));
  if (a.mode === 'full' && a.engine === 'ngspice' && !(await ngspiceHasKlu()))
    process.stderr.write('verify: warning: this native ngspice has no KLU solver, so full mode orders the matrix with Sparse 1.3, which takes hours for MNIST-size networks; --engine wasm has KLU\n');
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const engineOpts = { cache: a.cache, failDir: join(resolve(a.run), 'failed'), timeoutMs: a.timeout ? a.timeout * 1000 : undefined };
  if (a.mode === 'estimate') {
    const r = await withEngine(a.engine, design.pdk, engineOpts, (e) =>
      estimateRun(e, a.run, { weights: a.weights, samples: a.samples, period: a.period, maxStep: a.maxStep, samplesPerRun: a.samplesPerRun, onProgress: progressBar('estimate') }),
    );
    if (a.json) return json(r);
    const ref = r.layered_reference as { samples: number; class_agreement: number; dc_deviation: { median: number; max: number }; dc_power_ratio?: { median: number } } | undefined;
    const rows: (string | number)[][] = [
      ['samples', String(r.samples)],
      ['reduced network', `${r.reduced_devices} devices for ${r.transistors} transistors`],
      ...timingRows(r.timing as Record<string, any> | undefined),
      ['DC power (median)', si((r.dc_power_w as { median: number } | undefined)?.median ?? null, 'W')],
      ...(ref ? [['reduced DC vs layered SPICE: class agreement | deviation (median, max)' + (ref.dc_power_ratio ? ' | power ratio' : ''), `${pct(ref.class_agreement)} | ${pct(ref.dc_deviation.median)}, ${pct(ref.dc_deviation.max)}${ref.dc_power_ratio ? ` | ${ref.dc_power_ratio.median.toFixed(4)}` : ''}`]] : []),
    ];
    out(`energy estimate of ${resolve(a.run)}: ${(r.network as number[]).join('-')} network, engine ${r.engine}`);
    out(table(['', 'value'], rows));
    out(`${r.spice_runs} simulator run(s), ${(r.elapsed_s as number).toFixed(1)} s; wrote ${join(resolve(a.run), 'verify-estimate.json')}`);
    return;
  }
  const mode = a.mode;
  const r = await withEngine(a.engine, design.pdk, engineOpts, (e) =>
    verifyRun(e, a.run, { mode, weights: a.weights, samples: a.samples, period: a.period, maxStep: a.maxStep, samplesPerRun: a.samplesPerRun, warmStart: a['warm-start'], release: a.release, dcReference: a['dc-reference'], onProgress: progressBar('verify') }),
  );
  if (a.json) return json(r);
  const weights = (r.provenance as Provenance).weights;
  const acc = r.accuracy as { spice: number; model: number };
  const err = r.output_error as { median_abs: number; p90_abs: number; max_abs: number };
  const rows: (string | number)[][] = [
    ['samples', String(r.samples)],
    ['SPICE accuracy', pct(acc.spice)],
    ['model accuracy', pct(acc.model)],
    ['class agreement SPICE vs model', pct(r.agreement as number)],
    ['class current error |model - SPICE| / max (median, p90, max)', `${pct(err.median_abs)}, ${pct(err.p90_abs)}, ${pct(err.max_abs)}`],
    ...timingRows(r.timing as Record<string, any> | undefined),
  ];
  const dcPower = r.dc_power_w;
  if (dcPower) rows.push(['DC power, whole network (median)', si(dcPower.median, 'W')]);
  const dc = r.dc_reference as { class_agreement_transient_vs_dc: number; window_end_deviation: { median: number; max: number }; source: string | { file: string; engine: string } } | undefined;
  if (dc) rows.push(['DC reference', typeof dc.source === 'string' ? dc.source : `from ${dc.source.file} (${dc.source.engine})`]);
  if (dc) rows.push(['window end vs DC: class agreement | deviation (median, max)', `${pct(dc.class_agreement_transient_vs_dc)} | ${pct(dc.window_end_deviation.median)}, ${pct(dc.window_end_deviation.max)}`]);
  out(`SPICE verification (${a.mode}) of ${resolve(a.run)}: ${(r.network as number[]).join('-')} network, ${r.transistors} transistors, engine ${r.engine}`);
  const pop = weights.population;
  if (pop) out(`weights: ${weights.file}, population codes trained over dies ${pop.dies.join(', ')}${pop.virtual_dies ? ` (${pop.virtual_dies} virtual dies)` : ''}: die ${r.die_seed} is ${pop.held_out ? 'held out' : 'one of them, not held out'}`);
  else if (weights.cross_die) out(`weights: ${weights.file}, ${weights.trained_for ? `trained for die ${weights.trained_for.die_seed} (design ${weights.trained_for.design_hash}, models.json sha256 ${weights.trained_for.models_hash.slice(0, 12)})` : 'no record of the die it was trained for'}: deployed on die ${r.die_seed} on purpose (cross-die)`);
  if (weights.cross_condition) out(`weights: ${weights.file}, trained for this die at ${describePoint(weights.cross_condition.trained_at)}: deployed at ${describePoint(weights.cross_condition.deployed_at)} (cross-condition, condition.json)`);
  out(table(['', 'value'], rows));
  out(`${r.spice_runs} simulator run(s), ${(r.elapsed_s as number).toFixed(1)} s; wrote ${join(resolve(a.run), a.mode === 'full' ? 'verify-full.json' : 'verify.json')}`);
}

const si = (x: number | null, unit: string) => (x === null ? '-' : `${formatSi(x, 3)}${unit}`);

/** The rows of a timing block (verify-full.json, verify-estimate.json). */
function timingRows(t: Record<string, any> | undefined): (string | number)[][] {
  if (!t) return [];
  return [
    ['window per sample | largest time step', `${formatSi(t.period_s, 3)}s | ${formatSi(t.max_step_s, 3)}s`],
    ...(t.settled_within_window ? [['settled to DC within the window', `${t.settled_within_window.count} of ${t.settled_within_window.of}`]] : []),
    ['settling time to 1 % (median, max)', `${formatSi(t.settling_time_s.median, 3)}s, ${formatSi(t.settling_time_s.max, 3)}s`],
    ['time to classification (median, max)', `${formatSi(t.decision_time_s.median, 3)}s, ${formatSi(t.decision_time_s.max, 3)}s`],
    ['supply power (median)', `${formatSi(t.power_w.median, 3)}W`],
    ['energy per inference (to settling)', `${formatSi(t.energy_per_inference_j, 3)}J`],
    ['MACs/J | ops/J (1 MAC = 2 ops)', `${(t.macs_per_joule / 1e12).toFixed(2)} TMAC/J | ${(t.ops_per_joule / 1e12).toFixed(2)} TOp/J (seed: ~7 TOp/J)`],
  ];
}

export interface RunArgs extends DesignArgs {
  dataset?: 'iris' | 'mnist';
  out?: string;
  engine: string;
  samples?: number;
  energy?: EnergyMode;
  'energy-samples'?: number;
  'energy-period'?: number;
  'train-seed'?: number;
  epochs?: number;
  json?: boolean;
  cache?: boolean;
}

/** The main job: one die from design to SPICE-verified trained network. */
export async function runCommand(a: RunArgs): Promise<void> {
  const dataset = a.dataset ?? (a.preset === 'mnist' ? 'mnist' : 'iris');
  const design = designFromArgs({ ...a, preset: a.preset ?? (a.design || a.layers ? undefined : dataset) });
  const outDir = resolve(a.out ?? join('runs', `${dataset}-${design.config.seed}`));
  const log = (s: string) => {
    if (!a.json) process.stderr.write(s + '\n');
  };
  const summary = await withEngine(a.engine, design.config.pdk, { cache: a.cache, failDir: join(outDir, 'failed') }, async (e) => {
    const progress = new Progress('characterize', planBatches(design).length);
    return runFlow(e, design, outDir, {
      dataset,
      samples: a.samples,
      energy: a.energy,
      energySamples: a['energy-samples'],
      energyPeriod: positiveSeconds(a['energy-period'], '--energy-period'),
      trainSeed: a['train-seed'],
      epochs: a.epochs,
      onStage: (st) => log(`[${st}]`),
      onBatch: () => progress.tick(),
      onVerifyProgress: progressBar('verify'),
    }).then(async (summary) => ({ ...summary, report: (await writeReport(outDir, { engine: e })).path }));
  });
  if (a.json) return json({ out: outDir, ...summary });
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const si = (x: number | null, unit: string) => (x === null ? '-' : `${formatSi(x, 3)}${unit}`);
  out(`codesign run: ${summary.dataset} ${summary.network.join('-')} on die ${summary.die_seed} (${summary.transistors} transistors), ${summary.engine}`);
  out(table(['', 'value'], [
    ['ideal float (nominal devices)', pct(summary.accuracy.ideal_float)],
    ['ideal quantized (nominal devices)', pct(summary.accuracy.ideal_quantized)],
    ['naive: ideal codes on this die (model)', pct(summary.accuracy.naive)],
    ['aware: codes trained on this die (model)', pct(summary.accuracy.aware)],
    [`aware in SPICE (${summary.spice_samples} test samples)`, pct(summary.accuracy.spice)],
    ['class agreement SPICE vs model', pct(summary.agreement)],
    [`latency and energy from (${summary.energy_samples} test samples)`, summary.energy_source === 'estimate' ? 'the reduced network (estimate)' : summary.energy_source === 'full' ? 'the whole-network transient' : 'not measured'],
    ['settling time to 1 % (median)', si(summary.settling_time_s, 's')],
    ['supply power (median)', si(summary.power_w, 'W')],
    ['energy per inference', si(summary.energy_per_inference_j, 'J')],
    ['ops/J (1 MAC = 2 ops) | MACs/J', summary.ops_per_joule === null ? '-' : `${(summary.ops_per_joule / 1e12).toFixed(2)} TOp/J | ${(summary.macs_per_joule! / 1e12).toFixed(2)} TMAC/J`],
    ['time', `${summary.elapsed_s.toFixed(1)} s (${Object.entries(summary.stages_s).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')})`],
  ]));
  for (const w of summary.warnings) out(`WARNING: ${w}`);
  out(`wrote ${join(outDir, 'summary.json')} and ${summary.report}`);
}
