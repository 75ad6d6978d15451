/**
 * Full-mode transient accuracy against cost: the largest time step and the solver tolerances,
 * on a small mismatched network (4-10-3, random weight codes, 10 samples in one transient),
 * each variant against a reference with 10x finer steps and 10x tighter reltol, measured in
 * the same run. Reports wall time (ratio to the default), time points, median settling time
 * and energy to settling (relative error), and how far window-end class currents move.
 */
import { resolveDesign } from '../../src/design/index.js';
import { median } from '../../src/fit/index.js';
import { Stream } from '../../src/mismatch/rng.js';
import { DEFAULT_OPTIONS, type SimOptions } from '../../src/netlist/index.js';
import { WasmEngine } from '../../src/spice/index.js';
import { TRANSIENT_OPTIONS, verifyTransient, type TransientResult } from '../../src/verify/index.js';
import { progress, table, type BenchResult } from './types.js';

const LAYERS = [4, 10, 3];
const SAMPLES = 10;
const PERIOD = 10e-6;
/** Target: the default step reads median settling within 3 % of the reference. */
const SETTLE_TARGET = 0.03;

interface Variant {
  name: string;
  maxStep: number;
  options: SimOptions;
}

const VARIANTS: Variant[] = [
  { name: 'reference: period/2000, reltol 1e-5', maxStep: PERIOD / 2000, options: { ...TRANSIENT_OPTIONS, reltol: 1e-5 } },
  { name: 'default: period/200', maxStep: PERIOD / 200, options: TRANSIENT_OPTIONS },
  { name: 'period/1000', maxStep: PERIOD / 1000, options: TRANSIENT_OPTIONS },
  { name: 'period/100', maxStep: PERIOD / 100, options: TRANSIENT_OPTIONS },
  { name: 'period/20', maxStep: PERIOD / 20, options: TRANSIENT_OPTIONS },
  { name: 'period/200, DC benches\' vntol 1n abstol 1f', maxStep: PERIOD / 200, options: { ...TRANSIENT_OPTIONS, vntol: DEFAULT_OPTIONS.vntol, abstol: DEFAULT_OPTIONS.abstol } },
  { name: 'period/200, reltol 1e-3', maxStep: PERIOD / 200, options: { ...TRANSIENT_OPTIONS, reltol: 1e-3 } },
];

export async function run(): Promise<BenchResult> {
  const design = resolveDesign({ layers: LAYERS, seed: 5 });
  const s = new Stream('bench/transient');
  const codes = LAYERS.slice(0, -1).map((n, k) => Array.from({ length: n }, () => Array.from({ length: LAYERS[k + 1] }, () => Math.round(s.uniform() * 10 - 4))));
  const inputs = Float64Array.from({ length: SAMPLES * LAYERS[0] }, () => s.uniform() * 80e-9);
  const engine = new WasmEngine({ workers: 1 });
  const results: { v: Variant; r: TransientResult; wallS: number }[] = [];
  try {
    await verifyTransient(engine, design, 5, codes, inputs.slice(0, LAYERS[0]), { period: PERIOD, maxStep: PERIOD / 20 }); // warm the engine
    for (const v of VARIANTS) {
      progress(`transient: ${v.name}`);
      const t0 = performance.now();
      const r = await verifyTransient(engine, design, 5, codes, inputs, { period: PERIOD, maxStep: v.maxStep, options: v.options, samplesPerRun: SAMPLES });
      results.push({ v, r, wallS: (performance.now() - t0) / 1000 });
    }
  } finally {
    await engine.close();
  }
  const C = LAYERS[LAYERS.length - 1];
  const stat = (r: TransientResult, key: 'settle_s' | 'energy_to_settle_j') => median(r.timing.map((t) => (t ? t[key] : NaN)));
  const ref = results[0].r;
  const base = results[1];
  const rows = results.map(({ v, r, wallS }) => {
    let moved = 0;
    for (let k = 0; k < SAMPLES; k++) {
      const top = Math.max(...Array.from({ length: C }, (_, c) => Math.abs(ref.currents[k * C + c])));
      for (let c = 0; c < C; c++) moved = Math.max(moved, Math.abs(r.currents[k * C + c] - ref.currents[k * C + c]) / top);
    }
    return {
      variant: v.name,
      wall_s: wallS,
      time_vs_default: wallS / base.wallS,
      time_points: r.wave.time.length,
      settle_s: stat(r, 'settle_s'),
      settle_error: stat(r, 'settle_s') / stat(ref, 'settle_s') - 1,
      energy_error: stat(r, 'energy_to_settle_j') / stat(ref, 'energy_to_settle_j') - 1,
      window_end_moved: moved,
    };
  });
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;
  const ok = Math.abs(rows[1].settle_error) <= SETTLE_TARGET;
  const text = [
    `transient: ${LAYERS.join('-')} network, ${SAMPLES} samples x ${PERIOD * 1e6} us in one transient, wasm engine, 1 worker`,
    table(
      ['variant', 'wall s', 'x default', 'points', 'settling (median)', 'vs reference', 'energy vs ref.', 'window end moved'],
      rows.map((r) => [r.variant, r.wall_s.toFixed(1), r.time_vs_default.toFixed(2), String(r.time_points), `${(r.settle_s * 1e6).toFixed(3)} us`, pct(r.settle_error), pct(r.energy_error), r.window_end_moved.toExponential(1)]),
    ),
    `window end moved: largest |class current - reference| / the sample's largest. Target: the default reads settling within ${100 * SETTLE_TARGET} % of the reference: ${ok ? 'met' : 'MISSED'}.`,
  ].join('\n');
  return { text, json: { layers: LAYERS, samples: SAMPLES, period_s: PERIOD, rows, target_met: ok }, exitCode: ok ? 0 : 1 };
}
