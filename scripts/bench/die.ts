/**
 * One MNIST 196-50-10 die through the study stages without SPICE verification: characterize
 * (every soma and synapse in native ngspice), fit, train with the baselines. Against the
 * issue's reference (67 s: characterize 33.2 s + train 33.9 s, `codesign run` on an idle
 * 2-core machine) and, measured in the same run for the SPICE stage, the held-out points measured
 * on every synapse batch (characterize.holdout_every 1), the batches without device bypass (every
 * device evaluated at every Newton iteration) and the plain sweep (no start aid, 4,000-transistor
 * batches, no bypass, held-out points everywhere). Every variant counts its Newton iterations (acct).
 */
import { rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS, resolveDesign } from '../../src/design/index.js';
import { characterizeAndFit } from '../../src/fit/index.js';
import { createEngine, ngspiceVersion } from '../../src/spice/index.js';
import { trainRunFull } from '../../src/train/index.js';
import { busyShare, childCpuSeconds, cpuSeconds, progress, table, type BenchResult } from './types.js';

const REFERENCE = { characterize: 33.2, train: 33.9, total: 67 };
const TARGET_S = 25;
const SEED = 2;

export async function run(): Promise<BenchResult> {
  const ngspice = await ngspiceVersion().catch(() => undefined);
  if (!ngspice) return { text: 'codesign bench: die\nnative ngspice not found (apt-get install -y ngspice): nothing measured', json: { skipped: 'no native ngspice' }, exitCode: process.env.CI ? 1 : 0 };
  const cores = availableParallelism();
  const busy = await busyShare();
  const load = loadavg()[0];
  const design = resolveDesign({ ...PRESETS.mnist, seed: SEED });
  const everyDesign = resolveDesign({ ...PRESETS.mnist, seed: SEED, characterize: { holdout_every: 1 } });
  const plainDesign = resolveDesign({ ...PRESETS.mnist, seed: SEED, characterize: { batch_transistors: 4000, holdout_every: 1 } });
  const rows: { variant: string; measure: number; fit: number; train?: number; total: number; cpu: number; ngspice: number; iterations?: number; trainCpu?: number }[] = [];

  const characterize = async (label: string, d: typeof design, startAid: boolean, bypass: boolean, train: boolean) => {
    progress(`die: ${label} ...`);
    const out = join(tmpdir(), `codesign-bench-die-${process.pid}-${rows.length}`);
    const engine = await createEngine('ngspice', d.pdk, { cache: false, workers: cores });
    try {
      const t0 = performance.now();
      const c0 = cpuSeconds();
      const k0 = childCpuSeconds();
      const r = await characterizeAndFit(engine, d, out, undefined, { startAid, bypass, stats: true });
      const tc = (performance.now() - t0) / 1000;
      await engine.close(); // its simulators' CPU time is counted once their launcher has ended
      const cpu = cpuSeconds() - c0;
      const ngspice = childCpuSeconds() - k0;
      let trainS: number | undefined, trainCpu: number | undefined;
      if (train) {
        progress('die: train with baselines ...');
        const t1 = performance.now();
        const c1 = cpuSeconds();
        await trainRunFull(out, { dataset: 'mnist' });
        trainS = (performance.now() - t1) / 1000;
        trainCpu = cpuSeconds() - c1;
      }
      rows.push({ variant: label, measure: r.summary.measure_s, fit: tc - r.summary.measure_s, train: trainS, total: tc + (trainS ?? 0), cpu, ngspice, iterations: r.stats?.iterations, trainCpu });
      return r.summary;
    } finally {
      await engine.close();
      rmSync(out, { recursive: true, force: true });
    }
  };

  const summary = await characterize('codesign (held-out points on 1 synapse batch in 8, start aid, bypass, 2,000-transistor batches)', design, true, true, true);
  await characterize('held-out points on every batch', everyDesign, true, true, false);
  await characterize('no bypass', design, true, false, false);
  await characterize('plain sweep, held-out points on every batch, no bypass, 4,000-transistor batches', plainDesign, false, false, false);
  const [now, every, noBypass, plain] = rows;
  const pass = now.total <= TARGET_S;
  const f = (x: number | undefined) => (x === undefined ? '' : x.toFixed(1));
  const text = [
    'codesign bench: die',
    `machine: ${cores} cores, ${cpus()[0]?.model ?? 'unknown'}, node ${process.version}; ${ngspice}; load average ${load.toFixed(1)} and ${(busy * 100).toFixed(0)} % of the cores busy at the start${busy > 0.2 ? ' (NOT idle: wall times are inflated)' : ''}`,
    `die: MNIST ${design.config.layers.join('-')}, seed ${SEED}, native ngspice, ${cores} simulator processes, no simulation cache; held-out median relative error: soma ${(summary.holdout_median_rel_error.soma * 100).toFixed(2)} %, synapse ${(summary.holdout_median_rel_error.synapse * 100).toFixed(2)} %`,
    '',
    table(
      ['stage (s)', 'characterize', 'fit + files', 'train + baselines', 'total', 'CPU s of characterize + fit', 'of it ngspice', 'Newton iterations', 'CPU s of training'],
      [
        ...rows.map((r) => [r.variant, f(r.measure), f(r.fit), f(r.train), f(r.total), f(r.cpu), f(r.ngspice), r.iterations === undefined ? '' : String(r.iterations), f(r.trainCpu)]),
        ['issue #16 reference (idle machine, `codesign run`)', f(REFERENCE.characterize), '', f(REFERENCE.train), f(REFERENCE.total), '', '', '', ''],
      ],
    ),
    '',
    `characterize + fit: ${((every.measure + every.fit) / (now.measure + now.fit)).toFixed(2)}x faster than with held-out points on every batch in wall time, ${(every.cpu / now.cpu).toFixed(2)}x in CPU time, ${((every.iterations ?? NaN) / (now.iterations ?? NaN)).toFixed(2)}x fewer Newton iterations; ` +
      `${((noBypass.measure + noBypass.fit) / (now.measure + now.fit)).toFixed(2)}x faster than without bypass in wall time, ${(noBypass.cpu / now.cpu).toFixed(2)}x in CPU time (node + ngspice), ${(noBypass.ngspice / now.ngspice).toFixed(2)}x in ngspice CPU; ` +
      `${((plain.measure + plain.fit) / (now.measure + now.fit)).toFixed(2)}x / ${(plain.cpu / now.cpu).toFixed(2)}x against the plain sweep; whole die ${(REFERENCE.total / now.total).toFixed(2)}x the issue's reference`,
    `target: characterize + fit + train with baselines <= ${TARGET_S} s: ${pass ? 'PASS' : 'FAIL'} (${now.total.toFixed(1)} s)`,
  ].join('\n');
  return { text, json: { seed: SEED, load_average: load, busy_share: busy, rows, reference: REFERENCE, target_s: TARGET_S, pass }, exitCode: 0 };
}
