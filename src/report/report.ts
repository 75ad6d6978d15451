import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { characterizationSweeps, predictSomaGainSpread, type GainSpreadPrediction } from '../characterize/index.js';
import { describePoint, resolveDesign, type Design } from '../design/index.js';
import { modelsSchema, type DieModels } from '../fit/index.js';
import type { Engine } from '../spice/index.js';
import { checkModelsForDesign, describeDie, fileHash, readRunWeights, trainingSchema, weightsSchema, type Provenance } from '../train/index.js';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { GENERATOR_VERSION } from '../util/version.js';
import { Folder, obj, pick, RUN_FILES, STUDY_FILES, studyRows } from './folder.js';
import { esc, htmlFacts, page } from './html.js';
import { isFigure, type Figure, type Outcome } from './plot.js';
import { renderSvg } from './render.js';
import { accuracy, settlingWaveform, somaGain, somaTransfer, spiceVsModel, summaryFacts, synapseGain, weightCodes, type RunData } from './run-plots.js';
import { pareto, studyFacts, sweepDeltas, sweepTable, yieldHistogram, type StudyData } from './study-plots.js';
import { PVT_FILES, pvtCorners, pvtCurrents, pvtFacts, pvtTable, pvtTemperature, readPvt } from './pvt-plots.js';
import { yieldCurve } from './yield-curve.js';

export interface ReportOptions {
  /** Output file (default `<dir>/report.html`). */
  out?: string;
  /**
   * Engine for Pelgrom's prediction of the soma gain spread (one small SPICE run on the
   * folder's design.json); without it the histogram shows the fitted gains alone, unless
   * `prediction` is given or characterization.json carries one.
   */
  engine?: Engine;
  prediction?: GainSpreadPrediction;
}

export interface ReportResult {
  path: string;
  /** `data-plot` names of the figures drawn, in page order. */
  plots: string[];
  /** Names of the plots the folder has no data for. */
  skipped: string[];
  /** Why each skipped plot was skipped. */
  notes: { plot: string; reason: string }[];
}

async function prediction(f: Folder, characterization: Record<string, unknown> | undefined, opts: ReportOptions): Promise<RunData['prediction']> {
  if (opts.prediction) return opts.prediction;
  const stored = obj(characterization?.prediction);
  if (typeof stored?.nominal === 'number' && typeof stored?.sigmaLnA === 'number') return stored as unknown as GainSpreadPrediction;
  if (!opts.engine) return { missing: 'no engine given to compute it (codesign report runs one SPICE sensitivity analysis unless --no-predict)' };
  const raw = f.json('design.json');
  if (raw === undefined) return { missing: f.why('design.json') };
  try {
    const design = resolveDesign(raw, join(f.dir, 'design.json'));
    return await predictSomaGainSpread(opts.engine, design, characterizationSweeps(design).soma);
  } catch (e) {
    return { missing: `computing it failed: ${(e as Error).message}` };
  }
}

/**
 * A run folder whose files were made for different dies is refused with a ConfigError naming
 * both: weights.json trained for another die or other models, a verify file computed from models
 * or weights the folder no longer holds. Returns header facts about weights verified on purpose
 * on another die (--weights).
 */
