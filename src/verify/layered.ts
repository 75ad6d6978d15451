import { readoutPath, somaPath, synapsePath } from '../characterize/index.js';
import { CELLS, type Design } from '../design/index.js';
import { drawInstance, type InstanceMismatch } from '../mismatch/index.js';
import { codeBits, commonData, deviceData, deviceModel, DEFAULT_OPTIONS, instanceParams, render, type SimOptions } from '../netlist/index.js';
import type { Engine, SimResult } from '../spice/index.js';
import { CodesignError, ConfigError, ConvergenceError, SimTimeoutError, type NetlistLocation } from '../util/errors.js';
import { formatNumber, formatSi } from '../util/si.js';
import { mapLimit } from '../util/concurrency.js';
import { checkCodes, inlineIncludes, networkNetlist, weightsInclude, type Codes } from './network.js';
import { cellTerminals, deviceBiases, offInput, somaStart, startTable, synapseStart, type StartTable } from './start.js';

/** A group of samples whose simulation failed (the other groups still finish). */
export interface SampleFailure {
  /** First and last sample of the group (indices into the inputs). */
  samples: [number, number];
  /** Soma layer whose netlist failed. */
  layer: number;
  /** The failed netlist as saved by the engine, when it saved one. */
  netlist?: string;
  error: string;
  exitCode: number;
}

/** [first, end) ranges of `perRun` samples covering 0..N-1. */
export function sampleGroups(N: number, perRun: number): [number, number][] {
  const groups: [number, number][] = [];
  for (let s0 = 0; s0 < N; s0 += perRun) groups.push([s0, Math.min(N, s0 + perRun)]);
  return groups;
}

/** A simulator failure of the group [s0, s1) as a record; anything else (a bug, bad config) is rethrown. */
export function groupFailure(e: unknown, [s0, s1]: [number, number], layer: number): SampleFailure {
  if (!(e instanceof CodesignError) || e instanceof ConfigError) throw e;
  const loc = (e as { location?: NetlistLocation }).location;
  return { samples: [s0, s1 - 1], layer, netlist: loc?.netlistPath, error: e.message, exitCode: e.exitCode };
}

/** SPICE results of a network for a set of samples, from either verification mode. */
export interface SpiceOutputs {
  samples: number;
  classes: number;
  /** Class currents, row-major [sample][class], A; NaN for samples of failed groups. */
  currents: Float64Array;
  /** Simulator runs it took. */
  runs: number;
  /** Newton iterations of those runs, where the engine reports them (native ngspice; 0 otherwise). */
  iterations?: number;
  /** Sample groups that did not finish (empty when all did). */
  failures: SampleFailure[];
  /** Layered with keepNodes: every network node's voltage per sample, V. */
  nodes?: Map<string, Float64Array>;
  /** Layered with `supply`: the network's DC supply current per sample (drawn from vdd, inputs included), A; NaN where its group failed. */
  supply?: Float64Array;
}

const exact = (v: number) => formatNumber(v, 10);

/** A pwl(v(idx), ...) argument list: value k at sample k. */
export function pwlPoints(values: ArrayLike<number>): string {
  return swept(values, exact, false).pwl!;
}

/**
 * A source's value per sample for layer_dc.sp.hbs: `dc` when it is the same for every sample
 * (and `constant` allows it), else the points of pwl(v(idx), ...). ngspice evaluates every
 * behavioural source at every Newton iteration, and each adds an entry to the sweep node's
 * matrix column; a constant takes a plain independent source (on an MNIST hidden neuron, 20
 * digits: a third of the presynaptic sources, background pixels, and a fifth of the starts).
 */
function swept(values: ArrayLike<number>, format: (v: number) => string, constant: boolean): { dc?: string; pwl?: string } {
  const text = Array.from(values, format);
  if (constant && text.every((t) => t === text[0])) return { dc: text[0] };
  const pts = text.map((t, k) => `${k}, ${t}`);
  if (text.length === 1) pts.push(`1, ${text[0]}`);
  return { pwl: pts.join(', ') };
}

