import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDesign } from '../../src/design/index.js';
import { writeReport } from '../../src/report/index.js';
import { createEngine, type Engine } from '../../src/spice/index.js';
import { runFlow } from '../../src/study/index.js';
import { writeCsv } from '../../src/study/study.js';
import { ConfigError } from '../../src/util/errors.js';
import { nativeTest, runCli, tempDir } from '../helpers.js';
import { chromiumTest, inspectPage } from './chromium.js';

/** The plots a run folder from the real flow (layered and full verification) must show. */
const RUN_PLOTS = ['soma-transfer', 'soma-gain', 'synapse-gain', 'weight-codes', 'accuracy', 'spice-vs-model', 'settling-waveform'];

/**
 * A study folder in the format src/study writes (sweep.csv through its writeCsv,
 * yield.json): a format fixture, the numbers are illustrative, plus a column the report does not know.
 */
async function studyFolder(): Promise<string> {
  const dir = tempDir('codesign-report-study-');
  const rows = [
    { 'soma.n.w': '1.8u', point: 'p0', dies: 3, failed: 0, naive_mean: 0.62, naive_std: 0.08, aware_mean: 0.9, aware_std: 0.03, ideal_quantized_mean: 0.93, spice_mean: '', area_m2: 2.1e-9, transistors: 415, power_w: 2e-6, energy_per_inference_j: 3e-11, settling_time_s: 2e-6, pareto_area: true, pareto_energy: true, extra_column: 'x' },
    { 'soma.n.w': '2.7u', point: 'p1', dies: 3, failed: 0, naive_mean: 0.7, naive_std: 0.06, aware_mean: 0.93, aware_std: 0.02, ideal_quantized_mean: 0.93, spice_mean: '', area_m2: 2.6e-9, transistors: 415, power_w: 2.1e-6, energy_per_inference_j: 3.6e-11, settling_time_s: 1.8e-6, pareto_area: true, pareto_energy: true, extra_column: 'y' },
    { 'soma.n.w': '3.6u', point: 'p2', dies: 3, failed: 0, naive_mean: 0.72, naive_std: 0.05, aware_mean: 0.92, aware_std: 0.02, ideal_quantized_mean: 0.93, spice_mean: '', area_m2: 3.1e-9, transistors: 415, power_w: 2.2e-6, energy_per_inference_j: 4e-11, settling_time_s: 1.7e-6, pareto_area: false, pareto_energy: false, extra_column: 'z' },
  ];
  const columns = Object.keys(rows[0]);
  await writeCsv(join(dir, 'sweep.csv'), columns, rows);
  const perDie = [0.9, 0.93, 0.87, 0.97, 0.9, 0.83].map((aware, k) => ({ die_seed: k + 1, naive: aware - 0.2 + 0.05 * (k % 2), robust: aware - 0.05, aware, spice: null, spice_naive: null, ideal_quantized: 0.93, ok: true, error: null }));
  perDie.push({ die_seed: 7, naive: null as never, robust: null as never, aware: null as never, spice: null, spice_naive: null, ideal_quantized: null as never, ok: false, error: 'ConvergenceError: ...' as never });
  const est = (pass: number) => ({ yield: pass / 6, lo: 0.1, hi: 0.9, pass, dies: 6 });
  writeFileSync(join(dir, 'yield.json'), JSON.stringify({ format: 'codesign-yield/1', dataset: 'iris+bias', spec: 0.9, dies: 6, accuracy_source: 'model', naive: est(0), aware: est(4), failed: [], per_die: perDie, options: { engine: 'ngspice' } }));
  return dir;
}

const native = await nativeTest();
const browser = chromiumTest();

