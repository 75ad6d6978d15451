import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createEngine, readRunJson, resolveDesign, writeReport, type Engine, type ReportResult } from '../index.js';

export interface ReportArgs {
  /** Run or study folder. */
  dir: string;
  out?: string;
  engine?: 'wasm' | 'ngspice';
  /** Compute Pelgrom's soma gain spread with one SPICE run (default true). */
  predict?: boolean;
  cache?: boolean;
  json?: boolean;
}

/** Options of `codesign report`, for yargs' `.options(reportOptions)`. */
export const reportOptions = {
  out: { alias: 'o', type: 'string', describe: 'output file (default <dir>/report.html)' },
  engine: { choices: ['wasm', 'ngspice'] as const, default: 'wasm' as const, describe: 'engine of the Pelgrom prediction (one small SPICE run on the folder\'s design.json)' },
  predict: { type: 'boolean', default: true, describe: 'draw the Pelgrom prediction over the soma gains (--no-predict: no SPICE run)' },
  cache: { type: 'boolean', default: true, describe: 'reuse stored simulation results (--no-cache to force)' },
} as const;

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/**
 * `codesign report <dir>`: one self-contained HTML file of a run or study folder, plots as
 * inline SVG. The engine starts only when the folder has a design and models to predict for.
 */
export async function reportCommand(a: ReportArgs): Promise<ReportResult> {
  const dir = resolve(a.dir);
  let engine: Engine | undefined;
  const designFile = join(dir, 'design.json');
  if (a.predict !== false && existsSync(designFile) && existsSync(join(dir, 'models.json'))) {
    const design = resolveDesign(readRunJson(dir, 'design.json', 'the run folder\'s design'), designFile);
    engine = await createEngine(a.engine ?? 'wasm', design.pdk, { cache: a.cache });
  }
  try {
    const r = await writeReport(dir, { out: a.out && resolve(a.out), engine });
    if (a.json) out(JSON.stringify(r, null, 2));
    else {
      out(`wrote ${r.path}: ${r.plots.length} plot(s): ${r.plots.join(', ')}`);
      for (const n of r.notes) out(`  not in this folder: ${n.plot} (${n.reason})`);
    }
    return r;
  } finally {
    await engine?.close();
  }
}