function checkRunFolder(f: Folder, models: DieModels | undefined): [string, string][] {
  if (!models) return [];
  const modelsPath = join(f.dir, 'models.json');
  const modelsHash = fileHash(readFileSync(modelsPath));
  const raw = f.json('design.json');
  let design: Design | undefined;
  try {
    design = raw === undefined ? undefined : resolveDesign(raw, join(f.dir, 'design.json'));
  } catch {
    design = undefined; // a broken design.json costs the prediction only
  }
  if (design) checkModelsForDesign(design, join(f.dir, 'design.json'), models, modelsPath);
  const weightsHash = f.has('weights.json') ? readRunWeights(f.dir, { design_hash: models.design_hash, die_seed: models.die_seed, models_hash: modelsHash }).source.sha256 : undefined;
  const facts: [string, string][] = [];
  for (const file of ['verify.json', 'verify-full.json']) {
    const p = obj(pick(f.json(file), 'provenance')) as Partial<Provenance> | undefined;
    if (!p?.weights) continue; // written before runs recorded their provenance
    const again = `verify again (codesign verify --run ${f.dir}) or remove ${file}`;
    if (p.models_hash !== modelsHash) throw new ConfigError(`${join(f.dir, file)} was computed on models.json sha256 ${String(p.models_hash).slice(0, 12)}, but ${modelsPath} is sha256 ${modelsHash.slice(0, 12)}: ${again}`);
    const w = p.weights;
    if (w.cross_die) facts.push([`weights in ${file}`, `${w.file}, trained for ${w.trained_for ? describeDie(w.trained_for) : 'an unrecorded die'}: deployed on purpose (--weights)`]);
    else if (w.cross_condition) facts.push([`weights in ${file}`, `${w.file}, trained at ${describePoint(w.cross_condition.trained_at)}: deployed at ${describePoint(w.cross_condition.deployed_at)} (condition.json)`]);
    else if (weightsHash !== undefined && w.sha256 !== weightsHash) throw new ConfigError(`${join(f.dir, file)} was computed with weights sha256 ${w.sha256.slice(0, 12)}, but ${join(f.dir, 'weights.json')} is sha256 ${weightsHash.slice(0, 12)}: ${again}`);
  }
  return facts;
}

/** The run's identity for the header: dataset, network, die seed, design hash. */
function runFacts(d: RunData): [string, string][] {
  const sources = [d.summary, d.training, d.weights, d.verify, d.models];
  const first = (...path: string[]) => sources.map((s) => pick(s, ...path)).find((v) => v !== undefined && v !== null);
  const network = first('network') ?? first('layers') ?? (pick(d.f.json('design.json'), 'layers') as unknown);
  const out: [string, string][] = [];
  const add = (k: string, v: unknown) => v !== undefined && out.push([k, Array.isArray(v) ? v.join('-') : String(v)]);
  add('dataset', first('dataset'));
  add('network', network);
  add('die seed', first('die_seed') ?? pick(d.f.json('design.json'), 'seed'));
  add('design hash', first('design_hash'));
  add('PDK', d.models ? `${d.models.pdk} ${d.models.corner}` : undefined);
  return out;
}

const isRun = (f: Folder) => RUN_FILES.some((n) => f.has(n));
const isStudy = (f: Folder) => STUDY_FILES.some((n) => f.has(n));
const isPvt = (f: Folder) => PVT_FILES.some((n) => f.has(n));

async function runOutcomes(f: Folder, opts: ReportOptions): Promise<{ outcomes: Outcome[]; data: RunData; provenance: [string, string][] }> {
  const characterization = obj(f.json('characterization.json'));
  const models = f.parsed('models.json', modelsSchema);
  const provenance = checkRunFolder(f, models);
  const data: RunData = {
    f,
    models,
    weights: f.parsed('weights.json', weightsSchema),
    training: f.parsed('training.json', trainingSchema),
    characterization,
    verify: obj(f.json('verify.json')),
    verifyFull: obj(f.json('verify-full.json')),
    verifyEstimate: obj(f.json('verify-estimate.json')),
    summary: obj(f.json('summary.json')),
    prediction: models ? await prediction(f, characterization, opts) : { missing: f.why('models.json') },
  };
  const outcomes = [await somaTransfer(data), somaGain(data), synapseGain(data), weightCodes(data), accuracy(data), spiceVsModel(data), settlingWaveform(data)];
  return { outcomes, data, provenance };
}

function studyOutcomes(f: Folder): { outcomes: Outcome[]; data: StudyData } {
  const data: StudyData = { f, sweep: studyRows(f, 'sweep.json', 'rows', 'sweep.csv'), sweepFile: obj(f.json('sweep.json')), yieldFile: obj(f.json('yield.json')), dies: studyRows(f, 'yield.json', 'per_die', 'yield.csv') };
  const outcomes = [pareto(data, 0), pareto(data, 1), sweepDeltas(data), yieldHistogram(data), yieldCurve(data)];
  // Energy is the second cost axis: drawn when the sweep has it, not listed as missing when it has area only.
  if (!isFigure(outcomes[1]) && isFigure(outcomes[0])) outcomes.splice(1, 1);
  return { outcomes, data };
}

