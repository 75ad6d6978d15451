import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './paths.js';

/*
 * CSV text through danfo.js, loaded from the bundle `npm run build` makes
 * (dist/vendor/danfo.cjs, scripts/bundle-danfo.ts), so that danfojs and its dependencies are
 * no dependencies of the installed package. Numbers keep full precision; null is an empty cell.
 */

export type CsvCell = string | number | boolean | null;

interface Danfo {
  DataFrame: new (data: Record<string, CsvCell[]>, opts: { columns: string[] }) => unknown;
  toCSV: (df: unknown) => unknown;
}

let danfo: Danfo | undefined;

function load(): Danfo {
  if (danfo) return danfo;
  const bundle = join(packageRoot(), 'dist', 'vendor', 'danfo.cjs');
  if (!existsSync(bundle)) throw new Error(`codesign: ${bundle} is missing: run npm run build (it bundles danfo.js)`);
  return (danfo = createRequire(import.meta.url)(bundle) as Danfo);
}

/** The columns (in this order) of the rows as CSV text, ending in a newline; no rows: the header alone. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, CsvCell | undefined>[]): string {
  if (!rows.length) return columns.join(',') + '\n';
  const d = load();
  const data = Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c] ?? null)]));
  const csv = String(d.toCSV(new d.DataFrame(data, { columns: [...columns] })));
  return csv.endsWith('\n') ? csv : csv + '\n';
}
