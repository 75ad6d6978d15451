/**
 * Where the fitted models and the circuit part, layer by layer: the first test samples of a run
 * verified layered in SPICE (every node kept), each hidden soma's output current read off its
 * output gate voltage v(vn) through the nominal probe nFET of the characterization (gate and
 * drain at v(vn), so it reads what the soma testbench reads), against the models' prediction;
 * then the class currents. A systematic offset per soma, the same in every sample, points at a
 * current the models have and the circuit does not (or the other way round).
 *
 *   npx tsx scripts/layer-errors.ts runs/mnist-1 [--samples 10] [--weights FILE] [--engine ngspice]
 */
import { parseArgs } from 'node:util';
import { commonData, createEngine, deviceData, verifyLayered, type EngineName } from '../src/index.js';
import { loadRun } from '../src/verify/run.js';
import { median } from '../src/fit/index.js';

const { values: v, positionals } = parseArgs({ allowPositionals: true, options: { samples: { type: 'string', default: '10' }, weights: { type: 'string' }, engine: { type: 'string', default: 'ngspice' } } });
if (positionals.length !== 1) throw new Error('usage: npx tsx scripts/layer-errors.ts RUN [--samples N] [--weights FILE] [--engine ngspice|wasm]');
const N = Number(v.samples);
const l = loadRun(positionals[0], N, () => N, v.weights);
const { design, models, layers, C } = l;
const scale = models.input_scale;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * (xs.length - 1)))];
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

const engine = await createEngine(v.engine as EngineName, design.pdk);
try {
  const spice = await verifyLayered(engine, design, l.seed, l.weights.codes, l.inputs, { predicted: l.predicted, keepNodes: true });
  // The probe's I-V: a nominal soma output nFET with gate and drain at the same voltage.
  const probe = deviceData(design, 'soma');
  const c = commonData(design, l.seed, 'probe I-V');
  const step = 2e-4;
  const iv = await engine.run({
    netlist: [`* ${c.title}`, ...c.modelLines, `.option ${c.options}`, `.temp ${c.temperature}`, 'vg g 0 dc 0', 'eprobe pd 0 g 0 1', 'vprobe pd d dc 0', `mprobe d g 0 0 ${probe.model} w=${probe.w} l=${probe.l}`, `.dc vg 0 ${design.vdd} ${step}`, '.save i(vprobe)', '.end'].join('\n'),
    label: 'probe-iv',
  });
  const cur = iv.vectors['i(vprobe)'];
  const probeCurrent = (volts: number) => {
    const k = Math.min(cur.length - 2, Math.max(0, Math.floor(volts / step)));
    return cur[k] + ((cur[k + 1] - cur[k]) * (volts - k * step)) / step;
  };

  const { tapes } = l; // the models' prediction, as verification makes it
  console.log(`${positionals[0]}: ${N} test samples, ${spice.runs} simulator runs, ${spice.iterations ?? 0} Newton iterations`);
  for (let k = 1; k < layers.length - 1; k++) {
    const J = layers[k];
    const err: number[] = [], rel: number[] = [], perSoma: number[][] = Array.from({ length: J }, () => []);
    for (let j = 0; j < J; j++) {
      const vn = spice.nodes!.get(`s${k}_${j}_vn`)!;
      for (let s = 0; s < N; s++) {
        const sp = probeCurrent(vn[s]), mo = tapes[k - 1].out[s * J + j] * scale;
        if (sp > 0.005 * scale || mo > 0.005 * scale) err.push(mo - sp);
        if (sp > 0.005 * scale) rel.push((mo - sp) / sp), perSoma[j].push(mo - sp);
      }
    }
    const spread = perSoma.filter((e) => e.length > 1).map((e) => Math.max(...e) - Math.min(...e));
    console.log(`soma layer ${k}: model - SPICE output where either is on (> 0.5 % of input_scale): median ${(median(err) * 1e9).toFixed(3)} nA, p90 |.| ${(quantile(err.map(Math.abs), 0.9) * 1e9).toFixed(3)} nA; where SPICE is on: median ${pct(median(rel))} relative; per soma, max - min of the error over the samples (median over somas) ${(median(spread) * 1e9).toFixed(3)} nA`);
  }
  const ratio: string[] = [];
  let agree = 0;
  for (let s = 0; s < N; s++) {
    const row = (a: ArrayLike<number>) => Array.from({ length: C }, (_, q) => a[s * C + q]);
    const sp = row(spice.currents), mo = row(l.modelOut);
    ratio.push((Math.max(...mo) / Math.max(...sp)).toFixed(3));
    if (sp.indexOf(Math.max(...sp)) === mo.indexOf(Math.max(...mo))) agree++;
  }
  console.log(`class currents: largest, model / SPICE per sample ${ratio.join(' ')}; same class ${agree} of ${N}`);
} finally {
  await engine.close();
}