async function figureHtml(fig: Figure): Promise<string> {
  const svg = fig.spec ? await renderSvg(fig.spec, fig.name) : '';
  return [`<figure data-plot="${esc(fig.name)}">`, `<h3>${esc(fig.title)}</h3>`, svg, fig.html ?? '', `<figcaption>${esc(fig.caption)}</figcaption>`, '</figure>'].filter(Boolean).join('\n');
}

/**
 * Writes one self-contained HTML report of a run or study folder (`<dir>/report.html`): every
 * plot the folder has data for as inline SVG, the skipped ones listed with the reason. The same
 * folder gives the same bytes. A missing folder, or one with nothing to report, is a ConfigError.
 */
export async function writeReport(dir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const f = new Folder(dir);
  const run = isRun(f), study = isStudy(f), pvt = isPvt(f);
  if (!run && !study && !pvt) throw new ConfigError(`report: nothing to report in ${f.dir}: expected a run folder (${RUN_FILES.join(', ')}) or a study folder (${[...STUDY_FILES, ...PVT_FILES].join(', ')})`);
  const sections: string[] = [];
  const outcomes: Outcome[] = [];
  const facts: [string, string][] = [];
  if (run) {
    const r = await runOutcomes(f, opts);
    facts.push(...runFacts(r.data), ...r.provenance);
    outcomes.push(...r.outcomes);
    const s = r.data.summary ? summaryFacts(r.data.summary) : [];
    if (s.length) sections.push(`<section id="summary">\n<h2>Summary</h2>\n${htmlFacts(s)}\n<p class="note">From summary.json.</p>\n</section>`);
  }
  if (study) {
    const s = studyOutcomes(f);
    facts.push(...studyFacts(s.data).filter(([k]) => !facts.some(([k2]) => k2 === k)));
    outcomes.push(...s.outcomes);
    if (s.data.sweep) sections.push(`<section id="sweep-table">\n<h2>Sweep points</h2>\n${sweepTable(s.data.sweep)}\n</section>`);
  }
  if (pvt) {
    const d = readPvt(f);
    facts.push(...pvtFacts(d).filter(([k]) => !facts.some(([k2]) => k2 === k)));
    outcomes.push(pvtTemperature(d), pvtCorners(d), pvtCurrents(d));
    if (d.rows) sections.push(`<section id="pvt-table">\n<h2>Operating conditions</h2>\n${pvtTable(d.rows)}\n</section>`);
  }
  const figures = outcomes.filter(isFigure);
  const skips = outcomes.filter((o) => !isFigure(o)) as Exclude<Outcome, Figure>[];
  if (!figures.length && !sections.length) {
    throw new ConfigError(`report: nothing to report in ${f.dir}: ${skips.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  }
  const name = basename(f.dir);
  facts.push(['generator', `codesign ${GENERATOR_VERSION}`]);
  const body = [
    `<header>\n<h1>codesign ${run ? 'run' : pvt ? 'operating-conditions' : 'study'} report: ${esc(name)}</h1>\n${htmlFacts(facts)}\n</header>`,
    ...sections,
    `<section id="plots">\n<h2>Plots</h2>`,
    ...(await Promise.all(figures.map(figureHtml))),
    '</section>',
    ...(skips.length
      ? [`<section id="skipped">\n<h2>Not in this folder</h2>\n<ul>\n${skips.map((s) => `<li data-skipped="${esc(s.name)}"><b>${esc(s.title)}</b>: ${esc(s.reason)}</li>`).join('\n')}\n</ul>\n</section>`]
      : []),
    `<footer>codesign ${esc(GENERATOR_VERSION)} · from the files of ${esc(name)}: ${[...RUN_FILES, ...STUDY_FILES, ...PVT_FILES].filter((n) => f.has(n)).map(esc).join(', ')}</footer>`,
  ].join('\n');
  const path = opts.out ?? join(f.dir, 'report.html');
  await writeFileAtomic(path, page(`codesign report: ${name}`, body));
  return { path, plots: figures.map((p) => p.name), skipped: skips.map((s) => s.name), notes: skips.map((s) => ({ plot: s.name, reason: s.reason })) };
}
