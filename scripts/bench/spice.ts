import { availableParallelism } from 'node:os';
import { resolveDesign } from '../../src/design/index.js';
import { somaTestbench } from '../../src/netlist/index.js';
import { createEngine, WasmEngine, type Engine } from '../../src/spice/index.js';
import { hasNgspice, machine, printTable, reportMissingNgspice } from './table.js';

/** Throughput of `runs` identical runs submitted at once (no cache: every run simulates). */
async function throughput(engine: Engine, netlist: string, runs: number): Promise<number> {
  await engine.run({ netlist }); // warm-up: JIT, model parsing caches
  const t0 = performance.now();
  await Promise.all(Array.from({ length: runs }, () => engine.run({ netlist })));
  return (runs * 1000) / (performance.now() - t0);
}

/**
 * Engine start-up and DC throughput on a testbench of 1000 soma instances swept by one
 * DC analysis: wasm with 1 worker and with all cores, native ngspice likewise.
 */
export async function run(opts: { json?: boolean }): Promise<void> {
  const cores = availableParallelism();
  const design = resolveDesign({});
  const tb = somaTestbench(design, 1, { instances: 1000 });
  const transistors = 1000 * 5 + 1000; // 5 per soma + its output probe
  const runsPer = (w: number) => 2 * w + 2;
  const rows: { engine: string; workers: number; start_s?: number; runs_per_s: number; devices_per_s: number }[] = [];

  let t0 = performance.now();
  const w1 = new WasmEngine({ workers: 1 });
  await w1.ready();
  const wasmStart = (performance.now() - t0) / 1000;
  rows.push({ engine: 'wasm', workers: 1, start_s: wasmStart, ...rate(await throughput(w1, tb.text, runsPer(1))) });
  await w1.close();
  const wn = new WasmEngine({ workers: cores });
  await wn.ready();
  rows.push({ engine: 'wasm', workers: cores, ...rate(await throughput(wn, tb.text, runsPer(cores))) });
  await wn.close();

  const native = await hasNgspice();
  if (native) {
    for (const workers of [1, cores]) {
      const e = await createEngine('ngspice', design.pdk, { cache: false, workers });
      t0 = performance.now();
      await e.run({ netlist: '* start-up\nv1 a 0 1\nr1 a 0 1k\n.op\n.end\n' });
      const start = (performance.now() - t0) / 1000;
      rows.push({ engine: 'ngspice', workers, start_s: workers === 1 ? start : undefined, ...rate(await throughput(e, tb.text, runsPer(workers))) });
      await e.close();
    }
  }
  function rate(runsPerS: number) {
    return { runs_per_s: runsPerS, devices_per_s: runsPerS * transistors };
  }
  const find = (engine: string, workers: number) => rows.find((r) => r.engine === engine && r.workers === workers)!;
  const poolGain = find('wasm', cores).runs_per_s / find('wasm', 1).runs_per_s;
  const ratios: Record<string, number> = { [`wasm pool (${cores}) / wasm 1 worker`]: poolGain };
  if (native) {
    ratios['wasm / native, 1 worker each'] = find('wasm', 1).runs_per_s / find('ngspice', 1).runs_per_s;
    ratios[`wasm / native, ${cores} each`] = find('wasm', cores).runs_per_s / find('ngspice', cores).runs_per_s;
  }
  const m = await machine();
  if (opts.json) {
    console.log(JSON.stringify({ benchmark: 'spice', machine: m, testbench: { somas: 1000, transistors, points: 46 }, rows, ratios, target: { pool_gain_min: 1.6, pass: poolGain >= 1.6 } }, null, 2));
    if (!native) reportMissingNgspice();
    return;
  }
  console.log(`spice benchmark: 1000 soma instances (${transistors} transistors incl. probes, 46 DC points) per run`);
  console.log(Object.entries(m).map(([k, v]) => `${k}: ${v}`).join(', '));
  console.log();
  printTable(
    ['engine', 'workers', 'start-up (s)', 'runs/s', 'transistors/s'],
    rows.map((r) => [r.engine, r.workers, r.start_s !== undefined ? r.start_s.toFixed(2) : '', r.runs_per_s.toFixed(3), Math.round(r.devices_per_s).toLocaleString('en-US')]),
  );
  console.log();
  printTable(['ratio', 'value'], Object.entries(ratios).map(([k, v]) => [k, v.toFixed(2) + 'x']));
  console.log(`\ntarget: wasm pool on ${cores} cores >= 1.6x one worker: ${poolGain >= 1.6 ? 'PASS' : 'FAIL'} (${poolGain.toFixed(2)}x)`);
  if (!native) reportMissingNgspice();
}
