/**
 * Trainer throughput: samples per CPU-second of one training step (forward, backward, Adam)
 * of the mismatch-aware network on 196-50-10 and 196-100-10, the project's engine against a
 * numpy reference of the same step (train_numpy.py: same die, data, initial weights and
 * sample order, one BLAS thread), side by side in one run; the reference's first gradient is
 * checked against the project's float64 reference (network.ts) so both compute the same step.
 * Then the three trainings of a die (trainWithBaselines) on one thread and on every core,
 * wall time. The numpy rows are skipped with a message when python3 or numpy is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { head, loadIris, loadMnist, withBiasInput, type Dataset } from '../../src/data/index.js';
import { Stream } from '../../src/mismatch/rng.js';
import {
  backward,
  defaultTrainOptions,
  deviceNet,
  effective,
  evaluate,
  forward,
  initialWeights,
  inputLayer,
  kernelModule,
  nominalNet,
  shadowGrad,
  shuffle,
  softmaxCrossEntropy,
  syntheticModels,
  TrainEngine,
  W_CLIP,
  trainWithBaselines,
  type SyntheticDie,
  type TrainOptions,
} from '../../src/train/index.js';
import { progress, table, type BenchResult } from './types.js';

/** A die with the spread called realistic: soma gain 15 %, bit gains 8/12/18 % (x4/x2/x1), thresholds 0.3 nA, log slope -0.05 +- 0.02. */
export const REALISTIC: Omit<SyntheticDie, 'layers' | 'seed'> = { somaSpread: 0.15, thresholdSpread: 0.3e-9, bitSpread: [0.08, 0.12, 0.18], dlog: -0.05, dlogSpread: 0.02 };

const OPTS: Omit<TrainOptions, 'seed' | 'quantized' | 'init' | 'epochs'> = { patience: 1000, batch: 50, lr: 0.02, logitScale: 6, weightDecay: 0.03 };

