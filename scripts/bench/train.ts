/**
 * Trainer engines: samples/s of one training step (forward, backward, Adam update) of the
 * mismatch-aware network, hand-written Float64Array kernel vs @tensorflow/tfjs (pure-JS CPU
 * backend and WASM backend), on 196-50-10 and 196-100-10, with the same die, data, initial
 * weights and sample order; and the test accuracy each engine reaches after the same epochs
 * on an MNIST subset (equal accuracy is the condition for picking the faster).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { head, loadIris, loadMnist, withBiasInput, type Dataset } from '../../src/data/index.js';
import { Stream } from '../../src/mismatch/rng.js';
import {
  CODE_MAX,
  defaultTrainOptions,
  deviceNet,
  evaluate,
  initialWeights,
  nominalNet,
  syntheticModels,
  train,
  trainWithBaselines,
  type DeviceNet,
  type SyntheticDie,
  type TrainOptions,
} from '../../src/train/index.js';
import { progress, table, type BenchResult } from './types.js';

const require = createRequire(import.meta.url);

/** A die with the spread called realistic: soma gain 15 %, bit gains 8/12/18 % (x4/x2/x1), thresholds 0.3 nA, log slope -0.05 +- 0.02. */
export const REALISTIC: Omit<SyntheticDie, 'layers' | 'seed'> = { somaSpread: 0.15, thresholdSpread: 0.3e-9, bitSpread: [0.08, 0.12, 0.18], dlog: -0.05, dlogSpread: 0.02 };

/** A die with realistic spread and the synapses' log term (what the engines must compute). */
function benchDie(hidden: number) {
  return syntheticModels({ layers: [196, hidden, 10], seed: 7, ...REALISTIC });
}

const OPTS: Omit<TrainOptions, 'seed' | 'quantized' | 'init' | 'epochs'> = { patience: 1000, batch: 50, lr: 0.02, logitScale: 2, weightDecay: 0.03 };

/**
 * The same training step written with tfjs ops: quantized effective weights with a
 * straight-through gradient (customGrad), u = h @ A + (h ln h) @ B - t, h' = a * relu(u),
 * softmax cross-entropy, Adam with decoupled weight decay, shadow weights clipped.
 */
function tfjsTrainer(net: DeviceNet, init: Float64Array[], lr: number) {
  const L = net.synapses.length;
  const f32 = (x: ArrayLike<number>) => Float32Array.from(x);
  const dev = net.synapses.map((s) => {
    const I = s.rows, J = s.cols;
    const bit = (g: Float64Array, d: Float64Array | null, b: number) => tf.tensor2d(f32(Array.from({ length: I * J }, (_, k) => g[3 * k + b] * (d ? d[3 * k + b] : 1))), [I, J]);
    const g = [0, 1, 2].map((b) => ({ pos: bit(s.gPos, null, b), neg: bit(s.gNeg, null, b), dpos: bit(s.gPos, s.dPos, b), dneg: bit(s.gNeg, s.dNeg, b) }));
    const sum = (key: 'pos' | 'neg' | 'dpos' | 'dneg') => tf.tidy(() => g[0][key].add(g[1][key]).add(g[2][key]).div(CODE_MAX));
    return { g, slopeA: { pos: sum('pos'), neg: sum('neg') }, slopeB: { pos: sum('dpos'), neg: sum('dneg') } };
  });
  const soma = net.somas.map((s) => ({ a: tf.tensor1d(f32(s.a)), t: tf.tensor1d(f32(s.t)) }));
  const W: tf.Variable[] = init.map((w, k) => tf.variable(tf.tensor2d(f32(w), [net.layers[k], net.layers[k + 1]])));
  const opt = tf.train.adam(lr);
  /** A (which = 'A') or B of the codes of w, gradient dA/dw = slope (straight through). */
  const effective = (k: number, which: 'A' | 'B') =>
    tf.customGrad(((w: tf.Tensor, save: tf.GradSaveFunc) => {
      const neg = w.less(0);
      const c = w.round().clipByValue(-CODE_MAX, CODE_MAX);
      const mag = c.abs();
      const b4 = mag.greaterEqual(4).toFloat();
      const r2 = mag.sub(b4.mul(4));
      const b2 = r2.greaterEqual(2).toFloat();
      const b1 = r2.sub(b2.mul(2));
      const key = which === 'A' ? (['pos', 'neg'] as const) : (['dpos', 'dneg'] as const);
      const gb = (b: number) => tf.where(neg, dev[k].g[b][key[1]], dev[k].g[b][key[0]]);
      const magnitude = b4.mul(gb(0)).add(b2.mul(gb(1))).add(b1.mul(gb(2)));
      const value = tf.where(neg, magnitude.neg(), magnitude);
      const sl = which === 'A' ? dev[k].slopeA : dev[k].slopeB;
      save([tf.where(neg, sl.neg, sl.pos)]);
      return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [dy.mul(saved[0])] };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const stes = W.map((_, k) => ({ A: effective(k, 'A'), B: effective(k, 'B') }));
  const forward = (h0: tf.Tensor2D) => {
    let h: tf.Tensor = h0;
    for (let k = 0; k < L; k++) {
      const A = stes[k].A(W[k]) as tf.Tensor2D, B = stes[k].B(W[k]) as tf.Tensor2D;
      const hlnh = h.mul(h.add(1e-30).log()); // h ln h, 0 at h = 0
      const u = tf.matMul(h as tf.Tensor2D, A).add(tf.matMul(hlnh as tf.Tensor2D, B)).sub(soma[k + 1].t);
      h = u.relu().mul(soma[k + 1].a);
    }
    return h;
  };
  const inputLayer = (x: Float32Array, n: number) => tf.tidy(() => tf.tensor2d(x, [n, net.layers[0]]).sub(soma[0].t).relu().mul(soma[0].a) as tf.Tensor2D);
  return {
    step(x: Float32Array, y: Uint8Array, n: number) {
      tf.tidy(() => {
        const h0 = inputLayer(x, n);
        const onehot = tf.oneHot(tf.tensor1d(Int32Array.from(y), 'int32'), net.layers[L]);
        opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot as tf.Tensor2D, forward(h0).mul(OPTS.logitScale) as tf.Tensor2D) as tf.Scalar, false, W);
        for (const w of W) w.assign(w.sub(w.mul(lr * (OPTS.weightDecay ?? 0))).clipByValue(-CODE_MAX - 0.5, CODE_MAX + 0.5) as tf.Tensor2D);
      });
    },
    weights: () => W.map((w) => Float64Array.from(w.dataSync())),
    dispose() {
      tf.dispose([...W, ...soma.flatMap((s) => [s.a, s.t]), ...dev.flatMap((d) => [...d.g.flatMap((b) => Object.values(b)), ...Object.values(d.slopeA), ...Object.values(d.slopeB)])]);
      opt.dispose();
    },
  };
}

