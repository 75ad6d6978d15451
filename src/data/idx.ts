import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ConfigError } from '../util/errors.js';
import { preprocessDigits } from './mnist.js';
import { shuffledIndices, take } from './split.js';
import type { Dataset } from './types.js';

/** An IDX array: dimensions and values (the format of the MNIST distribution files). */
export interface IdxArray {
  dims: number[];
  data: Float64Array;
}

/** IDX type codes: element size and reader. */
const TYPES: Record<number, { name: string; size: number; get: (v: DataView, o: number) => number }> = {
  0x08: { name: 'unsigned byte', size: 1, get: (v, o) => v.getUint8(o) },
  0x09: { name: 'signed byte', size: 1, get: (v, o) => v.getInt8(o) },
  0x0b: { name: 'short', size: 2, get: (v, o) => v.getInt16(o) },
  0x0c: { name: 'int', size: 4, get: (v, o) => v.getInt32(o) },
  0x0d: { name: 'float', size: 4, get: (v, o) => v.getFloat32(o) },
  0x0e: { name: 'double', size: 8, get: (v, o) => v.getFloat64(o) },
};

/**
 * Parses IDX bytes (gzip-compressed or not): magic 0, 0, type, ndims; ndims big-endian
 * uint32 sizes; the values, big-endian. `file` names the source in errors.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new ConfigError(`${file}: not a valid gzip file (${(e as Error).message})`);
    }
  }
  const bad = (why: string) => new ConfigError(`${file}: malformed IDX header: ${why}`);
  if (buf.length < 4) throw bad(`${buf.length} bytes, need at least 4`);
  if (buf[0] !== 0 || buf[1] !== 0) throw bad(`magic number must start with two zero bytes, got 0x${hex(buf[0])} 0x${hex(buf[1])}`);
  const type = TYPES[buf[2]];
  if (!type) throw bad(`unknown type code 0x${hex(buf[2])} (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)`);
  const ndims = buf[3];
  if (ndims === 0) throw bad('zero dimensions');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw bad(`${ndims} dimensions need a ${header}-byte header, file has ${buf.length} bytes`);
  const dims = Array.from({ length: ndims }, (_, k) => view.getUint32(4 + 4 * k));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = header + count * type.size;
  if (buf.length !== expected)
    throw bad(`dimensions ${dims.join('x')} of ${type.name} need ${expected} bytes, file has ${buf.length}`);
  const data = new Float64Array(count);
  for (let k = 0; k < count; k++) data[k] = type.get(view, header + k * type.size);
  return { dims, data };
}

/** Reads and parses one IDX file (clear errors for a missing file or a malformed header). */
export function readIdx(path: string): IdxArray {
  const file = resolve(path);
  if (!existsSync(file)) throw new ConfigError(`IDX file not found: ${file}`);
  return parseIdx(readFileSync(file), file);
}

/** The standard MNIST file names; each may also end in .gz, or use a dot before idx (train-images.idx3-ubyte). */
export const MNIST_IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

function findFile(dir: string, base: string): string {
  const dotted = base.replace(/-idx/, '.idx');
  const candidates = [base, `${base}.gz`, dotted, `${dotted}.gz`].map((n) => join(dir, n));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new ConfigError(`MNIST IDX file missing: ${join(dir, base)} (or ${base}.gz) not found`);
  return found;
}

function images(path: string): { pixels: Float64Array; n: number; rows: number; cols: number } {
  const a = readIdx(path);
  if (a.dims.length !== 3) throw new ConfigError(`${path}: expected an image file (3 dimensions: n x rows x cols), got ${a.dims.join('x')}`);
  const [n, rows, cols] = a.dims;
  if (rows % 2 || cols % 2) throw new ConfigError(`${path}: image size ${rows}x${cols} must be even (2x2 averaging)`);
  const max = a.data.reduce((m, v) => Math.max(m, v), 0);
  const pixels = max > 1 ? a.data.map((v) => v / 255) : a.data;
  return { pixels, n, rows, cols };
}

function labels(path: string, n: number): Uint8Array {
  const a = readIdx(path);
  if (a.dims.length !== 1) throw new ConfigError(`${path}: expected a label file (1 dimension), got ${a.dims.join('x')}`);
  if (a.dims[0] !== n) throw new ConfigError(`${path}: ${a.dims[0]} labels for ${n} images`);
  const k = a.data.findIndex((v) => !(Number.isInteger(v) && v >= 0 && v <= 9));
  if (k >= 0) throw new ConfigError(`${path}: label ${k} is ${a.data[k]}, expected 0..9`);
  return Uint8Array.from(a.data);
}

/**
 * MNIST from the standard IDX files in a directory: the training files give the training
 * and validation splits (a fixed seeded 10 % for validation), the t10k files the test split.
 * Preprocessed like the packaged digits (2x2 average, per-sample mean, clipped).
 */
export function loadMnistIdx(dir: string): Dataset {
  const root = resolve(dir);
  if (!existsSync(root)) throw new ConfigError(`MNIST IDX directory not found: ${root}`);
  const tr = images(findFile(root, MNIST_IDX_FILES.trainImages));
  const trY = labels(findFile(root, MNIST_IDX_FILES.trainLabels), tr.n);
  const te = images(findFile(root, MNIST_IDX_FILES.testImages));
  const teY = labels(findFile(root, MNIST_IDX_FILES.testLabels), te.n);
  if (te.rows !== tr.rows || te.cols !== tr.cols) throw new ConfigError(`${root}: test images are ${te.rows}x${te.cols}, training images ${tr.rows}x${tr.cols}`);
  if (tr.n < 2) throw new ConfigError(`${root}: need at least 2 training images, got ${tr.n}`);
  const F = (tr.rows / 2) * (tr.cols / 2);
  const trX = preprocessDigits(tr.pixels, tr.n, tr.rows, tr.cols);
  const idx = shuffledIndices(tr.n, 'codesign/data/mnist-idx/split');
  const nVal = Math.max(1, Math.round(tr.n / 10));
  const train = take(trX, trY, F, idx.slice(nVal));
  const val = take(trX, trY, F, idx.slice(0, nVal));
  const test = take(preprocessDigits(te.pixels, te.n, te.rows, te.cols), teY, F, Array.from({ length: te.n }, (_, i) => i));
  return {
    name: `mnist-idx:${root}`,
    features: F,
    classes: 10,
    train,
    val,
    test,
    notes: `MNIST IDX files in ${root}, 2x2 average to ${tr.rows / 2}x${tr.cols / 2}, per-sample normalization, split ${train.n}/${val.n}/${test.n}`,
  };
}

const hex = (b: number) => b.toString(16).padStart(2, '0');
