import { readMeasurements, SYNAPSE_CONFIGS, type GainSpreadPrediction, type MeasurementRow } from '../characterize/index.js';
import { somaOut, type DieModels } from '../fit/index.js';
import { CODE_MAX, type TrainingFile, type WeightsFile } from '../train/index.js';
import { join } from 'node:path';
import { matrix, num, obj, pick, type Folder } from './folder.js';
import { htmlTable } from './html.js';
import { eng, HEIGHT, histogram, meanStd, pct, thin, WIDTH, type Outcome } from './plot.js';

/** What a run folder holds, each file read through its schema (or loosely, for the verify and summary records). */
export interface RunData {
  f: Folder;
  models?: DieModels;
  weights?: WeightsFile;
  training?: TrainingFile;
  characterization?: Record<string, unknown>;
  verify?: Record<string, unknown>;
  verifyFull?: Record<string, unknown>;
  /** The reduced network's estimate (verify-estimate.json): drawn when there is no full transient. */
  verifyEstimate?: Record<string, unknown>;
  summary?: Record<string, unknown>;
  /** Pelgrom's prediction of the soma gain spread, or why there is none. */
  prediction: GainSpreadPrediction | { missing: string };
}

const nA = 1e9;
/** At most this many somas drawn in the transfer plot (evenly picked), so MNIST dies stay legible. */
const MAX_SOMAS = 40;

function layerName(layer: number, layers: number): string {
  return `${layer} ${layer === 0 ? 'input' : layer === layers - 1 ? 'output' : 'hidden'}`;
}

async function somaRows(d: RunData): Promise<MeasurementRow[] | string> {
  if (!d.f.has('characterization.csv')) return 'no characterization.csv';
  try {
    return (await readMeasurements(join(d.f.dir, 'characterization.csv'))).filter((r) => r.kind === 'soma');
  } catch (e) {
    return `characterization.csv unreadable: ${(e as Error).message}`;
  }
}

/** Measured soma transfer points of the die with each soma's fitted model curve. */
export async function somaTransfer(d: RunData): Promise<Outcome> {
  const name = 'soma-transfer', title = 'Soma transfer curves: SPICE points and fitted models';
  const rows = await somaRows(d);
  if (typeof rows === 'string') return { name, title, reason: rows };
  if (!rows.length) return { name, title, reason: 'characterization.csv has no soma rows' };
  const byDevice = new Map<string, MeasurementRow[]>();
  for (const r of rows) byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
  const all = [...byDevice.keys()].sort((a, b) => {
    const [la, ia] = a.slice(1).split('/').map(Number), [lb, ib] = b.slice(1).split('/').map(Number);
    return la - lb || ia - ib;
  });
  const shown = all.length <= MAX_SOMAS ? all : Array.from({ length: MAX_SOMAS }, (_, k) => all[Math.round((k * (all.length - 1)) / (MAX_SOMAS - 1))]);
  const nLayers = d.models?.layers.length ?? Math.max(...rows.map((r) => r.layer)) + 1;
  const values: Record<string, unknown>[] = [];
  let curves = 0;
  for (const dev of shown) {
    const pts = byDevice.get(dev)!.sort((a, b) => a.point - b.point);
    const layer = layerName(pts[0].layer, nLayers);
    for (const p of pts) values.push({ part: 'measured', device: dev, layer, x: p.x_a * nA, y: p.y_a * nA });
    const m = d.models?.somas[pts[0].layer];
    const i = pts[0].pre;
    if (m && i < m.a.length) {
      const fit = { a: m.a[i], t: m.t[i], s: m.s?.[i] };
      const lo = pts[0].x_a, hi = pts[pts.length - 1].x_a;
      for (let k = 0; k <= 60; k++) {
        const u = lo + ((hi - lo) * k) / 60;
        values.push({ part: 'model', device: dev, layer, x: u * nA, y: somaOut(fit, u) * nA });
      }
      curves++;
    }
  }
  const color = { field: 'layer', type: 'nominal', title: 'soma layer' } as const;
  const x = { field: 'x', type: 'quantitative', title: 'input current (nA)' } as const;
  const y = { field: 'y', type: 'quantitative', title: 'output current (nA)' } as const;
  const model = d.models ? `${d.models.soma_model === 'relu' ? 'h = a·max(0, u − t)' : 'softplus'} model` : 'model';
  return {
    name,
    title,
    caption:
      `${shown.length === all.length ? `All ${all.length}` : `${shown.length} of ${all.length}`} somas of the die: points from characterization.csv (SPICE), ` +
      (curves ? `lines the fitted ${model} of each soma (models.json).` : `no model curves (${d.f.why('models.json')}).`),
    spec: {
      width: WIDTH,
      height: HEIGHT + 60,
      data: { values },
      layer: [
        { transform: [{ filter: "datum.part === 'model'" }], mark: { type: 'line', strokeWidth: 1, opacity: 0.7 }, encoding: { x, y, color, detail: { field: 'device' } } },
        { transform: [{ filter: "datum.part === 'measured'" }], mark: { type: 'point', filled: true, size: 10, opacity: 0.6 }, encoding: { x, y, color } },
      ],
    },
  };
}

