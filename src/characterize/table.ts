import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';

/**
 * One measured point of one device: the schema of characterization.csv and of
 * measurement files imported from a real chip (`codesign fit --measurements`).
 *
 * | column   | meaning |
 * |----------|---------|
 * | device   | die path: `s<layer>/<i>` soma, `w<layer>/<i>/<j>` synapse from soma i of layer to soma j of layer+1 |
 * | kind     | `soma` or `synapse` |
 * | layer    | soma layer (0 = input) or weight layer |
 * | pre      | soma index i (for a synapse: its presynaptic soma) |
 * | post     | synapse: postsynaptic soma index j; soma: empty |
 * | config   | synapse: the single bit driven, with its sign: `+4 +2 +1 -4 -2 -1`; soma: empty |
 * | point    | index of the point in its sweep (even points fit, odd points held out) |
 * | x_a      | soma: input current; synapse: presynaptic soma output current. Amperes |
 * | y_a      | soma: output current; synapse: current into the target (negative = sunk). Amperes |
 */
export interface MeasurementRow {
  device: string;
  kind: 'soma' | 'synapse';
  layer: number;
  pre: number;
  post: number | null;
  config: string;
  point: number;
  x_a: number;
  y_a: number;
}

export const MEASUREMENT_COLUMNS = ['device', 'kind', 'layer', 'pre', 'post', 'config', 'point', 'x_a', 'y_a'] as const;
export const SYNAPSE_CONFIGS = ['+4', '+2', '+1', '-4', '-2', '-1'] as const;

/** Writes the table as CSV (full precision numbers: the shortest text that reads back as the same double). */
export async function writeMeasurements(path: string, rows: MeasurementRow[]): Promise<void> {
  await writeFileAtomic(path, MEASUREMENT_COLUMNS.join(',') + '\n' + measurementLines(rows));
}

/**
 * Rows as the CSV lines writeMeasurements writes for them, without the header: a table can be
 * turned into text piece by piece while it is being measured (writeMeasurementLines joins them).
 * The fields need no quoting (paths, kinds and configs hold no commas or quotes), so each line
 * is written directly: the same bytes as util/csv's danfo.js writer, which took about 1.7 CPU s
 * for the 223,000 rows of an MNIST die.
 */
export function measurementLines(rows: MeasurementRow[]): string {
  // Joined once (a flat string): a string grown by += stays a tree of pieces while it is held.
  return rows.map((r) => `${r.device},${r.kind},${r.layer},${r.pre},${r.post === null ? '' : r.post},${r.config},${r.point},${r.x_a},${r.y_a}\n`).join('');
}

/** Writes the header and the pieces (measurementLines, in row order): the same file as writeMeasurements of all their rows. */
export async function writeMeasurementLines(path: string, pieces: string[]): Promise<void> {
  await writeFileAtomic(path, MEASUREMENT_COLUMNS.join(',') + '\n' + pieces.join(''));
}

/** Currents above this are not plausible for these cells: likely nA or uA given as numbers. */
const MAX_CURRENT_A = 1e-3;

/**
 * Reads and validates a measurement table. Errors name the file, line and column: wrong or
 * missing columns, non-numeric or NaN values, currents that are not in amperes.
 */
export async function readMeasurements(path: string): Promise<MeasurementRow[]> {
  const file = resolve(path);
  if (!existsSync(file)) throw new ConfigError(`measurement file not found: ${file}`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read measurement file ${file}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new ConfigError(`${file}: no data rows (expected a header and at least one row)`);
  const header = lines[0].split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const missing = MEASUREMENT_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) {
    const hint = header.some((h) => /^[xy](_na|_ua)?$/i.test(h)) ? ' (currents go in x_a and y_a, in amperes)' : '';
    throw new ConfigError(`${file}: missing column(s) ${missing.join(', ')}${hint}; expected ${MEASUREMENT_COLUMNS.join(',')}`);
  }
  const idx = Object.fromEntries(MEASUREMENT_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof MEASUREMENT_COLUMNS)[number], number>;
  const rows: MeasurementRow[] = [];
  for (let n = 1; n < lines.length; n++) {
    const cells = lines[n].split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    const where = (col: string) => `${file}:${n + 1}: column ${col}`;
    if (cells.length !== header.length) throw new ConfigError(`${file}:${n + 1}: expected ${header.length} fields, found ${cells.length}`);
    const num = (col: (typeof MEASUREMENT_COLUMNS)[number], integer = false) => {
      const v = Number(cells[idx[col]]);
      if (cells[idx[col]] === '' || !Number.isFinite(v)) throw new ConfigError(`${where(col)}: "${cells[idx[col]]}" is not a number`);
      if (integer && (!Number.isInteger(v) || v < 0)) throw new ConfigError(`${where(col)}: expected a non-negative integer, got ${cells[idx[col]]}`);
      return v;
    };
    const kind = cells[idx.kind];
    if (kind !== 'soma' && kind !== 'synapse') throw new ConfigError(`${where('kind')}: expected soma or synapse, got "${kind}"`);
    const config = cells[idx.config];
    if (kind === 'synapse' && !(SYNAPSE_CONFIGS as readonly string[]).includes(config))
      throw new ConfigError(`${where('config')}: expected one of ${SYNAPSE_CONFIGS.join(' ')}, got "${config}"`);
    const row: MeasurementRow = {
      device: cells[idx.device],
      kind,
      layer: num('layer', true),
      pre: num('pre', true),
      post: kind === 'synapse' ? num('post', true) : null,
      config: kind === 'synapse' ? config : '',
      point: num('point', true),
      x_a: num('x_a'),
      y_a: num('y_a'),
    };
    for (const col of ['x_a', 'y_a'] as const) {
      if (Math.abs(row[col]) > MAX_CURRENT_A) throw new ConfigError(`${where(col)}: ${row[col]} A is not a plausible current for these cells; values must be in amperes (e.g. 4e-8, not 40 nA as 40)`);
    }
    rows.push(row);
  }
  return rows;
}
