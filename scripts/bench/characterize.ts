import { rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { countTransistors } from '../../src/characterize/index.js';
import { PRESETS, resolveDesign } from '../../src/design/index.js';
import { characterizeAndFit } from '../../src/fit/index.js';
import { createEngine, eecircuitVersion, ngspiceVersion } from '../../src/spice/index.js';
import { progress, table, type BenchResult } from './types.js';

/** Devices/s measuring and fitting the whole MNIST 196-50-10 die (196 input somas, 60 neuron somas, 10,300 synapses), wasm pool vs native. */
export async function run(): Promise<BenchResult> {
  const cores = availableParallelism();
  const design = resolveDesign(PRESETS.mnist);
  const counts = countTransistors(design.config.layers);
  const devices = counts.somas + counts.synapses;
  const ngspice = await ngspiceVersion().catch(() => undefined);
  const engines = ['wasm', ...(ngspice ? ['ngspice'] : [])];
  const rows: { engine: string; workers: number; seconds: number; devices_per_s: number; testbenches: number }[] = [];
  for (const name of engines) {
    progress(`characterize: ${name}, ${cores} workers ...`);
    const out = join(tmpdir(), `codesign-bench-characterize-${name}-${process.pid}`);
    const engine = await createEngine(name, design.pdk, { cache: false, workers: cores });
    try {
      const t0 = performance.now();
      const r = await characterizeAndFit(engine, design, out);
      const s = (performance.now() - t0) / 1000;
      rows.push({ engine: name, workers: cores, seconds: s, devices_per_s: devices / s, testbenches: r.stats!.batches });
    } finally {
      await engine.close();
      rmSync(out, { recursive: true, force: true });
    }
  }
  const wasmS = rows[0].seconds;
  const pass = wasmS < 120;
  const text = [
    'codesign bench: characterize',
    `machine: ${cores} cores, ${cpus()[0]?.model ?? 'unknown'}, node ${process.version}; eecircuit-engine ${eecircuitVersion()}, ${ngspice ?? 'native ngspice not found'}`,
    `die: MNIST ${design.config.layers.join('-')}, ${counts.somas} somas + ${counts.synapses} synapses = ${devices} devices (${counts.transistors} transistors); characterization + fit + files`,
    '',
    table(['engine', 'workers', 'testbenches', 'time s', 'devices/s'], rows.map((r) => [r.engine, String(r.workers), String(r.testbenches), r.seconds.toFixed(1), r.devices_per_s.toFixed(1)])),
    '',
    rows.length === 2 ? `wasm time / native time: ${(rows[0].seconds / rows[1].seconds).toFixed(2)}x` : 'native ngspice not found: native row skipped (apt-get install -y ngspice)',
    `target: whole die under 120 s with the wasm engine: ${pass ? 'PASS' : 'FAIL'} (${wasmS.toFixed(1)} s)`,
  ].join('\n');
  return {
    text,
    json: { die: { layers: design.config.layers, ...counts }, rows, target: { wasm_seconds_max: 120, pass } },
    exitCode: !ngspice && process.env.CI ? 1 : 0,
  };
}
