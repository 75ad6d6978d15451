/**
 * The reduced network: every soma and readout of the die with its own mismatch, the synapses
 * aggregated into one cell per target soma and sign (netlists/reduced.sp.hbs explains the
 * circuit). What it is for: settling time, supply power and energy per inference of networks
 * whose whole transistor-level transient costs too much (MNIST 196-50-10: 114,590 transistors,
 * ~1,300 s per 5 samples), from a circuit ~30x smaller that keeps every node a soma's input
 * sees, so the slow path (a soma input node charging through its fan-in) is simulated, not
 * modelled. The synapse currents come from the die's fitted models (models.json).
 */
import { countTransistors, readoutPath, somaPath } from '../characterize/index.js';
import { CELLS, type Design } from '../design/index.js';
import type { DieModels } from '../fit/index.js';
import { drawInstance } from '../mismatch/index.js';
import { commonData, instanceParams, render, type SimOptions } from '../netlist/index.js';
import type { Engine } from '../spice/index.js';
import { mapLimit } from '../util/concurrency.js';
import { ConfigError } from '../util/errors.js';
import { formatNumber, formatSi } from '../util/si.js';
import { groupFailure, pwlPoints, sampleGroups, type SampleFailure } from './layered.js';
import { checkCodes, inlineIncludes, type Codes } from './network.js';
import { TRANSIENT_OPTIONS, windowTimings, type SampleTiming, type Waves } from './transient.js';

