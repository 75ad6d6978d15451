import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CELLS, ConfigError, PRESETS, cellGroups, parseSi, resolveDesign, type CellName, type Design } from '../index.js';

/** Design options shared by every command that builds a circuit. */
export interface DesignArgs {
  preset?: string;
  layers?: string;
  design?: string;
  pdk?: string;
  corner?: string;
  seed?: number;
  vdd?: number;
  mismatch?: boolean;
  w?: string[];
  l?: string[];
}

export const designOptions = {
  preset: { type: 'string', describe: `starting design: ${Object.keys(PRESETS).join(', ')} (default iris 5-10-3)` },
  layers: { type: 'string', describe: 'soma count per layer, input first, e.g. 196,50,10' },
  design: { type: 'string', describe: 'design config file (JSON); flags below override it' },
  pdk: { type: 'string', describe: 'PDK name (codesign pdk list) or descriptor path' },
  corner: { type: 'string', describe: 'process corner: tt, ff, ss, fs, sf' },
  seed: { type: 'number', describe: 'die seed (fixes every mismatch draw)' },
  vdd: { type: 'number', describe: 'supply voltage, V' },
  mismatch: { type: 'boolean', describe: 'per-transistor Pelgrom mismatch (--no-mismatch: nominal devices)' },
  w: { type: 'string', array: true, describe: 'width per device group: GROUP=VALUE (e.g. n=3u, synapse.src=0.5u) or VALUE for all groups' },
  l: { type: 'string', array: true, describe: 'length per device group, as --w' },
} as const;

function readDesignFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`design file not found or unreadable: ${resolve(path)}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`design file ${resolve(path)} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Applies `--w`/`--l` settings: "3u" sets every group of the cell, "n=3u" one group of
 * it, "synapse.src=0.5u" a group of any cell.
 */
function applySizes(raw: Record<string, any>, dim: 'w' | 'l', settings: string[] | undefined, cell: CellName | undefined): void {
  for (const s of settings ?? []) {
    const eq = s.indexOf('=');
    const key = eq >= 0 ? s.slice(0, eq) : '';
    const value = eq >= 0 ? s.slice(eq + 1) : s;
    parseSi(value, `--${dim} ${s}`);
    let targets: [CellName, string][];
    if (!key) {
      if (!cell) throw new ConfigError(`--${dim} ${s}: name the group (e.g. soma.n=${value})`);
      targets = cellGroups(cell).map((g) => [cell, g]);
    } else {
      const parts = key.split('.');
      const c = (parts.length === 2 ? parts[0] : cell) as CellName | undefined;
      const g = parts[parts.length - 1];
      if (!c || !(c in CELLS)) throw new ConfigError(`--${dim} ${s}: unknown cell "${parts[0]}" (cells: ${Object.keys(CELLS).join(', ')})`);
      if (!cellGroups(c).includes(g)) throw new ConfigError(`--${dim} ${s}: unknown ${c} device group "${g}" (groups: ${cellGroups(c).join(', ')})`);
      targets = [[c, g]];
    }
    for (const [c, g] of targets) {
      raw[c] ??= {};
      raw[c][g] ??= {};
      raw[c][g][dim] = value;
    }
  }
}

/** Builds and validates the design from a config file plus command-line overrides. */
export function designFromArgs(args: DesignArgs, cell?: CellName): Design {
  let raw: Record<string, any> = {};
  if (args.preset !== undefined) {
    const p = PRESETS[args.preset];
    if (!p) throw new ConfigError(`--preset: unknown preset "${args.preset}" (known: ${Object.keys(PRESETS).join(', ')})`);
    raw = structuredClone(p) as Record<string, any>;
  }
  if (args.design) raw = { ...raw, ...readDesignFile(args.design) };
  if (args.layers !== undefined) {
    const parts = String(args.layers).split(/[,x-]/).map((t) => t.trim());
    const sizes = parts.map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n < 0) || sizes.length < 2)
      throw new ConfigError(`--layers: expected whole numbers separated by commas, e.g. 196,50,10 (got "${args.layers}")`);
    raw.layers = sizes;
  }
  if (args.pdk !== undefined) raw.pdk = args.pdk;
  if (args.corner !== undefined) raw.corner = args.corner;
  if (args.seed !== undefined) raw.seed = args.seed;
  if (args.vdd !== undefined) raw.vdd = args.vdd;
  if (args.mismatch !== undefined) raw.mismatch = { ...(raw.mismatch ?? {}), enabled: args.mismatch };
  applySizes(raw, 'w', args.w, cell);
  applySizes(raw, 'l', args.l, cell);
  for (const [k, v] of Object.entries({ seed: args.seed, vdd: args.vdd })) {
    if (v !== undefined && !Number.isFinite(v)) throw new ConfigError(`--${k}: expected a number`);
  }
  return resolveDesign(raw, args.design ? resolve(args.design) : 'design');
}

/** A time flag's value (--period, --energy-period, ...): a positive number of seconds, or undefined when not given. */
export function positiveSeconds(v: number | undefined, flag: string): number | undefined {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new ConfigError(`${flag}: expected a positive time in seconds, got ${v}`);
  return v;
}
