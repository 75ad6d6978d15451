import { Stream } from '../../src/mismatch/index.js';
import { quantileIndex, quantileInPlace } from '../../src/util/quantile.js';

/** The reference: the element an ascending typed-array sort puts at the quantile's index. */
const bySort = (a: Float32Array | Float64Array, p: number) => a.slice().sort()[quantileIndex(a.length, p)];

describe('quantileInPlace', () => {
  const s = new Stream('test/quantile');
  const sizes = [1, 2, 3, 7, 100, 601, 602, 5000, 70_001];
  it.each(sizes)('equals the sorted element for %i values (float64 and float32, ties, every p)', (n) => {
    for (const make of [(k: number) => new Float64Array(k), (k: number) => new Float32Array(k)]) {
      const a = make(n);
      // Half continuous, half from a few repeated values: selection must handle long runs of ties.
      for (let i = 0; i < n; i++) a[i] = i % 2 ? s.normal() : Math.floor(s.uniform() * 4) - 1;
      for (const p of [0, 0.01, 0.5, 0.9, 0.99, 1]) expect(quantileInPlace(a.slice(), p)).toBe(bySort(a, p));
    }
  });

  it('puts NaN last, as sort does', () => {
    const a = Float64Array.from([3, NaN, 1, 2, NaN]);
    expect(quantileInPlace(a.slice(), 0.5)).toBe(bySort(a, 0.5));
    expect(quantileInPlace(a.slice(), 1)).toBeNaN();
    expect(quantileInPlace(a.slice(), 0.25)).toBe(2);
  });

  it('gives NaN for no values', () => expect(quantileInPlace(new Float64Array(0), 0.5)).toBeNaN());
});
