import type { Design } from '../design/index.js';
import { somaTestbench, synapseTestbench, type Sweep } from '../netlist/index.js';
import type { Engine } from '../spice/index.js';
import { fitLine } from './linefit.js';

/** DC transfer of one soma instance and the line fitted to its active region. */
export interface SomaCurve {
  path: string;
  input: number[];
  output: number[];
  /** Slope of out vs in where the input is well above zero (the active region). */
  gain: number;
  /** Input current where the fitted line crosses zero, A. */
  threshold: number;
  r2: number;
}

/** Active region used for the line fit: the upper part of the sweep, away from the knee. */
function activeMask(input: ArrayLike<number>, sweep: Sweep): boolean[] {
  const lo = Math.max(0, sweep.start) + 0.2 * (sweep.stop - Math.max(0, sweep.start));
  return Array.from(input, (x) => x >= lo);
}

/** Simulates N soma instances of a die in one DC sweep and fits each one's active region. */
export async function measureSomas(
  engine: Engine,
  design: Design,
  seed: number,
  opts: { instances?: number; sweep?: Sweep } = {},
): Promise<SomaCurve[]> {
  const sweep = opts.sweep ?? { start: -10e-9, stop: 80e-9, step: 2e-9 };
  const tb = somaTestbench(design, seed, { instances: opts.instances ?? 1, sweep });
  const r = await engine.run({ netlist: tb.text, label: 'soma-dc' });
  const input = Array.from(r.vectors[r.scale]);
  const mask = activeMask(input, sweep);
  return tb.outputs.map((name, k) => {
    const output = Array.from(r.vectors[name]);
    const x = input.filter((_, i) => mask[i]);
    const y = output.filter((_, i) => mask[i]);
    const f = fitLine(x, y);
    return { path: tb.paths[k], input, output, gain: f.slope, threshold: -f.intercept / f.slope, r2: f.r2 };
  });
}

/** Output current of one synapse per code over the presynaptic sweep, with its supply lines. */
export interface SynapseCurve {
  code: number;
  input: number[];
  /** Current into the target node (> 0: sourced, excitatory). */
  output: number[];
  /** Current drawn from vdd through the excitatory line. */
  fromVdd: number[];
  /** Current sunk into vss through the inhibitory line. */
  intoVss: number[];
}

export async function measureSynapses(
  engine: Engine,
  design: Design,
  seed: number,
  opts: { codes?: number[]; sweep?: Sweep; vout?: number } = {},
): Promise<SynapseCurve[]> {
  const tb = synapseTestbench(design, seed, opts);
  const r = await engine.run({ netlist: tb.text, label: 'synapse-dc' });
  const input = Array.from(r.vectors[r.scale]);
  return tb.codes.map((code, k) => ({
    code,
    input,
    output: Array.from(r.vectors[tb.vectors[k].out]),
    fromVdd: Array.from(r.vectors[tb.vectors[k].src]),
    intoVss: Array.from(r.vectors[tb.vectors[k].snk]),
  }));
}
