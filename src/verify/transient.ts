import type { Design } from '../design/index.js';
import { codeBits, DEFAULT_OPTIONS, render, type SimOptions } from '../netlist/index.js';
import type { Engine } from '../spice/index.js';
import { formatNumber, formatSi } from '../util/si.js';
import { checkCodes, inlineIncludes, networkNetlist, weightsInclude, type Codes } from './network.js';
import { groupFailure, sampleGroups, verifyLayered, type SampleFailure, type SpiceOutputs } from './layered.js';
import { mapLimit } from '../util/concurrency.js';

export interface TransientOptions {
  /** Time each sample is presented, s. */
  period?: number;
  /** Input switching time, s. */
  rise?: number;
  /** Supply ramp from 0 at the start (big netlists converge this way), s. */
  ramp?: number;
  timeoutMs?: number;
  /** Samples per transient run (each run ramps the supply up again); runs go in parallel. */
  samplesPerRun?: number;
  onProgress?: (done: number, total: number) => void;
  /** Solver options (default: TRANSIENT_OPTIONS). */
  options?: SimOptions;
  /**
   * Predicted input currents of each soma layer (k >= 1; [sample][soma] over all samples, A),
   * e.g. from the fitted models. Given, each run starts in the DC state of the sample before
   * its first (all inputs 0 before sample 0), solved by layered verification of that sample
   * (warm-started from these predictions) and loaded with .ic (start_state.inc.hbs), instead
   * of ramping the supply up from 0.
   */
  predicted?: readonly (Float64Array | undefined)[];
  /** Largest time step, s (default period/200). */
  maxStep?: number;
  /**
   * The DC class currents of the same samples ([sample][class], A), e.g. from layered
   * verification: what each window should settle to. Given, settling is measured to these
   * values instead of to the window's last point, and a window that ends before its currents
   * are within 1 % of them is reported as not settled (its settling time is then the window).
   */
  reference?: Float64Array;
  /** Started from a state: time before the first switch, s (default 1 us). */
  lead?: number;
}

/**
 * Relative tolerance of the full-network transient. The DC testbenches use 1e-6; in a
 * transient reltol also bounds the local truncation error, and 1e-6 forces steps so small
 * that a 100k-transistor network does not finish. 1e-4 changes class currents by < 1e-3
 * relative on Iris (test/verify), far below the mismatch the models describe.
 */
export const TRANSIENT_RELTOL = 1e-4;

/**
 * Solver options of the full-network transient: TRANSIENT_RELTOL, KLU, and ngspice's default
 * vntol (1 uV) and abstol (1 pA) instead of the DC testbenches' 1 nV / 1 fA, which only add
 * Newton iterations. Measured: Iris, 20 samples, class currents move by < 3e-5 of the largest
 * and settling / energy are unchanged; a 2,060-synapse cut of MNIST (wasm, 41 us) takes the
 * same 153 time points, 84 s instead of 102 s, with class currents within 1.3e-7. reltol is
 * kept: 3e-4 already moves Iris's median settling time from 1.42 to 1.72 us.
 */
export const TRANSIENT_OPTIONS: SimOptions = { ...DEFAULT_OPTIONS, reltol: TRANSIENT_RELTOL, vntol: 1e-6, abstol: 1e-12, klu: true };

/** Time each sample is presented by default, s. */
const DEFAULT_PERIOD = 20e-6;

/** The presentation time and largest step a transient uses. */
const steps = (opts: TransientOptions) => {
  const period = opts.period ?? DEFAULT_PERIOD;
  return { period, maxStep: opts.maxStep ?? period / 200 };
};

/** What one presented sample did in the transient. */
export interface SampleTiming {
  /** Time from the input switch until the argmax of the class currents stops changing, s. */
  decision_s: number;
  /** Time from the input switch until every class current is within 1 % (of the largest) of its final value, s. */
  settle_s: number;
  /** VDD * integral of the supply current from the switch to the decision (the seed's definition), J. */
  energy_to_decision_j: number;
  /** VDD * integral of the supply current from the switch until settled within 1 %, J. */
  energy_to_settle_j: number;
  /** Mean supply power over the sample's window, W. */
  power_w: number;
  /** With a DC reference: whether the window ended within 1 % (of the largest) of it. */
  settled?: boolean;
  /** With a DC reference: largest |class current at the window end - DC| / the largest DC class current. */
  dc_deviation?: number;
}

