import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTransistors } from '../../src/characterize/index.js';
import { resolveDesign } from '../../src/design/index.js';
import { Stream } from '../../src/mismatch/index.js';
import { WasmEngine } from '../../src/spice/index.js';
import { inlineIncludes, inputsInclude, networkNetlist, weightsInclude } from '../../src/verify/index.js';
import { runCli, tempDir } from '../helpers.js';

const design = resolveDesign({ layers: [4, 5, 3] });
const s = new Stream('test/codes');
const codes = [
  Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => Math.round(s.uniform() * 14 - 7))),
  Array.from({ length: 5 }, () => Array.from({ length: 3 }, () => Math.round(s.uniform() * 14 - 7))),
];

describe('network netlist', () => {
  it('has 5 transistors per soma, 11 per synapse and one readout nFET per output neuron', () => {
    const { text, counts } = networkNetlist(design, 1);
    const lines = text.split('\n');
    const inSubckt = (name: string) => {
      const a = lines.findIndex((l) => l.startsWith(`.subckt ${name} `));
      const b = lines.findIndex((l, i) => i > a && l.startsWith('.ends'));
      return lines.slice(a + 1, b).filter((l) => /^m/.test(l)).length;
    };
    const somaInstances = lines.filter((l) => /^xs\d+_\d+ /.test(l)).length;
    const synInstances = lines.filter((l) => /^xw\d+_\d+_\d+ /.test(l)).length;
    const readouts = lines.filter((l) => /^mr_\d+ /.test(l)).length;
    expect(somaInstances).toBe(12);
    expect(synInstances).toBe(4 * 5 + 5 * 3);
    expect(readouts).toBe(3);
    const total = somaInstances * inSubckt('soma') + synInstances * inSubckt('synapse') + readouts;
    expect(total).toBe(counts.transistors);
    expect(counts).toEqual(countTransistors([4, 5, 3]));
    expect(counts.transistors).toBe(5 * 12 + 11 * 35 + 3);
  });

  it('is byte-identical when regenerated; weights live in their own include', () => {
    expect(networkNetlist(resolveDesign({ layers: [4, 5, 3] }), 1).text).toBe(networkNetlist(design, 1).text);
    expect(networkNetlist(design, 2).text).not.toBe(networkNetlist(design, 1).text);
    const w = weightsInclude(design, 1, codes);
    expect(w.split('\n').filter((l) => /^rw/.test(l))).toHaveLength(35 * 4);
    expect(networkNetlist(design, 1).text).not.toMatch(/^rw/m);
    const other = codes.map((m) => m.map((r) => r.map((c) => -c)));
    expect(weightsInclude(design, 1, other)).not.toBe(w);
  });

  it('simulates: the class currents respond to the inputs', async () => {
    const engine = new WasmEngine({ workers: 1 });
    try {
      const circuit = networkNetlist(design, 1, { analysis: '.op\n.save i(vr_0) i(vr_1) i(vr_2)' }).text;
      const run = async (x: number[]) => {
        const text = inlineIncludes(circuit, { 'weights.inc': weightsInclude(design, 1, codes), 'inputs.inc': inputsInclude('test', x.map((v) => `dc ${v}`)) });
        const r = await engine.run({ netlist: text });
        return [0, 1, 2].map((j) => r.vectors[`i(vr_${j})`][0]);
      };
      const zero = await run([0, 0, 0, 0]);
      const on = await run([60e-9, 30e-9, 10e-9, 50e-9]);
      expect(Math.max(...zero.map(Math.abs))).toBeLessThan(1e-10);
      expect(Math.max(...on)).toBeGreaterThan(1e-9);
    } finally {
      await engine.close();
    }
  });

  it('codesign netlist network --run writes network.cir, weights.inc and inputs.inc', async () => {
    const run = tempDir();
    writeFileSync(join(run, 'design.json'), JSON.stringify(design.config));
    // What training records: the die the codes are for (no models.json here, so its hash is not compared).
    const trainedFor = { design_hash: design.hash, die_seed: design.config.seed, models_hash: 'not-compared' };
    writeFileSync(join(run, 'weights.json'), JSON.stringify({ codes, ...trainedFor }));
    const r = await runCli(['netlist', 'network', '--run', run, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ transistors: 5 * 12 + 11 * 35 + 3 });
    const first = readFileSync(join(run, 'network.cir'));
    await runCli(['netlist', 'network', '--run', run]);
    expect(readFileSync(join(run, 'network.cir')).equals(first)).toBe(true);
    writeFileSync(join(run, 'weights.json'), JSON.stringify({ codes: [codes[0]], ...trainedFor }));
    const bad = await runCli(['netlist', 'network', '--run', run]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/weights\.json: expected 2 code matrices/);
  });
});
