import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchNetlist, planBatches, synapseStart } from '../../src/characterize/index.js';
import { resolveDesign } from '../../src/design/index.js';
import { createEngine, modelSet, type Engine } from '../../src/spice/index.js';
import { ModelTrimmer } from '../../src/spice/trim.js';
import { nativeTest } from '../helpers.js';

const itNative = await nativeTest();

/** Every vector of two results, bit for bit. */
function expectSameVectors(a: Awaited<ReturnType<Engine['run']>>, b: Awaited<ReturnType<Engine['run']>>) {
  expect(b.names).toEqual(a.names);
  for (const k of a.names) expect(Array.from(b.vectors[k])).toEqual(Array.from(a.vectors[k]));
}

describe('trimmed PDK libraries (native ngspice)', () => {
  it('keep every parameter and the cards a deck names (a family name keeps all its bins), drop the rest, leave other decks alone', async () => {
    const design = resolveDesign({});
    const set = await modelSet(design.pdk);
    const trimmer = new ModelTrimmer(set.dir, set.files);
    const whole = readFileSync(join(set.dir, 'sm141064.ngspice'), 'utf8');
    const deck = (devices: string) => `* t\n${design.modelLines.join('\n')}\nvd d 0 1.8\n${devices}\n.op\n.end\n`;
    const one = trimmer.rewrite(deck('m1 d d 0 0 nmos_3p3.8 w=2.7u l=0.45u'), '/x')!;
    expect(one.deck).toMatch(/^\.include "\/x\/models-[0-9a-f]{16}\.lib"$/m);
    expect(one.deck).not.toMatch(/modelcard/);
    const text = one.files[0].text;
    const cards = [...text.matchAll(/^\.model\s+(\S+)/gim)].map((m) => m[1].toLowerCase());
    expect(cards).toEqual(['nmos_3p3.8']);
    expect(text).not.toMatch(/^\.subckt/im);
    // Every parameter statement of the corner is still there.
    expect((text.match(/^\s*\.param/gim) ?? []).length).toBeGreaterThan(10);
    expect(text.length).toBeLessThan(whole.length / 20);
    const family = trimmer.rewrite(deck('m1 d d 0 0 nmos_3p3 w=2.7u l=0.45u\nm2 d d 0 0 pmos_3p3.0 w=0.3u l=0.3u'), '/x')!.files[0].text;
    expect([...family.matchAll(/^\.model\s+(\S+)/gim)].map((m) => m[1].toLowerCase()).sort()).toEqual([...Array.from({ length: 16 }, (_, i) => `nmos_3p3.${i}`), 'pmos_3p3.0'].sort());
    expect(trimmer.rewrite('* no models\nv1 a 0 1\nr1 a 0 1k\n.op\n.end\n', '/x')).toBeUndefined();
    expect(trimmer.rewrite('* another file\n.include /elsewhere/models.lib\nv1 a 0 1\n.op\n.end\n', '/x')).toBeUndefined();
  });

  itNative('give the same vectors, bit for bit, as the whole library: characterization batches at tt and ss, and on sky130', async () => {
    for (const config of [{ layers: [3, 5, 2], seed: 4 }, { layers: [3, 5, 2], seed: 4, corner: 'ss' }, { layers: [3, 5, 2], seed: 4, pdk: 'sky130' }]) {
      const design = resolveDesign(config);
      const [whole, trimmed] = await Promise.all([
        createEngine('ngspice', design.pdk, { cache: false, workers: 1, trimModels: false }),
        createEngine('ngspice', design.pdk, { cache: false, workers: 1 }),
      ]);
      try {
        const start = await synapseStart(whole, design);
        const decks = planBatches(design).map((b) => batchNetlist(design, 4, b, b.kind === 'synapse' ? start : undefined));
        const set = await modelSet(design.pdk);
        for (const d of decks) expect(new ModelTrimmer(set.dir, set.files).rewrite(d, '/x')?.files.length).toBe(design.modelLines.length);
        for (const netlist of decks) expectSameVectors(await whole.run({ netlist }), await trimmed.run({ netlist }));
      } finally {
        await Promise.all([whole.close(), trimmed.close()]);
      }
    }
  });
});
