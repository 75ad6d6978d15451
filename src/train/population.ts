/**
 * The statistical model of a die population, fitted to K characterized dies of one design,
 * and the virtual dies sampled from it (robust training: one code set for every die).
 *
 * Every soma layer and every weight layer is one population of cells. A cell is a parameter
 * vector: a soma (ln a, t / input_scale [, ln s]), a synapse the 12 numbers of its bits and
 * signs (ln g+4, ln g+2, ln g+1, ln g-4, ln g-2, ln g-1, d+4, ..., d-1). The circuit makes
 * these correlated: a soma's gain and threshold come from the same mirror (correlation about
 * -0.99 on SPICE dies), and the synapses of one row share their presynaptic soma, which ties
 * the bits of one sign together (0.3-0.5 over single synapses; fitPopulation: row effects).
 * So each population is a multivariate normal over the vector: the pooled mean, the pooled
 * within-die covariance (kept as std and correlation), and a between-die std per parameter
 * (what the spread of the K dies' means has beyond the within-die spread: a process-wide
 * shift; 0 when the dies' means differ no more than sampling explains). A virtual die draws a
 * shift per population and parameter, then every cell from the within-die normal around it.
 * The between-die part is diagonal: K <= 10 dies do not determine a full covariance.
 */
import type { DieModels } from '../fit/models.js';
import { MODELS_FORMAT } from '../fit/models.js';
import { Stream } from '../mismatch/rng.js';
import { ConfigError } from '../util/errors.js';

export const POPULATION_FORMAT = 'codesign-population/1';

/** The fitted normal of one population of cells (one soma layer or one weight layer). */
export interface CellStatistics {
  /** What each coordinate of the vector is. */
  params: string[];
  /** Cells per die, and over all dies. */
  cells_per_die: number;
  cells: number;
  /** Pooled mean over every cell of every die. */
  mean: number[];
  /** Within-die standard deviation and correlation matrix (pooled over the dies). */
  std: number[];
  correlation: number[][];
  /** Standard deviation of a die's mean beyond sampling (process-wide shift); 0 when K = 1. */
  between_die_std: number[];
}

/** population.json: what robust training fitted to its dies. */
export interface PopulationStatistics {
  format: typeof POPULATION_FORMAT;
  design_hash: string;
  pdk: string;
  corner: string;
  layers: number[];
  input_scale: number;
  soma_model: 'relu' | 'softplus';
  /** The characterized dies it was fitted to. */
  dies: { die_seed: number; models_hash: string }[];
  somas: CellStatistics[];
  synapses: CellStatistics[];
}

const SYNAPSE_PARAMS = ['ln g+4', 'ln g+2', 'ln g+1', 'ln g-4', 'ln g-2', 'ln g-1', 'd+4', 'd+2', 'd+1', 'd-4', 'd-2', 'd-1'];
const somaParams = (softplus: boolean) => ['ln a', 't/input_scale', ...(softplus ? ['ln s/input_scale'] : [])];

function logOf(v: number, what: string): number {
  if (!(v > 0)) throw new ConfigError(`${what}: expected a positive gain to fit the population, got ${v}`);
  return Math.log(v);
}

/** Cell vectors of one soma layer of a die, [cells][params]. */
function somaVectors(m: DieModels, k: number, where: string): number[][] {
  const s = m.somas[k], u = m.input_scale;
  return s.a.map((a, i) => [logOf(a, `${where}: somas.${k}.a[${i}]`), s.t[i] / u, ...(m.soma_model === 'softplus' ? [logOf(s.s![i] / u, `${where}: somas.${k}.s[${i}]`)] : [])]);
}

/** Cell vectors of one weight layer of a die, [synapses][12]. */
function synapseVectors(m: DieModels, k: number, where: string): number[][] {
  const w = m.synapses[k];
  return Array.from({ length: w.rows * w.cols }, (_, q) => {
    const b = 3 * q, g = (key: 'gain_pos' | 'gain_neg', j: number) => logOf(w[key][b + j], `${where}: synapses.${k}.${key}[${b + j}]`);
    return [g('gain_pos', 0), g('gain_pos', 1), g('gain_pos', 2), g('gain_neg', 0), g('gain_neg', 1), g('gain_neg', 2), w.dlog_pos[b], w.dlog_pos[b + 1], w.dlog_pos[b + 2], w.dlog_neg[b], w.dlog_neg[b + 1], w.dlog_neg[b + 2]];
  });
}

