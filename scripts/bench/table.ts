import { availableParallelism, cpus } from 'node:os';
import { eecircuitVersion, ngspiceVersion } from '../../src/spice/index.js';

/** A plain-text table, columns padded. */
export function printTable(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const w = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  console.log(line(header));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

export async function machine(): Promise<Record<string, string | number>> {
  let ngspice = 'not installed';
  try {
    ngspice = await ngspiceVersion();
  } catch {
    /* reported as missing */
  }
  return { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, 'eecircuit-engine': eecircuitVersion(), ngspice };
}

export async function hasNgspice(): Promise<boolean> {
  try {
    await ngspiceVersion();
    return true;
  } catch {
    return false;
  }
}

/** Without native ngspice a benchmark prints its wasm rows; under CI that is a failure. */
export function reportMissingNgspice(): void {
  console.log('\nnative ngspice not found: native rows skipped (apt-get install -y ngspice)');
  if (process.env.CI) process.exitCode = 1;
}
