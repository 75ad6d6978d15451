import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDesign } from '../../src/design/index.js';
import { somaTestbench } from '../../src/netlist/index.js';
import { listPdks, loadPdk, modelDirOnDisk } from '../../src/pdk/index.js';
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