/** CPU seconds of this process spent in f. */
function cpu(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

/** Samples per CPU-second, best of `trials`; `setup` (the same call without the epochs) is subtracted: preparation is not a training step. */
function rate(samples: number, trials: number, epochs: () => void, setup: () => void): number {
  let best = 0;
  for (let t = 0; t < trials; t++) best = Math.max(best, samples / (cpu(epochs) - cpu(setup)));
  return best;
}

export interface TrainBenchRow {
  network: string;
  engine: string;
  samples_per_s: number;
  /** This row's samples/s over the numpy float64 row's of the same network (null without numpy). */
  ratio_to_numpy: number | null;
  test_accuracy: number;
}

/** Python with numpy, or why not. */
function findNumpy(): { python: string } | { missing: string } {
  const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (r.error) return { missing: 'python3 not found' };
  if (r.status !== 0) return { missing: 'numpy not importable by python3' };
  return { python: 'python3' };
}

/** What train_numpy.py reads: the die, the input somas' outputs, labels, initial weights, sample order. */
function writeBundle(dir: string, models: ReturnType<typeof syntheticModels>, data: Dataset, init: Float64Array[], epochs: number, trials: number): void {
  const net = deviceNet(models);
  const f64 = (name: string, a: ArrayLike<number>) => writeFileSync(join(dir, name), Buffer.from(Float64Array.from(a).buffer));
  net.synapses.forEach((s, k) => {
    f64(`gpos-${k}.f64`, s.gPos);
    f64(`gneg-${k}.f64`, s.gNeg);
    f64(`dpos-${k}.f64`, s.dPos);
    f64(`dneg-${k}.f64`, s.dNeg);
    f64(`a-${k}.f64`, net.somas[k + 1].a);
    f64(`t-${k}.f64`, net.somas[k + 1].t);
    f64(`w0-${k}.f64`, init[k]);
  });
  f64('x.f64', inputLayer(net, data.train.x, data.train.n));
  f64('xtest.f64', inputLayer(net, data.test.x, data.test.n));
  writeFileSync(join(dir, 'y.u8'), data.train.y);
  writeFileSync(join(dir, 'ytest.u8'), data.test.y);
  const order = new Stream(`codesign/train/1/order`), idx = new Uint32Array(data.train.n);
  const orders = Array.from({ length: epochs }, () => Uint32Array.from(shuffle(order, idx)));
  writeFileSync(join(dir, 'order.u32'), Buffer.concat(orders.map((o) => Buffer.from(o.buffer))));
  const meta = { layers: net.layers, n_train: data.train.n, batch: OPTS.batch, lr: OPTS.lr, logit_scale: OPTS.logitScale, weight_decay: OPTS.weightDecay, epochs, trials };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
}

/** Largest |a - b| over the largest |a|: the numpy reference's first gradient against the project's float64 reference. */
function gradientAgreement(dir: string, models: ReturnType<typeof syntheticModels>, data: Dataset, init: Float64Array[]): number {
  const net = deviceNet(models), F = net.layers[0], n = OPTS.batch;
  const idx = shuffle(new Stream(`codesign/train/1/order`), new Uint32Array(data.train.n)).subarray(0, n);
  const x = new Float64Array(n * F);
  idx.forEach((k, r) => x.set(data.train.x.subarray(k * F, (k + 1) * F), r * F));
  const y = Uint8Array.from(idx, (k) => data.train.y[k]);
  const W = init.map((w, k) => effective(net.synapses[k], w, true));
  const tapes = forward(net, W, inputLayer(net, x, n), n);
  const { grads } = backward(net, W, tapes, softmaxCrossEntropy(tapes.at(-1)!.out, y, n, net.layers.at(-1)!, OPTS.logitScale).dOut, n);
  let worst = 0;
  grads.forEach((g, k) => {
    const ours = shadowGrad(net.synapses[k], init[k], g.dA, g.dB);
    const bytes = readFileSync(join(dir, `grad0-${k}.f64`));
    const theirs = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
    const scale = ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    ours.forEach((v, q) => (worst = Math.max(worst, Math.abs(v - theirs[q]) / scale)));
  });
  return worst;
}

/** Measures the engine and the numpy reference on both networks, then the three trainings on 1 and on every thread. */
export async function run(_opts: { json?: boolean } = {}): Promise<BenchResult> {
  const epochs = 2, trials = 3;
  const load0 = loadavg()[0];
  const mnist = loadMnist();
  const data: Dataset = { ...mnist, train: head(mnist.train, 3000, 196), val: head(mnist.val, 1, 196), test: head(mnist.test, 1000, 196) };
  const module = await kernelModule();
  const numpy = findNumpy();
  const rows: TrainBenchRow[] = [];
  const notes: string[] = [];
  let blas = '', agreement: number | null = null;
  for (const hidden of [50, 100]) {
    const models = syntheticModels({ layers: [196, hidden, 10], seed: 7, ...REALISTIC });
    const net = deviceNet(models), init = initialWeights(nominalNet(models), 1);
    const network = `196-${hidden}-10`;
    progress(`${network}: codesign engine`);
    // The training step alone, as the reference runs it: no validation, the last epoch's weights.
    const ours = (e: number) => {
      const eng = new TrainEngine(module, net, true, { train: data.train }, OPTS.batch);
      eng.setWeights(init);
      const order = new Stream('codesign/train/1/order'), idx = new Uint32Array(data.train.n);
      for (let epoch = 0; epoch < e; epoch++) {
        shuffle(order, idx);
        for (let from = 0; from < idx.length; from += OPTS.batch) {
          const b = idx.subarray(from, from + OPTS.batch);
          eng.step('train', b, Uint8Array.from(b, (k) => data.train.y[k]), OPTS, W_CLIP);
        }
      }
      return eng.weights();
    };
    ours(1); // warm-up (JIT, wasm tier-up)
    const oursRate = rate(epochs * data.train.n, trials, () => ours(epochs), () => ours(0));
    const oursRow: TrainBenchRow = { network, engine: 'codesign (wasm SIMD float32), 1 thread', samples_per_s: oursRate, ratio_to_numpy: null, test_accuracy: evaluate(net, ours(epochs), true, data.test, OPTS.logitScale).accuracy };
    rows.push(oursRow);
    if ('missing' in numpy) continue;
    progress(`${network}: numpy reference`);
    const dir = mkdtempSync(join(tmpdir(), 'codesign-bench-train-'));
    try {
      writeBundle(dir, models, data, init, epochs, trials);
      const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
      delete env.OPENBLAS_CORETYPE;
      delete env.OPENBLAS_L2_SIZE;
      const script = join(dirname(fileURLToPath(import.meta.url)), 'train_numpy.py');
      const out = execFileSync(numpy.python, [script, dir], { env, encoding: 'utf8', maxBuffer: 1 << 20 });
      const ref = out.trim().split('\n').map((l) => JSON.parse(l) as { engine: string; blas: string; samples_per_s: number; test_accuracy: number });
      blas = ref[0].blas;
      const f64 = ref.find((r) => r.engine.endsWith('float64'))!;
      for (const r of ref) rows.push({ network, engine: r.engine + ', 1 BLAS thread', samples_per_s: r.samples_per_s, ratio_to_numpy: r.samples_per_s / f64.samples_per_s, test_accuracy: r.test_accuracy });
      oursRow.ratio_to_numpy = oursRate / f64.samples_per_s;
      const a = gradientAgreement(dir, models, data, init);
      agreement = Math.max(agreement ?? 0, a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if ('missing' in numpy) notes.push(`numpy reference skipped: ${numpy.missing}`);
  // The three trainings of one die, one thread vs every core (wall time: what `codesign train` waits for).
  const threads = availableParallelism();
  const die = syntheticModels({ layers: [196, 50, 10], seed: 7, ...REALISTIC });
  const three = { ...mnist, train: head(mnist.train, 3000, 196), val: head(mnist.val, 500, 196), test: head(mnist.test, 500, 196) };
  const wall: Record<number, number> = {};
  for (const t of [1, threads]) {
    progress(`three trainings on ${t} thread(s)`);
    const t0 = performance.now();
    await trainWithBaselines(die, three, { ...OPTS, seed: 1, epochs: 2, rangePhase: { epochs: 1, lr: 0.01, penalty: 1, target: 0.008, anneal: 0.5 } }, t);
    wall[t] = (performance.now() - t0) / 1000;
  }
  const load1 = loadavg()[0];
  const pick = (engine: string) => rows.find((r) => r.network === '196-50-10' && r.engine.startsWith(engine));
  const target = pick('codesign')?.ratio_to_numpy ?? null;
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const text = [
    `training step (forward + backward + Adam), batch ${OPTS.batch}, samples per CPU-second, best of ${trials} runs of ${epochs} epochs of ${data.train.n} MNIST digits; die with spread and the log term;`,
    `test accuracy on ${data.test.n} digits after those epochs from the same initial weights and sample order`,
    table(
      ['network', 'engine', 'samples/s', 'vs numpy f64', 'test acc'],
      rows.map((r) => [r.network, r.engine, r.samples_per_s.toFixed(0), r.ratio_to_numpy === null ? '-' : `${r.ratio_to_numpy.toFixed(2)}x`, pct(r.test_accuracy)]),
    ),
    ...(blas ? [`numpy BLAS: ${blas}; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, OPENBLAS_NUM_THREADS=1`] : []),
    ...(agreement !== null ? [`same step: numpy's first shadow-weight gradient vs the project's float64 reference, largest difference ${agreement.toExponential(1)} of the largest entry`] : []),
    ...notes,
    `three trainings of a die (ideal float, ideal quantized, aware; 2 epochs in code units and 1 in range, the aware one from both starts, ${three.train.n} digits), wall: 1 thread ${wall[1].toFixed(2)} s, ${threads} threads ${wall[threads].toFixed(2)} s (${(wall[1] / wall[threads]).toFixed(2)}x)`,
    `load average (1 min) at start ${load0.toFixed(1)}, at end ${load1.toFixed(1)} on ${threads} cores${Math.max(load0, load1) > 0.5 ? ': the machine was not idle, CPU-second rates are less affected than wall times' : ''}`,
    target === null ? 'target >= 2x numpy float64 on 196-50-10: not measured (no numpy)' : `target >= 2x numpy float64 on 196-50-10, one core each: ${target >= 2 ? 'met' : 'NOT met'} (${target.toFixed(2)}x)`,
  ].join('\n');
  return {
    text,
    json: { benchmark: 'train', epochs, trials, batch: OPTS.batch, train_samples: data.train.n, rows, blas, gradient_agreement: agreement, three_trainings_wall_s: wall, load: [load0, load1], target: { ratio_min: 2, ratio: target, pass: target !== null && target >= 2 } },
    exitCode: 0,
  };
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
      const r = await trainWithBaselines(syntheticModels({ layers: c.layers, seed, ...REALISTIC }), c.data, { ...defaultTrainOptions(c.name), seed: 1 });
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