/** The normal of one population from its cells on each die: pooled mean, within-die covariance, between-die std. */
export function fitCells(params: string[], perDie: number[][][]): CellStatistics {
  const K = perDie.length, p = params.length, n = perDie[0].length;
  const means = perDie.map((X) => Array.from({ length: p }, (_, j) => X.reduce((s, x) => s + x[j], 0) / X.length));
  const mean = Array.from({ length: p }, (_, j) => means.reduce((s, m) => s + m[j], 0) / K);
  const cov = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  perDie.forEach((X, k) => {
    for (const x of X)
      for (let a = 0; a < p; a++) {
        const da = x[a] - means[k][a];
        for (let b = 0; b <= a; b++) cov[a][b] += da * (x[b] - means[k][b]);
      }
  });
  const dof = Math.max(1, K * n - K);
  for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) cov[b][a] = cov[a][b] /= dof;
  const std = cov.map((r, a) => Math.sqrt(r[a]));
  const correlation = cov.map((r, a) => r.map((c, b) => (a === b ? 1 : std[a] > 0 && std[b] > 0 ? c / (std[a] * std[b]) : 0)));
  const between_die_std = mean.map((mu, j) => {
    if (K < 2) return 0;
    const v = means.reduce((s, m) => s + (m[j] - mu) ** 2, 0) / (K - 1) - cov[j][j] / n;
    return Math.sqrt(Math.max(0, v));
  });
  return { params: [...params], cells_per_die: n, cells: K * n, mean, std, correlation, between_die_std };
}

/** Each row's mean synapse vector ([rows][12]) and the synapses minus their row's mean ([rows * cols][12]). */
function rowSplit(X: number[][], rows: number, cols: number): { means: number[][]; residuals: number[][] } {
  const p = X[0].length;
  const means = Array.from({ length: rows }, (_, i) => Array.from({ length: p }, (_, j) => X.slice(i * cols, (i + 1) * cols).reduce((s, x) => s + x[j], 0) / cols));
  return { means, residuals: X.map((x, q) => x.map((v, j) => v - means[Math.floor(q / cols)][j])) };
}

/**
 * Fits the population model to K characterized dies of one design (models.json of each,
 * with the SHA-256 of its bytes). The dies must share the design, network and models' form,
 * and be distinct dies.
 *
 * A synapse's parameters share a large part with the other synapses of its row (the same
 * presynaptic soma drives them): on the SPICE MNIST die 1 the row means of ln g vary 25x more
 * than independent synapses would give, and correlate with the presynaptic soma's ln a at -0.6
 * to -0.76. So a soma with outgoing synapses is one vector with its row's mean synapse
 * parameters (its "row effect"), and a synapse is its row effect plus a residual, a separate
 * normal (the within-row covariance, scaled by cols/(cols-1) for the row mean taken out). The
 * row effect's variances are those of the row means less the residual's share (variance/cols),
 * its correlations those of the row means.
 */
export function fitPopulation(dies: { models: DieModels; hash: string; path: string }[]): PopulationStatistics {
  if (dies.length === 0) throw new ConfigError('population: no characterized die given');
  const first = dies[0].models;
  const seen = new Map<number, string>();
  for (const { models: m, path } of dies) {
    const same = m.design_hash === first.design_hash && m.layers.join() === first.layers.join() && m.input_scale === first.input_scale && m.soma_model === first.soma_model;
    if (!same)
      throw new ConfigError(
        `population: ${path} is die ${m.die_seed} of design ${m.design_hash} (${m.layers.join('-')}, ${m.soma_model}), but ${dies[0].path} is of design ${first.design_hash} (${first.layers.join('-')}, ${first.soma_model}): a population is one design's dies`,
      );
    if (seen.has(m.die_seed)) throw new ConfigError(`population: die ${m.die_seed} is given twice (${seen.get(m.die_seed)} and ${path})`);
    seen.set(m.die_seed, path);
  }
  const softplus = first.soma_model === 'softplus', L = first.layers;
  const split = first.synapses.map((w, k) => dies.map((d) => rowSplit(synapseVectors(d.models, k, d.path), w.rows, w.cols)));
  const synapses = first.synapses.map((w, k) => {
    const c = fitCells(SYNAPSE_PARAMS, split[k].map((x) => x.residuals));
    return { ...c, std: c.std.map((v) => v * Math.sqrt(w.cols / Math.max(1, w.cols - 1))) };
  });
  const somas = L.map((_, k) => {
    const own = dies.map((d) => somaVectors(d.models, k, d.path));
    if (k === L.length - 1) return fitCells(somaParams(softplus), own);
    const c = fitCells([...somaParams(softplus), ...SYNAPSE_PARAMS.map((p) => `row ${p}`)], own.map((X, d) => X.map((x, i) => [...x, ...split[k][d].means[i]])));
    const p0 = somaParams(softplus).length, cols = L[k + 1];
    return { ...c, std: c.std.map((v, j) => (j < p0 ? v : Math.sqrt(Math.max(0, v * v - synapses[k].std[j - p0] ** 2 / cols)))) };
  });
  return {
    format: POPULATION_FORMAT,
    design_hash: first.design_hash,
    pdk: first.pdk,
    corner: first.corner,
    layers: [...L],
    input_scale: first.input_scale,
    soma_model: first.soma_model,
    dies: dies.map((d) => ({ die_seed: d.models.die_seed, models_hash: d.hash })),
    somas,
    synapses,
  };
}