describe('codesign report', () => {
  let engine: Engine | undefined;
  let run: string;

  beforeAll(async () => {
    if (native === it.skip) return;
    // A real run of a tiny network (Iris 5-4-3, die 1) through the whole flow, native ngspice.
    const design = resolveDesign({ layers: [5, 4, 3] });
    engine = await createEngine('ngspice', design.pdk, { cache: false });
    run = tempDir('codesign-report-run-');
    await runFlow(engine, design, run, { dataset: 'iris', samples: 12, energy: 'full', energySamples: 2, epochs: 60 });
  }, 300_000);
  afterAll(() => engine?.close());

  native('a run folder gives one deterministic HTML file with every plot its files allow', async () => {
    const r = await writeReport(run, { engine });
    expect(r.path).toBe(join(run, 'report.html'));
    expect(r.plots).toEqual(RUN_PLOTS);
    const html = readFileSync(r.path, 'utf8');
    // Self-contained: no script, no external reference.
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org)/i);
    for (const p of r.plots) expect(html).toContain(`<figure data-plot="${p}">`);
    for (const s of r.skipped) expect(html).toContain(`data-skipped="${s}"`);
    expect(html).toContain('iris+bias');
    expect(html).toContain('5-4-3');
    expect(html).toMatch(/Pelgrom's law predicts, a lognormal/);
    // Same folder, same bytes (vega's ids are renumbered per plot).
    await writeReport(run, { engine });
    expect(readFileSync(r.path, 'utf8')).toBe(html);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  (native === it.skip ? it.skip : browser)('the run report opens in chromium without errors, every figure drawn', async () => {
    const r = await writeReport(run, { engine });
    const page = await inspectPage(r.path);
    expect(page.errors).toEqual([]);
    expect(page.figures.map((f) => f.name)).toEqual(r.plots);
    for (const f of page.figures) {
      expect(f.svgs).toBeGreaterThanOrEqual(1);
      expect(f.marks).toBeGreaterThan(0);
      expect(f.width).toBeGreaterThan(100);
    }
    expect(page.skipped).toEqual(r.skipped);
  });

  browser('a study folder: Pareto plots and the yield histogram, read from CSV and JSON', async () => {
    const dir = await studyFolder();
    const r = await writeReport(dir);
    expect(r.plots).toEqual(['pareto', 'pareto-energy', 'sweep-deltas', 'yield', 'yield-curve']);
    const html = readFileSync(r.path, 'utf8');
    expect(html).toContain('naive 6 dies, robust 6 dies, aware 6 dies'); // the yield-against-spec curve of the three strategies
    expect(html).toMatch(/<td class="num">92\.0 %<\/td>/); // die 4's robust accuracy in the per-die table
    expect(html).toContain('extra_column');
    // The per-point table: aware - naive and aware - ideal quantized (a CSV without the _minus_ columns: the means' difference).
    expect(html).toContain('<td>p0</td><td class="num">3</td><td class="num">+28.0</td><td></td><td class="num">-3.0</td>');
    expect(html).toMatch(/yield naive 0\.0 %.*aware 66\.7 %/);
    const page = await inspectPage(r.path);
    expect(page.errors).toEqual([]);
    expect(page.figures.map((f) => f.name)).toEqual(r.plots);
    for (const f of page.figures) expect(f.marks).toBeGreaterThan(0);
  });

  it('a partial folder reports what it has and lists the rest; bad JSON costs only its plots', async () => {
    const dir = await studyFolder();
    const part = tempDir('codesign-report-part-');
    copyFileSync(join(dir, 'sweep.csv'), join(part, 'sweep.csv'));
    writeFileSync(join(part, 'yield.json'), '{ not json');
    const r = await writeReport(part);
    expect(r.plots).toEqual(['pareto', 'pareto-energy', 'sweep-deltas']);
    expect(r.skipped).toEqual(['yield', 'yield-curve']);
    expect(r.notes[0].reason).toMatch(/yield\.json not valid JSON/);
  });

  it('a missing folder or one with nothing reportable is a config error', async () => {
    await expect(writeReport(join(tempDir(), 'nope'))).rejects.toThrow(ConfigError);
    const empty = tempDir();
    await expect(writeReport(empty)).rejects.toThrow(/nothing to report/);
    mkdirSync(join(empty, 'sub'));
    writeFileSync(join(empty, 'summary.json'), '[]');
    await expect(writeReport(empty)).rejects.toThrow(/nothing to report/);
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
    const missing = await runCli(['report', join(empty, 'nope')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/folder not found/);
    const nothing = await runCli(['report', tempDir()]);
    expect(nothing.code).toBe(3);
    expect(nothing.stderr).toMatch(/nothing to report/);
  });

  native('codesign report <run> --engine ngspice writes report.html and names the plots', async () => {
    const r = await runCli(['report', run, '--engine', 'ngspice', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.path).toBe(join(run, 'report.html'));
    expect(out.plots).toEqual(RUN_PLOTS);
  });
});