/**
 * Trains `epochs` epochs with tfjs, sample order as the hand-written trainer's; returns the
 * weights of the epoch with the best validation accuracy, as the hand-written trainer does.
 */
function runTfjs(net: DeviceNet, data: Dataset, init: Float64Array[], epochs: number, seed: number, validate = true): Float64Array[] {
  const t = tfjsTrainer(net, init, OPTS.lr);
  const F = net.layers[0], N = data.train.n, order = new Stream(`codesign/train/${seed}/order`);
  const x32 = Float32Array.from(data.train.x);
  let best = { acc: -1, loss: Infinity, w: [] as Float64Array[] };
  for (let e = 0; e < epochs; e++) {
    const idx = Uint32Array.from({ length: N }, (_, i) => i);
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(order.uniform() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    for (let from = 0; from < N; from += OPTS.batch) {
      const b = idx.subarray(from, Math.min(N, from + OPTS.batch));
      const x = new Float32Array(b.length * F);
      b.forEach((k, r) => x.set(x32.subarray(k * F, k * F + F), r * F));
      t.step(x, Uint8Array.from(b, (k) => data.train.y[k]), b.length);
    }
    if (validate) {
      const w = t.weights(), v = evaluate(net, w, true, data.val, OPTS.logitScale);
      if (v.accuracy > best.acc || (v.accuracy === best.acc && v.loss < best.loss)) best = { acc: v.accuracy, loss: v.loss, w };
    }
  }
  const weights = validate && epochs > 0 ? best.w : t.weights();
  t.dispose();
  return weights;
}

/**
 * Samples per CPU-second, best of `trials`: CPU time of this process, so that other load on
 * a shared machine costs as little as possible (every engine is single-threaded). `setup`
 * (the same call without the epochs) is timed too and subtracted: one-time preparation is
 * not a training step.
 */
function rate(samples: number, trials: number, epochs: () => void, setup?: () => void): number {
  const cpu = (f: () => void) => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  };
  let best = 0;
  for (let t = 0; t < trials; t++) best = Math.max(best, samples / (cpu(epochs) - (setup ? cpu(setup) : 0)));
  return best;
}

