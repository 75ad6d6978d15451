import { resolveDesign } from '../../src/design/index.js';
import { Stream } from '../../src/mismatch/index.js';
import { readdirSync, readFileSync } from 'node:fs';
import { createEngine, WasmEngine, type Engine } from '../../src/spice/index.js';
import { ConvergenceError } from '../../src/util/errors.js';
import { nativeTest, tempDir } from '../helpers.js';
import { decisions, verifyFullDc, verifyLayered, verifyTransient } from '../../src/verify/index.js';

/** A 4-6-3 network on a mismatched die with seeded random codes (-4..6) and N random input samples (0..80 nA). */
function randomCase(seed: number, key: string, N: number, layers = [4, 6, 3]) {
  const design = resolveDesign({ layers, seed });
  const s = new Stream(key);
  const L = design.config.layers;
  const codes = L.slice(0, -1).map((n, k) => Array.from({ length: n }, () => Array.from({ length: L[k + 1] }, () => Math.round(s.uniform() * 10 - 4))));
  const inputs = Float64Array.from({ length: N * L[0] }, () => s.uniform() * 80e-9);
  return { design, codes, inputs };
}

describe('layered SPICE verification', () => {
  it('agrees with the whole network simulated at once (12 samples, mismatched die)', async () => {
    const { design, codes, inputs } = randomCase(2, 'test/layered', 12);
    const engine = new WasmEngine({ workers: 2 });
    try {
      const layered = await verifyLayered(engine, design, 2, codes, inputs, { chunkTransistors: 40, supply: true });
      const full = await verifyFullDc(engine, design, 2, codes, inputs);
      // The network's supply current is the sum over the layer netlists: each cell is in exactly one.
      for (let s = 0; s < 12; s++) expect(Math.abs(layered.supply![s] - full.supply![s])).toBeLessThan(1e-4 * full.supply![s]);
      expect(Math.min(...full.supply!)).toBeGreaterThan(1e-7);
      expect(layered.runs).toBeGreaterThan(3); // layers split into chunks
      expect(Array.from(decisions(layered))).toEqual(Array.from(decisions(full)));
      const top = Math.max(...full.currents);
      expect(top).toBeGreaterThan(10e-9);
      for (let i = 0; i < full.currents.length; i++) expect(Math.abs(layered.currents[i] - full.currents[i])).toBeLessThan(1e-3 * top);
    } finally {
      await engine.close();
    }
  });
});

describe('starting each DC point from a predicted operating point', () => {
  it('changes only the start: the released points equal the plain sweep, whatever the prediction', async () => {
    const { design, codes, inputs } = randomCase(2, 'test/layered', 12);
    const L = design.config.layers;
    const s = new Stream('test/layered/predicted');
    // A poor prediction on purpose: random currents, a third of them "off" (negative).
    const predicted = L.map((n, k) => (k === 0 ? undefined : Float64Array.from({ length: 12 * n }, () => (s.uniform() - 0.33) * 100e-9)));
    const engine = new WasmEngine({ workers: 2 });
    try {
      const plain = await verifyLayered(engine, design, 2, codes, inputs, { bypass: false, supply: true });
      const top = Math.max(...plain.currents);
      expect(top).toBeGreaterThan(10e-9);
      // Both ways to start (replica diodes; every node pinned to nominal cells' voltages), device bypass on.
      const nodeStart = await verifyLayered(engine, design, 2, codes, inputs, { predicted, start: 'nodes', keepNodes: true, supply: true });
      for (let i = 0; i < plain.currents.length; i++) expect(Math.abs(nodeStart.currents[i] - plain.currents[i])).toBeLessThan(1e-5 * top);
      for (let s = 0; s < 12; s++) expect(Math.abs(nodeStart.supply![s] - plain.supply![s])).toBeLessThan(1e-5 * plain.supply![s]);
      expect([...nodeStart.nodes!.keys()]).toEqual([...(await verifyLayered(engine, design, 2, codes, inputs, { predicted, keepNodes: true })).nodes!.keys()]);
      // keepNodes (every node saved, for a full transient's start state) changes no result either.
      const pinned = await verifyLayered(engine, design, 2, codes, inputs, { predicted, start: 'diode', keepNodes: true, supply: true });
      for (let i = 0; i < plain.currents.length; i++) expect(Math.abs(pinned.currents[i] - plain.currents[i])).toBeLessThan(1e-5 * top);
      // The replicas' currents (the prediction) are not the network's: the supply current is the plain sweep's.
      for (let s = 0; s < 12; s++) expect(Math.abs(pinned.supply![s] - plain.supply![s])).toBeLessThan(1e-5 * plain.supply![s]);
      // Every node of the network netlist but the sources' and bit gates': 3 per soma, 5 per synapse, 1 per readout.
      const nodes = pinned.nodes!;
      expect([...nodes.keys()]).toEqual([...nodes.keys()].sort()); // same order whichever chunk finishes first: byte-identical .ic lines
      expect(nodes.size).toBe(3 * (4 + 6 + 3) + 5 * (4 * 6 + 6 * 3) + 3);
      for (const [name, v] of nodes) {
        expect(name).toMatch(/^(s\d_\d+(_vp|_vn)?|xw\d_\d+_\d+\.(x|y|a4|a2|a1)|r_\d)$/);
        for (const x of v) expect(x >= -0.01 && x <= design.vdd + 0.01).toBe(true);
      }
    } finally {
      await engine.close();
    }
  });
});

