/**
 * Layout-versus-schematic between the review netlist and the simulation netlist, with netgen
 * (Debian: netgen-lvs). netgen reads the review netlist with its network instantiated at the top
 * level, and the simulation netlist reduced to the circuit it simulates (lvsView): no mismatch
 * parameters, no simulator cards, no stimulus sources, the weight tie resistors as the
 * connections they stand for, and its primitive MOSFETs read as device cells like the PDK's,
 * so a setup (netlists/review/netgen-setup.tcl.hbs) can make the two device classes one. They
 * must be the same circuit: every device, its connections, W, L and multiplier, every weight bit.
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Design } from '../design/index.js';
import { render } from '../netlist/index.js';
import { CodesignError, ConfigError, SimulatorMissingError } from '../util/errors.js';
import { inlineIncludes, inputsInclude, networkNetlist, weightsInclude, type Codes } from './network.js';
import { pdkCell, reviewNetlist, reviewWeights } from './review.js';

const INSTALL_HINT = 'install it (Debian/Ubuntu: apt-get install -y netgen-lvs) or set NETGEN to its path';

/** The netgen binary: $NETGEN, else Debian's name for it. */
export const netgenBinary = () => process.env.NETGEN ?? 'netgen-lvs';

/** netgen's version ("1.5.133"), or SimulatorMissingError when it is not installed. */
export async function netgenVersion(binary = netgenBinary()): Promise<string> {
  const r = await execa(binary, ['-batch', 'quit'], { reject: false, timeout: 20_000, stdin: 'ignore' });
  if ((r as { code?: string }).code === 'ENOENT') throw new SimulatorMissingError(binary, INSTALL_HINT);
  const text = `${r.stdout}\n${r.stderr}`;
  const m = /Netgen\s+([\d.]+)/.exec(text);
  if (!m) throw new SimulatorMissingError(binary, `"${binary} -batch quit" did not print a netgen version; ${INSTALL_HINT}`);
  return m[1];
}

/** SPICE logical lines: continuations joined, comments and blank lines dropped. */
function logicalLines(text: string): { line: string; at: number }[] {
  const out: { line: string; at: number }[] = [];
  text.split('\n').forEach((raw, k) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('*')) return;
    if (l.startsWith('+')) {
      if (out.length === 0) throw new ConfigError(`line ${k + 1}: continuation line with nothing to continue`);
      out[out.length - 1].line += ` ${l.slice(1).trim()}`;
    } else out.push({ line: l, at: k + 1 });
  });
  return out;
}

/**
 * The simulation netlist (network.cir with weights.inc and inputs.inc inlined) as the circuit
 * it simulates, for netgen: subcircuit parameters and per-instance parameters (the mismatch)
 * dropped; on devices only w, l and m kept (delvto, mulu0 dropped) and each primitive MOSFET
 * written as a call of its model (`m1 d g s b nmos_3p3` -> `xm1 d g s b nmos_3p3`), as the
 * review netlist calls its cells; the sources (supplies, input currents, the class outputs'
 * 0 V probes: the stimulus) dropped and the nets they touch made the pins of a cell top that
 * holds the top level; the top level's resistors (weights.inc ties a bit gate to vdd or vss
 * through 1 ohm) turned into the connections they stand for; simulator cards dropped. Anything
 * else is refused.
 */
export function lvsView(deck: string, title = 'simulation netlist'): string {
  const parent = new Map<string, string>();
  const find = (n: string): string => {
    let r = n;
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  const rank = (n: string) => (['vdd', 'vss', '0'].includes(n) ? 0 : 1);
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra === rb) return;
    const [keep, drop] = rank(ra) < rank(rb) || (rank(ra) === rank(rb) && ra < rb) ? [ra, rb] : [rb, ra];
    parent.set(drop, keep);
  };
  const cells: string[] = [];
  const top: { nodes: string[]; rest: string[]; name: string }[] = [];
  const stimulus: string[] = [];
  let depth = 0, control = false;
  for (const { line, at } of logicalLines(deck)) {
    const tokens = line.split(/\s+/);
    const head = tokens[0].toLowerCase();
    if (control) {
      if (head === '.endc') control = false;
      continue;
    }
    const where = `${title} line ${at}`;
    const element = (nodes: string[], rest: string[], name: string) => (depth > 0 ? cells.push([name, ...nodes, ...rest].join(' ')) : top.push({ nodes, rest, name }));
    if (head === '.control') control = true;
    else if (head === '.subckt') {
      depth++;
      cells.push(tokens.filter((t) => !t.includes('=')).join(' '));
    } else if (head === '.ends') {
      depth--;
      cells.push(tokens.join(' '));
    } else if (head.startsWith('.')) continue;
    else if (head.startsWith('m')) {
      if (tokens.length < 6) throw new ConfigError(`${where}: a MOSFET needs d g s b and a model: ${line}`);
      element(tokens.slice(1, 5), [tokens[5], ...tokens.slice(6).filter((t) => /^(w|l|m)=/i.test(t))], `x${tokens[0]}`);
    } else if (head.startsWith('x')) {
      const pos = tokens.filter((t) => !t.includes('='));
      element(pos.slice(1, -1), pos.slice(-1), pos[0]);
    } else if (head.startsWith('r')) {
      if (depth > 0) throw new ConfigError(`${where}: a resistor inside a subcircuit is not part of the network: ${line}`);
      union(tokens[1], tokens[2]);
    } else if (head.startsWith('v') || head.startsWith('i') || head.startsWith('b')) {
      if (depth > 0) throw new ConfigError(`${where}: a source inside a subcircuit is not part of the network: ${line}`);
      stimulus.push(tokens[1], tokens[2]);
    } else throw new ConfigError(`${where}: element "${tokens[0]}" has no place in a network netlist`);
  }
  // The nets the stimulus drives or reads are the circuit's pins (supplies, inputs, class outputs).
  const pins = [...new Set(stimulus.filter((n) => n !== '0').map(find))];
  return [
    `* ${title}, stripped for LVS by codesign (lvsView)`,
    ...cells,
    `.subckt top ${pins.join(' ')}`,
    ...top.map((e) => [e.name, ...e.nodes.map(find), ...e.rest].join(' ')),
    '.ends top',
    '',
  ].join('\n');
}

