import type { Design } from '../design/index.js';
import type { InstanceMismatch } from '../mismatch/index.js';
import { ConfigError } from '../util/errors.js';
import { formatNumber, formatSi } from '../util/si.js';
import { commonData, deviceData, instanceData, DEFAULT_OPTIONS, type SimOptions } from './data.js';
import { drawInstance } from '../mismatch/index.js';
import { render } from './env.js';

export interface Sweep {
  start: number;
  stop: number;
  step: number;
}

/** A generated netlist; the swept input is the results' scale (first vector). */
export interface Testbench {
  text: string;
}

const fmtSweep = (s: Sweep) => ({ start: formatSi(s.start), stop: formatSi(s.stop), step: formatSi(s.step) });

function checkSweep(s: Sweep, what: string): void {
  if (!(s.step > 0) || !(s.stop > s.start)) throw new ConfigError(`${what}: need start < stop and step > 0 (got ${s.start}, ${s.stop}, ${s.step})`);
}

/** One soma to measure: its die path, optional explicit mismatch, and how it is read. */
export interface SomaSpec {
  path: string;
  mismatch?: InstanceMismatch;
  /** Output neurons are read through their readout nFET (die path of that device). */
  readout?: { path: string; mismatch?: InstanceMismatch };
}

export interface SomaBatch extends Testbench {
  /** i(vprobe<k>) for soma k: its output current. */
  outputs: string[];
  specs: SomaSpec[];
}

/** Data of each soma's output probe (the mismatch-free copy, or its readout nFET). */
function probeFields(design: Design, seed: number, spec: SomaSpec) {
  if (!spec.readout) return { readout: false };
  const mm = (spec.readout.mismatch ?? drawInstance(design, seed, 'readout', spec.readout.path)).mn_read;
  return { readout: { path: spec.readout.path, ...deviceData(design, 'readout'), dvt: formatNumber(mm.dvt), mu: formatNumber(mm.mu) } };
}

/** Any set of soma instances of a die, swept together in one DC analysis. */
export function somaBatchTestbench(design: Design, seed: number, specs: SomaSpec[], opts: { sweep: Sweep; options?: SimOptions; title?: string }): SomaBatch {
  if (specs.length === 0) throw new ConfigError('a soma testbench needs at least one instance');
  checkSweep(opts.sweep, 'soma sweep');
  const instances = specs.map((s, k) => ({ id: k, ...instanceData(design, seed, 'soma', s.path, s.mismatch), ...probeFields(design, seed, s) }));
  const outputs = instances.map((i) => `i(vprobe${i.id})`);
  const text = render('tb/soma_dc.sp.hbs', {
    ...commonData(design, seed, opts.title ?? `codesign soma testbench: DC sweep of the input current, ${specs.length} instance(s)`, opts.options ?? DEFAULT_OPTIONS),
    instances,
    probe: deviceData(design, 'soma'),
    sweep: fmtSweep(opts.sweep),
    saves: outputs.join(' '),
  });
  return { text, outputs, specs };
}

export interface SomaTestbenchOptions {
  /** Number of soma instances driven by the one sweep. */
  instances?: number;
  /** Input current sweep, A. */
  sweep?: Sweep;
  /** Die path prefix of the instances (instance k is `<prefix>/<k>`). */
  pathPrefix?: string;
  options?: SimOptions;
}

export interface SomaTestbench extends Testbench {
  outputs: string[];
  paths: string[];
}

/** Soma subcircuit plus a testbench sweeping the input current of N instances at once. */
export function somaTestbench(design: Design, seed: number, opts: SomaTestbenchOptions = {}): SomaTestbench {
  const n = opts.instances ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`instances: expected a positive integer, got ${n}`);
  const prefix = opts.pathPrefix ?? 'soma';
  const specs = Array.from({ length: n }, (_, k) => ({ path: `${prefix}/${k}` }));
  const b = somaBatchTestbench(design, seed, specs, {
    sweep: opts.sweep ?? { start: -10e-9, stop: 80e-9, step: 2e-9 },
    options: opts.options,
    title: `codesign soma testbench: DC sweep of the input current, ${n} instance(s)`,
  });
  return { text: b.text, outputs: b.outputs, paths: specs.map((s) => s.path) };
}

/** Gate nodes of a code: sign at vss = excitatory; bits at vdd = on. */
export function codeBits(code: number) {
  if (!Number.isInteger(code) || code < -7 || code > 7) throw new ConfigError(`weight code ${code} is outside -7..7`);
  const mag = Math.abs(code);
  const v = (on: boolean) => (on ? 'vdd' : 'vss');
  return { sign: v(code < 0), b4: v((mag & 4) !== 0), b2: v((mag & 2) !== 0), b1: v((mag & 1) !== 0) };
}

/** One synapse to measure at one code (copies of the same die path share its mismatch). */
export interface SynapseSpec {
  path: string;
  /** A fixed code; omitted when the batch sweeps the codes (`codes` option). */
  code?: number;
  mismatch?: InstanceMismatch;
}

