import { SYNAPSE_CONFIGS, type MeasurementRow } from '../characterize/index.js';
import { ConfigError } from '../util/errors.js';
import { MODELS_FORMAT, type DieModels } from './models.js';
import { fitSoma, somaOut, type SomaFit, type SomaModelKind } from './soma.js';
import { fitSynapse, synapseOut } from './synapse.js';

export interface ModelsMeta {
  design_hash: string;
  die_seed: number;
  pdk: string;
  corner: string;
  input_scale: number;
  soma_model: SomaModelKind;
  source: string;
  /** Expected layer sizes; when absent they are read off the measurements. */
  layers?: number[];
}

/** Relative errors of each device's model on its held-out (odd) points in the active region. */
export interface HoldoutErrors {
  soma: number[];
  synapse: number[];
}

/** Even points fit the model, odd points are held out to test it. */
const isFitPoint = (p: number) => p % 2 === 0;

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median relative error of a device over its held-out points whose output is above 10 % of its largest. */
function holdoutError(x: number[], y: number[], predict: (u: number) => number): number {
  let ymax = 0;
  for (const v of y) ymax = Math.max(ymax, Math.abs(v));
  const errs: number[] = [];
  for (let i = 0; i < x.length; i++) if (Math.abs(y[i]) > 0.1 * ymax) errs.push(Math.abs(predict(x[i]) - y[i]) / Math.abs(y[i]));
  return median(errs);
}

function inferLayers(rows: MeasurementRow[]): number[] {
  const somaCount: number[] = [];
  for (const r of rows) if (r.kind === 'soma') somaCount[r.layer] = Math.max(somaCount[r.layer] ?? 0, r.pre + 1);
  if (somaCount.length < 2 || somaCount.some((n) => n === undefined)) throw new ConfigError('measurements: need soma rows for every layer from 0 up (at least an input and an output layer)');
  return somaCount;
}

/** One device's fitted model (a soma, or one bit and sign of a synapse), with its fit points' count and its held-out error (when it has held-out points). */
type DeviceFit = { n: number; holdout?: number } & ({ soma: SomaFit } | { synapse: ReturnType<typeof fitSynapse> });

/** Fitted models of measured devices, by device key (`s<layer>/<i>`, `w<layer>/<i>/<j>/<config>`). */
export type DeviceFits = Map<string, DeviceFit>;

/**
 * Fits each device whose points are among `rows` (all of a device's points must be in one call)
 * into `fits`: the first half of buildModels, which a characterization runs batch by batch as
 * the batches finish.
 */
export function fitDevices(rows: MeasurementRow[], meta: Pick<ModelsMeta, 'input_scale' | 'soma_model'>, fits: DeviceFits = new Map()): DeviceFits {
  const pts = new Map<string, { soma: boolean; x: number[]; y: number[]; hx: number[]; hy: number[] }>();
  for (const r of rows) {
    const key = r.kind === 'soma' ? `s${r.layer}/${r.pre}` : `w${r.layer}/${r.pre}/${r.post}/${r.config}`;
    let e = pts.get(key);
    if (!e) pts.set(key, (e = { soma: r.kind === 'soma', x: [], y: [], hx: [], hy: [] }));
    if (isFitPoint(r.point)) {
      e.x.push(r.x_a);
      e.y.push(r.y_a);
    } else {
      e.hx.push(r.x_a);
      e.hy.push(r.y_a);
    }
  }
  const iRef = meta.input_scale;
  for (const [key, e] of pts) {
    if (fits.has(key)) throw new Error(`fitDevices: the points of ${key} came in two pieces`);
    if (e.soma) {
      const f = fitSoma(meta.soma_model, e.x, e.y);
      fits.set(key, { soma: f, n: e.x.length, ...(e.hx.length ? { holdout: holdoutError(e.hx, e.hy, (u) => somaOut(f, u)) } : {}) });
    } else {
      const f = fitSynapse(e.x, e.y, iRef);
      fits.set(key, { synapse: f, n: e.x.length, ...(e.hx.length ? { holdout: holdoutError(e.hx, e.hy, (h) => synapseOut(f.g, f.d, iRef, h)) } : {}) });
    }
  }
  return fits;
}

/** Fits every device's model from its measured points; every device of the network must be present. */
export function buildModels(rows: MeasurementRow[], meta: ModelsMeta): { models: DieModels; holdout: HoldoutErrors } {
  return assembleModels(fitDevices(rows, meta), { ...meta, layers: meta.layers ?? inferLayers(rows) });
}