const native = await nativeTest();

describe('junction-init biases of the node start', () => {
  native('change only the Newton path: results equal the node start without them (5-10-3, 20 samples, native ngspice)', async () => {
    const { design, codes, inputs } = randomCase(5, 'test/layered/init', 20, [5, 10, 3]);
    const s = new Stream('test/layered/init/predicted');
    const predicted = design.config.layers.map((n, k) => (k === 0 ? undefined : Float64Array.from({ length: 20 * n }, () => (s.uniform() - 0.33) * 100e-9)));
    const engine = await createEngine('ngspice', design.pdk, { cache: false, workers: 2 });
    try {
      const opts = { predicted, start: 'nodes', samplesPerRun: 10, supply: true } as const;
      const without = await verifyLayered(engine, design, 5, codes, inputs, { ...opts, deviceInit: false });
      const biased = await verifyLayered(engine, design, 5, codes, inputs, opts);
      expect(biased.failures).toEqual([]);
      expect(biased.iterations).toBeGreaterThan(0);
      for (let n = 0; n < 20; n++) {
        const row = (o: typeof biased) => Array.from(o.currents.subarray(n * 3, n * 3 + 3));
        const top = Math.max(...row(without));
        expect(top).toBeGreaterThan(1e-9);
        row(biased).forEach((c, k) => expect(Math.abs(c - row(without)[k])).toBeLessThan(1e-5 * top));
        expect(Math.abs(biased.supply![n] - without.supply![n])).toBeLessThan(1e-5 * without.supply![n]);
      }
    } finally {
      await engine.close();
    }
  });
});

describe('releasing the node start', () => {
  native('staged (synapses first, then somas) and auto give the single release\'s results; auto solves a netlist staged where its single release fails, and keeps that attempt out of the study\'s failed folder', async () => {
    const { design, codes, inputs } = randomCase(6, 'test/layered/release', 10, [5, 10, 3]);
    const s = new Stream('test/layered/release/predicted');
    const predicted = design.config.layers.map((n, k) => (k === 0 ? undefined : Float64Array.from({ length: 10 * n }, () => (s.uniform() - 0.33) * 100e-9)));
    const failDir = tempDir();
    const engine = await createEngine('ngspice', design.pdk, { cache: false, workers: 2, failDir });
    // ngspice raises any iteration limit below 100 to 100, so a small network's samples always converge: here every
    // fail-fast attempt (the single release) fails the way a hot MNIST netlist's does, with the ConvergenceError the
    // engine raises for it, and the staged solve that follows is ngspice's.
    const attempts: string[] = [];
    const failing: Engine = {
      name: engine.name, concurrency: engine.concurrency, identity: () => engine.identity(), close: () => engine.close(),
      run: (job) => {
        if (!job.failFast) return engine.run(job);
        attempts.push(job.label!);
        return Promise.reject(new ConvergenceError('doAnalyses: Too many iterations without convergence', { netlistPath: '(fail-fast attempt)' }));
      },
    };
    try {
      const opts = { predicted, start: 'nodes', samplesPerRun: 5, supply: true } as const;
      const single = await verifyLayered(engine, design, 6, codes, inputs, { ...opts, release: 'single' });
      const staged = await verifyLayered(engine, design, 6, codes, inputs, { ...opts, release: 'staged' });
      const auto = await verifyLayered(engine, design, 6, codes, inputs, opts);
      const fallback = await verifyLayered(failing, design, 6, codes, inputs, opts);
      for (const o of [single, staged, auto, fallback]) expect(o.failures).toEqual([]);
      expect(attempts).toHaveLength(single.runs);
      expect(fallback.runs).toBe(2 * single.runs);
      expect(staged.iterations).not.toBe(single.iterations);
      for (let n = 0; n < 10; n++) {
        const row = (o: typeof single) => Array.from(o.currents.subarray(n * 3, n * 3 + 3));
        const top = Math.max(...row(single));
        expect(top).toBeGreaterThan(1e-9);
        for (const o of [staged, auto, fallback]) {
          row(o).forEach((c, k) => expect(Math.abs(c - row(single)[k])).toBeLessThan(1e-5 * top));
          expect(Math.abs(o.supply![n] - single.supply![n])).toBeLessThan(1e-5 * single.supply![n]);
        }
      }
      expect(Array.from(fallback.currents)).toEqual(Array.from(staged.currents));
      expect(readdirSync(failDir)).toEqual([]);
    } finally {
      await engine.close();
    }
  }, 300_000);
});

