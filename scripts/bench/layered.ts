/**
 * Layered SPICE verification of MNIST digits, the reference solver (codesign 0.1.0's: replica-diode
 * start, no device bypass, netlists of about 2,500 transistors), the node start without junction-init
 * biases, and codesign's default, on the same die, codes and digits in one run (native ngspice, no
 * simulation cache): seconds per digit, CPU seconds and Newton iterations per digit, and each
 * one's largest class-current difference from the reference relative to the sample's largest
 * class current (the issue's bound: 1e-5).
 *
 * The die: CODESIGN_BENCH_RUN (a trained MNIST run folder, e.g. runs/mnist-1; copied, never
 * written), else one is characterized and trained here first (not timed). Digits: the first
 * CODESIGN_BENCH_DIGITS (default 50) of the test split.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PRESETS, resolveDesign } from '../../src/design/index.js';
import { characterizeAndFit } from '../../src/fit/index.js';
import { createEngine, ngspiceVersion } from '../../src/spice/index.js';
import { trainRunFull } from '../../src/train/index.js';
import { verifyRun } from '../../src/verify/index.js';
import { busyShare, cpuSeconds, progress, table, type BenchResult } from './types.js';

const TARGET_RATIO = 3;

export async function run(): Promise<BenchResult> {
  const ngspice = await ngspiceVersion().catch(() => undefined);
  if (!ngspice) return { text: 'codesign bench: layered\nnative ngspice not found (apt-get install -y ngspice): nothing measured', json: { skipped: 'no native ngspice' }, exitCode: process.env.CI ? 1 : 0 };
  const cores = availableParallelism();
  const digits = Number(process.env.CODESIGN_BENCH_DIGITS ?? 50);
  const work = mkdtempSync(join(tmpdir(), 'codesign-bench-layered-'));
  try {
    const given = process.env.CODESIGN_BENCH_RUN;
    const base = join(work, 'die');
    if (given) {
      if (!existsSync(join(given, 'weights.json'))) throw new Error(`CODESIGN_BENCH_RUN=${given}: no weights.json (a trained MNIST run folder is needed)`);
      cpSync(resolve(given), base, { recursive: true, filter: (src) => !src.includes('/batches') });
    } else {
      progress('layered: no CODESIGN_BENCH_RUN, so characterizing and training MNIST die 1 first (not timed) ...');
      const design = resolveDesign({ ...PRESETS.mnist, seed: 1 });
      const e = await createEngine('ngspice', design.pdk, { workers: cores });
      try {
        await characterizeAndFit(e, design, base);
      } finally {
        await e.close();
      }
      await trainRunFull(base, { dataset: 'mnist' });
    }
    const busy = await busyShare();
    const load = loadavg()[0];
    const results: Record<string, { seconds: number; cpu: number; iterations: number; runs: number; currents: (number[] | null)[]; accuracy: number }> = {};
    // The reference is codesign 0.1.0's method: replica-diode start, no device bypass, netlists of about 2,500 transistors.
    const methods = {
      reference: { layeredStart: 'diode', bypass: false, chunkTransistors: 2500 },
      nodes: { layeredStart: 'nodes', deviceInit: false, samplesPerRun: 50 },
      default: {},
    } as const;
    const labels = {
      reference: 'reference: replica-diode start, no bypass (codesign 0.1.0)',
      nodes: 'node start (one point per sample), device bypass, 50 samples per sweep',
      default: 'default: node start, device bypass, junction-init biases, 200 samples per sweep',
    };
    const solvers = Object.keys(methods) as (keyof typeof methods)[];
    for (const solver of solvers) {
      progress(`layered: ${digits} digits, ${solver} solver ...`);
      const dir = join(work, solver);
      cpSync(base, dir, { recursive: true });
      const engine = await createEngine('ngspice', resolveDesign({ ...PRESETS.mnist }).pdk, { cache: false, workers: cores });
      try {
        const t0 = performance.now();
        const c0 = cpuSeconds();
        const r = await verifyRun(engine, dir, { mode: 'layered', samples: digits, ...methods[solver] });
        const seconds = (performance.now() - t0) / 1000;
        await engine.close(); // its simulators' CPU time is counted once their launcher has ended
        results[solver] = {
          seconds,
          cpu: cpuSeconds() - c0,
          iterations: r.newton_iterations as number,
          runs: r.spice_runs as number,
          currents: (r.currents as { spice: (number[] | null)[] }).spice,
          accuracy: (r.accuracy as { spice: number }).spice,
        };
      } finally {
        await engine.close();
      }
    }
    const ref = results.reference, now = results.default;
    // Largest class-current difference from the reference, relative to each sample's largest class current.
    const difference = (r: typeof ref) => {
      let worst = 0;
      ref.currents.forEach((row, s) => {
        const other = r.currents[s];
        if (!row || !other) return;
        const scale = Math.max(...row.map(Math.abs));
        row.forEach((c, k) => (worst = Math.max(worst, Math.abs(other[k] - c) / scale)));
      });
      return worst;
    };
    const worst = Math.max(...solvers.map((k) => difference(results[k])));
    const ratio = ref.seconds / now.seconds;
    const f = (r: typeof ref) => [(r.seconds / digits).toFixed(3), (r.cpu / digits).toFixed(3), (r.iterations / digits).toFixed(0), String(r.runs), (r.accuracy * 100).toFixed(1), difference(r).toExponential(2)];
    const text = [
      'codesign bench: layered',
      `machine: ${cores} cores, ${cpus()[0]?.model ?? 'unknown'}, node ${process.version}; ${ngspice}; load average ${load.toFixed(1)} and ${(busy * 100).toFixed(0)} % of the cores busy at the start${busy > 0.2 ? ' (NOT idle: wall times are inflated)' : ''}`,
      `die: ${given ?? 'MNIST die 1, characterized and trained here'}; the first ${digits} test digits, ${cores} simulator processes, no simulation cache`,
      '',
      table(['solver', 's/digit', 'CPU s/digit', 'Newton iterations/digit', 'runs', 'SPICE accuracy %', 'vs reference'], solvers.map((k) => [labels[k], ...f(results[k])])),
      '',
      `default against the reference: ${ratio.toFixed(2)}x per digit in wall time, ${(ref.cpu / now.cpu).toFixed(2)}x in CPU time (node + ngspice), ${(ref.iterations / Math.max(1, now.iterations)).toFixed(2)}x fewer Newton iterations; against the node start without junction-init biases: ${(results.nodes.cpu / now.cpu).toFixed(2)}x in CPU time, ${(results.nodes.iterations / Math.max(1, now.iterations)).toFixed(2)}x fewer Newton iterations`,
      `largest class-current difference from the reference ${worst.toExponential(2)} of the sample's largest class current (bound 1e-5: ${worst <= 1e-5 ? 'met' : 'NOT met'})`,
      `target: >= ${TARGET_RATIO}x per digit: ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}`,
    ].join('\n');
    return { text, json: { digits, load_average: load, busy_share: busy, ...Object.fromEntries(solvers.map((k) => [k, { ...results[k], currents: undefined, max_class_current_difference: difference(results[k]) }])), ratio, max_class_current_difference: worst }, exitCode: 0 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
