import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDesign } from '../../src/design/index.js';
import { characterizeAndFit } from '../../src/fit/index.js';
import { writeReport } from '../../src/report/index.js';
import { WasmEngine } from '../../src/spice/index.js';
import { fileHash, trainRun } from '../../src/train/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { verifyRun } from '../../src/verify/index.js';
import { runCli, tempDir } from '../helpers.js';

/**
 * Run folders that cannot mix dies: two SPICE-characterized Iris dies (5-4-3, seeds 1 and 5),
 * each trained; die 5's weights copied into die 1's folder are refused by every command that
 * deploys them, and deployed (and recorded) only when given on purpose with --weights.
 */
describe('run folder provenance', () => {
  const root = tempDir('codesign-provenance-');
  const die1 = join(root, 'die-1'), die5 = join(root, 'die-5');
  const foreign = join(root, 'die-5-weights.json');
  const read = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
  /** A run folder assembled from files of other folders: name -> source path. */
  const folder = (name: string, files: Record<string, string>) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, src] of Object.entries(files)) copyFileSync(src, join(dir, f));
    return dir;
  };
  const die5Message = (dir: string) => new RegExp(`${dir}/weights\\.json was trained for die 5 \\(design [0-9a-f]{16}, models\\.json sha256 [0-9a-f]{12}\\) but ${dir} holds die 1 \\(design [0-9a-f]{16}, models\\.json sha256 [0-9a-f]{12}\\)`);

  beforeAll(async () => {
    const engine = new WasmEngine({ workers: 2 });
    try {
      for (const [dir, seed] of [[die1, 1], [die5, 5]] as const) {
        await characterizeAndFit(engine, resolveDesign({ layers: [5, 4, 3], seed }), dir);
        await trainRun(dir, { dataset: 'iris', epochs: 60 });
      }
    } finally {
      await engine.close();
    }
    copyFileSync(join(die5, 'weights.json'), foreign);
  }, 300_000);

  it('every file records what it was made from: models.json its die, weights.json and training.json the models', () => {
    const models = read(die1, 'models.json'), weights = read(die1, 'weights.json'), training = read(die1, 'training.json');
    const design = resolveDesign(read(die1, 'design.json'));
    expect([models.design_hash, models.die_seed]).toEqual([design.hash, 1]);
    expect(weights).toMatchObject({ design_hash: design.hash, die_seed: 1, models_hash: fileHash(readFileSync(join(die1, 'models.json'))) });
    expect(training.models_hash).toBe(weights.models_hash);
    expect(training.weights_hash).toBe(fileHash(readFileSync(join(die1, 'weights.json'))));
  });

  it('weights trained for die 5 in die 1\'s folder: verify, netlist network and report stop with a message naming both dies', async () => {
    const dir = folder('mixed', { 'design.json': join(die1, 'design.json'), 'models.json': join(die1, 'models.json'), 'weights.json': foreign });
    const [verify, netlist] = await Promise.all([runCli(['verify', '--run', dir]), runCli(['netlist', 'network', '--run', dir])]);
    for (const r of [verify, netlist]) expect([r.code, r.stderr]).toEqual([3, expect.stringMatching(die5Message(dir))]);
    expect(verify.stderr).toMatch(/give them to codesign verify or codesign netlist network as --weights/);
    await expect(verifyRun(undefined as never, dir, { mode: 'layered' })).rejects.toThrow(ConfigError);
    await expect(writeReport(dir)).rejects.toThrow(die5Message(dir));
  });

  it('other models of the same die (refitted since training) and a design.json of another die are refused too', async () => {
    const refit = folder('refit', { 'design.json': join(die1, 'design.json'), 'weights.json': join(die1, 'weights.json') });
    writeFileSync(join(refit, 'models.json'), JSON.stringify(read(die1, 'models.json'), null, 1)); // same content, other bytes
    await expect(verifyRun(undefined as never, refit, { mode: 'layered' })).rejects.toThrow(/weights\.json was trained on other models of die 1 .* than .*refit\/models\.json/);
    const swapped = folder('swapped', { 'design.json': join(die5, 'design.json'), 'models.json': join(die1, 'models.json') });
    const mixes = /models\.json was fitted for die 1 .* but .*design\.json describes die 5 .*mixes two dies/;
    await expect(trainRun(swapped, { epochs: 5 })).rejects.toThrow(mixes);
    await expect(verifyRun(undefined as never, swapped, { mode: 'layered' })).rejects.toThrow(mixes);
  });

  it('--weights deploys them on purpose: verified in SPICE on die 1, and verify.json and weights.inc record it', async () => {
    const v = await runCli(['verify', '--run', die1, '--weights', foreign, '--samples', '6']);
    expect(v.stderr + `exit ${v.code}`).toMatch(/exit 0$/);
    expect(v.stdout).toMatch(new RegExp(`weights: ${foreign}, trained for die 5 .*: deployed on die 1 on purpose \\(cross-die\\)`));
    const verified = read(die1, 'verify.json');
    expect(verified.samples).toBe(6);
    expect(verified.provenance).toEqual({
      design_hash: read(die1, 'models.json').design_hash,
      die_seed: 1,
      models_hash: fileHash(readFileSync(join(die1, 'models.json'))),
      weights: { file: foreign, sha256: fileHash(readFileSync(foreign)), trained_for: { design_hash: read(die5, 'weights.json').design_hash, die_seed: 5, models_hash: read(die5, 'weights.json').models_hash }, cross_die: true },
    });
    // The folder's own weights.json still belongs to die 1: the report draws it and names the cross-die verification.
    const report = await writeReport(die1);
    expect(readFileSync(report.path, 'utf8')).toMatch(new RegExp(`weights in verify.json</dt><dd>${foreign}, trained for die 5 .*deployed on purpose`));

    const n = await runCli(['netlist', 'network', '--run', die1, '--weights', foreign, '--json']);
    expect(n.stderr + `exit ${n.code}`).toMatch(/exit 0$/);
    expect(JSON.parse(n.stdout).weights).toMatchObject({ file: foreign, cross_die: true, trained_for: { die_seed: 5 } });
    expect(readFileSync(join(die1, 'weights.inc'), 'utf8').split('\n')[0]).toMatch(new RegExp(`^\\* weights ${foreign} were trained for die 5 .*; deployed on die 1 .* as asked \\(--weights\\)$`));
  });
});
