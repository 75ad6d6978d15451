import { rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { countTransistors } from '../../src/characterize/index.js';
import { PRESETS, resolveDesign } from '../../src/design/index.js';
import { characterizeAndFit } from '../../src/fit/index.js';
import { createEngine } from '../../src/spice/index.js';
import { hasNgspice, machine, printTable, reportMissingNgspice } from './table.js';

/** The whole MNIST 196-50-10 die (196 input somas, 60 neuron somas, 10,300 synapses), measured and fitted. */
export async function run(opts: { json?: boolean }): Promise<void> {
  const cores = availableParallelism();
  const design = resolveDesign(PRESETS.mnist);
  const counts = countTransistors(design.config.layers);
  const devices = counts.somas + counts.synapses;
  const engines = ['wasm', ...((await hasNgspice()) ? ['ngspice'] : [])];
  const rows: { engine: string; workers: number; seconds: number; devices_per_s: number; batches: number }[] = [];
  for (const name of engines) {
    const out = join(tmpdir(), `codesign-bench-characterize-${name}-${process.pid}`);
    const engine = await createEngine(name, design.pdk, { cache: false, workers: cores });
    const t0 = performance.now();
    const r = await characterizeAndFit(engine, design, out);
    const s = (performance.now() - t0) / 1000;
    await engine.close();
    rmSync(out, { recursive: true, force: true });
    rows.push({ engine: name, workers: cores, seconds: s, devices_per_s: devices / s, batches: r.stats!.batches });
  }
  const m = await machine();
  const ratio = rows.length === 2 ? rows[0].seconds / rows[1].seconds : undefined;
  if (opts.json) {
    console.log(JSON.stringify({ benchmark: 'characterize', machine: m, die: { layers: design.config.layers, ...counts }, rows, wasm_over_native_time: ratio, target: { wasm_seconds_max: 120, pass: rows[0].seconds < 120 } }, null, 2));
  } else {
    console.log(`characterize benchmark: MNIST ${design.config.layers.join('-')} die, ${counts.somas} somas + ${counts.synapses} synapses (${counts.transistors} transistors), characterization + fit + files`);
    console.log(Object.entries(m).map(([k, v]) => `${k}: ${v}`).join(', '));
    console.log();
    printTable(['engine', 'workers', 'testbenches', 'time (s)', 'devices/s'], rows.map((r) => [r.engine, r.workers, r.batches, r.seconds.toFixed(1), r.devices_per_s.toFixed(1)]));
    if (ratio !== undefined) console.log(`\nwasm time / native time: ${ratio.toFixed(2)}x`);
    console.log(`target: whole die under 120 s with the wasm engine: ${rows[0].seconds < 120 ? 'PASS' : 'FAIL'} (${rows[0].seconds.toFixed(1)} s)`);
  }
  if (engines.length === 1) reportMissingNgspice();
}