/**
 * Gate expressions that set every synapse of a batch to codes[v(cfg)] as the outer DC
 * sweep steps v(cfg) = 0, 1, ...: one instance per synapse measures all its codes.
 */
function codeSweep(codes: number[], vdd: number) {
  codes.forEach((c) => codeBits(c)); // validates each code
  const on = (pred: (c: number) => boolean) => {
    const idx = codes.map((c, k) => (pred(c) ? k : -1)).filter((k) => k >= 0);
    if (idx.length === 0) return '0';
    const cond = idx.map((k) => `(v(cfg) > ${k - 0.5} && v(cfg) < ${k + 0.5})`).join(' || ');
    return `(${cond}) ? ${formatNumber(vdd)} : 0`;
  };
  return {
    last: codes.length - 1,
    legend: codes.map((c, k) => `${k}: ${c > 0 ? '+' : ''}${c}`).join(', '),
    sign: on((c) => c < 0),
    b4: on((c) => (Math.abs(c) & 4) !== 0),
    b2: on((c) => (Math.abs(c) & 2) !== 0),
    b1: on((c) => (Math.abs(c) & 1) !== 0),
  };
}

const SWEPT_BITS = { sign: 'cfg_sign', b4: 'cfg_b4', b2: 'cfg_b2', b1: 'cfg_b1' };

export interface PreSpec {
  path: string;
  mismatch?: InstanceMismatch;
  synapses: SynapseSpec[];
}

export interface SynapseBatch extends Testbench {
  /** i(vprobe<p>): output of presynaptic soma p. */
  pre: string[];
  /** Per presynaptic soma, per synapse: output (and, with lines, supply-line) vectors. */
  synapses: { out: string; src?: string; snk?: string }[][];
  /** Rows of the results per swept configuration, and each row's point of the sweep (-1: a start aid's pinned row, not a measurement). */
  rows: { perConfig: number; point: number[] };
}

/**
 * Where a swept synapse batch starts each bit configuration (see synapse_dc.sp.hbs): a
 * nominal synapse's internal node voltages per configuration and a nominal presynaptic soma's
 * node voltages, both at the top of the sweep (from `synapseStartNodes` on a nominal run).
 */
export interface SynapseStart {
  /** Internal node name in the synapse cell -> its voltage per configuration of `codes`, V. */
  nodes: Record<string, number[]>;
  /** Presynaptic soma node (name without the soma's index, as in the testbench) -> voltage, V. */
  soma: Record<string, number>;
}

/** Conductance of the start aid's pins, S. */
const PIN_GATE = 1e-3;

/** Node names of presynaptic soma <id> in synapse_dc.sp.hbs (its cell pins and its probe's). */
const PRE_NODES = ['in', 'vp', 'vn', 'pd', 'probe'];

/** Points of a sweep, in order (the values ngspice's .dc steps through). */
function sweepPoints(s: Sweep): number[] {
  const n = Math.round((s.stop - s.start) / s.step) + 1;
  return Array.from({ length: n }, (_, i) => s.start + i * s.step);
}

/**
 * A start aid from a run of the batch testbench on one nominal presynaptic soma with one
 * nominal synapse, swept over the same codes at the top sweep point only, all nodes saved.
 */
export function synapseStartNodes(vectors: Record<string, Float64Array>): SynapseStart {
  const nodes: Record<string, number[]> = {};
  const soma: Record<string, number> = {};
  for (const [name, v] of Object.entries(vectors)) {
    const internal = /^v\(xs0\.(\w+)\)$/.exec(name);
    if (internal) nodes[internal[1]] = Array.from(v);
    const pre = /^v\(([a-z]+)0\)$/.exec(name);
    if (pre && PRE_NODES.includes(pre[1])) soma[pre[1]] = v[0];
  }
  if (Object.keys(nodes).length === 0 || PRE_NODES.some((n) => !(n in soma))) throw new ConfigError('synapse start aid: the nominal run lacks the synapse or soma node voltages');
  return { nodes, soma };
}

/**
 * Presynaptic somas of a die, swept together, each driving its synapses; every synapse
 * output is held at `vout`. `lines` adds ammeters on each synapse's supply pins.
 */
