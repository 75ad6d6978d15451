import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Design } from '../design/index.js';
import { somaBatchTestbench, synapseBatchTestbench, type PreSpec, type SomaSpec, type Sweep } from '../netlist/index.js';
import type { Engine } from '../spice/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { mapLimit } from '../util/concurrency.js';
import { sha256 } from '../util/hash.js';
import { readoutPath, somaPath, synapsePath } from './die.js';
import { SYNAPSE_CONFIGS, type MeasurementRow } from './table.js';

const CONFIG_CODE: Record<(typeof SYNAPSE_CONFIGS)[number], number> = { '+4': 4, '+2': 2, '+1': 1, '-4': -4, '-2': -2, '-1': -1 };

/** One testbench of the characterization plan and the devices it measures. */
export type Batch =
  | { id: string; kind: 'soma'; somas: { layer: number; i: number }[] }
  | { id: string; kind: 'synapse'; layer: number; pres: { i: number; posts: number[] }[] };

const SOMA_TRANSISTORS = 6; // 5 + the output probe
const synapseCost = 11;

/** Splits every device of the die into testbenches of about `batch_transistors` each. */
export function planBatches(design: Design): Batch[] {
  const { layers } = design.config;
  const limit = design.config.characterize.batch_transistors;
  const batches: Batch[] = [];
  const somas = layers.flatMap((n, layer) => Array.from({ length: n }, (_, i) => ({ layer, i })));
  const perSomaBatch = Math.max(1, Math.floor(limit / SOMA_TRANSISTORS));
  for (let s = 0; s < somas.length; s += perSomaBatch) batches.push({ id: `soma-${batches.length}`, kind: 'soma', somas: somas.slice(s, s + perSomaBatch) });
  const maxPosts = Math.max(1, Math.floor((limit - SOMA_TRANSISTORS) / synapseCost));
  for (let layer = 0; layer + 1 < layers.length; layer++) {
    let current: { i: number; posts: number[] }[] = [];
    let cost = 0;
    const flush = () => {
      if (current.length) batches.push({ id: `syn-${layer}-${batches.length}`, kind: 'synapse', layer, pres: current });
      current = [];
      cost = 0;
    };
    for (let i = 0; i < layers[layer]; i++) {
      const posts = Array.from({ length: layers[layer + 1] }, (_, j) => j);
      for (let p = 0; p < posts.length; p += maxPosts) {
        const chunk = posts.slice(p, p + maxPosts);
        const c = SOMA_TRANSISTORS + chunk.length * synapseCost;
        if (cost + c > limit && current.length) flush();
        current.push({ i, posts: chunk });
        cost += c;
      }
    }
    flush();
  }
  return batches;
}

function sweepOf(s: { from: number; to: number; points: number }): Sweep {
  return { start: s.from, stop: s.to, step: (s.to - s.from) / (s.points - 1) };
}

/** The design's soma and synapse input sweeps. */
export function characterizationSweeps(design: Design): { soma: Sweep; synapse: Sweep } {
  const c = design.config.characterize;
  return { soma: sweepOf(c.soma_sweep), synapse: sweepOf(c.synapse_sweep) };
}

/** The netlist of a batch (deterministic: the same design and seed give the same text). */
export function batchNetlist(design: Design, seed: number, b: Batch): string {
  const c = design.config.characterize;
  const last = design.config.layers.length - 1;
  if (b.kind === 'soma') {
    const specs: SomaSpec[] = b.somas.map(({ layer, i }) => ({ path: somaPath(layer, i), ...(layer === last ? { readout: { path: readoutPath(i) } } : {}) }));
    return somaBatchTestbench(design, seed, specs, { sweep: sweepOf(c.soma_sweep), title: `codesign characterization ${b.id}: ${specs.length} soma(s)` }).text;
  }
  const pres: PreSpec[] = b.pres.map(({ i, posts }) => ({
    path: somaPath(b.layer, i),
    synapses: posts.map((j) => ({ path: synapsePath(b.layer, i, j) })),
  }));
  const n = pres.reduce((a, p) => a + p.synapses.length, 0);
  return synapseBatchTestbench(design, seed, pres, {
    sweep: sweepOf(c.synapse_sweep),
    vout: c.synapse_vout,
    codes: SYNAPSE_CONFIGS.map((cfg) => CONFIG_CODE[cfg]),
    title: `codesign characterization ${b.id}: ${n} synapse(s), each swept through one bit at a time for both signs`,
  }).text;
}

