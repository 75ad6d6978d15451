import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDesign } from '../../src/design/index.js';
import { somaTestbench, synapseTestbench } from '../../src/netlist/index.js';
import { listPdks, loadPdk, modelDirOnDisk, modelFor } from '../../src/pdk/index.js';
import { createEngine, exportModels } from '../../src/spice/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { nativeTest, tempDir } from '../helpers.js';

const itNative = await nativeTest();

describe('PDK descriptors', () => {
  it('gf180mcu is bundled with its devices, limits and Pelgrom coefficients', () => {
    expect(listPdks()).toContain('gf180mcu');
    const p = loadPdk('gf180mcu');
    expect(p.devices.nfet.model).toBe('nmos_3p3');
    expect(p.devices.pfet.model).toBe('pmos_3p3');
    expect(p.devices.nfet.minL).toBeCloseTo(0.28e-6, 12);
    expect(p.devices.nfet.avt).toBeCloseTo(5.05e-9, 15);
    expect(Object.keys(p.corners)).toEqual(['tt', 'ff', 'ss', 'fs', 'sf']);
  });

  it("gf180mcu's size bins are the model files' bins", async () => {
    const pdk = loadPdk('gf180mcu');
    const dir = tempDir();
    await exportModels(pdk, dir);
    // Every .model card of the 3.3 V devices (continuation lines joined), first occurrence per name.
    const text = readFileSync(join(dir, 'sm141064.ngspice'), 'utf8').replace(/\n\+/g, ' ');
    const cards = new Map<string, Record<string, number>>();
    for (const m of text.matchAll(/^\.model\s+((?:n|p)mos_3p3\.\d+)\s.*$/gm)) {
      if (cards.has(m[1])) continue;
      const num = (k: string) => Number(new RegExp(`\\b${k}\\s*=\\s*([-+\\d.eE]+)`).exec(m[0])![1]);
      cards.set(m[1], { lmin: num('lmin'), lmax: num('lmax'), wmin: num('wmin'), wmax: num('wmax') });
    }
    for (const type of ['nfet', 'pfet'] as const) {
      const bins = pdk.devices[type].bins!;
      expect(bins.map((b) => b.model)).toEqual([...cards.keys()].filter((n) => n.startsWith(pdk.devices[type].model + '.')));
      for (const b of bins) {
        const c = cards.get(b.model!)!;
        const ours = { lmin: b.l[0], lmax: b.l[1], wmin: b.w[0], wmax: b.w[1] };
        for (const k of ['lmin', 'lmax', 'wmin', 'wmax'] as const) expect(Math.abs(ours[k] - c[k]) / c[k]).toBeLessThan(1e-12);
      }
    }
    expect(modelFor(pdk, 'pfet', 2.7e-6, 0.45e-6)).toBe('pmos_3p3.8');
    // On a bin edge, or outside every bin, the simulator picks (the engines differ on edges).
    expect(modelFor(pdk, 'nfet', 0.5e-6, 0.45e-6)).toBe('nmos_3p3');
    expect(modelFor(pdk, 'nfet', 200e-6, 0.45e-6)).toBe('nmos_3p3');
  });

  it('naming the size bin gives the currents of ngspice\'s own bin search, on both engines', async () => {
    // Default cells, and other bins; the generic netlist names the base model.
    const designs = [resolveDesign({}), resolveDesign({ soma: { n: { w: '0.6u', l: '0.7u' }, p: { w: '12u', l: '1.5u' } }, synapse: { src: { w: '0.3u', l: '2u' } } })];
    const generic = (t: string) => t.replace(/\b((?:n|p)mos_3p3)\.\d+\b/g, '$1');
    const engines = [await createEngine('wasm', loadPdk('gf180mcu'), { cache: false, workers: 1 })];
    if (itNative !== it.skip) engines.push(await createEngine('ngspice', loadPdk('gf180mcu'), { cache: false, workers: 1 }));
    try {
      for (const d of designs) {
        // The synapse testbench holds every device kind: soma, synapse, output probe.
        for (const text of [synapseTestbench(d, 3, { codes: [5, -3], sweep: { start: 5e-9, stop: 80e-9, step: 15e-9 } }).text]) {
          expect(text).toMatch(/mos_3p3\.\d+ /);
          expect(text).not.toMatch(/mos_3p3 /);
          for (const e of engines) {
            const [a, b] = await Promise.all([e.run({ netlist: text }), e.run({ netlist: generic(text) })]);
            for (const name of a.names) expect(Array.from(a.vectors[name])).toEqual(Array.from(b.vectors[name]));
          }
        }
      }
    } finally {
      for (const e of engines) await e.close();
    }
  });

  it('a malformed descriptor names the file and the field', () => {
    const dir = tempDir();
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ name: 'bad', description: 'x', feature_size: '1u', supply: { default: 1, max: 2 }, devices: {}, corners: { tt: 'x' }, models: { source: 'path', files: ['x'] } }));
    expect(() => loadPdk(f)).toThrow(ConfigError);
    expect(() => loadPdk(f)).toThrow(new RegExp(`invalid PDK descriptor ${f}:[\\s\\S]*devices\\.nfet`));
  });

  it('a PDK installed on disk under $PDK_ROOT runs on both engines with the same results', async () => {
    // Install: the bundled GF180 model files, exported, described by a "path" descriptor.
    const root = tempDir();
    const bundled = loadPdk('gf180mcu');
    await exportModels(bundled, join(root, 'gf180', 'ngspice'));
    const desc = JSON.parse(readFileSync(bundled.descriptorPath, 'utf8'));
    desc.name = 'gf180-disk';
    desc.models = { source: 'path', path: 'gf180/ngspice', files: desc.models.files };
    const f = join(tempDir(), 'gf180-disk.json');
    writeFileSync(f, JSON.stringify(desc));
    const old = process.env.PDK_ROOT;
    process.env.PDK_ROOT = root;
    try {
      const pdk = loadPdk(f);
      expect(modelDirOnDisk(pdk)).toBe(join(root, 'gf180', 'ngspice'));
      const text = somaTestbench(resolveDesign({ pdk: f }), 1).text;
      const ref = somaTestbench(resolveDesign({}), 1).text;
      const onDisk = await createEngine('wasm', pdk, { cache: false, workers: 1 });
      const bundledEngine = await createEngine('wasm', bundled, { cache: false, workers: 1 });
      try {
        const [a, b] = await Promise.all([onDisk.run({ netlist: text }), bundledEngine.run({ netlist: ref })]);
        expect(Array.from(a.vectors['i(vprobe0)'])).toEqual(Array.from(b.vectors['i(vprobe0)']));
      } finally {
        await onDisk.close();
        await bundledEngine.close();
      }
      delete process.env.PDK_ROOT;
      expect(() => modelDirOnDisk(pdk)).toThrow(/PDK_ROOT must be set/);
    } finally {
      if (old === undefined) delete process.env.PDK_ROOT;
      else process.env.PDK_ROOT = old;
    }
  });

  itNative('native ngspice runs a netlist of a PDK on disk in that directory', async () => {
    const root = tempDir();
    const bundled = loadPdk('gf180mcu');
    await exportModels(bundled, join(root, 'models'));
    const desc = JSON.parse(readFileSync(bundled.descriptorPath, 'utf8'));
    desc.models = { source: 'path', path: join(root, 'models'), files: desc.models.files };
    const f = join(tempDir(), 'abs.json');
    writeFileSync(f, JSON.stringify(desc));
    const pdk = loadPdk(f);
    const e = await createEngine('ngspice', pdk, { cache: false, workers: 1 });
    try {
      const r = await e.run({ netlist: somaTestbench(resolveDesign({ pdk: f }), 1).text });
      expect(r.points).toBe(46);
    } finally {
      await e.close();
    }
  });
});
