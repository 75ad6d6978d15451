/**
 * Robust (one code set) against naive and aware codes on virtual dies of a design: fits the
 * population model to the characterized run folders given, trains robust codes on `--train`
 * virtual dies (indices 0..), and judges naive, robust and aware codes on `--held` other
 * virtual dies (indices 1000..). A model study, no SPICE: it shows what the training strategies
 * do on dies drawn from the fitted statistics, where characterizing enough real dies is too slow.
 *
 * Naive: the ideal codes (trained on the nominal devices of the first held-out die) on every
 * held-out die; aware: trained per die (trainWithBaselines) on the first `--aware` dies.
 * `--robust DIR` reuses robust codes trained before (their folder), `--out DIR` keeps new ones.
 *
 *   npx tsx scripts/robust-virtual.ts --train 8 --held 20 --aware 20 runs/mnist-1
 */
import { parseArgs } from 'node:util';
import { accuracyOnDies, fitPopulation, initialWeights, networkScale, heldOutAccuracy, nominalNet, readModels, sampleDie, train, trainingSetup, trainRobustRun, trainWithBaselines, weightsSchema, wilson } from '../src/index.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { values: v, positionals: runs } = parseArgs({ allowPositionals: true, options: { robust: { type: 'string' }, out: { type: 'string' }, train: { type: 'string', default: '8' }, held: { type: 'string', default: '20' }, aware: { type: 'string', default: '20' }, spec: { type: 'string', default: '0.93' }, seed: { type: 'string', default: '1' } } });
const nTrain = Number(v.train), nHeld = Number(v.held), nAware = Number(v.aware), spec = Number(v.spec), seed = Number(v.seed);
const dies = runs.map((r) => readModels(r));
const pop = fitPopulation(dies);
const { data, options } = trainingSetup(dies[0].models, dies[0].path, {});
const t0 = process.cpuUsage();
const cpu = () => { const u = process.cpuUsage(t0); return ((u.user + u.system) / 1e6).toFixed(0); };
// Robust: trained over nTrain virtual dies of the population (validated on the characterized dies).
const out = v.robust ?? v.out ?? mkdtempSync(join(tmpdir(), 'robust-virtual-'));
if (!v.robust) {
  const r = await trainRobustRun({ runs, virtual: nTrain }, out, { seed, virtualSeed: seed });
  console.log(`robust: ${nTrain} virtual dies from K = ${runs.length} characterized die(s), best epoch ${r.robust.best_epoch}/${r.robust.epochs_run}, ${r.robust.elapsed_s.toFixed(0)} s wall, cpu ${cpu()} s so far`);
}
const weights = weightsSchema.parse(JSON.parse(readFileSync(join(out, 'weights.json'), 'utf8')));
const held = Array.from({ length: nHeld }, (_, i) => sampleDie(pop, seed, 1000 + i));
const rob = heldOutAccuracy(weights, held, data.test);
const nominal = nominalNet(held[0]); // as trainWithBaselines: logit scale over the nominal network's chain gain, the same initial weights
const ideal = await train(nominal, data, { ...options, seed, quantized: true, logitScale: networkScale(nominal, options.logitScale).logit_scale, init: initialWeights(nominal, seed) });
const naive = accuracyOnDies(ideal.codes!, held, data.test);
console.log(`naive codes trained on nominal devices, cpu ${cpu()} s so far`);
const rows: { die: number; naive: number; robust: number; aware: number | null }[] = held.map((_, i) => ({ die: 1000 + i, naive: naive[i], robust: rob[i], aware: null }));
for (const r of rows) console.log(`virtual die ${r.die}: naive ${(100 * r.naive).toFixed(1)} %, robust ${(100 * r.robust).toFixed(1)} %`);
for (let i = 0; i < Math.min(nAware, nHeld); i++) {
  const b = await trainWithBaselines(held[i], data, { ...options, seed });
  rows[i].aware = b.rows.find((r) => r.name === 'aware')!.test_accuracy;
  console.log(`virtual die ${1000 + i}: aware ${(100 * rows[i].aware!).toFixed(1)} % (cpu ${cpu()} s)`);
}
for (const s of ['naive', 'robust', 'aware'] as const) {
  const a = rows.map((r) => r[s]).filter((x): x is number => x !== null && Number.isFinite(x));
  const pass = a.filter((x) => x >= spec - 1e-12).length, w = wilson(pass, a.length);
  console.log(`${s}: ${a.length} dies, mean ${(100 * a.reduce((p, q) => p + q, 0) / a.length).toFixed(1)} %, worst ${(100 * Math.min(...a)).toFixed(1)} %, yield at ${100 * spec} %: ${pass}/${a.length} = ${(100 * w.p).toFixed(0)} % (95 % Wilson ${(100 * w.lo).toFixed(0)}..${(100 * w.hi).toFixed(0)} %)`);
}
console.log(`cpu ${cpu()} s; robust codes in ${out}`);