/** Start voltages: 0.1 mV resolution is plenty for a start. */
const startVolts = (v: number) => v.toFixed(4);

export interface LayeredOptions {
  /**
   * Transistors per netlist (default 600): the somas of a layer are split into as few netlists
   * of about this size as it takes, of equal size. A netlist needs as many Newton iterations
   * per point as its worst soma, so an MNIST hidden soma (2,161 transistors) or output soma (556)
   * gets a netlist of its own (the output layer of 20 digits: 2,359 Newton iterations of
   * one-soma netlists cost 20 % less CPU than 978 of four-soma ones); the input layer's 196
   * somas (5 transistors each) go in 2 netlists, one per core.
   */
  chunkTransistors?: number;
  /**
   * Samples per DC sweep (default 200). A netlist's set-up (ngspice start, PDK library,
   * parsing) is paid once per sweep, while parsing the pwl() points costs the same per sample
   * and evaluating them hardly grows with their number (pwl() is a binary search): an MNIST
   * hidden soma's netlist, counted in instructions, costs 152 M per sample at 50 samples per
   * sweep, 142 M at 100 and 137 M at 200 (docs/performance.md).
   */
  samplesPerRun?: number;
  timeoutMs?: number;
  /** Called after each simulator run with the runs done and the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Predicted input currents of each soma layer (index k >= 1; [sample][soma], A, over all
   * samples), e.g. from the fitted models. Given, each DC point starts from that operating
   * point (see layer_dc.sp.hbs: pinned, then released); the result is the circuit's own
   * solution either way, only found in ~6x fewer Newton iterations.
   */
  predicted?: readonly (Float64Array | undefined)[];
  /**
   * Keep every node voltage of the network (soma nodes, synapse internals, readouts; named as
   * in the full network netlist) for every sample: the state a full transient starts in. The
   * netlists then save all their nodes, so use it on a few samples.
   */
  keepNodes?: boolean;
  /**
   * How each sample starts (with `predicted`). "nodes": every soma node and every synapse's
   * internal nodes pinned to start voltages read off nominal cells (start.ts; one small SPICE
   * run per design), the input layer's somas too. "diode": each soma input pinned to a replica
   * of its input diode fed the predicted current (codesign 0.1.0's method). Default: "nodes"
   * for networks of 1,000 synapses or more (MNIST hidden neuron: 841 instead of 2,060 Newton
   * iterations for 50 digits), "diode" below, where the nominal-cells run costs more than it saves.
   */
  start?: 'nodes' | 'diode';
  /**
   * Device bypass (default true): ngspice keeps a transistor's last evaluation while its
   * terminal voltages stay within the tolerances (MNIST layered gate voltages within 3e-12 V
   * of a run without it, about 15 % less CPU). start "diode" without bypass is the method of
   * codesign 0.1.0, kept to compare against (npm run bench -- layered).
   */
  bypass?: boolean;
  /**
   * Also measure each sample's DC supply current of the whole network (`supply`). Every cell,
   * input source and readout sits in exactly one layer netlist, so the network's current is
   * the sum over the netlists of what their vdd source delivers, less what the diode start's
   * replicas (partials/pin.hbs) draw: their current sources are the predicted currents, known
   * (the node start's pins carry 0 A at the released point).
   */
  supply?: boolean;
  /**
   * With the node start (default true): every transistor's junction-init biases (its `ic`) are
   * those at the median of its nodes' start voltages over the group, so ngspice's first Newton
   * iteration of each sample evaluates it near its start instead of at vds = 0.1 V, vgs = VT0 +
   * 0.1 V (see deviceBiases in start.ts). false gives the node start without them.
   */
  deviceInit?: boolean;
  /**
   * How the node start's pins let go of each sample (default "auto"). "single": every pin opens
   * at once and ngspice solves the whole circuit from the start in one Newton run (8 Newton
   * iterations per sample on an MNIST hidden neuron at 27 °C). "staged": the synapses' pins
   * open first, with the soma's input held at its start, then the soma's (13 per sample at
   * 27 °C); it converges where the single release does not: at 125 °C the floating nodes of
   * synapses whose presynaptic soma is off sit up to 0.8 V from their nominal start, and on 6
   * of 20 digits the single release's Newton run did not converge (1,000 iterations, then gmin
   * stepping: 423 per sample against 32 staged). "auto": the single release, stopped at the
   * first sample that does not converge (SimJob.failFast), then the staged one for that netlist.
   */
  release?: LayeredRelease;
}

