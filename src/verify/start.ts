/**
 * Where layered verification starts each sample: the voltage of every soma and synapse node,
 * read off a table of nominal cells (one small SPICE run per design, netlists/tb/start_table).
 * A layered netlist pins every node to these voltages before it solves the circuit alone from
 * there (layer_dc.sp.hbs); how close they are decides the Newton iterations, never the result.
 *
 * Soma nodes follow the soma's input current (the fitted models predict it); a synapse's
 * internal nodes follow its code, its presynaptic soma's gate voltage vp (known: the previous
 * layer's result) and its output node, the postsynaptic soma's input (its start voltage).
 */
import type { Design } from '../design/index.js';
import { codeBits, commonData, render } from '../netlist/index.js';
import type { Engine } from '../spice/index.js';
import { formatNumber } from '../util/si.js';

/** Nominal operating points: soma nodes over an input-current grid, synapse nodes over (presynaptic current, output voltage). */
export interface StartTable {
  /** Presynaptic (soma input) current grid, A, ascending from 0. */
  current: number[];
  /** Output voltage grid of the synapses, V, ascending. */
  out: number[];
  /** Nominal soma node voltages at each current: input node and the two gate voltages. */
  soma: { in: number[]; vp: number[]; vn: number[] };
  /** Per weight code: internal node name -> voltage, row-major [current][out]. */
  synapse: Map<number, Record<string, Float64Array>>;
  /** Per weight code: the current the synapse delivers into its output node, A, row-major [current][out]. */
  synapseOut: Map<number, Float64Array>;
}

/** Where a soma predicted off starts when its fan-in is not known (the input layer): its input node near ground. */
const OFF_INPUT_V = 0.03;

/**
 * The highest start of a soma predicted off. Where the nominal fan-in's net current is positive
 * once the inhibitory sinks saturate (~0.1 V) but the fitted models (with the die's mismatch)
 * predict the soma off, the nominal balance lands far up the input diode (0.2..0.45 V on an
 * MNIST hidden neuron whose off samples settled at 40..110 mV): the two disagree, and the node
 * is near the sinks' knee either way.
 */
const OFF_INPUT_MAX_V = 0.1;

const CODES = Array.from({ length: 15 }, (_, k) => k - 7);

/**
 * The table's grids: currents 0, 12 log-spaced from 1e-4 of the input scale's 0.1 % up to it,
 * and 16 log-spaced from 0.1 % to 3x the input scale (a synapse's floating nodes swing by a volt
 * within the first nA of its presynaptic current, and an off hidden soma held near ground by
 * its inhibitory fan-in still passes 10 fA..100 pA: the output layer of 20 MNIST digits took
 * 1,098 Newton iterations with the low decades, 4,126 without, both with codesign 0.1.0's
 * two-point samples and four-soma netlists); outputs 0 .. vdd/2 in 50 mV
 * steps, refined below 50 mV where the inhibitory synapses hold an off soma's input (their
 * sinks leave saturation there, so their current follows the voltage). Measured on an MNIST
 * hidden neuron: 841 Newton iterations for 50 digits with 16 currents and 50 mV steps, 840
 * with 24 currents and 20 mV steps, 846 with 12 and 100 mV.
 */
function grids(design: Design) {
  const lo = 1e-3 * design.config.input_scale, hi = 3 * design.config.input_scale;
  const current = [0, ...Array.from({ length: 12 }, (_, k) => lo * 10 ** ((k - 12) / 3)), ...Array.from({ length: 16 }, (_, k) => lo * (hi / lo) ** (k / 15))];
  const step = 0.05;
  const n = Math.floor(design.vdd / 2 / step);
  return { current, out: [0, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, ...Array.from({ length: n }, (_, k) => (k + 1) * step)] };
}

/** Tables already solved in this process, by engine identity and netlist. */
const solved = new Map<string, Promise<StartTable>>();

/**
 * The nominal cells' table for a design: solved once per engine and process (the netlist is
 * the same for every die of a design, so the simulation cache serves other processes).
 */
