/**
 * How far a range phase started from a code set moves on test, over training seeds: the run's
 * codes as the start (and the rival at epoch 0) of the range phase on the run's own models, once
 * with the one-die trainer (train.ts, the WebAssembly kernel in float32) and once with the
 * multi-condition trainer given that one model (multi.ts, float64 shadow weights and Adam in
 * JavaScript), the options of `codesign train`. The two are the same algorithm in different
 * arithmetic; their rounding takes them along different paths, and the best epoch is chosen on
 * the validation split (1,000 MNIST digits). The table shows how much of a difference between
 * two trainings is that choice, not the trainer.
 *
 *   npx tsx scripts/range-phase-seeds.ts runs/mnist-1 [--seeds 1-10]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/index.js';
import { defaultTrainOptions } from '../src/train/baselines.js';
import { deviceNet } from '../src/train/device.js';
import { Engine } from '../src/train/engine.js';
import { trainAcross } from '../src/train/multi.js';
import { rangePhaseTraining } from '../src/train/range-phase.js';
import { characterizedRange, readModels } from '../src/train/run.js';
import { currentLimits } from '../src/train/scale.js';
import { evaluate, trainOn, type TrainResult } from '../src/train/train.js';
import { kernelModule } from '../src/train/wasm.js';

const { values: v, positionals } = parseArgs({ allowPositionals: true, options: { seeds: { type: 'string', default: '1-10' } } });
if (positionals.length !== 1) throw new Error('usage: npx tsx scripts/range-phase-seeds.ts RUN [--seeds 1-10 | 1,4,7]');
const seeds = v.seeds.includes('-') ? (([a, b]) => Array.from({ length: b - a + 1 }, (_, k) => a + k))(v.seeds.split('-').map(Number)) : v.seeds.split(',').map(Number);
const dir = positionals[0];
const { models } = readModels(dir);
const weights = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8')) as { dataset: string; codes: number[][][] };
const data = loadDataset(weights.dataset);
const start = weights.codes.map((m) => Float64Array.from(m.flat()));
const net = deviceNet(models);
const d = defaultTrainOptions(weights.dataset);
if (!d.rangePhase) throw new Error(`${weights.dataset}: the default training has no range phase`);
const limits = currentLimits(net, characterizedRange(dir), models.input_scale);
const module = await kernelModule();
const pct = (x: number) => (100 * x).toFixed(2);
// Validation as the trainers judge an epoch (their float32 engine), test as codesign pvt and verify score codes (float64).
const judge = new Engine(module, net, true, { val: data.val }, 1000);
const scores = (W: Float64Array[]) => {
  judge.setWeights(W);
  return { val: judge.evaluate('val', data.val.y, d.logitScale).accuracy, test: evaluate(net, W, true, data.test, d.logitScale).accuracy };
};
const s0 = scores(start);
console.log(`${dir}: the run's codes, validation ${pct(s0.val)} %, test ${pct(s0.test)} %; range phase of ${d.rangePhase.epochs} epochs from them\n`);
console.log('| seed | one-die trainer: best epoch, validation, test | multi-condition trainer (one model): best epoch, validation, test |');
console.log('|---|---|---|');
const tests = { one: [] as number[], multi: [] as number[] };
const cell = (r: TrainResult, key: keyof typeof tests) => {
  const s = scores(r.weights);
  tests[key].push(s.test);
  return `${r.best_epoch}, ${pct(s.val)} %, ${pct(s.test)} %`;
};
for (const seed of seeds) {
  const phase = { ...rangePhaseTraining({ ...d, seed }, d.rangePhase, true), logitScale: d.logitScale, rangePenalty: d.rangePhase.penalty, currentMax: limits, init: start, rival: start };
  const one = trainOn(module, net, data, phase);
  const multi = trainAcross(module, [{ net, logitScale: d.logitScale, rangePenalty: d.rangePhase.penalty, currentMax: limits }], data, phase);
  console.log(`| ${seed} | ${cell(one, 'one')} | ${cell(multi, 'multi')} |`);
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const span = (xs: number[]) => `${pct(Math.min(...xs))}-${pct(Math.max(...xs))} %`;
console.log(`\ntest over ${seeds.length} seeds: one-die trainer mean ${pct(mean(tests.one))} % (${span(tests.one)}), multi-condition trainer mean ${pct(mean(tests.multi))} % (${span(tests.multi)})`);
