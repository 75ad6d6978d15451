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