export function synapseBatchTestbench(
  design: Design,
  seed: number,
  pres: PreSpec[],
  opts: {
    sweep: Sweep;
    vout: number;
    lines?: boolean;
    options?: SimOptions;
    title?: string;
    codes?: number[];
    /** Start each swept configuration pinned near a nominal synapse's state, and step the input down from the top (needs `codes`). */
    start?: SynapseStart;
    /** Save every node (no .save line): what `synapseStartNodes` reads. */
    saveAll?: boolean;
  },
): SynapseBatch {
  if (pres.length === 0) throw new ConfigError('a synapse testbench needs at least one presynaptic soma');
  checkSweep(opts.sweep, 'synapse sweep');
  if (opts.start && !opts.codes) throw new ConfigError('a synapse start aid needs swept codes');
  const points = sweepPoints(opts.sweep);
  const pinNodes = opts.start ? Object.keys(opts.start.nodes) : [];
  let k = 0;
  const data = pres.map((p, id) => ({
    id,
    ...instanceData(design, seed, 'soma', p.path, p.mismatch),
    synapses: p.synapses.map((s) => {
      if (s.code === undefined && !opts.codes) throw new ConfigError(`synapse ${s.path}: give it a code, or sweep codes for the batch`);
      const swept = s.code === undefined;
      return {
        id: k++,
        code: swept ? `swept (${opts.codes!.join(' ')})` : s.code,
        bits: swept ? SWEPT_BITS : codeBits(s.code!),
        ...instanceData(design, seed, 'synapse', s.path, s.mismatch),
        pins: pinNodes,
      };
    }),
    nodeset: opts.start ? PRE_NODES.map((n) => `v(${n}${id})=${formatNumber(opts.start!.soma[n], 9)}`).join(' ') : '',
  }));
  const vectors = data.map((p) => p.synapses.map((s) => (opts.lines ? { out: `i(vout${s.id})`, src: `i(vsrc${s.id})`, snk: `i(vsnk${s.id})` } : { out: `i(vout${s.id})` })));
  const preVectors = data.map((p) => `i(vprobe${p.id})`);
  const nSyn = k;
  const text = render('tb/synapse_dc.sp.hbs', {
    ...commonData(design, seed, opts.title ?? `codesign synapse testbench: ${nSyn} synapse(s) on ${pres.length} presynaptic soma(s)`, opts.options ?? DEFAULT_OPTIONS),
    pres: data,
    lines: Boolean(opts.lines),
    probe: deviceData(design, 'soma'),
    vout: formatNumber(opts.vout),
    sweep: fmtSweep(opts.sweep),
    configs: opts.codes ? codeSweep(opts.codes, design.vdd) : false,
    start: opts.start ? startData(opts.start, points) : false,
    saves: opts.saveAll ? '' : [...preVectors, ...vectors.flat().flatMap((v) => Object.values(v))].join(' '),
  });
  // With a start aid the rows of a configuration are: pinned at the top, then the points from the top down.
  const rows = opts.start ? { perConfig: points.length + 1, point: [-1, ...points.map((_, i) => points.length - 1 - i)] } : { perConfig: points.length, point: points.map((_, i) => i) };
  return { text, pre: preVectors, synapses: vectors, rows };
}

/** Template data of a start aid: the input current per v(k) (k = 0 pinned at the top), the pin's gate, the targets per configuration. */
function startData(start: SynapseStart, points: number[]) {
  const down = [...points].reverse();
  const pwl = (values: number[]) => values.map((v, i) => `${i}, ${formatNumber(v, 9)}`).join(', ') + (values.length === 1 ? `, 1, ${formatNumber(values[0], 9)}` : '');
  const pin = [PIN_GATE, 0, ...down.map(() => 0)];
  return {
    gate: formatNumber(PIN_GATE),
    top: formatNumber(down[0]),
    last: points.length,
    current: pwl([down[0], ...down]),
    pin: pwl(pin.slice(0, points.length + 1)),
    targets: Object.entries(start.nodes).map(([node, perConfig]) => ({ node, value: perConfig.length === 1 ? formatNumber(perConfig[0], 9) : `pwl(v(cfg), ${pwl(perConfig)})` })),
  };
}

export interface SynapseTestbenchOptions {
  /** Weight codes, one synapse each, in -7..7 (default: all 15). */
  codes?: number[];
  /** Presynaptic input current sweep, A. */
  sweep?: Sweep;
  /** Voltage the synapse outputs are held at (a target soma's input sits near it), V. */
  vout?: number;
  pathPrefix?: string;
  options?: SimOptions;
}

export interface SynapseTestbench extends Testbench {
  codes: number[];
  /** Output of the presynaptic soma. */
  pre: string;
  /** Per synapse: output, supply-line and sink-line current vectors. */
  vectors: { out: string; src: string; snk: string }[];
}

/** Synapse subcircuit plus a testbench: one presynaptic soma drives one synapse per code. */
export function synapseTestbench(design: Design, seed: number, opts: SynapseTestbenchOptions = {}): SynapseTestbench {
  const codes = opts.codes ?? [-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7];
  if (codes.length === 0) throw new ConfigError('codes: at least one weight code is needed');
  const prefix = opts.pathPrefix ?? 'synapse';
  const b = synapseBatchTestbench(
    design,
    seed,
    [{ path: `${prefix}/pre`, synapses: codes.map((code, k) => ({ path: `${prefix}/${k}`, code })) }],
    {
      sweep: opts.sweep ?? { start: 0, stop: 40e-9, step: 2e-9 },
      vout: opts.vout ?? 0.5,
      lines: true,
      options: opts.options,
      title: `codesign synapse testbench: ${codes.length} code(s) driven by one presynaptic soma`,
    },
  );
  return { text: b.text, codes, pre: b.pre[0], vectors: b.synapses[0] as { out: string; src: string; snk: string }[] };
}