/** Measurement rows of a batch from its simulation results (vector order matches batchNetlist). */
function batchRows(b: Batch, vectors: Record<string, Float64Array>, scale: string): MeasurementRow[] {
  const rows: MeasurementRow[] = [];
  const x = vectors[scale];
  if (b.kind === 'soma') {
    b.somas.forEach(({ layer, i }, k) => {
      const y = vectors[`i(vprobe${k})`];
      for (let p = 0; p < x.length; p++) rows.push({ device: somaPath(layer, i), kind: 'soma', layer, pre: i, post: null, config: '', point: p, x_a: x[p], y_a: y[p] });
    });
    return rows;
  }
  // The outer sweep steps through SYNAPSE_CONFIGS; each config is one inner sweep of the input.
  const per = x.length / SYNAPSE_CONFIGS.length;
  let s = 0;
  b.pres.forEach(({ i, posts }, k) => {
    const h = vectors[`i(vprobe${k})`];
    for (const j of posts) {
      const y = vectors[`i(vout${s++})`];
      SYNAPSE_CONFIGS.forEach((cfg, c) => {
        for (let p = 0; p < per; p++) rows.push({ device: synapsePath(b.layer, i, j), kind: 'synapse', layer: b.layer, pre: i, post: j, config: cfg, point: p, x_a: h[c * per + p], y_a: y[c * per + p] });
      });
    }
  });
  return rows;
}

export interface CharacterizeStats {
  batches: number;
  /** Batches simulated in this call. */
  simulated: number;
  /** Batches found complete on disk and skipped. */
  skipped: number;
}

/**
 * Measures every device of a die. Each finished batch is stored atomically under
 * `<dir>/batches/`, keyed by the hash of its netlist, so a killed run resumes where it
 * stopped and a changed design re-measures only what changed.
 */
export async function characterizeDie(
  engine: Engine,
  design: Design,
  seed: number,
  dir: string,
  onBatch?: (b: Batch, skipped: boolean) => void,
): Promise<{ rows: MeasurementRow[]; stats: CharacterizeStats }> {
  const batches = planBatches(design);
  const stats: CharacterizeStats = { batches: batches.length, simulated: 0, skipped: 0 };
  const timeoutMs = design.config.characterize.timeout_s * 1000;
  // Netlists are built only when a simulator slot is free, to bound memory on big dies.
  const results = await mapLimit(batches, engine.concurrency * 2, async (b) => {
      const netlist = batchNetlist(design, seed, b);
      const key = sha256(netlist);
      const file = join(dir, 'batches', `${b.id}.json`);
      if (existsSync(file)) {
        try {
          const stored = JSON.parse(await readFile(file, 'utf8')) as { netlist_sha256: string; rows: MeasurementRow[] };
          if (stored.netlist_sha256 === key) {
            stats.skipped++;
            onBatch?.(b, true);
            return stored.rows;
          }
        } catch {
          // A damaged batch file is measured again.
        }
      }
      const r = await engine.run({ netlist, label: b.id, timeoutMs });
      const rows = batchRows(b, r.vectors, r.scale);
      await writeFileAtomic(file, JSON.stringify({ id: b.id, netlist_sha256: key, engine: r.engine, rows }));
      stats.simulated++;
      onBatch?.(b, false);
      return rows;
  });
  return { rows: results.flat(), stats };
}
