import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/index.js';
import { resolveDesign } from '../../src/design/index.js';
import { createEngine, nativeModelDir } from '../../src/spice/index.js';
import { weightsSchema } from '../../src/train/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { parseCodesCsv, readRunNetwork, reviewNetlist, reviewWeights, verifyFullDc, verifyReviewDc, writeReview } from '../../src/verify/index.js';
import { nativeTest, runCli, tempDir } from '../helpers.js';
import { IRIS_LAYERS, trainedIrisRun } from './review-fixture.js';

let run: string;
beforeAll(async () => {
  run = await trainedIrisRun(1);
});

/** Device lines (x... <cell>) of one subcircuit of a netlist. */
function subckt(text: string, name: string): string[] {
  const lines = text.split('\n');
  const a = lines.findIndex((l) => l.startsWith(`.subckt ${name}`));
  const b = lines.findIndex((l, i) => i > a && l.startsWith(`.ends ${name}`));
  expect(a).toBeGreaterThanOrEqual(0);
  return lines.slice(a + 1, b).filter((l) => !l.startsWith('*') && !l.startsWith('+'));
}

describe('review netlist', () => {
  const design = resolveDesign({ layers: IRIS_LAYERS });

  it("uses the PDK's device cells with the drawn W and L, a multiplier as parallel units, and no mismatch", () => {
    const text = reviewNetlist(design);
    expect(text).not.toMatch(/delvto|mulu0|dvt_|mu_|nmos_3p3|pmos_3p3|\.include|\.option/);
    const soma = subckt(text, 'soma');
    expect(soma).toHaveLength(5);
    expect(soma.filter((l) => / nfet_03v3 w=2\.7u l=450n /.test(l))).toHaveLength(3);
    expect(soma.filter((l) => / pfet_03v3 w=2\.7u l=450n /.test(l))).toHaveLength(2);
    const syn = subckt(text, 'synapse');
    // 11 transistors; the x4 and x2 sources and sinks as 4 and 2 unit instances: 19 lines.
    expect(syn).toHaveLength(19);
    expect(syn.filter((l) => /^xmp_src4_\d a4 vp x vdd pfet_03v3 w=270n l=540n /.test(l))).toHaveLength(4);
    expect(syn.filter((l) => /^xmn_snk2_\d a2 vn y vss nfet_03v3 w=270n l=540n /.test(l))).toHaveLength(2);
    // Junction estimates as the PDK's schematic symbols write them (one finger, 0.18u diffusion).
    expect(syn.find((l) => l.startsWith('xmn_bit4 '))).toBe('xmn_bit4 a4 b4 out vss nfet_03v3 w=450n l=450n as=81f ad=81f ps=1.26u pd=1.26u');
  });

  it('has one subcircuit per soma layer and the network on top with named pins; the bits are tied off in weights.inc', () => {
    const text = reviewNetlist(design);
    const names = [...text.matchAll(/^\.subckt (\S+)/gm)].map((m) => m[1]);
    expect(names).toEqual(['soma', 'synapse', 'layer0', 'layer1', 'layer2', 'network']);
    expect(subckt(text, 'layer1').filter((l) => l.startsWith('xs1_'))).toHaveLength(10);
    expect(subckt(text, 'layer1')).toContain('xweights0');
    expect(subckt(text, 'layer2').filter((l) => l.startsWith('xmr_'))).toHaveLength(3);
    expect(/^\.subckt network\n\+ in_0 in_1 in_2 in_3 in_4\n\+ out_0 out_1 out_2\n\+ vdd vss\n/m.test(text)).toBe(true);
    // No weight in network.spice: another die or another weight set gives the same file.
    expect(reviewNetlist(resolveDesign({ layers: IRIS_LAYERS, seed: 9 }))).toBe(text);
    const { codes } = readRunNetwork(run);
    const w = reviewWeights(design, 1, codes);
    expect([...w.matchAll(/^\.subckt (\S+)/gm)].map((m) => m[1])).toEqual(['weights0', 'weights1']);
    expect(subckt(w, 'weights0').filter((l) => l.startsWith('xw0_'))).toHaveLength(50);
    expect(subckt(w, 'weights1').filter((l) => l.startsWith('xw1_'))).toHaveLength(30);
    // Each synapse's bit gates tied to vdd or vss in code order (sign b4 b2 b1).
    for (const [k, i, j] of [[0, 3, 7], [1, 2, 0], [1, 9, 2]]) {
      const c = codes[k][i][j];
      const tie = new RegExp(`^\\* w${k}_${i}_${j}: code ${c > 0 ? '\\+' : ''}${c}\\nxw${k}_${i}_${j} s${k}_${i}_vp s${k}_${i}_vn s${k + 1}_${j} (\\S+) (\\S+) (\\S+) (\\S+) vdd vss synapse$`, 'm').exec(w);
      const m = Math.abs(c);
      expect(tie?.slice(1)).toEqual([c < 0, m & 4, m & 2, m & 1].map((b) => (b ? 'vdd' : 'vss')));
    }
  });

  it('refuses a PDK whose descriptor names no device cell', () => {
    const d = resolveDesign({ layers: IRIS_LAYERS });
    const pdk = { ...d.pdk, devices: { ...d.pdk.devices, pfet: { ...d.pdk.devices.pfet, reviewCell: undefined } } };
    expect(() => reviewNetlist({ ...d, pdk })).toThrow(ConfigError);
    expect(() => reviewNetlist({ ...d, pdk })).toThrow(/devices\.pfet\.review_cell/);
  });
});

