/** A trained Iris run folder without SPICE: synthetic device models of one die, codes trained on them. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDesign, type DesignInput } from '../../src/design/index.js';
import { syntheticModels, trainRunFull } from '../../src/train/index.js';
import { tempDir } from '../helpers.js';

export const IRIS_LAYERS = [5, 10, 3];

/** design.json (Iris 5-10-3 on die `die`), models.json and weights.json trained with `trainSeed`. */
export async function trainedIrisRun(trainSeed: number, opts: { dir?: string; design?: DesignInput; epochs?: number } = {}): Promise<string> {
  const dir = opts.dir ?? tempDir('codesign-review-run-');
  const design = resolveDesign({ layers: IRIS_LAYERS, ...opts.design });
  writeFileSync(join(dir, 'design.json'), JSON.stringify(design.config, null, 2) + '\n');
  // Synthetic models stand in for this design's die: they carry its hash and seed, as fitted models would.
  const models = { ...syntheticModels({ layers: IRIS_LAYERS, seed: 3, somaSpread: 0.15, bitSpread: [0.1, 0.15, 0.2] }), design_hash: design.hash, die_seed: design.config.seed };
  writeFileSync(join(dir, 'models.json'), JSON.stringify(models) + '\n');
  await trainRunFull(dir, { epochs: opts.epochs ?? 60, seed: trainSeed });
  return dir;
}
