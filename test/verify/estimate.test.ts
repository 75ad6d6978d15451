/**
 * The energy estimate (reduced network) against the whole-network transient on a trained Iris
 * die: the same samples, windows and largest step through both, in ngspice (wasm engine).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from '../../src/fit/index.js';
import { resolveDesign } from '../../src/design/index.js';
import { WasmEngine } from '../../src/spice/index.js';
import { loadDataset } from '../../src/data/index.js';
import { runFlow } from '../../src/study/index.js';
import { readModels } from '../../src/train/index.js';
import { defaultEnergyMode, estimateReduced, estimateRun, ESTIMATE_ABOVE_TRANSISTORS, verifyRun, type SampleTiming } from '../../src/verify/index.js';
import { tempDir } from '../helpers.js';

describe('energy estimate from the reduced network', () => {
  it('picks the estimate for MNIST-size networks and the full transient for Iris', () => {
    expect(ESTIMATE_ABOVE_TRANSISTORS).toBe(10_000);
    expect(defaultEnergyMode([196, 50, 10])).toBe('estimate');
    expect(defaultEnergyMode([5, 10, 3])).toBe('full');
  });

  it('on Iris: median energy per inference and settling within 15 % of the full transient, DC state and supply as layered SPICE', async () => {
    const engine = new WasmEngine({ workers: 2 });
    const run = tempDir();
    try {
      // Layered verification of 8 samples writes verify.json: the DC reference of both.
      await runFlow(engine, resolveDesign({}), run, { dataset: 'iris', samples: 8, energy: 'none' });
      const opts = { samples: 8, period: 20e-6, maxStep: 0.1e-6 };
      const est = await estimateRun(engine, run, opts);
      const full = await verifyRun(engine, run, { mode: 'full', ...opts });
      expect(est).toMatchObject({ mode: 'estimate', samples: 8, failures: [] });
      expect(est.reduced_devices as number).toBeLessThan((est.transistors as number) / 2);
      expect(JSON.parse(readFileSync(join(run, 'verify-estimate.json'), 'utf8')).samples).toBe(8);

      // The reduced network's DC state: the same classes as the real network, its supply current within 5 %.
      const ref = est.layered_reference as { samples: number; class_agreement: number; dc_deviation: { max: number }; dc_power_ratio: { min: number; max: number } };
      expect(ref.samples).toBe(8);
      expect(ref.class_agreement).toBe(1);
      expect(ref.dc_deviation.max).toBeLessThan(0.1);
      expect(ref.dc_power_ratio.min).toBeGreaterThan(0.95);
      expect(ref.dc_power_ratio.max).toBeLessThan(1.05);

      const pe = est.timing_per_sample as SampleTiming[], pf = full.timing_per_sample as SampleTiming[];
      expect(pf.every((t) => t.settled)).toBe(true);
      expect(pe.every((t) => t.settled)).toBe(true);
      for (const k of ['energy_to_settle_j', 'settle_s', 'power_w'] as const) {
        const ratio = median(pe.map((t) => t[k])) / median(pf.map((t) => t[k]));
        expect(Math.abs(ratio - 1)).toBeLessThan(0.15);
      }

      // Input somas whose input is 0 throughout are left out of the reduced network: with
      // input 0 dark in every sample, the same DC state and supply as with it simulated, the same
      // window power, and settling within the time steps' noise (measured up to 3 %: the
      // circuits differ, so do their steps, and a 1.4 us settling time moves with them).
      const design = resolveDesign(JSON.parse(readFileSync(join(run, 'design.json'), 'utf8')));
      const { models } = readModels(run);
      const codes = JSON.parse(readFileSync(join(run, 'weights.json'), 'utf8')).codes;
      const F = design.config.layers[0];
      const inputs = loadDataset('iris').test.x.slice(0, 4 * F).map((v, q) => (q % F === 0 ? 0 : v * models.input_scale));
      const o = { period: 20e-6, maxStep: 0.1e-6, samplesPerRun: 4 };
      const [left, kept] = await Promise.all([estimateReduced(engine, design, design.config.seed, codes, models, inputs, o), estimateReduced(engine, design, design.config.seed, codes, models, inputs, { ...o, keepDark: true })]);
      expect(left.failures).toEqual([]);
      expect(kept.failures).toEqual([]);
      expect(left.dark.dc).toBeGreaterThanOrEqual(1);
      expect(left.dark.transients.map((t) => t.inputSomas)).toEqual([left.dark.dc]);
      expect(kept.dark).toEqual({ dc: 0, transients: [{ samples: [0, 4], inputSomas: 0 }] });
      const top = Math.max(...kept.dc.map(Math.abs));
      kept.dc.forEach((v, q) => expect(Math.abs(left.dc[q] - v)).toBeLessThan(1e-4 * top));
      kept.dcSupply.forEach((v, s) => expect(Math.abs(left.dcSupply[s] / v - 1)).toBeLessThan(1e-4));
      kept.timing.forEach((t, s) => {
        expect(Math.abs(left.timing[s]!.power_w / t!.power_w - 1)).toBeLessThan(0.01);
        expect(Math.abs(left.timing[s]!.settle_s / t!.settle_s - 1)).toBeLessThan(0.05);
        expect(Math.abs(left.timing[s]!.energy_to_settle_j / t!.energy_to_settle_j - 1)).toBeLessThan(0.05);
      });
    } finally {
      await engine.close();
    }
  }, 600_000);
});