async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} did not start`);
  await tf.ready();
}

export interface TrainBenchRow {
  network: string;
  engine: string;
  samples_per_s: number;
  ratio_to_js: number;
  test_accuracy: number;
}

/** Measures every engine on both networks; returns the report (scripts/bench.ts prints it). */
export async function run(_opts: { json?: boolean } = {}): Promise<BenchResult> {
  const epochs = 4, trials = 3, perTrial = 2;
  const mnist = loadMnist();
  const data: Dataset = { ...mnist, train: head(mnist.train, 3000, 196), val: head(mnist.val, 500, 196), test: head(mnist.test, 1000, 196) };
  const rows: TrainBenchRow[] = [];
  for (const hidden of [50, 100]) {
    const models = benchDie(hidden);
    const net = deviceNet(models), init = initialWeights(nominalNet(models), 1);
    const network = `196-${hidden}-10`;
    const acc = (w: Float64Array[]) => evaluate(net, w, true, data.test, OPTS.logitScale).accuracy;
    progress(`${network}: hand-written kernel`);
    const js = (d: Dataset, e: number) => train(net, d, { ...OPTS, seed: 1, epochs: e, quantized: true, init }).weights;
    const fast = { ...data, val: head(data.val, 1, 196) }; // the per-epoch validation is not a training step
    js(fast, 1); // warm-up (JIT)
    const jsRate = rate(perTrial * data.train.n, trials, () => js(fast, perTrial), () => js(fast, 0));
    rows.push({ network, engine: 'js-float64 (hand-written)', samples_per_s: jsRate, ratio_to_js: 1, test_accuracy: acc(js(data, epochs)) });
    for (const backend of ['cpu', 'wasm'] as const) {
      progress(`${network}: tfjs ${backend}`);
      await useBackend(backend);
      runTfjs(net, { ...data, train: head(data.train, 200, 196) }, init, 1, 1); // warm-up
      const r = rate(perTrial * data.train.n, trials, () => runTfjs(net, data, init, perTrial, 1, false), () => runTfjs(net, data, init, 0, 1, false));
      rows.push({ network, engine: `tfjs ${backend} (float32)`, samples_per_s: r, ratio_to_js: r / jsRate, test_accuracy: acc(runTfjs(net, data, init, epochs, 1)) });
    }
  }
  const target = rows.find((r) => r.network === '196-50-10' && r.engine.startsWith('js'))!.samples_per_s;
  const text = [
    `training step (forward + backward + Adam), batch ${OPTS.batch}, samples per CPU-second (best of ${trials} runs of ${perTrial} epochs of ${data.train.n} MNIST digits), die with spread and log term;`,
    `test accuracy on ${data.test.n} digits after ${epochs} epochs from the same initial weights and sample order`,
    table(
      ['network', 'engine', 'samples/s', 'ratio', 'test acc'],
      rows.map((r) => [r.network, r.engine, r.samples_per_s.toFixed(0), `${r.ratio_to_js.toFixed(2)}x`, `${(100 * r.test_accuracy).toFixed(1)} %`]),
    ),
    `target >= 20000 samples/s for 196-50-10 on one core: ${target >= 20000 ? 'met' : 'NOT met'} (${target.toFixed(0)})`,
  ].join('\n');
  return { text, json: { benchmark: 'train', epochs, trials, epochs_per_trial: perTrial, batch: OPTS.batch, train_samples: data.train.n, rows, target: { samples_per_s_min: 20000, pass: target >= 20000 } }, exitCode: 0 };
}

export interface AccuracyRow {
  dataset: string;
  network: string;
  dies: number;
  ideal_float: number;
  ideal_quantized: number;
  naive: number;
  aware: number;
}

/**
 * Test accuracy of the four baselines, averaged over synthetic dies with realistic spread
 * (`tsx scripts/bench/train.ts accuracy`): Iris 4-10-3 and 5-10-3 (bias input) over 10 dies,
 * MNIST 196-50-10 over 3 dies, each with the default training settings and seed 1.
 */
export async function accuracy(opts: { mnistDies?: number } = {}): Promise<BenchResult> {
  const rows: AccuracyRow[] = [];
  const iris = loadIris();
  const cases: { data: Dataset; layers: number[]; dies: number; name: string }[] = [
    { data: iris, layers: [4, 10, 3], dies: 10, name: 'iris' },
    { data: withBiasInput(iris), layers: [5, 10, 3], dies: 10, name: 'iris' },
    { data: loadMnist(), layers: [196, 50, 10], dies: opts.mnistDies ?? 3, name: 'mnist' },
  ];
  for (const c of cases) {
    const sum = { ideal_float: 0, ideal_quantized: 0, naive: 0, aware: 0 };
    for (let seed = 1; seed <= c.dies; seed++) {
      progress(`${c.data.name} ${c.layers.join('-')}: die ${seed}/${c.dies}`);
      const r = trainWithBaselines(syntheticModels({ layers: c.layers, seed, ...REALISTIC }), c.data, { ...defaultTrainOptions(c.name), seed: 1 });
      for (const row of r.rows) sum[row.name] += row.test_accuracy / c.dies;
    }
    rows.push({ dataset: c.data.name, network: c.layers.join('-'), dies: c.dies, ...sum });
  }
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const text = [
    'test accuracy, mean over synthetic dies with realistic spread (soma gain 15 %, bit gains 8/12/18 %), training seed 1',
    table(
      ['dataset', 'network', 'dies', 'ideal float', 'ideal quantized', 'naive', 'aware', 'quantized - aware'],
      rows.map((r) => [r.dataset, r.network, String(r.dies), pct(r.ideal_float), pct(r.ideal_quantized), pct(r.naive), pct(r.aware), `${(100 * (r.ideal_quantized - r.aware)).toFixed(1)} points`]),
    ),
  ].join('\n');
  return { text, json: { benchmark: 'train-accuracy', spread: REALISTIC, rows }, exitCode: 0 };
}

// `tsx scripts/bench/train.ts [accuracy] [--json]` runs it on its own (speed by default).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const r = process.argv.includes('accuracy') ? await accuracy() : await run({ json });
  console.log(json ? JSON.stringify(r.json, null, 2) : r.text);
}