export interface TransientResult extends SpiceOutputs {
  /** Per sample; null for samples of failed runs. */
  timing: (SampleTiming | null)[];
  /** Waveforms of the first run (for plots): time, supply current and the class currents. */
  wave: { time: Float64Array; supply: Float64Array; classes: Float64Array[] };
  period: number;
  /** Largest time step the transients were allowed, s. */
  maxStep: number;
  t0: number;
}

/**
 * The whole network in one transient per group of samples: the supply ramps up, then the
 * samples are presented one after another as piecewise-linear input currents. Class currents
 * are read at the end of each window; latency, settling and energy are measured per sample.
 * A run that fails (no convergence, timeout) is reported in `failures`; the others finish.
 */
export async function verifyTransient(engine: Engine, design: Design, seed: number, codes: Codes, inputs: Float64Array, opts: TransientOptions = {}): Promise<TransientResult> {
  const layers = design.config.layers;
  checkCodes(codes, layers, 'codes');
  const n0 = layers[0], C = layers[layers.length - 1];
  const N = inputs.length / n0;
  const perRun = opts.samplesPerRun ?? 10;
  const groups = sampleGroups(N, perRun);
  const currents = new Float64Array(N * C).fill(NaN);
  const timing: (SampleTiming | null)[] = new Array(N).fill(null);
  const failures: SampleFailure[] = [];
  let done = 0;
  let first: TransientResult | undefined;
  const states = opts.predicted ? await startStates(engine, design, seed, codes, inputs, opts.predicted, groups.map(([s0]) => s0 - 1), opts.timeoutMs) : undefined;
  await mapLimit(groups, Math.max(1, engine.concurrency), async ([s0, s1], g) => {
    try {
      const start = states?.start(g);
      if (start && isFailure(start)) failures.push({ ...start, samples: [s0, s1 - 1] });
      else {
        const reference = opts.reference?.subarray(s0 * C, s1 * C);
        const r = await transientRun(engine, design, seed, codes, inputs.subarray(s0 * n0, s1 * n0), { ...opts, start, reference }, `full-tran-s${s0}`);
        currents.set(r.currents, s0 * C);
        r.timing.forEach((t, q) => (timing[s0 + q] = t));
        if (g === 0) first = r;
      }
    } catch (e) {
      failures.push(groupFailure(e, [s0, s1], layers.length - 1));
    }
    opts.onProgress?.(++done, groups.length);
  });
  failures.sort((a, b) => a.samples[0] - b.samples[0]);
  return { samples: N, classes: C, currents, runs: groups.length + (states?.runs ?? 0), failures, timing, wave: first?.wave ?? { time: new Float64Array(0), supply: new Float64Array(0), classes: [] }, ...steps(opts), t0: first?.t0 ?? 0 };
}

/** The state a run starts in: the inputs held before its first sample, and every node's voltage. */
interface RunStart {
  inputs: ArrayLike<number>;
  /** .ic arguments, `v(node)=volts`. */
  ic: string[];
}

const isFailure = (x: RunStart | SampleFailure): x is SampleFailure => 'error' in x;

/**
 * The DC states the runs start in (sample `starts[g]` for run g; -1: all inputs 0), solved by
 * layered verification of those samples. A run whose state did not solve gets the layered failure.
 */