export async function startTable(engine: Engine, design: Design, timeoutMs?: number): Promise<StartTable> {
  const g = grids(design);
  const text = render('tb/start_table.sp.hbs', {
    ...commonData(design, 0, 'codesign layered verification: start table (nominal soma and synapses)'),
    lastH: g.current.length - 1,
    lastO: g.out.length - 1,
    codes: CODES.join(' '),
    current: g.current.map((c, k) => `${k}, ${formatNumber(c, 9)}`).join(', '),
    out: { first: formatNumber(g.out[0]), last: formatNumber(g.out[g.out.length - 1]), points: g.out.map((v, k) => `${k}, ${formatNumber(v)}`).join(', ') },
    synapses: CODES.map((code, id) => ({ id, code, bits: codeBits(code) })),
  });
  const key = `${await engine.identity()}\n${text}`;
  let table = solved.get(key);
  if (!table) {
    table = solveTable(engine, text, g, timeoutMs);
    solved.set(key, table);
    table.catch(() => solved.delete(key));
  }
  return table;
}

async function solveTable(engine: Engine, text: string, g: ReturnType<typeof grids>, timeoutMs?: number): Promise<StartTable> {
  const r = await engine.run({ netlist: text, label: 'layered-start-table', timeoutMs });
  const nH = g.current.length, nO = g.out.length;
  if (r.points !== nH * nO) throw new Error(`layered start table: ${r.points} points, expected ${nH * nO}`);
  // Rows: outer sweep over the output voltage, inner over the current; stored [current][out].
  const table = (name: string) => {
    const v = r.vectors[name];
    const t = new Float64Array(nH * nO);
    for (let o = 0; o < nO; o++) for (let h = 0; h < nH; h++) t[h * nO + o] = v[o * nH + h];
    return t;
  };
  const first = (name: string) => Array.from({ length: nH }, (_, h) => r.vectors[name][h]);
  const synapse = new Map<number, Record<string, Float64Array>>();
  const synapseOut = new Map<number, Float64Array>();
  CODES.forEach((code, id) => {
    // i(vo<k>) flows from the output node into the synapse: the current it delivers is its negative.
    synapseOut.set(code, table(`i(vo${id})`).map((v) => -v));
    const nodes: Record<string, Float64Array> = {};
    for (const name of r.names) {
      const m = new RegExp(`^v\\(xw${id}\\.(\\w+)\\)$`).exec(name);
      if (m) nodes[m[1]] = table(name);
    }
    synapse.set(code, nodes);
  });
  return { current: g.current, out: g.out, synapseOut, soma: { in: first('v(in)'), vp: first('v(vp)'), vn: first('v(vn)') }, synapse };
}

/** Linear interpolation on an ascending grid, clamped at its ends; returns the cell and weight. */
function locate(grid: ArrayLike<number>, x: number): [number, number] {
  const n = grid.length;
  if (x <= grid[0]) return [0, 0];
  if (x >= grid[n - 1]) return [n - 2, 1];
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (grid[mid] <= x) lo = mid;
    else hi = mid;
  }
  return [lo, (x - grid[lo]) / (grid[lo + 1] - grid[lo])];
}

const lerp = (a: number, b: number, w: number) => a + (b - a) * w;

/**
 * A soma's start voltages (input node, vp, vn) at its predicted input current; off (<= 0): the
 * input node at `offInput` (see offInput; default 30 mV), gates at zero current.
 */
export function somaStart(t: StartTable, current: number, offInput = OFF_INPUT_V): { in: number; vp: number; vn: number } {
  if (!(current > 0)) return { in: offInput, vp: t.soma.vp[0], vn: t.soma.vn[0] };
  const [k, w] = locate(t.current, current);
  return { in: lerp(t.soma.in[k], t.soma.in[k + 1], w), vp: lerp(t.soma.vp[k], t.soma.vp[k + 1], w), vn: lerp(t.soma.vn[k], t.soma.vn[k + 1], w) };
}

/** The presynaptic current cell [k, k+1] of a simulated vp and the weight toward k+1 (vp falls as the current rises). */
function presynapticCell(t: StartTable, vp: number): [number, number] {
  const rising = risingVp(t);
  const [kr, wr] = locate(rising, vp);
  return [rising.length - 2 - kr, 1 - wr];
}

/** The nominal soma's vp in ascending order (over falling current), built once per table: it is searched for every synapse and sample. */
const ascendingVp = new WeakMap<StartTable, Float64Array>();
function risingVp(t: StartTable): Float64Array {
  let a = ascendingVp.get(t);
  if (!a) {
    a = Float64Array.from(t.soma.vp).reverse();
    ascendingVp.set(t, a);
  }
  return a;
}

