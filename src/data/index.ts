import { ConfigError } from '../util/errors.js';
import { loadIris } from './iris.js';
import { loadMnistIdx } from './idx.js';
import { loadMnist } from './mnist.js';
import { withBiasInput, type Dataset } from './types.js';

export { loadIris, IRIS_SPLIT } from './iris.js';
export { loadMnist, preprocessDigits, MNIST_MEAN, MNIST_SPLIT } from './mnist.js';
export { loadMnistIdx, parseIdx, readIdx, MNIST_IDX_FILES, type IdxArray } from './idx.js';
export { head, inputCurrents, withBiasInput, type Dataset, type Split } from './types.js';

export const DATASETS = ['iris', 'mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

/**
 * A dataset by name: "iris", "mnist" (the package's digits), or "mnist" with `idxDir` (the
 * standard IDX files in that directory). Every Dataset.name loads back the same data:
 * "mnist-idx:<dir>" reads that directory, a "+bias" suffix adds the constant bias input.
 * Unknown names are a ConfigError.
 */
export function loadDataset(name: string, opts: { idxDir?: string } = {}): Dataset {
  if (name.endsWith('+bias')) return withBiasInput(loadDataset(name.slice(0, -'+bias'.length), opts));
  if (name.startsWith('mnist-idx:')) return loadMnistIdx(name.slice('mnist-idx:'.length));
  if (name === 'iris') {
    if (opts.idxDir) throw new ConfigError('dataset iris: IDX files are for mnist only');
    return loadIris();
  }
  if (name === 'mnist') return opts.idxDir ? loadMnistIdx(opts.idxDir) : loadMnist();
  throw new ConfigError(`unknown dataset "${name}": expected one of ${DATASETS.join(', ')}`);
}