/**
 * Lower Cholesky factor of a covariance matrix. A direction without variance (a parameter the
 * dies never vary, e.g. d = 0 of linear models) gets a zero column instead of failing.
 */
export function cholesky(C: number[][]): number[][] {
  const p = C.length, L = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let j = 0; j < p; j++) {
    let s = C[j][j];
    for (let k = 0; k < j; k++) s -= L[j][k] ** 2;
    if (!(s > 1e-12 * Math.max(C[j][j], 1e-300))) continue;
    L[j][j] = Math.sqrt(s);
    for (let i = j + 1; i < p; i++) {
      let v = C[i][j];
      for (let k = 0; k < j; k++) v -= L[i][k] * L[j][k];
      L[i][j] = v / L[j][j];
    }
  }
  return L;
}

/** Draws `count` cells of one population on one die (the die's shift, then each cell). */
function drawCells(c: CellStatistics, count: number, st: Stream): number[][] {
  const p = c.params.length;
  const L = cholesky(c.correlation.map((r, a) => r.map((v, b) => v * c.std[a] * c.std[b])));
  const centre = c.mean.map((m, j) => m + c.between_die_std[j] * st.normal());
  return Array.from({ length: count }, () => {
    const z = Array.from({ length: p }, () => st.normal());
    return centre.map((m, a) => {
      let v = m;
      for (let b = 0; b <= a; b++) v += L[a][b] * z[b];
      return v;
    });
  });
}

/**
 * Virtual die `index` of the population, drawn from seeded streams (the same statistics, seed
 * and index give the same die): a models.json object the trainer takes like a characterized
 * die's. Its die_seed is the index; `source` says it is virtual and from what.
 */
export function sampleDie(pop: PopulationStatistics, seed: number, index: number): DieModels {
  const u = pop.input_scale, fit = { rms: [] as number[], r2: [] as number[] };
  const key = (what: string) => new Stream(`codesign/population/${pop.design_hash}/${seed}/die/${index}/${what}`);
  const p0 = pop.soma_model === 'softplus' ? 3 : 2;
  const drawn = pop.layers.map((n, k) => drawCells(pop.somas[k], n, key(`soma/${k}`)));
  const somas = drawn.map((X) => ({ a: X.map((x) => Math.exp(x[0])), t: X.map((x) => x[1] * u), ...(pop.soma_model === 'softplus' ? { s: X.map((x) => Math.exp(x[2]) * u) } : {}), fit }));
  const synapses = pop.layers.slice(0, -1).map((rows, k) => {
    const cols = pop.layers[k + 1], R = drawCells(pop.synapses[k], rows * cols, key(`synapse/${k}`));
    const X = R.map((r, q) => r.map((v, j) => v + drawn[k][Math.floor(q / cols)][p0 + j])); // row effect + residual
    const col = (from: number, exp: boolean) => X.flatMap((x) => [0, 1, 2].map((b) => (exp ? Math.exp(x[from + b]) : x[from + b])));
    return { rows, cols, gain_pos: col(0, true), gain_neg: col(3, true), dlog_pos: col(6, false), dlog_neg: col(9, false), fit };
  });
  return {
    format: MODELS_FORMAT,
    design_hash: pop.design_hash,
    die_seed: index,
    pdk: pop.pdk,
    corner: pop.corner,
    layers: [...pop.layers],
    input_scale: u,
    soma_model: pop.soma_model,
    source: `virtual:${seed}/${index} (population of dies ${pop.dies.map((d) => d.die_seed).join(',')})`,
    somas,
    synapses,
  };
}