/**
 * The input voltage of a soma that is off, from its fan-in (each synapse's code and its
 * presynaptic soma's simulated vp): where the nominal synapses' output currents (the
 * inhibitory ones falling toward 0 V as their sinks leave saturation) balance the nominal
 * soma's input diode. On an MNIST hidden neuron's off samples (10 digits) this lands 0.2..9 mV
 * from the solution, where a fixed 30 mV was 7..35 mV off; the synapses' internal starts
 * follow it (synapseStart).
 */
export function offInput(t: StartTable, fanIn: readonly { code: number; vp: number }[]): number {
  const nO = t.out.length;
  // Net synapse current into the node at each output grid voltage.
  const net = new Float64Array(nO);
  for (const { code, vp } of fanIn) {
    const tab = t.synapseOut.get(code)!;
    const [k, w] = presynapticCell(t, vp);
    for (let o = 0; o < nO; o++) net[o] += lerp(tab[k * nO + o], tab[(k + 1) * nO + o], w);
  }
  const diode = (v: number) => {
    const [k, w] = locate(t.soma.in, v);
    return v <= t.soma.in[0] ? 0 : lerp(t.current[k], t.current[k + 1], w);
  };
  const f = (v: number) => {
    const [o, w] = locate(t.out, v);
    return lerp(net[o], net[o + 1], w) - diode(v);
  };
  // f falls with the voltage: bisect below the cap.
  let lo = t.out[0], hi = OFF_INPUT_MAX_V;
  if (f(lo) <= 0) return lo;
  if (f(hi) >= 0) return hi;
  for (let it = 0; it < 40; it++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * A synapse's internal node start voltages for its code, its presynaptic soma's simulated vp
 * (mapped to a current through the nominal soma's vp) and its output node's start voltage.
 */
export function synapseStart(t: StartTable, code: number, vp: number, out: number): Record<string, number> {
  const nodes = t.synapse.get(code)!;
  const [k, wh] = presynapticCell(t, vp);
  const [o, wo] = locate(t.out, out);
  const nO = t.out.length;
  const out2: Record<string, number> = {};
  const a = k * nO + o, b = a + nO;
  for (const name in nodes) {
    const tab = nodes[name];
    out2[name] = lerp(lerp(tab[a], tab[a + 1], wo), lerp(tab[b], tab[b + 1], wo), wh);
  }
  return out2;
}

/** A device's terminals in its cell's subcircuit: drain, gate, source, bulk (port or internal node names). */
export type Terminals = Map<string, [string, string, string, string]>;

const terminalsCache = new Map<string, Terminals>();

/**
 * Each device's terminals in a cell, read off the cell's subcircuit template (the one place
 * that holds the cell's structure), so junction-init biases follow any change to the cell.
 */
export function cellTerminals(design: Design, cell: 'soma' | 'synapse'): Terminals {
  const data = commonData(design, 0, 'terminals')[cell === 'soma' ? 'somaCell' : 'synapseCell'];
  const key = `${cell}\n${JSON.stringify(data)}`;
  let t = terminalsCache.get(key);
  if (!t) {
    const text = render(`cells/${cell}.sp.hbs`, data);
    t = new Map();
    for (const m of text.matchAll(/^(m\w+) (\S+) (\S+) (\S+) (\S+) /gm)) t.set(m[1], [m[2], m[3], m[4], m[5]]);
    terminalsCache.set(key, t);
  }
  return t;
}

const median = (xs: ArrayLike<number>) => {
  const s = Float64Array.from(xs).sort(); // numeric order (a typed array's default)
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/**
 * The junction-init biases of each device of an instance (its `ic` vds, vgs, vbs): the biases
 * at the median over a group's samples of each node's start voltage (`volts(node)` gives a
 * node's voltage per sample). ngspice evaluates every transistor at these in the first Newton
 * iteration of each sample (its junction-init mode) instead of at vds = 0.1 V, vgs = VT0 +
 * 0.1 V, so the pinned circuit converges an iteration sooner; they never change the solution.
 */
export function deviceBiases(terminals: Terminals, volts: (node: string) => ArrayLike<number>): Record<string, { vds: number; vgs: number; vbs: number }> {
  const at = new Map<string, number>();
  const v = (node: string) => {
    let x = at.get(node);
    if (x === undefined) at.set(node, (x = median(volts(node))));
    return x;
  };
  const out: Record<string, { vds: number; vgs: number; vbs: number }> = {};
  for (const [dev, [d, g, s, b]] of terminals) out[dev] = { vds: v(d) - v(s), vgs: v(g) - v(s), vbs: v(b) - v(s) };
  return out;
}
