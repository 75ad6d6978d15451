import { readFile } from 'node:fs/promises';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { SimResult } from './types.js';

/** One column per vector, scale first; numbers in full precision (round-trip exact). */
export function resultsToCsv(r: Pick<SimResult, 'names' | 'vectors' | 'points'>): string {
  const rows = [r.names.join(',')];
  for (let p = 0; p < r.points; p++) rows.push(r.names.map((n) => String(r.vectors[n][p])).join(','));
  return rows.join('\n') + '\n';
}

export async function writeResultsCsv(path: string, r: Pick<SimResult, 'names' | 'vectors' | 'points'>): Promise<void> {
  await writeFileAtomic(path, resultsToCsv(r));
}

export async function readResultsCsv(path: string): Promise<{ names: string[]; vectors: Record<string, Float64Array>; points: number }> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  const names = lines[0].split(',');
  const vectors: Record<string, Float64Array> = Object.fromEntries(names.map((n) => [n, new Float64Array(lines.length - 1)]));
  lines.slice(1).forEach((l, p) => {
    const cells = l.split(',');
    if (cells.length !== names.length) throw new ConfigError(`${path}:${p + 2}: expected ${names.length} columns, found ${cells.length}`);
    cells.forEach((c, i) => (vectors[names[i]][p] = Number(c)));
  });
  return { names, vectors, points: lines.length - 1 };
}