/** The die's models from every device's fit (fitDevices), in network order; every device of the network must be present. */
export function assembleModels(fits: DeviceFits, meta: ModelsMeta & { layers: number[] }): { models: DieModels; holdout: HoldoutErrors } {
  const layers = meta.layers;
  const missing: string[] = [];
  const need = (key: string) => {
    const e = fits.get(key);
    if (!e || e.n < 2) missing.push(key);
    return e;
  };
  const holdout: HoldoutErrors = { soma: [], synapse: [] };
  const somas = layers.map((n, layer) => {
    const out = { a: [] as number[], t: [] as number[], s: [] as number[], fit: { rms: [] as number[], r2: [] as number[] } };
    for (let i = 0; i < n; i++) {
      const e = need(`s${layer}/${i}`);
      if (!e || !('soma' in e)) continue;
      const f = e.soma;
      out.a.push(f.a);
      out.t.push(f.t);
      if (f.s !== undefined) out.s.push(f.s);
      out.fit.rms.push(f.rms);
      out.fit.r2.push(f.r2);
      if (e.holdout !== undefined) holdout.soma.push(e.holdout);
    }
    return meta.soma_model === 'softplus' ? out : { a: out.a, t: out.t, fit: out.fit };
  });
  const synapses = layers.slice(0, -1).map((rowsN, layer) => {
    const cols = layers[layer + 1];
    const gain_pos: number[] = [], gain_neg: number[] = [], dlog_pos: number[] = [], dlog_neg: number[] = [];
    const fit = { rms: [] as number[], r2: [] as number[] };
    for (let i = 0; i < rowsN; i++) {
      for (let j = 0; j < cols; j++) {
        let sse = 0, sst = 0, n = 0;
        const g: Record<string, number> = {};
        const d: Record<string, number> = {};
        for (const cfg of SYNAPSE_CONFIGS) {
          const e = need(`w${layer}/${i}/${j}/${cfg}`);
          if (!e || !('synapse' in e)) continue;
          const f = e.synapse;
          g[cfg] = cfg.startsWith('-') ? -f.g : f.g;
          d[cfg] = f.d;
          sse += f.sse;
          sst += f.sst;
          n += e.n;
          if (e.holdout !== undefined) holdout.synapse.push(e.holdout);
        }
        gain_pos.push(g['+4'], g['+2'], g['+1']);
        gain_neg.push(g['-4'], g['-2'], g['-1']);
        dlog_pos.push(d['+4'], d['+2'], d['+1']);
        dlog_neg.push(d['-4'], d['-2'], d['-1']);
        fit.rms.push(Math.sqrt(sse / Math.max(1, n)));
        fit.r2.push(sst > 0 ? 1 - sse / sst : 1);
      }
    }
    return { rows: rowsN, cols, gain_pos, gain_neg, dlog_pos, dlog_neg, fit };
  });
  if (missing.length) {
    throw new ConfigError(`measurements: ${missing.length} device measurement(s) missing or with fewer than 2 fit points, e.g. ${missing.slice(0, 5).join(', ')}`);
  }
  const { layers: _l, ...rest } = meta;
  return { models: { format: MODELS_FORMAT, ...rest, layers, somas, synapses }, holdout };
}

export interface ParamStats {
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function paramStats(xs: number[]): ParamStats {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}

/** What the user sees at the end: fit quality distribution and parameter spread. */
export function summarizeModels(m: DieModels, holdout: HoldoutErrors) {
  const somaA = m.somas.flatMap((s) => s.a);
  const somaT = m.somas.flatMap((s) => s.t);
  const r2 = [...m.somas.flatMap((s) => s.fit.r2), ...m.synapses.flatMap((w) => w.fit.r2)];
  const bit = (key: 'gain_pos' | 'gain_neg', b: number) => m.synapses.flatMap((w) => w[key].filter((_, k) => k % 3 === b));
  return {
    somas: somaA.length,
    synapses: m.synapses.reduce((s, w) => s + w.rows * w.cols, 0),
    fit_r2: { min: Math.min(...r2), median: median(r2) },
    holdout_median_rel_error: { soma: median(holdout.soma), synapse: median(holdout.synapse) },
    /** Devices (somas; synapse bits and signs) with held-out points: every soma, the synapses of the batches that measure them (characterize.holdout_every). */
    holdout_devices: { soma: holdout.soma.length, synapse: holdout.synapse.length },
    /** The worst device: its own median relative error on its held-out points. */
    holdout_max_device_median_rel_error: { soma: Math.max(...holdout.soma), synapse: Math.max(...holdout.synapse) },
    params: {
      soma_a: paramStats(somaA),
      soma_t_a: paramStats(somaT),
      'g+4': paramStats(bit('gain_pos', 0)),
      'g+2': paramStats(bit('gain_pos', 1)),
      'g+1': paramStats(bit('gain_pos', 2)),
      'g-4': paramStats(bit('gain_neg', 0)),
      'g-2': paramStats(bit('gain_neg', 1)),
      'g-1': paramStats(bit('gain_neg', 2)),
      'd+': paramStats(m.synapses.flatMap((w) => w.dlog_pos)),
      'd-': paramStats(m.synapses.flatMap((w) => w.dlog_neg)),
    },
  };
}
export { median };
