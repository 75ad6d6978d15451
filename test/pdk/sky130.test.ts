import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSky130 } from '../../scripts/derive-sky130.js';
import { resolveDesign } from '../../src/design/index.js';
import { somaTestbench } from '../../src/netlist/index.js';
import { loadPdk, pdkModelsDir } from '../../src/pdk/index.js';
import { createEngine, exportModels, modelSet, WasmEngine, type Engine } from '../../src/spice/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { sha256 } from '../../src/util/hash.js';
import { nativeTest, tempDir } from '../helpers.js';

const itNative = await nativeTest();

function maxRelDiff(a: Float64Array, b: Float64Array, floor: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]), floor));
  return worst;
}

describe('sky130 descriptor and its derived library', () => {
  it('the committed files are what scripts/derive-sky130.ts generates from the bundled modelcard.skywater, and their hashes are recorded', async () => {
    const files = await generateSky130();
    for (const [f, content] of Object.entries(files)) expect(readFileSync(join(pdkModelsDir(), f), 'utf8')).toBe(content);
    const d = JSON.parse(readFileSync(join(pdkModelsDir(), 'sky130.json'), 'utf8'));
    for (const [f, h] of Object.entries(d.models.derived.files as Record<string, string>)) expect(sha256(readFileSync(join(pdkModelsDir(), 'sky130', f), 'utf8'))).toBe(h);
  });

  it('the primitive-form models give the currents of the PDK subcircuits they came from (Monte Carlo off, same instance parameters)', async () => {
    const pdk = loadPdk('sky130');
    const engine = await createEngine('wasm', pdk, { cache: false, workers: 1 });
    // One nFET and one pFET at a reference size and at a short-channel bin, gate swept 0..1.8 V.
    const deck = (form: 'x' | 'm') => {
      const dev = (name: string, nodes: string, type: 'nfet' | 'pfet', w: string, l: string) =>
        form === 'x'
          ? `x${name} ${nodes} sky130_fd_pr__${type}_01v8 w=${w} l=${l}`
          : // What the subcircuit passes its m instance; codesign's cells leave these at ngspice's defaults,
            // which moves only the off-state leakage (about 1 % at Vgs = 0, < 2e-7 relative from 0.6 V up).
            `m${name} ${nodes} sky130_fd_pr__${type}_01v8__model w=${w} l=${l} ad=0 as=0 pd=0 ps=0 nrd=0 nrs=0 sa=0 sb=0 sd=0 nf=1`;
      return [
        `* ${form === 'x' ? 'subcircuit form, bundled modelcard.skywater' : 'primitive form, derived library'}`,
        form === 'x' ? '.param mc_switch=0\n.include modelcard.skywater' : '.include sky130_fd_pr__fet_01v8.tt.spice',
        'vdd vdd 0 dc 1.8',
        'vg g 0 dc 0',
        'vn1 dn1 0 dc 0.9',
        'vn2 dn2 0 dc 0.9',
        'vp1 dp1 0 dc 0.9',
        'vp2 dp2 0 dc 0.9',
        dev('n1', 'dn1 g 0 0', 'nfet', '3u', '0.5u'),
        dev('n2', 'dn2 g 0 0', 'nfet', '0.42u', '0.15u'),
        dev('p1', 'dp1 g vdd vdd', 'pfet', '0.42u', '1u'),
        dev('p2', 'dp2 g vdd vdd', 'pfet', '1u', '0.15u'),
        '.dc vg 0 1.8 0.05',
        '.end',
        '',
      ].join('\n');
    };
    try {
      const [x, m] = await Promise.all([engine.run({ netlist: deck('x') }), engine.run({ netlist: deck('m') })]);
      for (const v of ['i(vn1)', 'i(vn2)', 'i(vp1)', 'i(vp2)']) {
        expect(Math.max(...Array.from(m.vectors[v]).map(Math.abs))).toBeGreaterThan(1e-6);
        expect(maxRelDiff(x.vectors[v], m.vectors[v], 1e-15)).toBeLessThan(1e-9);
      }
    } finally {
      await engine.close();
    }
  });

  it('refuses sizes between model bins, naming the field and the nearest sizes; its reference cells are on bins', () => {
    const sky = resolveDesign({ pdk: 'sky130' });
    expect(sky.sizes.soma.n.w).toBeCloseTo(3e-6, 15);
    expect(sky.sizes.soma.n.l).toBeCloseTo(5e-7, 15);
    expect(sky.config.synapse.src).toEqual({ w: '420n', l: '1u' });
    const err = (() => {
      try {
        resolveDesign({ pdk: 'sky130', soma: { n: { w: '2.7u', l: '0.45u' } } }, 'my-design.json');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(/^my-design\.json: soma\.n W\/L = 2\.7u\/450n has no sky130 nfet model: .*nearest W\/L: 3u\/500n, /);
    // A size set for one dimension takes the other from the reference cell.
    expect(resolveDesign({ pdk: 'sky130', soma: { n: { l: '1u' } } }).config.soma.n).toEqual({ w: '3u', l: '1u' });
    expect(() => resolveDesign({ pdk: 'sky130', synapse: { src: { w: '0.27u' } } })).toThrow(/synapse\.src\.w = 270n is below the sky130 pfet minimum 420n/);
    // GF180MCU keeps its reference cells: a design that sets them hashes like one that sets none.
    const gf = resolveDesign({});
    expect(resolveDesign({ soma: { n: { w: '2.7u', l: '0.45u' } }, synapse: { src: { w: '0.27u', l: '0.54u' } } }).hash).toBe(gf.hash);
    expect(gf.sizes.soma.n).toEqual({ w: 2.7e-6, l: 4.5e-7 });
  });

  it('a descriptor whose reference_sizes name an unknown device group is refused, naming it', () => {
    const d = JSON.parse(readFileSync(join(pdkModelsDir(), 'sky130.json'), 'utf8'));
    d.reference_sizes.soma.q = { w: '1u', l: '1u' };
    d.models.path = join(pdkModelsDir(), 'sky130');
    const f = join(tempDir(), 'bad-ref.json');
    writeFileSync(f, JSON.stringify(d));
    expect(() => resolveDesign({ pdk: f })).toThrow(/bad-ref\.json: reference_sizes\.soma\.q is not a device group/);
  });

  it('only tt is bundled: another corner says where to get it', () => {
    expect(() => resolveDesign({ pdk: 'sky130', corner: 'ff' })).toThrow(/unknown corner "ff" for PDK sky130 \(known: tt\); .*PDK_ROOT.*--pdk sky130A/);
  });
});

/**
 * A PDK_ROOT in the open_pdks layout, built from the bundled model text: gf180mcuD with its
 * corners as `.lib` sections of sm141064.ngspice, and sky130A whose sky130.lib.spice sections
 * include corner files that include the device models from libs.ref (paths relative to the
 * including file). The sky130A "ff" section here is the tt text with thinner oxide
 * (toxe_mult 0.95): a test corner that shows the section is selected and derived, not SKY130's ff.
 */
describe('a PDK installed under PDK_ROOT (open_pdks layout)', () => {
  let root: string;
  const old = process.env.PDK_ROOT;
  beforeAll(async () => {
    root = tempDir('codesign-pdk-root-');
    const exported = join(tempDir(), 'gf180');
    await exportModels(loadPdk('gf180mcu'), exported);
    const gf = join(root, 'gf180mcuD', 'libs.tech', 'ngspice');
    mkdirSync(gf, { recursive: true });
    copyFileSync(join(exported, 'modelcard.GF180'), join(gf, 'design.ngspice'));
    copyFileSync(join(exported, 'sm141064.ngspice'), join(gf, 'sm141064.ngspice'));
    const wasm = new WasmEngine({ workers: 1 });
    const [{ content: sky }] = await wasm.readFiles(['modelcard.skywater']).finally(() => wasm.close());
    const ng = join(root, 'sky130A', 'libs.tech', 'ngspice');
    const ref = join(root, 'sky130A', 'libs.ref', 'sky130_fd_pr', 'spice');
    mkdirSync(join(ng, 'corners'), { recursive: true });
    mkdirSync(ref, { recursive: true });
    writeFileSync(join(ref, 'sky130_fd_pr__fets__tt.pm3.spice'), sky);
    writeFileSync(join(ref, 'sky130_fd_pr__fets__ff.pm3.spice'), sky.replace(/(__toxe_mult = )1\.0\b/g, '$10.95'));
    for (const c of ['tt', 'ff']) writeFileSync(join(ng, 'corners', `${c}.spice`), `* ${c}\n.include "../../../libs.ref/sky130_fd_pr/spice/sky130_fd_pr__fets__${c}.pm3.spice"\n`);
    writeFileSync(
      join(ng, 'sky130.lib.spice'),
      // ss, fs and sf load the tt text here: the test needs every corner the descriptor names.
      ['* SKY130 Spice File.', ...['tt', 'ff', 'ss', 'fs', 'sf'].flatMap((c) => [`.lib ${c}`, '.param mc_mm_switch=0', `.include "corners/${c === 'ff' ? 'ff' : 'tt'}.spice"`, `.endl ${c}`, ''])].join('\n'),
    );
    process.env.PDK_ROOT = root;
  });
  afterAll(() => {
    if (old === undefined) delete process.env.PDK_ROOT;
    else process.env.PDK_ROOT = old;
  });

  const somaCurrent = async (engine: Engine, design: ReturnType<typeof resolveDesign>) => {
    const r = await engine.run({ netlist: somaTestbench(design, 5, { instances: 2 }).text });
    return { out: r.vectors['i(vprobe1)'] };
  };

  it('gf180mcuD: design.ngspice plus a .lib section of sm141064.ngspice per corner gives the bundled gf180mcu results (wasm)', async () => {
    const pdk = loadPdk('gf180mcuD');
    const installed = somaTestbench(resolveDesign({ pdk: 'gf180mcuD', corner: 'ff' }), 5).text;
    expect(installed).toMatch(/^\.include design\.ngspice\n\.lib sm141064\.ngspice ff$/m);
    const [disk, bundled] = await Promise.all([createEngine('wasm', pdk, { cache: false, workers: 1 }), createEngine('wasm', loadPdk('gf180mcu'), { cache: false, workers: 1 })]);
    try {
      for (const corner of ['tt', 'ff']) {
        const a = await somaCurrent(disk, resolveDesign({ pdk: 'gf180mcuD', corner }));
        const b = await somaCurrent(bundled, resolveDesign({ corner }));
        expect(Array.from(a.out)).toEqual(Array.from(b.out));
      }
    } finally {
      await Promise.all([disk.close(), bundled.close()]);
    }
  });

  it('sky130A: each corner section is read through its includes and derived to primitive form; tt equals the bundled sky130, the test ff differs', async () => {
    const pdk = loadPdk('sky130A');
    const set = await modelSet(pdk);
    expect(set.files).toEqual(['tt', 'ff', 'ss', 'fs', 'sf'].map((c) => `sky130A.${c}.spice`));
    expect(readFileSync(join(set.dir, 'sky130A.ff.spice'), 'utf8')).toMatch(/^\.param sky130_fd_pr__nfet_01v8__toxe_mult = 0\.95$/m);
    const [disk, bundled] = await Promise.all([createEngine('wasm', pdk, { cache: false, workers: 1 }), createEngine('wasm', loadPdk('sky130'), { cache: false, workers: 1 })]);
    try {
      const tt = await somaCurrent(disk, resolveDesign({ pdk: 'sky130A' }));
      const ref = await somaCurrent(bundled, resolveDesign({ pdk: 'sky130' }));
      expect(Array.from(tt.out)).toEqual(Array.from(ref.out));
      // One nFET at a fixed bias: the thinner oxide of the test ff corner carries more current.
      const drain = async (corner: string) => {
        const d = resolveDesign({ pdk: 'sky130A', corner });
        const deck = ['* one nfet', ...d.modelLines, 'vd d 0 dc 0.9', 'vg g 0 dc 0.6', 'm1 d g 0 0 sky130_fd_pr__nfet_01v8__model w=3u l=0.5u', '.dc vg 0.6 0.6 0.1', '.end', ''];
        return -(await disk.run({ netlist: deck.join('\n') })).vectors['i(vd)'][0];
      };
      const [itt, iff] = [await drain('tt'), await drain('ff')];
      expect(itt).toBeGreaterThan(1e-7);
      expect(iff / itt).toBeGreaterThan(1.01);
    } finally {
      await Promise.all([disk.close(), bundled.close()]);
    }
    expect(() => resolveDesign({ pdk: 'sky130A', corner: 'ss' })).not.toThrow();
    await expect(createEngine('wasm', loadPdk('gf180mcuD'), { cache: false, workers: 1 }).then((e) => e.close())).resolves.toBeUndefined();
  });

  itNative('both engines run the installed PDKs alike (native ngspice in the install or derivation folder)', async () => {
    for (const [name, corner] of [['gf180mcuD', 'ss'], ['sky130A', 'ff']] as const) {
      const pdk = loadPdk(name);
      const design = resolveDesign({ pdk: name, corner });
      const [w, n] = await Promise.all([createEngine('wasm', pdk, { cache: false, workers: 1 }), createEngine('ngspice', pdk, { cache: false, workers: 1 })]);
      try {
        const [a, b] = await Promise.all([somaCurrent(w, design), somaCurrent(n, design)]);
        expect(maxRelDiff(a.out, b.out, 1e-12)).toBeLessThan(1e-6);
      } finally {
        await Promise.all([w.close(), n.close()]);
      }
    }
  });

  it('a missing section or file is a ConfigError naming it', async () => {
    const d = JSON.parse(readFileSync(join(pdkModelsDir(), 'sky130A.json'), 'utf8'));
    d.name = 'sky130-missing';
    d.corners = { tt: 'sky130.lib.spice tt', ss: 'sky130.lib.spice slow' };
    const f = join(tempDir(), 'missing.json');
    writeFileSync(f, JSON.stringify(d));
    await expect(modelSet(loadPdk(f))).rejects.toThrow(/corner ss: no "\.lib slow" section in .*sky130\.lib\.spice/);
  });
});
