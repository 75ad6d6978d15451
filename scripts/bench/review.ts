/**
 * Tapeout review: what the review folder, the LVS check and the nominal simulation of the review
 * netlist cost, and how closely the review netlist (the PDK's device cells at nominal) reproduces
 * the simulation netlist with mismatch off. Iris 5-10-3 with codes trained on a synthetic die,
 * and MNIST 196-50-10 with seeded random codes (LVS does not care what the codes were trained
 * for). The agreement is also measured without the junction estimates the review netlist
 * writes, and with the cells' own mismatch left on, to show what each setting does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/index.js';
import { resolveDesign, type Design } from '../../src/design/index.js';
import { Stream } from '../../src/mismatch/rng.js';
import { createEngine } from '../../src/spice/index.js';
import { syntheticModels, trainRunFull } from '../../src/train/index.js';
import { lvsNetwork, readRunNetwork, verifyFullDc, verifyReviewDc, writeReview, type Codes, type SpiceOutputs } from '../../src/verify/index.js';
import { busyShare, progress, table, type BenchResult } from './types.js';

const seconds = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
};

/** Largest |a - b| relative to each current, and relative to its sample's largest current. */
function deviation(ref: SpiceOutputs, o: SpiceOutputs) {
  const C = ref.classes;
  let perCurrent = 0, ofLargest = 0;
  for (let s = 0; s < ref.samples; s++) {
    const big = Math.max(...Array.from({ length: C }, (_, j) => Math.abs(ref.currents[s * C + j])));
    for (let j = 0; j < C; j++) {
      const d = Math.abs(o.currents[s * C + j] - ref.currents[s * C + j]);
      perCurrent = Math.max(perCurrent, d / Math.abs(ref.currents[s * C + j]));
      ofLargest = Math.max(ofLargest, d / big);
    }
  }
  return { perCurrent, ofLargest };
}

async function irisRun(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'codesign-bench-review-'));
  const layers = [5, 10, 3];
  writeFileSync(join(dir, 'design.json'), JSON.stringify(resolveDesign({ layers }).config));
  writeFileSync(join(dir, 'models.json'), JSON.stringify(syntheticModels({ layers, seed: 3, somaSpread: 0.15, bitSpread: [0.1, 0.15, 0.2] })));
  await trainRunFull(dir, { epochs: 60, seed: 1 });
  return dir;
}

async function mnistRun(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'codesign-bench-review-'));
  const layers = [196, 50, 10];
  const s = new Stream('bench/review/mnist');
  const codes: Codes = layers.slice(0, -1).map((n, k) => Array.from({ length: n }, () => Array.from({ length: layers[k + 1] }, () => Math.round(s.uniform() * 14 - 7))));
  writeFileSync(join(dir, 'design.json'), JSON.stringify(resolveDesign({ name: 'mnist', layers }).config));
  writeFileSync(join(dir, 'weights.json'), JSON.stringify({ codes }));
  return dir;
}

export async function run(): Promise<BenchResult> {
  const busy = await busyShare();
  progress(`cores busy before: ${(100 * busy).toFixed(0)} %`);
  const rows: string[][] = [];
  const json: Record<string, unknown> = { busy_before: busy };
  for (const [name, make] of [['Iris 5-10-3', irisRun], ['MNIST 196-50-10', mnistRun]] as const) {
    progress(`${name}: review folder`);
    const dir = await make();
    const [review, tReview] = await seconds(() => writeReview(dir, join(dir, 'review')));
    const { design, seed, codes } = readRunNetwork(dir);
    progress(`${name}: LVS (netgen)`);
    const [lvs, tLvs] = await seconds(() => lvsNetwork(design, seed, codes));
    const t = review.manifest.transistors;
    rows.push([name, String(t.network.total), String(t.units_network.total), tReview.toFixed(1), lvs.result + (lvs.equivalent ? '' : ' (NOT equivalent)'), (lvs.elapsedMs / 1000).toFixed(1), tLvs.toFixed(1)]);
    json[name] = { transistors: t.network.total, unit_instances: t.units_network.total, review_folder_s: tReview, lvs: { equivalent: lvs.equivalent, result: lvs.result, netgen: lvs.netgen, netgen_s: lvs.elapsedMs / 1000, total_s: tLvs } };
    if (name.startsWith('Iris')) json.nominal = await nominal(design, seed, codes, dir);
  }
  const nom = json.nominal as { variant: string; perCurrent: number; ofLargest: number; s: number }[];
  const text = [
    `tapeout review (cores busy before: ${(100 * busy).toFixed(0)} %)`,
    table(['network', 'transistors', 'unit instances', 'review folder s', 'netgen result', 'netgen s', 'LVS total s'], rows),
    '',
    'the review netlist simulated (native ngspice, DC, 10 Iris test samples) against the simulation netlist with mismatch off:',
    table(['review netlist', 'max |diff| / current', 'max |diff| / largest class current', 'run s'], nom.map((v) => [v.variant, v.perCurrent.toExponential(2), v.ofLargest.toExponential(2), v.s.toFixed(1)])),
  ].join('\n');
  const ok = rows.every((r) => !r[4].includes('NOT')) && nom[0].perCurrent < 1e-6;
  return { text, json, exitCode: ok ? 0 : 1 };
}

/** The Iris review netlist with the PDK's cells, in three settings, against the primitive netlist with mismatch off. */
async function nominal(design: Design, seed: number, codes: Codes, dir: string) {
  const weights = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8')) as { dataset: string; input_scale: number };
  const n0 = design.config.layers[0];
  const inputs = loadDataset(weights.dataset).test.x.slice(0, 10 * n0).map((v) => v * weights.input_scale);
  const off = resolveDesign({ ...design.config, mismatch: { ...design.config.mismatch, enabled: false } });
  const engine = await createEngine('ngspice', design.pdk, { cache: false, workers: 1 });
  try {
    progress('Iris: simulation netlist, mismatch off');
    const [ref, tRef] = await seconds(() => verifyFullDc(engine, off, seed, codes, inputs));
    const review = design.pdk.review!;
    const variants: [string, Design][] = [
      ['PDK cells, own mismatch off, junction estimates (as written)', design],
      ['PDK cells, own mismatch off, no junction estimates', { ...design, pdk: { ...design.pdk, review: { ...review, diffusion_length: undefined } } }],
      ['PDK cells, own mismatch on', { ...design, pdk: { ...design.pdk, review: { ...review, nominal_params: {} } } }],
    ];
    const out: { variant: string; perCurrent: number; ofLargest: number; s: number }[] = [];
    for (const [variant, d] of variants) {
      progress(`Iris: ${variant}`);
      const [o, s] = await seconds(() => verifyReviewDc(engine, d, seed, codes, inputs));
      out.push({ variant, ...deviation(ref, o), s });
    }
    out.push({ variant: '(the simulation netlist itself, primitive devices)', perCurrent: 0, ofLargest: 0, s: tRef });
    return out;
  } finally {
    await engine.close();
  }
}
