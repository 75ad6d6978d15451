import type { Design } from '../design/index.js';
import { ConfigError } from '../util/errors.js';
import { formatNumber, formatSi } from '../util/si.js';
import { commonData, instanceData, DEFAULT_OPTIONS, type SimOptions } from './data.js';
import { render } from './env.js';

export interface Sweep {
  start: number;
  stop: number;
  step: number;
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

/** A generated netlist; the swept input is the results' scale (first vector). */
export interface Testbench {
  text: string;
}

export interface SomaTestbench extends Testbench {
  /** i(vprobe<k>) for instance k: its output current. */
  outputs: string[];
  paths: string[];
}

const fmtSweep = (s: Sweep) => ({ start: formatSi(s.start), stop: formatSi(s.stop), step: formatSi(s.step) });

function checkSweep(s: Sweep, what: string): void {
  if (!(s.step > 0) || !(s.stop > s.start)) throw new ConfigError(`${what}: need start < stop and step > 0 (got ${s.start}, ${s.stop}, ${s.step})`);
}

/** Soma subcircuit plus a testbench sweeping the input current of N instances at once. */
export function somaTestbench(design: Design, seed: number, opts: SomaTestbenchOptions = {}): SomaTestbench {
  const n = opts.instances ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`instances: expected a positive integer, got ${n}`);
  const sweep = opts.sweep ?? { start: -10e-9, stop: 80e-9, step: 2e-9 };
  checkSweep(sweep, 'soma sweep');
  const prefix = opts.pathPrefix ?? 'soma';
  const instances = Array.from({ length: n }, (_, k) => ({ id: k, ...instanceData(design, seed, 'soma', `${prefix}/${k}`) }));
  const outputs = instances.map((i) => `i(vprobe${i.id})`);
  const probe = design.sizes.soma.n;
  const text = render('tb/soma_dc.sp.hbs', {
    ...commonData(design, seed, `codesign soma testbench: DC sweep of the input current, ${n} instance(s)`, opts.options ?? DEFAULT_OPTIONS),
    instances,
    probe: { model: design.pdk.devices.nfet.model, w: formatSi(probe.w), l: formatSi(probe.l) },
    sweep: fmtSweep(sweep),
    saves: outputs.join(' '),
  });
  return { text, outputs, paths: instances.map((i) => i.path) };
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
  /** Per synapse: output, supply-line and sink-line current vectors. */
  vectors: { out: string; src: string; snk: string }[];
}

/** Gate voltages of a code: sign low = excitatory; bits high = on. */
export function codeBits(code: number, vdd: number) {
  if (!Number.isInteger(code) || code < -7 || code > 7) throw new ConfigError(`weight code ${code} is outside -7..7`);
  const mag = Math.abs(code);
  const v = (on: boolean) => formatNumber(on ? vdd : 0);
  return { sign: v(code < 0), b4: v((mag & 4) !== 0), b2: v((mag & 2) !== 0), b1: v((mag & 1) !== 0) };
}

/** Synapse subcircuit plus a testbench: one presynaptic soma drives one synapse per code. */
export function synapseTestbench(design: Design, seed: number, opts: SynapseTestbenchOptions = {}): SynapseTestbench {
  const codes = opts.codes ?? [-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7];
  if (codes.length === 0) throw new ConfigError('codes: at least one weight code is needed');
  const sweep = opts.sweep ?? { start: 0, stop: 40e-9, step: 2e-9 };
  checkSweep(sweep, 'synapse sweep');
  const prefix = opts.pathPrefix ?? 'synapse';
  const synapses = codes.map((code, k) => ({
    id: k,
    code,
    bits: codeBits(code, design.vdd),
    ...instanceData(design, seed, 'synapse', `${prefix}/${k}`),
  }));
  const vectors = synapses.map((s) => ({ out: `i(vout${s.id})`, src: `i(vsrc${s.id})`, snk: `i(vsnk${s.id})` }));
  const text = render('tb/synapse_dc.sp.hbs', {
    ...commonData(design, seed, `codesign synapse testbench: ${codes.length} code(s) driven by one presynaptic soma`, opts.options ?? DEFAULT_OPTIONS),
    pre: instanceData(design, seed, 'soma', `${prefix}/pre`),
    synapses,
    vout: formatNumber(opts.vout ?? 0.5),
    sweep: fmtSweep(sweep),
    saves: vectors.flatMap((v) => [v.out, v.src, v.snk]).join(' '),
  });
  return { text, codes, vectors };
}