describe('review folder', () => {
  it('codesign netlist network --for review writes network.spice, weights.inc, codes.csv, review.json; regenerated, the bytes are identical', async () => {
    const a = join(tempDir(), 'review');
    const r = await runCli(['netlist', 'network', '--run', run, '--for', 'review', '-o', a]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/973 transistors \(617 nfet_03v3, 356 pfet_03v3; 1613 unit instances\), gate area 357\.291 um\^2, PDK limits met/);
    const b = tempDir();
    await writeReview(run, b);
    const files = readdirSync(a).sort();
    expect(files).toEqual(['codes.csv', 'network.spice', 'review.json', 'weights.inc']);
    for (const f of files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f)))).toBe(true);

    const m = JSON.parse(readFileSync(join(a, 'review.json'), 'utf8'));
    const weights = weightsSchema.parse(JSON.parse(readFileSync(join(run, 'weights.json'), 'utf8')));
    expect(m).toMatchObject({ generator: 'codesign 0.1.0', network: '5-10-3', limits_ok: true, gate_area_um2: 357.291 });
    expect(m.design.hash).toBe(resolveDesign(JSON.parse(readFileSync(join(run, 'design.json'), 'utf8'))).hash);
    expect(m.transistors.per_cell).toEqual({ soma: { nfet: 3, pfet: 2 }, synapse: { nfet: 7, pfet: 4 }, readout: { nfet: 1, pfet: 0 } });
    expect(m.transistors.network).toEqual({ nfet: 617, pfet: 356, total: 973 });
    expect(m.devices.find((d: { cell: string; group: string }) => d.cell === 'synapse' && d.group === 'src')).toMatchObject({ type: 'pfet', pdk_cell: 'pfet_03v3', devices: ['mp_src4', 'mp_src2', 'mp_src1'], m: [4, 2, 1], w: '270n', l: '540n', min_w: '220n', violations: [] });
    // The model files' hashes are those of the text native ngspice reads.
    const dir = await nativeModelDir(resolveDesign({}).pdk);
    const { createHash } = await import('node:crypto');
    for (const f of m.pdk.model_files) expect(f.sha256).toBe(createHash('sha256').update(readFileSync(join(dir, f.file))).digest('hex'));
    expect(m.files['codes.csv']).toBe(createHash('sha256').update(readFileSync(join(a, 'codes.csv'))).digest('hex'));
    expect(parseCodesCsv(readFileSync(join(a, 'codes.csv'), 'utf8'), IRIS_LAYERS, 'codes.csv')).toEqual(weights.codes);
    expect(m.codes.synapses).toBe(80);
  });
});

const itNative = await nativeTest();

describe('review netlist in SPICE', () => {
  itNative("with the PDK's device cells at nominal gives the class currents of the primitive netlist with mismatch off, within 1e-6, on 10 Iris test samples", async () => {
    const { design, seed, codes } = readRunNetwork(run);
    const weights = weightsSchema.parse(JSON.parse(readFileSync(join(run, 'weights.json'), 'utf8')));
    const data = loadDataset(weights.dataset);
    const inputs = data.test.x.slice(0, 10 * IRIS_LAYERS[0]).map((v) => v * weights.input_scale);
    const off = resolveDesign({ ...design.config, mismatch: { ...design.config.mismatch, enabled: false } });
    const engine = await createEngine('ngspice', design.pdk, { workers: 2 });
    try {
      const [prim, rev] = await Promise.all([verifyFullDc(engine, off, seed, codes, inputs), verifyReviewDc(engine, design, seed, codes, inputs)]);
      // Relative to each sample's largest class current: a class a ReLU soma turns off carries picoamps of leakage.
      const classes = IRIS_LAYERS[IRIS_LAYERS.length - 1];
      let worst = 0;
      for (let q = 0; q < prim.currents.length; q++) {
        const top = Math.max(...prim.currents.slice(q - (q % classes), q - (q % classes) + classes));
        expect(top).toBeGreaterThan(1e-9);
        worst = Math.max(worst, Math.abs(rev.currents[q] - prim.currents[q]) / top);
      }
      expect(worst).toBeLessThan(1e-6);
      // The cells' own mismatch is what the switch turns off: left on, the currents move.
      const pdk = { ...design.pdk, review: { ...design.pdk.review!, nominal_params: {} } };
      const mc = await verifyReviewDc(engine, { ...design, pdk }, seed, codes, inputs);
      let moved = 0;
      for (let q = 0; q < prim.currents.length; q++) moved = Math.max(moved, Math.abs(mc.currents[q] - prim.currents[q]) / Math.abs(prim.currents[q]));
      expect(moved).toBeGreaterThan(1e-3);
    } finally {
      await engine.close();
    }
  });
});