/**
 * The review files as netgen reads them: network.spice, weights.inc, and a cell top holding the
 * network on the simulation netlist's pin names (inputs s0_<i>, class outputs r_<j>), so netgen
 * matches the pins by name and a swapped input or output shows.
 */
export function reviewLvsDeck(design: Design, files: { 'network.spice': string; 'weights.inc': string }): string {
  const layers = design.config.layers;
  const ins = Array.from({ length: layers[0] }, (_, i) => `s0_${i}`);
  const outs = Array.from({ length: layers[layers.length - 1] }, (_, j) => `r_${j}`);
  const pins = [...ins, ...outs, 'vdd', 'vss'].join(' ');
  return `${files['network.spice']}\n${files['weights.inc']}\n* the network on the simulation netlist's pin names\n.subckt top ${pins}\nxnetwork ${pins} network\n.ends top\n`;
}

/** The simulation netlist of a network with its weights and inputs inlined (what `verify` simulates). */
export function simulationDeck(design: Design, seed: number, codes: Codes): string {
  const n0 = design.config.layers[0];
  return inlineIncludes(networkNetlist(design, seed).text, {
    'weights.inc': weightsInclude(design, seed, codes),
    'inputs.inc': inputsInclude('all inputs at 0 A', Array.from({ length: n0 }, () => 'dc 0')),
  });
}

export interface LvsResult {
  /** netgen found the same circuit: "Circuits match uniquely", no property errors, every pin matched to its namesake. */
  equivalent: boolean;
  /** netgen's "Result:" line. */
  result: string;
  propertyErrors: boolean;
  /** Pins netgen matched to a pin of another name (its pin table marks them **Mismatch**, while the result still says the circuits match). */
  pinErrors: boolean;
  netgen: string;
  /** netgen's comparison log (comp.out). */
  log: string;
  elapsedMs: number;
}

/** netgen's setup for a design's PDK: each review cell and the simulation's primitive model as one class. */
export function netgenSetup(design: Design): string {
  const classes = (['nfet', 'pfet'] as const).map((type) => ({ type, cell: pdkCell(design.pdk, type), model: design.pdk.devices[type].model }));
  return render('review/netgen-setup.tcl.hbs', { classes });
}

/**
 * Runs netgen on two SPICE decks (review side first) in a temporary folder; the folder is
 * kept, and named in the error, when netgen fails to run.
 */
export async function runNetgen(review: string, simulation: string, setup: string, opts: { binary?: string; timeoutMs?: number } = {}): Promise<LvsResult> {
  const binary = opts.binary ?? netgenBinary();
  const version = await netgenVersion(binary);
  const dir = await mkdtemp(join(tmpdir(), 'codesign-lvs-'));
  await writeFile(join(dir, 'review.spice'), review);
  await writeFile(join(dir, 'simulation.spice'), simulation);
  await writeFile(join(dir, 'setup.tcl'), setup);
  const t0 = Date.now();
  const r = await execa(binary, ['-batch', 'lvs', 'review.spice top', 'simulation.spice top', 'setup.tcl', 'comp.out'], { cwd: dir, reject: false, timeout: opts.timeoutMs ?? 3_600_000, stdin: 'ignore', all: true });
  const elapsedMs = Date.now() - t0;
  const log = await readFile(join(dir, 'comp.out'), 'utf8').catch(() => '');
  const stdout = r.all ?? '';
  const result = /Result:\s*(.*)/.exec(stdout)?.[1]?.trim();
  if (r.exitCode !== 0 || !result) throw new CodesignError(`netgen did not finish a comparison (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}); its files are in ${dir}\n${stdout.split('\n').slice(-15).join('\n')}`);
  await rm(dir, { recursive: true, force: true });
  const propertyErrors = /property errors/i.test(log) || /property errors/i.test(stdout);
  const pinErrors = /\*\*Mismatch\*\*/.test(log);
  return { equivalent: /Circuits match uniquely/.test(result) && !propertyErrors && !pinErrors, result, propertyErrors, pinErrors, netgen: version, log, elapsedMs };
}

/** LVS of a network's review netlist against its simulation netlist (same design, die and codes). */
export async function lvsNetwork(design: Design, seed: number, codes: Codes, opts: { binary?: string; timeoutMs?: number; review?: { 'network.spice': string; 'weights.inc': string } } = {}): Promise<LvsResult> {
  const review = opts.review ?? { 'network.spice': reviewNetlist(design), 'weights.inc': reviewWeights(design, seed, codes) };
  return runNetgen(reviewLvsDeck(design, review), lvsView(simulationDeck(design, seed, codes)), netgenSetup(design), opts);
}