export type LayeredRelease = 'auto' | 'single' | 'staged';

/**
 * Newton iterations a sample's point may take with the node start before ngspice falls back to
 * gmin stepping (ngspice's default: 50). A few points of MNIST output layers need 100..300
 * from their start; gmin stepping then cost more (layer 2 of 10 digits: 1,029 Newton iterations
 * with 50, 517 with 1,000).
 */
const NODE_START_SWEEP_ITERATIONS = 1000;

/**
 * reltol of layered netlists, ten times tighter than the DC benches'. At their 1e-6 a soma's
 * gate voltage converges to about 0.5 uV, 1.4e-5 of a subthreshold current: two starts of the
 * same netlist (replica diodes, node start) gave class currents up to 1.1e-5 of the sample's
 * largest apart on MNIST (the issue #16 bound for a faster method is 1e-5), 1.8e-7 at 1e-7 and
 * 1.3e-8 at 1e-9; 1e-7 costs about 2 % more Newton iterations (50 digits, `npm run bench -- layered`).
 */
const LAYERED_RELTOL = 1e-7;

/** Options of every layered netlist: the DC benches' tolerances but reltol, run statistics (Newton iterations), device bypass, the sweep point's iteration limit. */
const layeredOptions = (bypass: boolean, sweepIterations?: number): SimOptions => ({ ...DEFAULT_OPTIONS, reltol: LAYERED_RELTOL, stats: true, bypass, ...(sweepIterations ? { sweepIterations } : {}) });

/** Networks with fewer synapses start from the replica diodes by default (see LayeredOptions.start). */
const NODE_START_MIN_SYNAPSES = 1000;

/**
 * Resistance of the start pins closed (while ngspice converges the pinned circuit, in its
 * junction and fix modes) and open (after), ohm. Closed at 1 ohm, the pinned circuit lands on
 * the start at once (an MNIST hidden neuron, 50 digits, two points per sample: 642 Newton
 * iterations, 746 at 1 kohm; 0.01 ohm: 644). In those two modes ngspice gives a switch its
 * zero ("off") state whatever its control, so the model's off resistance is the closed pin and
 * its on resistance, reached once the control v(stage) = 1 is read, the open one.
 */
const START_PIN = { closed: 1, open: 1e20 };

/** The staged release's inner sweep: v(stage) = 0.6 opens the synapses' pins (vt 0.5), 1 the soma's (vt 0.8, layer_dc.sp.hbs). */
const STAGED = { staged: true, firstStage: '0.6', stageStep: '0.4' };

/** Names of the network netlist's nodes a layered netlist also has (not its sources or start aids). */
const NETWORK_NODE = /^v\((s\d+_\d+(?:_vp|_vn)?|x[sw][\d_]+\.\w+|r_\d+)\)$/;

/**
 * Layered SPICE verification: each layer is simulated on its own, its presynaptic somas
 * replaced by sources holding the previous layer's simulated gate voltages, every sample one
 * point of a DC sweep. Exact in DC (no current flows into a gate), and parallel: the chunks
 * of a layer run at once on the engine pool.
 *
 * Samples go through the layers in groups of `samplesPerRun`; a group whose simulation fails
 * (no convergence, timeout) is reported in `failures` and the others finish.
 *
 * `inputs`: input currents, row-major [sample][input soma], A.
 */
