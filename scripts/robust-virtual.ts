/**
 * Robust (one code set) against naive and aware codes on virtual dies of a design: fits the
 * population model to the characterized run folders given, trains robust codes on `--train`
 * virtual dies (indices 0..), and judges naive, robust and aware codes on `--held` other
 * virtual dies (indices 1000..). A model study, no SPICE: it shows what the training strategies
 * do on dies drawn from the fitted statistics, where characterizing enough real dies is too slow.
 *
 *   npx tsx scripts/robust-virtual.ts --train 8 --held 20 --aware 20 runs/mnist-1
 */
import { parseArgs } from 'node:util';
import { defaultTrainOptions, fitPopulation, heldOutAccuracy, readModels, sampleDie, trainingSetup, trainRobustRun, trainWithBaselines, wilson } from '../src/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { values: v, positionals: runs } = parseArgs({ allowPositionals: true, options: { train: { type: 'string', default: '8' }, held: { type: 'string', default: '20' }, aware: { type: 'string', default: '20' }, spec: { type: 'string', default: '0.93' }, seed: { type: 'string', default: '1' } } });
const nTrain = Number(v.train), nHeld = Number(v.held), nAware = Number(v.aware), spec = Number(v.spec), seed = Number(v.seed);
const dies = runs.map((r) => readModels(r));
const pop = fitPopulation(dies);
const { data, options } = trainingSetup(dies[0].models, dies[0].path, {});
const t0 = process.cpuUsage();
const cpu = () => { const u = process.cpuUsage(t0); return ((u.user + u.system) / 1e6).toFixed(0); };
// Robust: trained over nTrain virtual dies of the population (validated on the characterized dies).
const out = mkdtempSync(join(tmpdir(), 'robust-virtual-'));
const robust = await trainRobustRun({ runs, virtual: nTrain }, out, { seed, virtualSeed: seed });
console.log(`robust: ${nTrain} virtual dies from K = ${runs.length} characterized die(s), best epoch ${robust.robust.best_epoch}/${robust.robust.epochs_run}, ${robust.robust.elapsed_s.toFixed(0)} s wall, cpu ${cpu()} s so far`);
const held = Array.from({ length: nHeld }, (_, i) => sampleDie(pop, seed, 1000 + i));
const rob = heldOutAccuracy(robust.weights, held, data.test);
const rows: { die: number; naive: number; robust: number; aware: number | null }[] = [];
for (let i = 0; i < nHeld; i++) {
  let naive = NaN, aware: number | null = null;
  if (i < nAware) {
    const b = await trainWithBaselines(held[i], data, { ...options, seed });
    const acc = Object.fromEntries(b.rows.map((r) => [r.name, r.test_accuracy]));
    (naive = acc.naive), (aware = acc.aware);
  }
  rows.push({ die: 1000 + i, naive, robust: rob[i], aware });
  console.log(`virtual die ${1000 + i}: naive ${(100 * naive).toFixed(1)} %, robust ${(100 * rob[i]).toFixed(1)} %, aware ${aware === null ? '-' : (100 * aware).toFixed(1) + ' %'} (cpu ${cpu()} s)`);
}
for (const s of ['naive', 'robust', 'aware'] as const) {
  const a = rows.map((r) => r[s]).filter((x): x is number => x !== null && Number.isFinite(x));
  const pass = a.filter((x) => x >= spec - 1e-12).length, w = wilson(pass, a.length);
  console.log(`${s}: ${a.length} dies, mean ${(100 * a.reduce((p, q) => p + q, 0) / a.length).toFixed(1)} %, worst ${(100 * Math.min(...a)).toFixed(1)} %, yield at ${100 * spec} %: ${pass}/${a.length} = ${(100 * w.p).toFixed(0)} % (95 % Wilson ${(100 * w.lo).toFixed(0)}..${(100 * w.hi).toFixed(0)} %)`);
}
console.log(`cpu ${cpu()} s; robust codes in ${out}`);
