import { measureSomas, measureSynapses } from '../../src/characterize/index.js';
import { resolveDesign, type DesignInput } from '../../src/design/index.js';
import { predictedSigmas } from '../../src/mismatch/index.js';
import { loadPdk } from '../../src/pdk/index.js';
import { createEngine, type Engine } from '../../src/spice/index.js';

// The reference cells of every bundled PDK with its own models (each at its reference sizes).
describe.each(['gf180mcu', 'sky130'])('%s', (pdk) => {
  let engine: Engine;
  const resolve = (d: DesignInput = {}) => resolveDesign({ ...d, pdk });
  beforeAll(async () => {
    engine = await createEngine('wasm', loadPdk(pdk), { workers: 2, cache: false });
  });
  afterAll(() => engine.close());

  describe('soma in SPICE', () => {
    it('rectifies: ~0 for inputs at or below zero, slope within 0.7..1.4 above threshold (nominal devices)', async () => {
      const design = resolve({ mismatch: { enabled: false } });
      const [s] = await measureSomas(engine, design, 1);
      const full = Math.max(...s.output);
      s.input.forEach((x, i) => {
        if (x <= 0) expect(s.output[i]).toBeLessThan(1e-3 * full);
      });
      expect(s.gain).toBeGreaterThan(0.7);
      expect(s.gain).toBeLessThan(1.4);
      expect(s.r2).toBeGreaterThan(0.999);
      expect(Math.abs(s.threshold)).toBeLessThan(5e-9);
      // Monotonic above zero: a ReLU, not a bump.
      for (let i = 1; i < s.input.length; i++) if (s.input[i] > 0) expect(s.output[i]).toBeGreaterThan(s.output[i - 1]);
    });

    it('with mismatch, gains spread around nominal as Pelgrom predicts, and each instance still rectifies', async () => {
      const design = resolve({ seed: 3 });
      const somas = await measureSomas(engine, design, 3, { instances: 40 });
      const gains = somas.map((s) => s.gain);
      const mean = gains.reduce((a, b) => a + b, 0) / gains.length;
      const sd = Math.sqrt(gains.reduce((a, b) => a + (b - mean) ** 2, 0) / (gains.length - 1));
      // Four mirror devices in the gain path; in weak inversion a gain factor is exp(-dVt/(n*U_T)).
      const s = predictedSigmas(design, 'soma');
      const sigmaLog = Math.sqrt(s.mn_in.dvt ** 2 + s.mn_copy.dvt ** 2 + s.mp_diode.dvt ** 2 + s.mp_copy.dvt ** 2) / (1.3 * 0.02585);
      expect(sd / mean).toBeGreaterThan(0.3 * sigmaLog);
      expect(sd / mean).toBeLessThan(3 * sigmaLog);
      for (const c of somas) {
        const full = Math.max(...c.output);
        c.input.forEach((x, i) => x <= 0 && expect(c.output[i]).toBeLessThan(1e-3 * full));
      }
    });
  });

  describe('synapse in SPICE', () => {
    it('|I(code)| grows monotonically with |code| 0..7 for both signs, close to linear (nominal devices)', async () => {
      const design = resolve({ mismatch: { enabled: false } });
      const curves = await measureSynapses(engine, design, 1);
      const at40 = (c: { input: number[]; output: number[] }) => c.output[c.input.findIndex((x) => Math.abs(x - 40e-9) < 1e-12)];
      const byCode = new Map(curves.map((c) => [c.code, at40(c)]));
      for (const sign of [1, -1]) {
        const mags = [0, 1, 2, 3, 4, 5, 6, 7].map((m) => Math.abs(byCode.get(sign * m)!));
        for (let m = 1; m <= 7; m++) expect(mags[m]).toBeGreaterThan(mags[m - 1]);
        // A unit step is the x1 branch: code 7 carries roughly 7 of them.
        expect(mags[7] / mags[1]).toBeGreaterThan(4);
        expect(mags[7] / mags[1]).toBeLessThan(10);
      }
      expect(Math.abs(byCode.get(0)!)).toBeLessThan(1e-3 * Math.abs(byCode.get(1)!));
    });

    it('the sign routes current: excitatory sources it from vdd into the target, inhibitory sinks it to vss', async () => {
      const design = resolve({ mismatch: { enabled: false } });
      const curves = await measureSynapses(engine, design, 1, { codes: [5, -5] });
      const last = (xs: number[]) => xs[xs.length - 1];
      const [exc, inh] = curves;
      expect(last(exc.output)).toBeGreaterThan(1e-9);
      expect(last(exc.fromVdd) / last(exc.output)).toBeCloseTo(1, 3);
      expect(Math.abs(last(exc.intoVss))).toBeLessThan(1e-3 * last(exc.output));
      expect(last(inh.output)).toBeLessThan(-1e-9);
      expect(last(inh.intoVss) / -last(inh.output)).toBeCloseTo(1, 3);
      expect(Math.abs(last(inh.fromVdd))).toBeLessThan(1e-3 * -last(inh.output));
    });
  });
});