export interface ReducedOptions {
  /** Time each sample is presented, s. */
  period: number;
  /** Largest time step, s (default period/200). */
  maxStep?: number;
  /** Input switching time, s (default 100 ns, as the full transient). */
  rise?: number;
  /** Samples per transient (each starts from the operating point of the sample before its first); runs go in parallel (default: split over the engine's workers, at most 5, so that an MNIST transient stays well inside the engine's timeout). */
  samplesPerRun?: number;
  timeoutMs?: number;
  options?: SimOptions;
  /** Simulate the input somas whose input is 0 too (default false: they are left out, see reducedNetlist); a check of leaving them out. */
  keepDark?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ReducedResult {
  samples: number;
  classes: number;
  /** The reduced network's DC class currents per sample, [sample][class], A (NaN where it failed). */
  dc: Float64Array;
  /** Its DC supply current per sample (drawn from vdd, inputs included), A. */
  dcSupply: Float64Array;
  /** Per sample, settling measured against `dc`; null where the run failed. */
  timing: (SampleTiming | null)[];
  failures: SampleFailure[];
  runs: number;
  /** Devices of the reduced netlist (transistors, each with its multiplier, once). */
  devices: number;
  /** Input somas left out as dark (input 0 throughout): in the DC sweep, and per transient (samples [first, last + 1)). */
  dark: { dc: number; transients: { samples: [number, number]; inputSomas: number }[] };
  /** Waveforms of the first transient, for plots. */
  wave: Waves;
  period: number;
  maxStep: number;
  t0: number;
}

/** Lead before the first switch of a transient started from its operating point, s. */
const LEAD = 1e-6;

/** One aggregate cell: the synapses of one sign group into soma `layer`/`j`, and their fitted models. */
interface AggregateCell {
  kind: 'exc' | 'inh';
  layer: number;
  j: number;
  /** Synapses in the group (zero codes count as excitatory: their sign gate is low). */
  n: number;
  /** Sum of |code|: the multiplier of the cell's sources and sinks. */
  srcM: number;
  /** Bit switches on (the on-branch switch multiplier), and off. */
  bits: number;
  off: number;
  /** Per presynaptic soma i: I = G * h_i + D * h_i * ln(h_i / iref), the group's modelled current. */
  terms: { i: number; G: number; D: number }[];
}

/** Every target soma's synapses grouped by sign, with the summed model terms of each group (input somas in `dark` contribute no terms: they carry no current). */
function aggregateCells(codes: Codes, models: DieModels, dark: ReadonlySet<number>): AggregateCell[] {
  return codes.flatMap((m, k) => {
    const w = models.synapses[k];
    const cols = m[0].length;
    return Array.from({ length: cols }, (_, j) =>
      (['exc', 'inh'] as const).flatMap((kind) => {
        const members = m.map((row, i) => ({ i, c: row[j] })).filter(({ c }) => (kind === 'exc' ? c >= 0 : c < 0));
        if (!members.length) return [];
        const g = kind === 'exc' ? w.gain_pos : w.gain_neg, d = kind === 'exc' ? w.dlog_pos : w.dlog_neg;
        let srcM = 0, bits = 0;
        const terms: AggregateCell['terms'] = [];
        for (const { i, c } of members) {
          const mag = Math.abs(c);
          if (!mag) continue;
          srcM += mag;
          if (k === 0 && dark.has(i)) {
            bits += [4, 2, 1].filter((b) => mag & b).length;
            continue;
          }
          let G = 0, D = 0;
          [4, 2, 1].forEach((b, q) => {
            if (!(mag & b)) return;
            bits++;
            const at = (i * cols + j) * 3 + q;
            G += g[at];
            D += g[at] * d[at];
          });
          terms.push({ i, G, D });
        }
        return [{ kind, layer: k + 1, j, n: members.length, srcM, bits, off: 3 * members.length - bits, terms }];
      }),
    ).flat();
  });
}

/**
 * The reduced netlist without inputs and analysis (`.include inputs.inc`, `{{analysis}}`).
 * Input somas in `dark` (input current 0 over the whole analysis and before it) are left out
 * with their fan-out load: they are off and do not move, so they add nothing to any node, to
 * the supply current (leakage aside) or to the synapse currents; the aggregate cells keep
 * their devices. `dc`: for a DC analysis, without the devices that only load nodes (the fan-out
 * loads, each cell's other-sign devices): no channel current flows through them (their junction
 * leakage moves MNIST's DC class currents by < 0.1 % of the largest, and they stall DC Newton). `devices` counts the
 * whole reduced network, `simulated` its devices less the dark input somas'.
 */
export function reducedNetlist(design: Design, seed: number, codes: Codes, models: DieModels, analysis: string, options: SimOptions, tables: DeviceTables, leave: { dark?: ReadonlySet<number>; dc?: boolean } = {}): { text: string; devices: number; simulated: number } {
  const dark = leave.dark ?? new Set<number>();
  const layers = design.config.layers;
  checkCodes(codes, layers, 'codes');
  if (models.layers.join('-') !== layers.join('-')) throw new ConfigError(`models.json: layers ${models.layers.join('-')} do not match the design's ${layers.join('-')}`);
  const L = layers.length - 1;
  const pdk = design.pdk.devices;
  const dev = (type: 'nfet' | 'pfet', cell: 'soma' | 'synapse' | 'readout', group: string) => ({ model: pdk[type].model, w: formatSi(design.sizes[cell][group].w), l: formatSi(design.sizes[cell][group].l) });
  const gateUnits = (prefix: string) => CELLS.synapse.filter((d) => d.name.startsWith(prefix)).reduce((a, d) => a + d.m, 0);
  const srcUnits = gateUnits('mp_src');
  let devices = 0, left = 0;
  const lit = (layer: number, i: number) => layer > 0 || !dark.has(i);
  const somaLayers = layers.map((n, layer) => ({
    layer,
    instances: Array.from({ length: n }, (_, i) => i)
      .filter((i) => lit(layer, i) || ((left += 5), false))
      .map((i) => ((devices += 5), { i, devices: instanceParams('soma', drawInstance(design, seed, 'soma', somaPath(layer, i))) })),
  }));
  const readouts = Array.from({ length: layers[L] }, (_, i) => {
    const m = drawInstance(design, seed, 'readout', readoutPath(i)).mn_read;
    devices++;
    return { i, dvt: formatNumber(m.dvt), mu: formatNumber(m.mu) };
  });
  const taps = layers.slice(0, L).flatMap((n, k) =>
    Array.from({ length: n }, (_, i) => {
      const mm = drawInstance(design, seed, 'soma', somaPath(k, i));
      // Fan-out gate units, sources on vp and sinks on vn: of the synapses whose sign switch ties
      // their source to the rail (excitatory and zero codes for sources, inhibitory for sinks),
      // drain = source; of the others, whose source floats and follows the gate, source = a copy
      // of the gate voltage and drain at the far rail (their overlap to the drain stays).
      const row = codes[k][i];
      const exc = row.filter((c) => c >= 0).length, inh = row.length - exc;
      const load = { p: exc * srcUnits, n: inh * srcUnits, pFloat: inh * srcUnits, nFloat: exc * srcUnits };
      const d = 1 + Object.values(load).filter((v) => v > 0).length;
      if (!lit(k, i)) {
        left += d;
        return [];
      }
      devices += d;
      return [{ id: `${k}_${i}`, load, copy: { dvt: formatNumber(mm.mp_copy.dvt), mu: formatNumber(mm.mp_copy.mu) }, out: { dvt: formatNumber(mm.mn_out.dvt), invMu: formatNumber(1 / mm.mn_out.mu, 10) } }];
    }).flat(),
  );
  const cells = aggregateCells(codes, models, dark).map((a) => {
    devices += 1 + (a.srcM ? 3 : 0) + (a.off ? 1 : 0);
    const h = a.kind === 'exc' ? 'hp' : 'hn';
    const terms = a.terms.flatMap((t) => [`${formatNumber(t.G, 8)}*v(${h}${a.layer - 1}_${t.i})`, `${formatNumber(t.D, 8)}*v(${h}l${a.layer - 1}_${t.i})`]);
    const id = `${a.kind[0]}${a.layer}_${a.j}`;
    const arg = `ln(max(v(u${id}) * ${formatNumber(models.input_scale)}, ${formatNumber(GATE_FLOOR / 10)}))`;
    const gate = a.kind === 'exc' ? `${formatNumber(design.vdd)} - pwl(${arg}, ${tables.src})` : `pwl(${arg}, ${tables.snk})`;
    return {
      id,
      what: `${a.kind === 'exc' ? 'excitatory (and zero-code)' : 'inhibitory'} synapses into soma ${a.layer}/${a.j}: ${a.n}, sum of |code| ${a.srcM}, bits on ${a.bits}`,
      out: `s${a.layer}_${a.j}`,
      exc: a.kind === 'exc',
      n: a.n,
      // Per-unit current in units of iref: the group's modelled current over its source multiplier.
      on: a.srcM ? { m: a.srcM, bits: a.bits, unit: terms.length ? `(${terms.join(' + ')}) * ${formatNumber(1 / a.srcM, 8)}` : '0', gate } : false,
      off: a.off,
    };
  });
  const text = render('reduced.sp.hbs', {
    ...commonData(design, seed, `codesign reduced network: ${layers.join('-')} on die ${seed}`, options),
    layerText: layers.join('-'),
    fullTransistors: countTransistors(layers).transistors,
    devices: devices + left,
    dark: dark.size,
    dc: leave.dc ?? false,
    somaLayers,
    readouts,
    lastLayer: L,
    taps,
    cells,
    invRef: formatNumber(1 / models.input_scale, 8),
    hFloor: '1e-9',
    vmid: formatNumber(design.config.characterize.synapse_vout),
    tables,
    dev: {
      readout: dev('nfet', 'readout', 'n'),
      somaP: dev('pfet', 'soma', 'p'),
      somaN: dev('nfet', 'soma', 'n'),
      src: dev('pfet', 'synapse', 'src'),
      snk: dev('nfet', 'synapse', 'snk'),
      bit: dev('nfet', 'synapse', 'bit'),
      sign: { p: dev('pfet', 'synapse', 'sign'), n: dev('nfet', 'synapse', 'sign') },
    },
    analysis,
  });
  return { text, devices: devices + left, simulated: devices };
}

/** Gate sweep of the device curves (netlists/tb/device_dc.sp.hbs), V. */
const GATE_SWEEP = { from: 0, to: 1.5, step: 0.01 };
/** Currents below this are left out of the tables (their ends are held or extended from there), A. */
const GATE_FLOOR = 1e-16;

/** Device curves the reduced network evaluates in B-sources, as pwl() arguments. */
export interface DeviceTables {
  /** Unit source / sink of a synapse: gate voltage from the source against ln(current / 1 A), flat ends. */
  src: string;
  snk: string;
  /** Mismatch-free soma mn_out, drain at gate: ln(current / 1 A) against the gate voltage (its ends extend the exponential). */
  readout: string;
}

/** The reduced network's device curves, from one DC sweep of the design's devices. */
export async function deviceTables(engine: Engine, design: Design, timeoutMs?: number): Promise<DeviceTables> {
  const dev = (type: 'nfet' | 'pfet', cell: 'soma' | 'synapse', group: string) => ({ model: design.pdk.devices[type].model, w: formatSi(design.sizes[cell][group].w), l: formatSi(design.sizes[cell][group].l) });
  const text = render('tb/device_dc.sp.hbs', {
    ...commonData(design, design.config.seed, 'codesign reduced network: device curves'),
    vout: formatNumber(design.config.characterize.synapse_vout),
    from: formatNumber(GATE_SWEEP.from),
    to: formatNumber(GATE_SWEEP.to),
    step: formatNumber(GATE_SWEEP.step),
    src: dev('pfet', 'synapse', 'src'),
    snk: dev('nfet', 'synapse', 'snk'),
    readout: dev('nfet', 'soma', 'n'),
  });
  const r = await engine.run({ netlist: text, label: 'reduced-devices', timeoutMs });
  const vg = r.vectors[r.scale];
  // Points (ln I, V) or (V, ln I) over the conducting part of the sweep, ln I strictly rising.
  const curve = (current: Float64Array) => {
    const pts: [number, number][] = [];
    for (let q = 0; q < vg.length; q++) {
      const u = current[q];
      if (u > GATE_FLOOR && (!pts.length || Math.log(u) > pts[pts.length - 1][0] + 1e-9)) pts.push([Math.log(u), vg[q]]);
    }
    if (pts.length < 2) throw new ConfigError(`reduced network: a ${design.pdk.name} device carries no current over a gate sweep of ${GATE_SWEEP.from}..${GATE_SWEEP.to} V`);
    return pts;
  };
  const list = (pts: [number, number][]) => pts.map(([a, b]) => `${formatNumber(a, 8)}, ${formatNumber(b, 8)}`).join(', ');
  // Gate drives hold flat beyond the ends: below the floor the device stays off; above the sweep, at its top.
  const gate = (pts: [number, number][]) => list([[pts[0][0] - 100, pts[0][1]], ...pts, [pts[pts.length - 1][0] + 100, pts[pts.length - 1][1]]]);
  return { src: gate(curve(r.vectors['i(vcp)'])), snk: gate(curve(r.vectors['i(vcn)'])), readout: list(curve(r.vectors['i(vcr)']).map(([a, b]) => [b, a])) };
}

/**
 * Settling, power and energy per sample from the reduced network: one DC sweep over the
 * samples (where each window settles to), then transients of `samplesPerRun` samples, each
 * started from the operating point of the sample before its first (all inputs 0 before sample 0).
 */
export async function estimateReduced(engine: Engine, design: Design, seed: number, codes: Codes, models: DieModels, inputs: Float64Array, opts: ReducedOptions): Promise<ReducedResult> {
  const layers = design.config.layers;
  const n0 = layers[0], C = layers[layers.length - 1];
  const N = inputs.length / n0;
  const period = opts.period, maxStep = opts.maxStep ?? period / 200, rise = opts.rise ?? 100e-9;
  const options = opts.options ?? TRANSIENT_OPTIONS;
  const saves = ['i(vdd)', ...Array.from({ length: C }, (_, j) => `i(vr_${j})`)].join(' ');
  const groups = sampleGroups(N, opts.samplesPerRun ?? Math.min(5, Math.max(1, Math.ceil(N / Math.max(1, engine.concurrency)))));
  const total = 1 + groups.length;
  let done = 0, runs = 0;
  const failures: SampleFailure[] = [];

  const tables = await deviceTables(engine, design, opts.timeoutMs);
  runs++;
  // Input somas whose input is 0 in samples [a, b) and in the sample before (whose DC state a
  // transient starts from; all inputs are 0 before sample 0): off and still, left out.
  const darkIn = (a: number, b: number) =>
    new Set(Array.from({ length: n0 }, (_, i) => i).filter((i) => {
      if (opts.keepDark) return false;
      for (let s = Math.max(0, a - 1); s < b; s++) if (inputs[s * n0 + i] !== 0) return false;
      return true;
    }));
  // Where each window settles to: the reduced network's own DC solution per sample.
  const dc = new Float64Array(N * C).fill(NaN), dcSupply = new Float64Array(N).fill(NaN);
  const dcDark = darkIn(0, N);
  const darkRuns: ReducedResult['dark']['transients'] = [];
  const dcNet = reducedNetlist(design, seed, codes, models, `.dc vidx 0 ${Math.max(1, N - 1)} 1\n.save ${saves}`, options, tables, { dark: dcDark, dc: true });
  const swept = render('inputs_swept.inc.hbs', {
    description: `${N} samples`,
    lastSample: Math.max(1, N - 1),
    sources: Array.from({ length: n0 }, (_, i) => i)
      .filter((i) => !dcDark.has(i))
      .map((i) => ({ i, points: pwlPoints(Float64Array.from({ length: N }, (_, s) => inputs[s * n0 + i])) })),
  });
  try {
    const r = await engine.run({ netlist: inlineIncludes(dcNet.text, { 'inputs.inc': swept }), label: 'reduced-dc', timeoutMs: opts.timeoutMs });
    runs++;
    for (let s = 0; s < N; s++) {
      dcSupply[s] = -r.vectors['i(vdd)'][s];
      for (let j = 0; j < C; j++) dc[s * C + j] = r.vectors[`i(vr_${j})`][s];
    }
  } catch (e) {
    failures.push({ ...groupFailure(e, [0, N], layers.length - 1), error: `reduced network DC: ${(e as Error).message}` });
  }
  opts.onProgress?.(++done, total);

  const timing: (SampleTiming | null)[] = new Array(N).fill(null);
  let wave: Waves = { time: new Float64Array(0), supply: new Float64Array(0), classes: [] };
  await mapLimit(groups, Math.max(1, engine.concurrency), async ([s0, s1], g) => {
    const m = s1 - s0;
    const switchAt = (q: number) => LEAD + q * period;
    const dark = darkIn(s0, s1);
    darkRuns.push({ samples: [s0, s1], inputSomas: dark.size });
    const sources = Array.from({ length: n0 }, (_, i) => i).filter((i) => !dark.has(i)).map((i) => {
      let prev = s0 > 0 ? inputs[(s0 - 1) * n0 + i] : 0;
      const pts = [`0 ${formatNumber(prev, 10)}`];
      for (let q = 0; q < m; q++) {
        const v = inputs[(s0 + q) * n0 + i];
        pts.push(`${formatSi(switchAt(q))} ${formatNumber(prev, 10)}`, `${formatSi(switchAt(q) + rise)} ${formatNumber(v, 10)}`);
        prev = v;
      }
      return { i, points: pts.join(' ') };
    });
    const tStop = LEAD + m * period;
    const net = reducedNetlist(design, seed, codes, models, `.tran ${formatSi(period / 200)} ${formatSi(tStop)} 0 ${formatSi(maxStep)}\n.save ${saves}`, options, tables, { dark });
    const text = inlineIncludes(net.text, {
      'inputs.inc': render('inputs_pwl.inc.hbs', { description: `${m} samples in a transient`, t0: formatSi(LEAD), period: formatSi(period), rise: formatSi(rise), sources }),
    });
    try {
      const r = await engine.run({ netlist: text, label: `reduced-tran-s${s0}`, timeoutMs: opts.timeoutMs });
      runs++;
      const w: Waves = { time: r.vectors[r.scale], supply: r.vectors['i(vdd)'].map((v) => -v), classes: Array.from({ length: C }, (_, j) => r.vectors[`i(vr_${j})`]) };
      const t = windowTimings(w, { t0: LEAD, period, samples: m, vdd: design.vdd, reference: dc.subarray(s0 * C, s1 * C) });
      t.timing.forEach((v, q) => (timing[s0 + q] = v));
      if (g === 0) wave = w;
    } catch (e) {
      failures.push(groupFailure(e, [s0, s1], layers.length - 1));
    }
    opts.onProgress?.(++done, total);
  });
  failures.sort((a, b) => a.samples[0] - b.samples[0]);
  darkRuns.sort((a, b) => a.samples[0] - b.samples[0]);
  return { samples: N, classes: C, dc, dcSupply, timing, failures, runs, devices: dcNet.devices, dark: { dc: dcDark.size, transients: darkRuns }, wave, period, maxStep, t0: LEAD };
}