export async function verifyLayered(engine: Engine, design: Design, seed: number, codes: Codes, inputs: Float64Array, opts: LayeredOptions = {}): Promise<SpiceOutputs> {
  const layers = design.config.layers;
  checkCodes(codes, layers, 'codes');
  const n0 = layers[0];
  if (inputs.length % n0 !== 0) throw new ConfigError(`inputs: ${inputs.length} values is not a multiple of ${n0} input somas`);
  const N = inputs.length / n0;
  const perRun = opts.samplesPerRun ?? 200;
  const chunkT = opts.chunkTransistors ?? 600;
  const L = layers.length - 1;
  const C = layers[L];
  let runs = 0;
  let done = 0;
  let iterations = 0;
  const synapseCount = layers.slice(0, -1).reduce((a, n, k) => a + n * layers[k + 1], 0);
  const startNodes = opts.predicted !== undefined && (opts.start ?? (synapseCount >= NODE_START_MIN_SYNAPSES ? 'nodes' : 'diode')) === 'nodes';
  const options = layeredOptions(opts.bypass ?? true, startNodes ? NODE_START_SWEEP_ITERATIONS : undefined);
  const release = opts.release ?? 'auto';
  const table: StartTable | undefined = startNodes ? await startTable(engine, design, opts.timeoutMs) : undefined;
  const deviceInit = !!table && (opts.deviceInit ?? true);
  const terminals = deviceInit ? { soma: cellTerminals(design, 'soma'), synapse: cellTerminals(design, 'synapse') } : undefined;
  const chunkOf = (k: number) => Math.max(1, Math.floor(chunkT / (5 + 11 * (k === 0 ? 0 : layers[k - 1]) + (k === L ? 1 : 0))));
  // As few chunks as chunkOf allows, of equal size (the first ones one soma larger).
  const chunksOf = (k: number) => {
    const count = Math.ceil(layers[k] / chunkOf(k));
    const out: number[][] = [];
    for (let c = 0, j0 = 0; c < count; c++) {
      const size = Math.floor(layers[k] / count) + (c < layers[k] % count ? 1 : 0);
      out.push(Array.from({ length: size }, (_, q) => j0 + q));
      j0 += size;
    }
    return out;
  };
  const groups = sampleGroups(N, perRun);
  const total = groups.length * layers.reduce((a, _n, k) => a + chunksOf(k).length, 0);
  const currents = new Float64Array(N * C).fill(NaN);
  const failures: SampleFailure[] = [];
  // keepNodes: node name -> voltage per sample.
  const nodes = new Map<string, Float64Array>();
  const supply = opts.supply ? new Float64Array(N) : undefined;

  // One sample group through every layer; vp/vn: [sample in group][soma] of the last layer done.
  const runGroup = async ([s0, s1]: [number, number]) => {
    const m = s1 - s0;
    let vp = new Float64Array(0), vn = new Float64Array(0);
    for (let k = 0; k <= L; k++) {
      const n = layers[k];
      const fanIn = k === 0 ? 0 : layers[k - 1];
      const nvp = new Float64Array(m * n), nvn = new Float64Array(m * n);
      const prevVp = vp, prevVn = vn;
      const col = (arr: Float64Array, width: number, i: number, offset: number) => Float64Array.from({ length: m }, (_, s) => arr[(offset + s) * width + i]);
      const pred = k > 0 ? opts.predicted?.[k] : undefined;
      // Each soma's start current per sample in the group: the input layer's is known exactly.
      const startCurrent = table ? (k === 0 ? (j: number) => col(inputs, n0, j, s0) : (j: number) => col(pred!, n, j, s0)) : undefined;
      const pinned = !!pred || !!table;
      try {
        await mapLimit(chunksOf(k), engine.concurrency * 2, async (js) => {
          const common = commonData(design, seed, `codesign layered verification: layer ${k}, somas ${js[0]}..${js[js.length - 1]}, samples ${s0}..${s1 - 1}`, options);
          const deck = (staged: boolean) => render('tb/layer_dc.sp.hbs', {
            ...common,
            ...(terminals ? { somaCell: zeroBiases(common.somaCell), synapseCell: zeroBiases(common.synapseCell) } : {}),
            title2: `samples ${s0}..${s1 - 1}`,
            layer: k,
            targets: `${js[0]}..${js[js.length - 1]}`,
            lastSample: Math.max(1, m - 1),
            // The node start takes plain sources for values the same in every sample (the diode start keeps codesign 0.1.0's netlists).
            pres: k === 0 ? [] : Array.from({ length: fanIn }, (_, i) => ({ i, vp: swept(col(prevVp, fanIn, i, 0), exact, !!table), vn: swept(col(prevVn, fanIn, i, 0), exact, !!table) })),
            inputs: k === 0 ? js.map((i) => ({ i, current: swept(col(inputs, n0, i, s0), exact, !!table) })) : [],
            pinned,
            startAid: table ? { closed: formatNumber(START_PIN.closed), open: formatNumber(START_PIN.open), ...(staged ? STAGED : {}) } : false,
            somas: js.map((j) => {
              const mm = drawInstance(design, seed, 'soma', somaPath(k, j));
              // A soma predicted off starts where its nominal fan-in holds its input (the input layer's, with no fan-in, at the default).
              const offAt = (s: number) => (k === 0 ? undefined : offInput(table!, Array.from({ length: fanIn }, (_, i) => ({ code: codes[k - 1][i][j], vp: prevVp[s * fanIn + i] }))));
              const start = startCurrent ? Array.from(startCurrent(j), (c, s) => somaStart(table!, c, c > 0 ? undefined : offAt(s))) : undefined;
              const node = `s${k}_${j}`;
              const somaVolts = (nd: string) => (nd === 'vdd' ? [design.vdd] : nd === 'vss' ? [0] : start!.map((v) => v[nd as 'in' | 'vp' | 'vn']));
              return {
                j,
                devices: withBiases(instanceParams('soma', mm), terminals && deviceBiases(terminals.soma, somaVolts)),
                // Diode start: predicted input current per sample (0 when negative) into a replica of the input diode; pinned at stage 0, released at stage 1.
                pin: pred && !table ? pinData(design, mm, k, j, `pwl(v(idx), ${pwlPoints(col(pred, n, j, s0).map((v) => (v > 0 ? v : 0)))})`, 'pwl(v(stage), 0, 1e-3, 1, 0)') : false,
                starts: start
                  ? ([['in', node], ['vp', `${node}_vp`], ['vn', `${node}_vn`]] as const).map(([key, nd]) => ({ id: `_${nd}`, node: nd, target: swept(start.map((v) => v[key]), startVolts, true) }))
                  : [],
                readout: k === L ? readoutData(design, seed, j) : false,
                synapses: k === 0 ? [] : Array.from({ length: fanIn }, (_, i) => {
                  const code = codes[k - 1][i][j];
                  const name = `xw${k - 1}_${i}_${j}`;
                  // Internal nodes from the nominal synapse of this code, at the presynaptic vp and this soma's start input voltage.
                  const st = start ? Array.from({ length: m }, (_, s) => synapseStart(table!, code, prevVp[s * fanIn + i], start[s].in)) : undefined;
                  const bits = codeBits(code);
                  // The synapse's ports at their sample values (rails, code bits, presynaptic gates, the soma's input start); internal nodes at their starts.
                  const synapseVolts = (nd: string): ArrayLike<number> => {
                    const rail = nd === 'vdd' || nd === 'vss' ? nd : (bits as Record<string, string>)[nd];
                    if (rail) return [rail === 'vdd' ? design.vdd : 0];
                    if (nd === 'vp' || nd === 'vn') return col(nd === 'vp' ? prevVp : prevVn, fanIn, i, 0);
                    if (nd === 'out') return start!.map((v) => v.in);
                    return st!.map((v) => v[nd]);
                  };
                  return {
                    layer: k - 1,
                    i,
                    j,
                    bits,
                    devices: withBiases(instanceParams('synapse', drawInstance(design, seed, 'synapse', synapsePath(k - 1, i, j))), terminals && deviceBiases(terminals.synapse, synapseVolts)),
                    starts: st ? Object.keys(st[0]).map((nd) => ({ id: `_${name}_${nd}`, node: `${name}.${nd}`, target: swept(st.map((v) => v[nd]), startVolts, true) })) : [],
                  };
                }),
              };
            }),
            // keepNodes: no .save line, so ngspice writes every node.
            saves: opts.keepNodes ? '' : [...js.flatMap((j) => (k === L ? [`i(vr_${j})`] : [`v(s${k}_${j}_vp)`, `v(s${k}_${j}_vn)`])), ...(supply ? ['i(vdd)'] : [])].join(' '),
          }, terminals ? DEVICE_INIT_PARTIALS : {});
          const label = `layer${k}-${js[0]}-s${s0}`;
          let staged = !!table && release === 'staged';
          let r: SimResult | undefined;
          if (table && release === 'auto') {
            try {
              r = await engine.run({ netlist: deck(false), label, timeoutMs: opts.timeoutMs, failFast: true });
            } catch (e) {
              if (!(e instanceof ConvergenceError || e instanceof SimTimeoutError)) throw e;
              runs++;
              staged = true;
            }
          }
          r ??= await engine.run({ netlist: deck(staged), label, timeoutMs: opts.timeoutMs });
          // The diode start and the staged release sweep two stages per sample, the released one (odd rows) the result.
          const row = (s: number) => ((pinned && !table) || staged ? 2 * s + 1 : s);
          runs++;
          iterations += r.iterations ?? 0;
          opts.onProgress?.(++done, total);
          if (opts.keepNodes)
            for (const name of r.names) {
              const node = NETWORK_NODE.exec(name)?.[1];
              if (!node) continue;
              const v = nodes.get(node) ?? new Float64Array(N).fill(NaN);
              for (let s = 0; s < m; s++) v[s0 + s] = r.vectors[name][row(s)];
              nodes.set(node, v);
            }
          if (supply)
            for (let s = 0; s < m; s++) {
              // Diode start: the replicas draw the predicted currents from vdd; node start pins carry 0 A at the released point.
              const replicas = pred && !table ? js.reduce((a, j) => a + Math.max(0, pred[(s0 + s) * n + j]), 0) : 0;
              supply[s0 + s] += -r.vectors['i(vdd)'][row(s)] - replicas;
            }
          for (const j of js)
            for (let s = 0; s < m; s++) {
              if (k === L) currents[(s0 + s) * n + j] = r.vectors[`i(vr_${j})`][row(s)];
              else {
                nvp[s * n + j] = r.vectors[`v(s${k}_${j}_vp)`][row(s)];
                nvn[s * n + j] = r.vectors[`v(s${k}_${j}_vn)`][row(s)];
              }
            }
        });
      } catch (e) {
        failures.push(groupFailure(e, [s0, s1], k));
        for (let s = s0; s < s1; s++) for (let c = 0; c < C; c++) currents[s * C + c] = NaN;
        supply?.fill(NaN, s0, s1);
        return;
      }
      vp = nvp;
      vn = nvn;
    }
  };
  await mapLimit(groups, Math.max(1, engine.concurrency), runGroup);
  failures.sort((a, b) => a.samples[0] - b.samples[0]);
  // Chunks finish in whatever order the workers take; sorted names keep the map (and the .ic
  // lines a transient builds from it) byte-identical from run to run.
  return { samples: N, classes: C, currents, runs, iterations, failures, ...(supply ? { supply } : {}), ...(opts.keepNodes ? { nodes: new Map([...nodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) } : {}) };
}

/** The cell templates' transistor line and instance parameter rows with each device's junction-init biases (`ic`) as subcircuit parameters. */
const DEVICE_INIT_PARTIALS = { mos: 'layered/mos.hbs', params: 'layered/params.hbs' };

type ParamRow = { name: string; dvt: string; mu: string };

/** Instance parameter rows with each device's junction-init biases (layered/params.hbs); rows unchanged without them. */
function withBiases(rows: ParamRow[], biases: Record<string, { vds: number; vgs: number; vbs: number }> | undefined) {
  if (!biases) return rows;
  return rows.map((r) => ({ ...r, ic: { vds: startVolts(biases[r.name].vds), vgs: startVolts(biases[r.name].vgs), vbs: startVolts(biases[r.name].vbs) } }));
}

/** A cell's subcircuit defaults with zero biases: ngspice's own junction init where an instance passes none. */
function zeroBiases<T extends { nominal: ParamRow[] }>(cell: T): T {
  return { ...cell, nominal: cell.nominal.map((r) => ({ ...r, ic: { vds: '0', vgs: '0', vbs: '0' } })) };
}

/**
 * The start-point aid of soma k/j (partials/pin.hbs): a replica of its input diode (same
 * device, same mismatch `mm`) fed `current`, and a pin of conductance `gate` to it.
 */
export function pinData(design: Design, mm: InstanceMismatch, k: number, j: number, current: string, gate: string) {
  const dev = CELLS.soma.find((d) => d.name === 'mn_in')!;
  const s = design.sizes.soma[dev.group];
  return { id: `_${k}_${j}`, node: `s${k}_${j}`, current, gate, model: deviceModel(design, dev.type, s.w, s.l), w: formatSi(s.w), l: formatSi(s.l), m: dev.m, dvt: formatNumber(mm.mn_in.dvt), mu: formatNumber(mm.mn_in.mu) };
}

function readoutData(design: Design, seed: number, j: number) {
  const m = drawInstance(design, seed, 'readout', readoutPath(j)).mn_read;
  return { ...deviceData(design, 'readout'), dvt: formatNumber(m.dvt), mu: formatNumber(m.mu) };
}

/** argmax per sample. */
export function decisions(o: SpiceOutputs): Int32Array {
  const d = new Int32Array(o.samples);
  for (let s = 0; s < o.samples; s++) {
    let best = 0;
    for (let c = 1; c < o.classes; c++) if (o.currents[s * o.classes + c] > o.currents[s * o.classes + best]) best = c;
    d[s] = best;
  }
  return d;
}

/**
 * The whole network in one netlist, every sample one point of a DC sweep (each point
 * starts from the previous solution), with its supply current. Reference for the layered
 * mode on small networks.
 */
export async function verifyFullDc(engine: Engine, design: Design, seed: number, codes: Codes, inputs: Float64Array, opts: { timeoutMs?: number } = {}): Promise<SpiceOutputs> {
  const layers = design.config.layers;
  const n0 = layers[0], C = layers[layers.length - 1];
  const N = inputs.length / n0;
  const saves = [...Array.from({ length: C }, (_, j) => `i(vr_${j})`), 'i(vdd)'].join(' ');
  const circuit = networkNetlist(design, seed, { analysis: `.dc vidx 0 ${Math.max(1, N - 1)} 1\n.save ${saves}` }).text;
  const sources = Array.from({ length: n0 }, (_, i) => ({ i, points: pwlPoints(Float64Array.from({ length: N }, (_, s) => inputs[s * n0 + i])) }));
  const text = inlineIncludes(circuit, {
    'weights.inc': weightsInclude(design, seed, codes),
    'inputs.inc': render('inputs_swept.inc.hbs', { description: `${N} samples`, lastSample: Math.max(1, N - 1), sources }),
  });
  const r = await engine.run({ netlist: text, label: 'full-dc', timeoutMs: opts.timeoutMs });
  const currents = new Float64Array(N * C);
  for (let s = 0; s < N; s++) for (let j = 0; j < C; j++) currents[s * C + j] = r.vectors[`i(vr_${j})`][s];
  const supply = Float64Array.from({ length: N }, (_, s) => -r.vectors['i(vdd)'][s]);
  return { samples: N, classes: C, currents, runs: 1, failures: [], supply };
}
