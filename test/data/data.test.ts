import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DATASETS, IRIS_SPLIT, MNIST_MEAN, MNIST_SPLIT, inputCurrents, loadDataset, loadIris, loadMnist, loadMnistIdx, parseIdx, preprocessDigits, readIdx, withBiasInput, type Split } from '../../src/data/index.js';
import { cacheFile, digitFile, readCached } from '../../src/data/mnist.js';
import { shuffledIndices, take } from '../../src/data/split.js';
import { ConfigError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

const counts = (s: Split, classes: number) => {
  const c = new Array<number>(classes).fill(0);
  s.y.forEach((y) => c[y]++);
  return c;
};

describe('iris', () => {
  const d = loadIris();

  it('has a fixed, stratified split of 4 features and 3 classes', () => {
    expect([d.features, d.classes]).toEqual([4, 3]);
    expect([d.train.n, d.val.n, d.test.n]).toEqual([3 * IRIS_SPLIT.train, 3 * IRIS_SPLIT.val, 3 * IRIS_SPLIT.test]);
    expect(counts(d.train, 3)).toEqual([IRIS_SPLIT.train, IRIS_SPLIT.train, IRIS_SPLIT.train]);
    expect(counts(d.test, 3)).toEqual([IRIS_SPLIT.test, IRIS_SPLIT.test, IRIS_SPLIT.test]);
    const again = loadIris();
    expect(Array.from(again.test.x)).toEqual(Array.from(d.test.x));
    expect(Array.from(again.train.y)).toEqual(Array.from(d.train.y));
  });

  it('normalizes each feature by the training split to [0, 1]', () => {
    for (let f = 0; f < 4; f++) {
      const col = Array.from({ length: d.train.n }, (_, r) => d.train.x[r * 4 + f]);
      expect(Math.min(...col)).toBe(0);
      expect(Math.max(...col)).toBe(1);
    }
    for (const s of [d.val, d.test]) expect(s.x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('maps feature values to input currents by the input scale', () => {
    const i = inputCurrents(d.test, 100e-9);
    expect(i[5]).toBeCloseTo(d.test.x[5] * 100e-9, 20);
  });

  it('adds a constant bias input on request', () => {
    const b = withBiasInput(d);
    expect(b.features).toBe(5);
    expect(b.name).toBe('iris+bias');
    expect(b.train.x[4]).toBe(1);
    expect(b.train.x[5]).toBe(d.train.x[4]);
    expect(loadDataset('iris+bias').test.x).toEqual(b.test.x);
  });
});

describe('mnist package', () => {
  const d = loadMnist();

  it('splits the 10,000 shipped digits into fixed train/val/test sets of 196 inputs', () => {
    expect([d.features, d.classes]).toEqual([196, 10]);
    expect([d.train.n, d.val.n, d.test.n]).toEqual([MNIST_SPLIT.train, MNIST_SPLIT.val, MNIST_SPLIT.test]);
    expect(d.train.x.length).toBe(MNIST_SPLIT.train * 196);
    for (const c of counts(d.test, 10)) expect(c).toBeGreaterThan(150); // every digit, roughly balanced
    expect(Array.from(loadMnist().val.y)).toEqual(Array.from(d.val.y));
  });

  it('holds the digits that whole files read through JSON.parse and preprocessed at once give, in the same split', () => {
    const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
    const pixels: number[] = [], labels: number[] = [];
    for (let digit = 0; digit < 10; digit++) {
      const data = (JSON.parse(readFileSync(join(dir, `${digit}.json`), 'utf8')) as { data: number[] }).data;
      for (const v of data) pixels.push(v);
      for (let k = 0; k < data.length / 784; k++) labels.push(digit);
    }
    const x = preprocessDigits(pixels, labels.length, 28, 28);
    const idx = shuffledIndices(labels.length, 'codesign/data/mnist/split');
    const test = take(x, labels, 196, idx.slice(MNIST_SPLIT.train + MNIST_SPLIT.val));
    expect(Array.from(d.test.y)).toEqual(Array.from(test.y));
    expect(d.test.x.every((v, i) => Object.is(v, test.x[i]))).toBe(true);
    const train = take(x, labels, 196, idx.slice(0, MNIST_SPLIT.train));
    expect(d.train.x.every((v, i) => Object.is(v, train.x[i]))).toBe(true);
  });

  it('keeps the preprocessed digits in the cache, read back bit for bit; a damaged cache file is not used', () => {
    const file = cacheFile();
    const back = readCached(file)!;
    const all = loadMnist();
    expect(back.x.length).toBe(10000 * 196);
    const idx = shuffledIndices(back.y.length, 'codesign/data/mnist/split');
    const test = take(back.x, back.y, 196, idx.slice(MNIST_SPLIT.train + MNIST_SPLIT.val));
    expect(test.x.every((v, i) => Object.is(v, all.test.x[i]))).toBe(true);
    expect(Array.from(test.y)).toEqual(Array.from(all.test.y));
    const damaged = join(tempDir(), 'short.bin');
    writeFileSync(damaged, readFileSync(file).subarray(0, 1000));
    expect(readCached(damaged)).toBeUndefined();
  });

  it("reads the package's digit files to the doubles JSON.parse gives, and other number forms through JSON.parse", () => {
    const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
    for (const f of ['0.json', '7.json']) {
      const want = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { data: number[] }).data;
      const got = digitFile(join(dir, f));
      expect(got.length).toBe(want.length);
      expect(got.every((v, i) => Object.is(v, want[i]))).toBe(true);
    }
    const odd = join(tempDir(), 'odd.json');
    for (const data of [[0, 0.5, 1e-7, 0.1], [-0.25, 1], [0.12345678901234567, 0.3]]) {
      writeFileSync(odd, `{ "data": [${data.map(String).join(',')}] }`);
      expect(Array.from(digitFile(odd))).toEqual(data);
    }
  });

  it('normalizes every sample to the fixed mean, clipped to [0, 1]', () => {
    let atMean = 0, maxMean = 0;
    for (let r = 0; r < d.test.n; r++) {
      const mean = d.test.x.subarray(r * 196, r * 196 + 196).reduce((a, b) => a + b, 0) / 196;
      maxMean = Math.max(maxMean, mean);
      if (Math.abs(mean - MNIST_MEAN) < 1e-9) atMean++;
    }
    expect(d.test.x.reduce((m, v) => Math.min(m, v), Infinity)).toBe(0);
    expect(d.test.x.reduce((m, v) => Math.max(m, v), -Infinity)).toBe(1);
    expect(maxMean).toBeLessThanOrEqual(MNIST_MEAN + 1e-12); // clipping only lowers it
    expect(atMean / d.test.n).toBeGreaterThan(0.5);
  });

  it('averages 2x2 blocks, then scales the sample to the mean', () => {
    const img = new Float64Array(16); // one 4x4 image: top-left block 1, rest 0
    img[0] = img[1] = img[4] = img[5] = 1;
    img[2] = 0.5; // half of one pixel in the top-right block
    const out = preprocessDigits(img, 1, 4, 4);
    const raw = [1, 0.125, 0, 0];
    const k = (MNIST_MEAN * 4) / 1.125;
    expect(Array.from(out)).toEqual(raw.map((v) => Math.min(1, v * k)));
  });
});

/** IDX bytes: magic 0 0 type ndims, big-endian sizes, values. */
function idx(type: number, dims: number[], values: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, k) => head.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([head, Buffer.from(values)]);
}

function writeMnistIdx(dir: string, nTrain: number, nTest: number, gz = false): void {
  mkdirSync(dir, { recursive: true });
  const images = (n: number) => Array.from({ length: n * 4 * 4 }, (_, k) => ((k * 37) % 256) * (k % 3 === 0 ? 1 : 0));
  const labels = (n: number) => Array.from({ length: n }, (_, k) => k % 10);
  const put = (name: string, b: Buffer) => writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(b) : b);
  put('train-images-idx3-ubyte', idx(0x08, [nTrain, 4, 4], images(nTrain)));
  put('train-labels-idx1-ubyte', idx(0x08, [nTrain], labels(nTrain)));
  put('t10k-images-idx3-ubyte', idx(0x08, [nTest, 4, 4], images(nTest)));
  put('t10k-labels-idx1-ubyte', idx(0x08, [nTest], labels(nTest)));
}

describe('MNIST IDX files', () => {
  it('parses headers and big-endian values of every IDX type', () => {
    const a = parseIdx(idx(0x08, [2, 3], [0, 1, 2, 253, 254, 255]), 'x');
    expect(a.dims).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([0, 1, 2, 253, 254, 255]);
    const f = Buffer.alloc(8);
    f.writeFloatBE(1.5, 0);
    f.writeFloatBE(-2.25, 4);
    const head = idx(0x0d, [2], []);
    expect(Array.from(parseIdx(Buffer.concat([head, f]), 'y').data)).toEqual([1.5, -2.25]);
  });

  it('loads train/val/test from a directory, plain or gzipped, preprocessed like the package digits', () => {
    for (const gz of [false, true]) {
      const dir = join(tempDir(), 'mnist');
      writeMnistIdx(dir, 20, 6, gz);
      const d = loadMnistIdx(dir);
      expect(d.features).toBe(4); // 4x4 images averaged to 2x2
      expect([d.train.n, d.val.n, d.test.n]).toEqual([18, 2, 6]);
      expect(Array.from(d.test.y)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(d.train.x.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(loadDataset(d.name).train.x).toEqual(d.train.x); // the name loads the same data back
      expect(loadDataset('mnist', { idxDir: dir }).test.x).toEqual(d.test.x);
    }
  });

  it('names the missing file', () => {
    const dir = join(tempDir(), 'mnist');
    writeMnistIdx(dir, 4, 2);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), ''); // present but empty: malformed
    expect(() => loadMnistIdx(join(dir, 'nope'))).toThrow(/MNIST IDX directory not found: .*nope/);
    const empty = tempDir();
    expect(() => loadMnistIdx(empty)).toThrow(ConfigError);
    expect(() => loadMnistIdx(empty)).toThrow(/train-images-idx3-ubyte.*not found/);
    expect(() => readIdx(join(empty, 'x.idx'))).toThrow(/IDX file not found: .*x\.idx/);
  });

  it('rejects malformed headers with the file and the reason', () => {
    const dir = tempDir();
    const bad = (name: string, bytes: Buffer) => {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return () => readIdx(p);
    };
    expect(bad('magic', Buffer.from([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(/magic.*malformed IDX header: magic number must start with two zero bytes/);
    expect(bad('type', Buffer.from([0, 0, 7, 1, 0, 0, 0, 0]))).toThrow(/type.*unknown type code 0x07/);
    expect(bad('short', Buffer.from([0, 0, 8]))).toThrow(/short.*3 bytes/);
    expect(bad('size', idx(0x08, [2, 3], [1, 2, 3]))).toThrow(/size.*dimensions 2x3 of unsigned byte need 18 bytes, file has 15/);
    expect(bad('gz', Buffer.from([0x1f, 0x8b, 0, 0]))).toThrow(/gz.*not a valid gzip file/);
    const dims = join(tempDir(), 'mnist');
    writeMnistIdx(dims, 4, 2);
    writeFileSync(join(dims, 't10k-labels-idx1-ubyte'), idx(0x08, [3], [1, 2, 3]));
    expect(() => loadMnistIdx(dims)).toThrow(/t10k-labels-idx1-ubyte: 3 labels for 2 images/);
    writeFileSync(join(dims, 't10k-labels-idx1-ubyte'), idx(0x08, [2], [1, 12]));
    expect(() => loadMnistIdx(dims)).toThrow(/label 1 is 12, expected 0..9/);
  });
});

describe('loadDataset', () => {
  it('rejects unknown names with the known ones', () => {
    expect(() => loadDataset('cifar')).toThrow(ConfigError);
    expect(() => loadDataset('cifar')).toThrow(`unknown dataset "cifar": expected one of ${DATASETS.join(', ')}`);
    expect(() => loadDataset('iris', { idxDir: '/tmp' })).toThrow(/IDX files are for mnist only/);
  });
});