describe('a failing simulation', () => {
  it('costs only its own sample group: it is reported with its samples and saved netlist, the other groups finish', async () => {
    const { design, codes, inputs } = randomCase(2, 'test/layered', 12);
    const failDir = tempDir();
    const engine = new WasmEngine({ workers: 2, failDir });
    // A real run stopped by the engine's own timeout: the hidden layer of samples 4..7 gets 1 ms.
    const flaky: Engine = { name: engine.name, concurrency: engine.concurrency, identity: () => engine.identity(), close: () => engine.close(), run: (job) => engine.run(job.label === 'layer1-0-s4' ? { ...job, timeoutMs: 1 } : job) };
    try {
      const all = await verifyLayered(engine, design, 2, codes, inputs, { samplesPerRun: 4 });
      expect(all.failures).toEqual([]);
      const r = await verifyLayered(flaky, design, 2, codes, inputs, { samplesPerRun: 4 });
      expect(r.failures).toHaveLength(1);
      const f = r.failures[0];
      expect(f.samples).toEqual([4, 7]);
      expect(f.layer).toBe(1);
      expect(f.exitCode).toBe(6);
      expect(f.error).toMatch(/timed out/);
      expect(f.netlist).toBeDefined();
      expect(readFileSync(f.netlist!, 'utf8')).toMatch(/samples 4\.\.7/);
      for (let s = 0; s < 12; s++)
        for (let c = 0; c < 3; c++) {
          if (s >= 4 && s <= 7) expect(r.currents[s * 3 + c]).toBeNaN();
          else expect(r.currents[s * 3 + c]).toBe(all.currents[s * 3 + c]);
        }
    } finally {
      await engine.close();
    }
  });
});

describe('transient SPICE verification', () => {
  it('the whole network in one transient ends each window where DC does; settles within microseconds at microwatts', async () => {
    const { design, codes, inputs } = randomCase(3, 'test/transient', 4);
    const engine = new WasmEngine({ workers: 1 });
    try {
      const dc = await verifyFullDc(engine, design, 3, codes, inputs);
      const tran = await verifyTransient(engine, design, 3, codes, inputs, { period: 10e-6 });
      // Started from the layered DC state of the sample before each run (.ic, uic) instead of a supply ramp; that layered run warm-starts from a poor prediction on purpose.
      const p = new Stream('test/transient/predicted');
      const predicted = design.config.layers.map((n, k) => (k === 0 ? undefined : Float64Array.from({ length: 4 * n }, () => (p.uniform() - 0.33) * 100e-9)));
      const pinned = await verifyTransient(engine, design, 3, codes, inputs, { period: 10e-6, samplesPerRun: 2, predicted, reference: dc.currents });
      // Windows far shorter than the settling time: measured against DC, they show as not settled.
      const short = await verifyTransient(engine, design, 3, codes, inputs, { period: 150e-9, samplesPerRun: 4, predicted, reference: dc.currents });
      const top = Math.max(...dc.currents);
      for (let i = 0; i < dc.currents.length; i++) {
        expect(Math.abs(tran.currents[i] - dc.currents[i])).toBeLessThan(2e-3 * top);
        expect(Math.abs(pinned.currents[i] - dc.currents[i])).toBeLessThan(2e-3 * top);
      }
      for (const t of pinned.timing) {
        expect(t?.settled).toBe(true);
        expect(t?.dc_deviation).toBeLessThan(0.01); // of the sample's largest current
      }
      expect(tran.timing.every((t) => t?.settled === undefined)).toBe(true); // no reference, nothing to say
      const unsettled = short.timing.filter((t) => t?.settled === false);
      expect(unsettled.length).toBeGreaterThan(0);
      for (const t of unsettled) {
        expect(t!.settle_s).toBeGreaterThan(0.99 * 150e-9); // the window's last time point
        expect(t!.settle_s).toBeLessThanOrEqual(150e-9 * (1 + 1e-9));
        expect(t!.dc_deviation).toBeGreaterThan(0.01);
      }
      for (const t of [...tran.timing, ...pinned.timing]) {
        if (!t) throw new Error('a transient sample has no timing');
        expect(t.settle_s).toBeGreaterThan(0);
        expect(t.settle_s).toBeLessThan(10e-6);
        expect(t.power_w).toBeGreaterThan(1e-7);
        expect(t.power_w).toBeLessThan(1e-4);
        expect(t.energy_to_settle_j).toBeGreaterThan(0);
      }
    } finally {
      await engine.close();
    }
  });
});