async function startStates(engine: Engine, design: Design, seed: number, codes: Codes, inputs: Float64Array, predicted: readonly (Float64Array | undefined)[], starts: number[], timeoutMs?: number): Promise<{ runs: number; start: (g: number) => RunStart | SampleFailure }> {
  const layers = design.config.layers;
  const n0 = layers[0];
  const pick = (a: ArrayLike<number> | undefined, n: number) => Float64Array.from({ length: starts.length * n }, (_, q) => {
    const s = starts[Math.floor(q / n)];
    return s < 0 || !a ? 0 : a[s * n + (q % n)];
  });
  const held = pick(inputs, n0);
  const state = await verifyLayered(engine, design, seed, codes, held, { keepNodes: true, timeoutMs, predicted: layers.map((n, k) => (k === 0 ? undefined : pick(predicted[k], n))) });
  const level = (node: string) => (node === 'vdd' ? design.vdd : 0);
  // Nodes the layered netlists do not have: the supply and the bit gates (tied to vdd or vss).
  const fixed = [`v(vdd)=${formatNumber(design.vdd)}`, ...codes.flatMap((m, k) => m.flatMap((row, i) => row.flatMap((code, j) => Object.entries(codeBits(code)).map(([bit, node]) => `v(w${k}_${i}_${j}_${bit})=${formatNumber(level(node))}`))))];
  const start = (g: number): RunStart | SampleFailure => {
    const failed = state.failures.find((f) => f.samples[0] <= g && g <= f.samples[1]);
    if (failed) return { ...failed, error: `its start state (layered, ${starts[g] < 0 ? 'all inputs 0' : `sample ${starts[g]}`}) did not solve: ${failed.error}` };
    const ic = [...fixed];
    for (const [node, v] of state.nodes!) ic.push(`v(${node})=${formatNumber(v[g], 10)}`);
    return { inputs: held.subarray(g * n0, (g + 1) * n0), ic };
  };
  return { runs: state.runs, start };
}

/** One transient over a few samples. */
async function transientRun(engine: Engine, design: Design, seed: number, codes: Codes, inputs: Float64Array, opts: TransientOptions & { start?: RunStart }, label: string): Promise<TransientResult & { timing: SampleTiming[] }> {
  const layers = design.config.layers;
  const n0 = layers[0], C = layers[layers.length - 1];
  const N = inputs.length / n0;
  const { period, maxStep } = steps(opts);
  const rise = opts.rise ?? 100e-9;
  const ramp = opts.ramp ?? 2e-6;
  // Powered up by a ramp: one window with no input to settle. Started from a state: a short lead.
  const t0 = opts.start ? (opts.lead ?? 1e-6) : ramp + period;
  const tStop = t0 + N * period;
  const switchAt = (k: number) => t0 + k * period;
  const sources = Array.from({ length: n0 }, (_, i) => {
    let prev = opts.start?.inputs[i] ?? 0;
    const pts: string[] = [`0 ${formatNumber(prev, 10)}`];
    for (let k = 0; k < N; k++) {
      const v = inputs[k * n0 + i];
      pts.push(`${formatSi(switchAt(k))} ${formatNumber(prev, 10)}`, `${formatSi(switchAt(k) + rise)} ${formatNumber(v, 10)}`);
      prev = v;
    }
    return { i, points: pts.join(' ') };
  });
  const saves = ['i(vdd)', ...Array.from({ length: C }, (_, j) => `i(vr_${j})`)].join(' ');
  // Largest step period/200 (100 ns at the default 20 us): settling is read between time points.
  // Iris, 20 samples, median settling / energy by largest step: 20 ns 1.402 us / 5.30 pJ,
  // 100 ns 1.418 / 5.35, 200 ns 1.564 / 5.72, 1 us 1.587 / 5.67 (and 3x faster than 100 ns).
  const tran = `.tran ${formatSi(period / 200)} ${formatSi(tStop)} 0 ${formatSi(maxStep)}${opts.start ? ' uic' : ''}\n.save ${saves}`;
  const state = opts.start ? render('tb/start_state.inc.hbs', { count: opts.start.ic.length, lines: chunks(opts.start.ic, 8).map((c) => c.join(' ')) }) + '\n' : '';
  const circuit = networkNetlist(design, seed, { options: opts.options ?? TRANSIENT_OPTIONS, supplyRamp: opts.start ? undefined : ramp, analysis: state + tran }).text;
  const text = inlineIncludes(circuit, {
    'weights.inc': weightsInclude(design, seed, codes),
    'inputs.inc': render('inputs_pwl.inc.hbs', { description: `${N} samples in a transient`, t0: formatSi(t0), period: formatSi(period), rise: formatSi(rise), sources }),
  });
  const r = await engine.run({ netlist: text, label, timeoutMs: opts.timeoutMs });
  const time = r.vectors[r.scale];
  const supply = r.vectors['i(vdd)'].map((v) => -v);
  const classes = Array.from({ length: C }, (_, j) => r.vectors[`i(vr_${j})`]);
  const { currents, timing } = windowTimings({ time, supply, classes }, { t0, period, samples: N, vdd: design.vdd, reference: opts.reference });
  return { samples: N, classes: C, currents, runs: 1, failures: [], timing, wave: { time, supply, classes }, period, maxStep, t0 };
}

