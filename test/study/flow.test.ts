import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDesign } from '../../src/design/index.js';
import { createEngine, WasmEngine } from '../../src/spice/index.js';
import { runFlow } from '../../src/study/index.js';
import { fileHash } from '../../src/train/index.js';
import { verifyRun } from '../../src/verify/index.js';
import { tempDir } from '../helpers.js';

describe('codesign run on Iris, end to end through SPICE', () => {
  it('SPICE agrees with the fitted models (>= 97 %), its accuracy is within 2 points of theirs, layered and full modes agree', async () => {
    const engine = new WasmEngine({ workers: 2 });
    const out = tempDir();
    try {
      const s = await runFlow(engine, resolveDesign({}), out, { dataset: 'iris', energy: 'full', energySamples: 10 });
      expect(s.spice_samples).toBe(30);
      expect(s.agreement).toBeGreaterThanOrEqual(0.97);
      expect(Math.abs(s.accuracy.spice - s.accuracy.model_on_spice_samples)).toBeLessThanOrEqual(0.02 + 1e-9);
      expect(s.energy_per_inference_j).toBeGreaterThan(0);
      expect(s.settling_time_s).toBeGreaterThan(0);
      expect(s.settling_time_s).toBeLessThan(20e-6);
      expect(s.warnings.filter((w) => w.startsWith('energy:'))).toEqual([]); // every window settled, no run failed
      for (const f of ['design.json', 'models.json', 'weights.json', 'training.json', 'verify.json', 'verify-full.json', 'summary.json']) expect(existsSync(join(out, f))).toBe(true);
      const stored = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      for (const k of ['dataset', 'network', 'die_seed', 'accuracy', 'agreement', 'energy_per_inference_j', 'ops_per_joule', 'settling_time_s', 'power_w', 'transistors', 'elapsed_s', 'warnings']) expect(stored).toHaveProperty(k);
      for (const k of ['ideal_float', 'ideal_quantized', 'naive', 'aware', 'spice']) expect(typeof stored.accuracy[k]).toBe('number');
      // Every result records what it was made from: this die, its models.json, the weights trained on them.
      const hashOf = (f: string) => fileHash(readFileSync(join(out, f)));
      expect(stored.provenance).toEqual({ design_hash: s.design_hash, die_seed: 1, models_hash: hashOf('models.json'), weights_hash: hashOf('weights.json') });
      for (const f of ['verify.json', 'verify-full.json'])
        expect(JSON.parse(readFileSync(join(out, f), 'utf8')).provenance).toMatchObject({ die_seed: 1, models_hash: hashOf('models.json'), weights: { file: 'weights.json', sha256: hashOf('weights.json'), cross_die: false } });
      // Layered (DC, per layer) and full (whole network, one transient) modes decide alike on the same 10 samples.
      const layered = JSON.parse(readFileSync(join(out, 'verify.json'), 'utf8')).per_sample.spice_class.slice(0, 10);
      const full = JSON.parse(readFileSync(join(out, 'verify-full.json'), 'utf8')).per_sample.spice_class;
      expect(full).toHaveLength(10);
      expect(full).toEqual(layered);
      // Full mode measured each window against the sample's DC solution: every Iris window settles.
      const fj = JSON.parse(readFileSync(join(out, 'verify-full.json'), 'utf8'));
      expect(fj.timing.settled_within_window).toMatchObject({ count: 10, of: 10 });
      expect(fj.dc_reference.class_agreement_transient_vs_dc).toBe(1);
      expect(fj.dc_reference.window_end_deviation.max).toBeLessThan(5e-3);
      // Per-sample timing is stored, and the reported maximum is its maximum.
      expect(fj.timing_per_sample).toHaveLength(10);
      expect(Math.max(...fj.timing_per_sample.map((t: { settle_s: number }) => t.settle_s))).toBe(fj.timing.settling_time_s.max);
      // The DC reference came from the layered stage's verify.json (same die, codes, inputs), not a second solve.
      expect(fj.dc_reference.source.file).toBe(join(out, 'verify.json'));
      // New codes: the stored DC currents no longer describe this circuit, so full mode solves them.
      const w = JSON.parse(readFileSync(join(out, 'weights.json'), 'utf8'));
      w.codes[0][0][0] = w.codes[0][0][0] === 7 ? 6 : w.codes[0][0][0] + 1;
      writeFileSync(join(out, 'weights.json'), JSON.stringify(w));
      const again = await verifyRun(engine, out, { mode: 'full', samples: 2 });
      expect((again.dc_reference as { source: unknown }).source).toBe('solved (layered)');
      expect(again.spice_inputs).not.toBe(fj.spice_inputs);
      // Windows far shorter than the network's settling (1 us): the die's summary says its energy figures are lower bounds.
      const short = await runFlow(engine, resolveDesign({}), out, { dataset: 'iris', energy: 'full', energySamples: 2, energyPeriod: 1e-6 });
      expect(short.warnings).toContainEqual(expect.stringMatching(/^energy: 2 of 2 samples did not settle within their window/));
    } finally {
      await engine.close();
    }
  }, 600_000);

  it('on sky130 (its own reference cells): SPICE agrees with the fitted models (>= 97 %) and its accuracy is within 2 points of theirs', async () => {
    const design = resolveDesign({ pdk: 'sky130' });
    const engine = await createEngine('wasm', design.pdk, { workers: 2 });
    const out = tempDir();
    try {
      // Layered verification only: the whole-network transient is covered on gf180mcu above.
      const s = await runFlow(engine, design, out, { dataset: 'iris', energy: 'none' });
      expect(s.spice_samples).toBe(30);
      expect(s.agreement).toBeGreaterThanOrEqual(0.97);
      expect(Math.abs(s.accuracy.spice - s.accuracy.model_on_spice_samples)).toBeLessThanOrEqual(0.02 + 1e-9);
      expect(JSON.parse(readFileSync(join(out, 'design.json'), 'utf8'))).toMatchObject({ pdk: 'sky130', soma: { n: { w: '3u', l: '500n' } } });
    } finally {
      await engine.close();
    }
  }, 600_000);
});