/** Fitted soma gains a against the lognormal that Pelgrom's law predicts. */
export function somaGain(d: RunData): Outcome {
  const name = 'soma-gain', title = 'Soma gain a: fitted values and the Pelgrom prediction';
  if (!d.models) return { name, title, reason: d.f.why('models.json') };
  const a = d.models.somas.flatMap((s) => s.a);
  const bins = histogram(a);
  const values: Record<string, unknown>[] = bins.map((b) => ({ part: 'bar', ...b }));
  const w = bins[0].x1 - bins[0].x0;
  const lnA = meanStd(a.map(Math.log));
  let predicted: string;
  const p = d.prediction;
  if ('sigmaLnA' in p && p.sigmaLnA > 0) {
    const lo = bins[0].x0, hi = bins[bins.length - 1].x1;
    for (let k = 0; k <= 100; k++) {
      const x = lo + ((hi - lo) * k) / 100;
      const z = (Math.log(x) - Math.log(p.nominal)) / p.sigmaLnA;
      values.push({ part: 'pdf', x, count: (a.length * w * Math.exp(-0.5 * z * z)) / (x * p.sigmaLnA * Math.sqrt(2 * Math.PI)) });
    }
    values.push({ part: 'nominal', x: p.nominal });
    predicted =
      `Curve: the count Pelgrom's law predicts, a lognormal around the nominal gain ${p.nominal.toPrecision(3)} with σ(ln a) = ${p.sigmaLnA.toPrecision(3)} ` +
      `(first order, each soma device's SPICE sensitivity times its Pelgrom sigma); measured σ(ln a) = ${lnA.std.toPrecision(3)} ` +
      `(${(lnA.std / p.sigmaLnA).toFixed(2)}x the prediction). Output somas are read through their own mismatched readout nFET, which the prediction leaves out.`;
  } else if ('sigmaLnA' in p) {
    values.push({ part: 'nominal', x: p.nominal });
    predicted = `Mismatch is off in this design: Pelgrom predicts every gain at the nominal ${p.nominal.toPrecision(3)} (rule).`;
  } else predicted = `No Pelgrom prediction: ${p.missing}.`;
  return {
    name,
    title,
    caption: `Histogram of the fitted gains of all ${a.length} somas (models.json): mean ${meanStd(a).mean.toPrecision(3)}, std/mean ${pct(meanStd(a).std / meanStd(a).mean)}. ${predicted}`,
    spec: {
      width: WIDTH,
      height: HEIGHT,
      data: { values },
      layer: [
        {
          transform: [{ filter: "datum.part === 'bar'" }],
          mark: { type: 'rect', color: '#7aa6c2', stroke: 'white', strokeWidth: 0.5 },
          encoding: { x: { field: 'x0', type: 'quantitative', title: 'soma gain a', scale: { zero: false } }, x2: { field: 'x1' }, y: { field: 'count', type: 'quantitative', title: 'somas' } },
        },
        { transform: [{ filter: "datum.part === 'pdf'" }], mark: { type: 'line', color: '#c0392b', strokeWidth: 2 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'count', type: 'quantitative' } } },
        { transform: [{ filter: "datum.part === 'nominal'" }], mark: { type: 'rule', color: '#c0392b', strokeDash: [4, 3] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      ],
    },
  };
}

/** Fitted synapse gains per bit and sign, with their mean and ±1 std band. */
export function synapseGain(d: RunData): Outcome {
  const name = 'synapse-gain', title = 'Synapse gains per bit and sign';
  if (!d.models) return { name, title, reason: d.f.why('models.json') };
  const values: Record<string, unknown>[] = [];
  const notes: string[] = [];
  SYNAPSE_CONFIGS.forEach((cfg, c) => {
    const key = cfg.startsWith('+') ? 'gain_pos' : 'gain_neg';
    const b = c % 3;
    const g = d.models!.synapses.flatMap((w) => w[key].filter((_, k) => k % 3 === b)).map(Math.abs);
    if (!g.length) return;
    const label = `g${cfg}`;
    for (const bin of histogram(g)) values.push({ part: 'bar', config: label, ...bin });
    const { mean, std } = meanStd(g);
    values.push({ part: 'band', config: label, lo: mean - std, hi: mean + std, mean });
    notes.push(`${label} ${mean.toPrecision(3)} ± ${pct(std / mean)}`);
  });
  const n = d.models.synapses.reduce((s, w) => s + w.rows * w.cols, 0);
  return {
    name,
    title,
    caption:
      `Histograms of |g| of all ${n} synapses per magnitude bit (4, 2, 1) and sign (models.json); shaded: mean ± 1 std. ${notes.join(', ')} (mean ± std/mean). ` +
      'No Pelgrom prediction is drawn here: the code predicts the spread of the soma gain only.',
    spec: {
      data: { values },
      columns: 3,
      facet: { field: 'config', type: 'nominal', title: null, sort: SYNAPSE_CONFIGS.map((c) => `g${c}`) },
      spec: {
        width: 200,
        height: 140,
        layer: [
          { transform: [{ filter: "datum.part === 'band'" }], mark: { type: 'rect', color: '#f0b27a', opacity: 0.35 }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
          {
            transform: [{ filter: "datum.part === 'bar'" }],
            mark: { type: 'rect', color: '#7aa6c2', stroke: 'white', strokeWidth: 0.5 },
            encoding: { x: { field: 'x0', type: 'quantitative', title: '|g|', scale: { zero: false } }, x2: { field: 'x1' }, y: { field: 'count', type: 'quantitative', title: 'synapses' } },
          },
          { transform: [{ filter: "datum.part === 'band'" }], mark: { type: 'rule', color: '#d35400' }, encoding: { x: { field: 'mean', type: 'quantitative' } } },
        ],
      },
      resolve: { scale: { x: 'independent', y: 'independent' } },
    },
  };
}

/** How often each code -7..7 occurs, per weight layer. */
export function weightCodes(d: RunData): Outcome {
  const name = 'weight-codes', title = 'Trained weight codes';
  if (!d.weights) return { name, title, reason: d.f.why('weights.json') };
  const values: Record<string, unknown>[] = [];
  d.weights.codes.forEach((m, k) => {
    const counts = new Map<number, number>();
    for (const c of m.flat()) counts.set(c, (counts.get(c) ?? 0) + 1);
    for (let c = -CODE_MAX; c <= CODE_MAX; c++) values.push({ layer: `weights ${k} → ${k + 1}`, code: c, count: counts.get(c) ?? 0 });
  });
  const all = d.weights.codes.flat(2);
  const zeros = all.filter((c) => c === 0).length, sat = all.filter((c) => Math.abs(c) === CODE_MAX).length;
  return {
    name,
    title,
    caption: `Codes of the mismatch-aware weights (weights.json, 3 bits + sign, −${CODE_MAX}..${CODE_MAX}) per weight layer: ${all.length} synapses, ${pct(zeros / all.length)} at 0, ${pct(sat / all.length)} at ±${CODE_MAX}.`,
    spec: {
      width: WIDTH,
      height: HEIGHT - 60,
      data: { values },
      mark: 'bar',
      encoding: {
        x: { field: 'code', type: 'ordinal', title: 'code', sort: 'ascending', axis: { labelAngle: 0 } },
        xOffset: { field: 'layer' },
        y: { field: 'count', type: 'quantitative', title: 'synapses' },
        color: { field: 'layer', type: 'nominal', title: null },
      },
    },
  };
}

/** The baselines (ideal float, ideal quantized, naive, aware) and the SPICE check as a table and bars. */
export function accuracy(d: RunData): Outcome {
  const name = 'accuracy', title = 'Test accuracy: baselines and SPICE';
  const rows: { name: string; devices: string; weights: string; accuracy: number; on: string }[] = [];
  const labels: Record<string, string> = { ideal_float: 'ideal float', ideal_quantized: 'ideal quantized', naive: 'naive', aware: 'aware' };
  const testN = d.training?.splits.test;
  const summaryAcc = obj(pick(d.summary, 'accuracy'));
  if (d.training) for (const b of d.training.baselines) rows.push({ name: labels[b.name] ?? b.name, devices: b.devices, weights: b.weights, accuracy: b.test_accuracy, on: `models, ${testN} test samples` });
  else if (summaryAcc)
    for (const k of Object.keys(labels)) {
      const v = num(summaryAcc[k]);
      if (v !== undefined) rows.push({ name: labels[k], devices: k.startsWith('ideal') ? 'nominal' : 'die', weights: k === 'ideal_float' ? 'float' : k === 'aware' ? 'aware codes' : 'ideal codes', accuracy: v, on: 'models (summary.json)' });
    }
  const spice = num(pick(d.verify, 'accuracy', 'spice')) ?? num(summaryAcc?.spice);
  const n = num(d.verify?.samples) ?? num(d.summary?.spice_samples);
  if (spice !== undefined) rows.push({ name: 'SPICE (aware codes)', devices: 'transistors', weights: 'aware codes', accuracy: spice, on: `layered SPICE${n ? `, ${n} test samples` : ''}` });
  const model = num(pick(d.verify, 'accuracy', 'model')) ?? num(summaryAcc?.model_on_spice_samples);
  if (model !== undefined && spice !== undefined) rows.push({ name: 'models on the SPICE samples', devices: 'die', weights: 'aware codes', accuracy: model, on: `models${n ? `, ${n} test samples` : ''}` });
  const spiceNaive = num(summaryAcc?.spice_naive);
  if (spiceNaive !== undefined) rows.push({ name: 'SPICE (naive codes)', devices: 'transistors', weights: 'ideal codes', accuracy: spiceNaive, on: 'layered SPICE' });
  if (!rows.length) return { name, title, reason: `${d.f.why('training.json')}, ${d.f.why('summary.json')}` };
  const agreement = num(d.verify?.agreement) ?? num(d.summary?.agreement);
  return {
    name,
    title,
    caption:
      'ideal float / ideal quantized: nominal devices (each parameter at the die median); naive: the ideal codes on this die; aware: codes trained on this die\'s models (training.json). ' +
      (spice !== undefined ? `SPICE: the transistor-level network with the aware codes (verify.json)${agreement !== undefined ? `, which decides as the models do on ${pct(agreement)} of the samples` : ''}.` : `No SPICE accuracy (${d.f.why('verify.json')}).`),
    html: htmlTable(['network', 'devices', 'weights', 'test accuracy', 'evaluated by'], rows.map((r) => [r.name, r.devices, r.weights, pct(r.accuracy), r.on])),
    spec: {
      width: WIDTH,
      data: { values: rows.map((r) => ({ name: r.name, accuracy: 100 * r.accuracy, label: pct(r.accuracy) })) },
      encoding: { y: { field: 'name', type: 'nominal', title: null, sort: null, axis: { labelLimit: 260 } }, x: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { domain: [0, 100] } } },
      layer: [{ mark: { type: 'bar', color: '#7aa6c2' } }, { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { text: { field: 'label' } } }],
    },
  };
}

/** Class currents of every verified sample: SPICE against the fitted models. */
export function spiceVsModel(d: RunData): Outcome {
  const name = 'spice-vs-model', title = 'Class currents: SPICE against the fitted models';
  if (!d.verify) return { name, title, reason: d.f.why('verify.json') };
  const spice = matrix(pick(d.verify, 'currents', 'spice')), model = matrix(pick(d.verify, 'currents', 'model'));
  if (!spice || !model) return { name, title, reason: 'verify.json has no per-sample class currents (currents.spice / currents.model; written by newer versions of codesign verify)' };
  if (spice.length !== model.length || spice[0].length !== model[0].length) return { name, title, reason: `verify.json currents: spice is ${spice.length}x${spice[0].length}, model ${model.length}x${model[0].length}` };
  const values = spice.flatMap((r, s) => r.map((v, c) => ({ sample: s, class: `class ${c}`, spice: v * nA, model: model[s][c] * nA })));
  const top = Math.max(...values.map((v) => Math.max(v.spice, v.model)));
  const err = pick(d.verify, 'output_error', 'median_abs');
  return {
    name,
    title,
    caption:
      `Every class current of the ${spice.length} verified test samples (verify.json): layered SPICE on x, the fitted models on y; the diagonal is agreement.` +
      (num(err) !== undefined ? ` Median |model − SPICE| is ${pct(num(err)!)} of the sample's largest SPICE class current.` : ''),
    spec: {
      width: HEIGHT + 60,
      height: HEIGHT + 60,
      layer: [
        { data: { values: [{ v: 0 }, { v: top }] }, mark: { type: 'line', color: '#999', strokeDash: [4, 3] }, encoding: { x: { field: 'v', type: 'quantitative' }, y: { field: 'v', type: 'quantitative' } } },
        {
          data: { values },
          mark: { type: 'point', filled: true, size: 30, opacity: 0.75 },
          encoding: {
            x: { field: 'spice', type: 'quantitative', title: 'SPICE class current (nA)' },
            y: { field: 'model', type: 'quantitative', title: 'model class current (nA)' },
            color: { field: 'class', type: 'nominal', title: null },
          },
        },
      ],
    },
  };
}

/** The full-network transient (or, without one, the reduced network's): class currents and supply current over the presented samples. */
export function settlingWaveform(d: RunData): Outcome {
  const name = 'settling-waveform';
  const estimate = !d.verifyFull && !!d.verifyEstimate;
  const file = estimate ? 'verify-estimate.json' : 'verify-full.json';
  const title = estimate ? 'Reduced network (energy estimate): settling of the class currents' : 'Full-network transient: settling of the class currents';
  const v = d.verifyFull ?? d.verifyEstimate;
  if (!v) return { name, title, reason: `${d.f.why('verify-full.json')} or verify-estimate.json` };
  const w = obj(v.waveform);
  const t = Array.isArray(w?.t) && w.t.every((v) => num(v) !== undefined) ? (w.t as number[]) : undefined;
  const outputs = matrix(w?.outputs);
  if (!t || !outputs) return { name, title, reason: `${file} has no waveform (waveform.t, waveform.outputs; written by newer versions of codesign verify)` };
  if (outputs.some((o) => o.length !== t.length)) return { name, title, reason: `${file} waveform: outputs are not ${t.length} points long like t` };
  const supply = Array.isArray(w!.supply_current) && w!.supply_current.length === t.length && w!.supply_current.every((v) => num(v) !== undefined) ? (w!.supply_current as number[]) : undefined;
  const bounds = Array.isArray(w!.sample_boundaries) ? (w!.sample_boundaries.filter((v) => num(v) !== undefined) as number[]) : [];
  const idx = thin(t.length, 1500);
  const us = 1e6;
  const classes = outputs.flatMap((o, c) => idx.map((i) => ({ t: t[i] * us, i: o[i] * nA, class: `class ${c}` })));
  const rules = bounds.map((b) => ({ t: b * us }));
  const x = { field: 't', type: 'quantitative', title: 'time (µs)' } as const;
  const boundary = { data: { values: rules }, mark: { type: 'rule', color: '#bbb', strokeDash: [3, 3] }, encoding: { x } } as const;
  const panel = (values: Record<string, unknown>[], yTitle: string, color?: object) => ({
    width: WIDTH + 100,
    height: 200,
    layer: [
      ...(rules.length ? [boundary] : []),
      { data: { values }, mark: { type: 'line', strokeWidth: 1.2 }, encoding: { x, y: { field: 'i', type: 'quantitative', title: yTitle }, ...(color ? { color } : {}) } },
    ],
  });
  const timing = obj(v.timing);
  const facts = [
    num(pick(timing, 'settling_time_s', 'median')) !== undefined ? `settling to 1 % ${eng(num(pick(timing, 'settling_time_s', 'median'))!, 's')} (median)` : '',
    num(pick(timing, 'power_w', 'median')) !== undefined ? `supply power ${eng(num(pick(timing, 'power_w', 'median'))!, 'W')}` : '',
    num(timing?.energy_per_inference_j) !== undefined ? `energy per inference ${eng(num(timing!.energy_per_inference_j)!, 'J')}` : '',
  ].filter(Boolean);
  return {
    name,
    title,
    caption:
      `${estimate ? 'The reduced network (every soma and readout of the die, synapses aggregated per target soma and sign) in one transient (verify-estimate.json)' : 'The whole network in one transient (verify-full.json)'}: ${bounds.length ? `${bounds.length} sample switches (dashed), ` : ''}each output neuron's class current` +
      `${supply ? ' and the supply current' : ''}${idx.length < t.length ? ` (every ${Math.ceil(t.length / 1500)}th of ${t.length} points)` : ''}.` +
      (facts.length ? ` ${facts.join(', ')}.` : ''),
    spec: {
      vconcat: [
        panel(classes, 'class current (nA)', { field: 'class', type: 'nominal', title: null }),
        ...(supply ? [panel(idx.map((i) => ({ t: t[i] * us, i: supply[i] * 1e6 })), 'supply current (µA)')] : []),
      ],
    } as never,
  };
}

/** The headline numbers of summary.json as label/value pairs. */
export function summaryFacts(s: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  const add = (label: string, v: unknown, f: (x: number) => string) => {
    const x = num(v);
    if (x !== undefined) out.push([label, f(x)]);
  };
  add('SPICE accuracy', pick(s, 'accuracy', 'spice'), pct);
  add('aware accuracy (models)', pick(s, 'accuracy', 'aware'), pct);
  add('naive accuracy (models)', pick(s, 'accuracy', 'naive'), pct);
  add('SPICE/model agreement', s.agreement, pct);
  add('SPICE samples', s.spice_samples, String);
  if (s.energy_source === 'estimate' || s.energy_source === 'full') out.push(['latency and energy from', `${s.energy_source === 'estimate' ? 'the reduced network (estimate)' : 'the whole-network transient'}${num(s.energy_samples) !== undefined ? `, ${s.energy_samples} test samples` : ''}`]);
  add('settling time (median)', s.settling_time_s, (x) => eng(x, 's'));
  add('decision time (median)', s.decision_time_s, (x) => eng(x, 's'));
  add('supply power (median)', s.power_w, (x) => eng(x, 'W'));
  add('energy per inference', s.energy_per_inference_j, (x) => eng(x, 'J'));
  add('MACs/J', s.macs_per_joule, (x) => eng(x, ''));
  add('ops/J', s.ops_per_joule, (x) => eng(x, ''));
  add('transistors', s.transistors, (x) => x.toLocaleString('en-US'));
  add('flow time', s.elapsed_s, (x) => `${x.toFixed(1)} s`);
  if (typeof s.engine === 'string') out.push(['engine', s.engine]);
  return out;
}