const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, q) => xs.slice(q * n, q * n + n));

/** Waveforms of a transient: time points, supply current (A, drawn from vdd) and each class current. */
export interface Waves {
  time: Float64Array;
  supply: Float64Array;
  classes: Float64Array[];
}

/**
 * Per-sample timing of a transient that presents `samples` windows of `period` from `t0`:
 * class currents at each window's end, time to classification, settling time to 1 % (of the
 * largest) of the final currents (`reference`: each sample's DC solution, [sample][class];
 * else the window's last point), energy to both and mean power over the window.
 */
export function windowTimings(w: Waves, o: { t0: number; period: number; samples: number; vdd: number; reference?: Float64Array }): { currents: Float64Array; timing: SampleTiming[] } {
  const { time, supply, classes } = w;
  const N = o.samples, C = classes.length, period = o.period;
  const switchAt = (k: number) => o.t0 + k * period;
  const currents = new Float64Array(N * C);
  const timing: SampleTiming[] = [];
  for (let k = 0; k < N; k++) {
    const ts = switchAt(k), te = ts + period;
    const idx: number[] = [];
    for (let p = 0; p < time.length; p++) if (time[p] >= ts && time[p] <= te) idx.push(p);
    const last = idx[idx.length - 1];
    const end = classes.map((c) => c[last]);
    end.forEach((v, j) => (currents[k * C + j] = v));
    const argmax = (p: number) => classes.reduce((b, c, j) => (c[p] > classes[b][p] ? j : b), 0);
    const win = argmax(last);
    // Where the currents settle: the DC solution when given (a slow network may still be
    // moving at the window end), else the window's last point.
    const dc = o.reference && !Number.isNaN(o.reference[k * C]) ? Array.from(o.reference.subarray(k * C, (k + 1) * C)) : undefined;
    const final = dc ?? end;
    const scale = Math.max(...final.map(Math.abs), 1e-12);
    // Both times are where a margin crosses 0, linearly interpolated between the last time
    // point on the wrong side and the next: steps grow to the largest step once the currents
    // are flat, and the first point after would overstate the times by up to a step.
    const settleMargin = (p: number) => Math.max(...classes.map((c, j) => Math.abs(c[p] - final[j]))) - 0.01 * scale;
    const decisionMargin = (p: number) => Math.max(...classes.map((c, j) => (j === win ? -Infinity : c[p]))) - classes[win][p];
    const crossing = (margin: (p: number) => number) => {
      let q = -1;
      idx.forEach((p, k) => margin(p) > 0 && (q = k));
      if (q < 0) return 0;
      if (q === idx.length - 1) return time[idx[q]] - ts;
      const p0 = idx[q], p1 = idx[q + 1], m0 = margin(p0), m1 = margin(p1);
      return time[p0] + ((time[p1] - time[p0]) * m0) / (m0 - m1) - ts;
    };
    const decision = C > 1 ? crossing(decisionMargin) : 0;
    const settle = crossing(settleMargin);
    // VDD * integral of the supply current over [a, b] (trapezoids, the end segments cut by interpolation).
    const integrate = (a: number, b: number) => {
      let e = 0;
      for (let q = 1; q < idx.length; q++) {
        const p0 = idx[q - 1], p1 = idx[q];
        const lo = Math.max(a, time[p0]), hi = Math.min(b, time[p1]);
        if (hi <= lo) continue;
        const at = (t: number) => supply[p0] + ((supply[p1] - supply[p0]) * (t - time[p0])) / (time[p1] - time[p0]);
        e += 0.5 * (at(lo) + at(hi)) * (hi - lo);
      }
      return e * o.vdd;
    };
    const dcDeviation = dc && Math.max(...end.map((v, j) => Math.abs(v - dc[j]))) / scale;
    timing.push({
      decision_s: decision,
      settle_s: settle,
      energy_to_decision_j: integrate(ts, ts + decision),
      energy_to_settle_j: integrate(ts, ts + settle),
      power_w: integrate(ts, te) / period,
      ...(dcDeviation === undefined ? {} : { settled: settleMargin(last) <= 0, dc_deviation: dcDeviation }),
    });
  }
  return { currents, timing };
}
