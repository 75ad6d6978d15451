import { countTransistors } from '../characterize/index.js';
import { CELLS, cellGroups, resolveDesign, type CellName, type Design, type DesignInput } from '../design/index.js';
import { CodesignError, ConfigError } from '../util/errors.js';
import { parseSi } from '../util/si.js';

/** How a swept key's values are read: a size or number with SPICE suffixes, a name, a switch, layer sizes. */
type ValueKind = 'size' | 'number' | 'name' | 'switch' | 'layers';

interface KeySpec {
  kind: ValueKind;
  /** Config paths the key sets (a shorthand such as soma.l sets several). */
  paths: string[][];
}

const NUMBER_KEYS = ['vdd', 'temperature', 'input_scale', 'mismatch.avt_mv_um', 'mismatch.abeta_pct_um', 'mismatch.global_sigma_mv.nfet', 'mismatch.global_sigma_mv.pfet'];
const NAME_KEYS = ['pdk', 'corner', 'fit.soma_model'];

/**
 * Every key `--set` accepts: device sizes (cell.group.w, or cell.w for every group of the cell),
 * supply, scales, mismatch, PDK (each PDK with its own reference sizes unless sizes are set too),
 * corner, layers.
 */
export function sweepKeys(): Map<string, KeySpec> {
  const keys = new Map<string, KeySpec>();
  for (const cell of Object.keys(CELLS) as CellName[]) {
    for (const dim of ['w', 'l']) {
      keys.set(`${cell}.${dim}`, { kind: 'size', paths: cellGroups(cell).map((g) => [cell, g, dim]) });
      for (const g of cellGroups(cell)) keys.set(`${cell}.${g}.${dim}`, { kind: 'size', paths: [[cell, g, dim]] });
    }
  }
  for (const k of NUMBER_KEYS) keys.set(k, { kind: 'number', paths: [k.split('.')] });
  for (const k of NAME_KEYS) keys.set(k, { kind: 'name', paths: [k.split('.')] });
  keys.set('mismatch.enabled', { kind: 'switch', paths: [['mismatch', 'enabled']] });
  keys.set('layers', { kind: 'layers', paths: [['layers']] });
  return keys;
}

/** One value of a swept key: what goes into the config, what goes into the table, the text typed. */
export interface AxisValue {
  config: string | number | boolean | number[];
  table: string | number | boolean;
  text: string;
}

/** One `--set key=v1,v2,...`. */
export interface Axis {
  key: string;
  arg: string;
  paths: string[][];
  values: AxisValue[];
}

function parseValue(kind: ValueKind, text: string, where: string): AxisValue {
  switch (kind) {
    case 'size':
    case 'number': {
      const v = parseSi(text, where);
      if (kind === 'size' && !(v > 0)) throw new ConfigError(`${where}: a size must be positive, got "${text}"`);
      return { config: kind === 'size' ? text : v, table: v, text };
    }
    case 'switch': {
      const on = ['true', 'on', '1', 'yes'].includes(text.toLowerCase());
      if (!on && !['false', 'off', '0', 'no'].includes(text.toLowerCase())) throw new ConfigError(`${where}: expected true or false, got "${text}"`);
      return { config: on, table: on, text };
    }
    case 'layers': {
      const sizes = text.split(/[x-]/).map(Number);
      if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new ConfigError(`${where}: expected layer sizes joined by - or x, e.g. 5-10-3, got "${text}"`);
      return { config: sizes, table: sizes.join('-'), text };
    }
    default:
      return { config: text, table: text, text };
  }
}

/** Parses the `--set` arguments into axes; every error names the argument at fault. */
export function parseSets(sets: readonly string[]): Axis[] {
  const keys = sweepKeys();
  const axes: Axis[] = [];
  if (sets.length === 0) throw new ConfigError('--set: give at least one KEY=V1,V2,... (e.g. --set soma.l=1u,2u)');
  for (const arg of sets) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${arg}: expected KEY=V1,V2,... (e.g. soma.l=1u,2u,4u)`);
    const key = arg.slice(0, eq).trim();
    const spec = keys.get(key);
    if (!spec) {
      const near = [...keys.keys()].filter((k) => k.startsWith(key.split('.')[0] + '.'));
      throw new ConfigError(`--set ${arg}: unknown key "${key}"; keys: ${(near.length ? near : [...keys.keys()]).join(', ')}`);
    }
    const texts = arg.slice(eq + 1).split(',').map((t) => t.trim());
    if (texts.some((t) => t === '')) throw new ConfigError(`--set ${arg}: empty value (values are separated by commas, e.g. ${key}=1u,2u)`);
    const values = texts.map((t) => parseValue(spec.kind, t, `--set ${arg}: value "${t}"`));
    const same = (x: AxisValue['table'], y: AxisValue['table']) => (typeof x === 'number' && typeof y === 'number' ? Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y)) : x === y);
    values.forEach((v, i) => {
      if (values.slice(0, i).some((u) => same(u.table, v.table))) throw new ConfigError(`--set ${arg}: value "${v.text}" appears twice`);
    });
    for (const other of axes) {
      const shared = spec.paths.find((p) => other.paths.some((q) => q.join('.') === p.join('.')));
      if (shared) throw new ConfigError(`--set ${arg}: overlaps --set ${other.arg} (both set ${shared.join('.')})`);
    }
    axes.push({ key, arg, paths: spec.paths, values });
  }
  return axes;
}

/** One grid point: its values per key, a folder name, and the resolved design. */
export interface GridPoint {
  name: string;
  values: Record<string, AxisValue>;
  config: DesignInput;
  design: Design;
}

function setPath(obj: Record<string, any>, path: string[], value: unknown): void {
  let o = obj;
  for (const p of path.slice(0, -1)) o = o[p] = { ...(o[p] ?? {}) };
  o[path[path.length - 1]] = value;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9.+-]+/g, '_');

/**
 * The cartesian product of the axes (first axis slowest) applied to a base design config;
 * every point is validated now, so a bad size fails before any simulation, naming the point.
 */
export function expandGrid(base: DesignInput, axes: readonly Axis[]): GridPoint[] {
  let combos: AxisValue[][] = [[]];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((v) => [...c, v]));
  return combos.map((combo) => {
    const config = structuredClone(base) as Record<string, any>;
    axes.forEach((a, i) => a.paths.forEach((p) => setPath(config, p, combo[i].config)));
    const label = axes.map((a, i) => `${a.key}=${combo[i].text}`).join(' ');
    let design: Design;
    try {
      design = resolveDesign(config, `--set ${label}`);
    } catch (e) {
      if (e instanceof CodesignError) throw new ConfigError(e.message.startsWith('--set') ? e.message : `--set ${label}: ${e.message}`);
      throw e;
    }
    return {
      name: axes.map((a, i) => `${a.key}-${safe(combo[i].text)}`).join('_') || 'base',
      values: Object.fromEntries(axes.map((a, i) => [a.key, combo[i]])),
      config: config as DesignInput,
      design,
    };
  });
}

/** Active gate area of the whole network, m^2: every transistor's m*W*L (5 per soma, 11 per synapse, 1 readout per output). */
export function activeArea(design: Design): number {
  const cellArea = (cell: CellName) => CELLS[cell].reduce((s, d) => s + d.m * design.sizes[cell][d.group].w * design.sizes[cell][d.group].l, 0);
  const { somas, synapses, readouts } = countTransistors(design.config.layers);
  return somas * cellArea('soma') + synapses * cellArea('synapse') + readouts * cellArea('readout');
}
