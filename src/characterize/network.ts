import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Design } from '../design/index.js';
import { CELLS, type CellName } from '../design/index.js';
import type { InstanceMismatch } from '../mismatch/index.js';
import { DEFAULT_OPTIONS, somaBatchTestbench, synapseBatchTestbench, synapseStartNodes, type PreSpec, type SimOptions, type SomaSpec, type Sweep, type SynapseStart } from '../netlist/index.js';
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
  | { id: string; kind: 'synapse'; layer: number; pres: { i: number; posts: number[] }[]; holdout: boolean };

/**
 * Every how many synapse batches of a layer measure the held-out points too, when the design
 * does not say (characterize.holdout_every). On MNIST 196-50-10 that is 9 of 69 batches (about
 * 1,350 synapses), enough for the held-out error's median and spread; a layer's first batch
 * always measures them, so small networks keep every held-out point.
 */
export const DEFAULT_HOLDOUT_EVERY = 8;

const SOMA_TRANSISTORS = 6; // 5 + the output probe
const synapseCost = 11;

/** Splits every device of the die into testbenches of about `batch_transistors` each. */
export function planBatches(design: Design): Batch[] {
  const { layers } = design.config;
  const limit = design.config.characterize.batch_transistors;
  const every = design.config.characterize.holdout_every ?? DEFAULT_HOLDOUT_EVERY;
  const batches: Batch[] = [];
  const somas = layers.flatMap((n, layer) => Array.from({ length: n }, (_, i) => ({ layer, i })));
  const perSomaBatch = Math.max(1, Math.floor(limit / SOMA_TRANSISTORS));
  for (let s = 0; s < somas.length; s += perSomaBatch) batches.push({ id: `soma-${batches.length}`, kind: 'soma', somas: somas.slice(s, s + perSomaBatch) });
  const maxPosts = Math.max(1, Math.floor((limit - SOMA_TRANSISTORS) / synapseCost));
  for (let layer = 0; layer + 1 < layers.length; layer++) {
    let current: { i: number; posts: number[] }[] = [];
    let cost = 0;
    let inLayer = 0;
    const flush = () => {
      if (current.length) batches.push({ id: `syn-${layer}-${batches.length}`, kind: 'synapse', layer, pres: current, holdout: inLayer++ % every === 0 });
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

/**
 * The input sweep of a synapse batch: every point of synapse_sweep when it measures the
 * held-out points, else its even points only (the fit points; a row's `point` stays its index
 * in the whole sweep, so the fit tells fit and held-out points apart the same way). `top`: its
 * largest input, where its start aid is solved.
 */
function synapseBatchSweep(design: Design, holdout: boolean): { sweep: Sweep; index: (p: number) => number; top: number } {
  const s = design.config.characterize.synapse_sweep;
  const full = sweepOf(s);
  if (holdout) return { sweep: full, index: (p) => p, top: s.to };
  const stop = full.start + 2 * full.step * (Math.ceil(s.points / 2) - 1);
  return { sweep: { start: full.start, stop, step: 2 * full.step }, index: (p) => 2 * p, top: stop };
}

const CODES = SYNAPSE_CONFIGS.map((cfg) => CONFIG_CODE[cfg]);
const nominal = (cell: CellName): InstanceMismatch => Object.fromEntries(CELLS[cell].map((d) => [d.name, { dvt: 0, mu: 1 }]));

/**
 * How synapse batches start each bit configuration: a nominal synapse's internal node
 * voltages per configuration and a nominal soma's, at the top of a batch's sweep (`top`: the
 * synapse sweep's, or that of its fit points). One small run per design and top (the same
 * netlist for every die, so the simulation cache serves it after).
 */
export async function synapseStart(engine: Engine, design: Design, top = design.config.characterize.synapse_sweep.to): Promise<SynapseStart> {
  const c = design.config.characterize;
  const tb = synapseBatchTestbench(design, 0, [{ path: 'start/pre', mismatch: nominal('soma'), synapses: [{ path: 'start/synapse', mismatch: nominal('synapse') }] }], {
    sweep: { start: top, stop: top * 1.5, step: top },
    vout: c.synapse_vout,
    codes: CODES,
    saveAll: true,
    title: 'codesign characterization: start point of the synapse batches (nominal devices, top of the sweep)',
  });
  const r = await engine.run({ netlist: tb.text, label: 'synapse-start', timeoutMs: c.timeout_s * 1000 });
  return synapseStartNodes(r.vectors);
}

/**
 * The solver options of the batches. Device bypass (default on): a transistor whose terminal
 * voltages moved less than the tolerances since its last evaluation keeps it. On MNIST dies
 * 2, 3 and 5 every measured current stayed within 9e-9 relative of evaluating every device
 * (synapse rows 4e-11), with the same Newton iterations and 1.13-1.33x less ngspice CPU
 * (docs/performance.md); the test holds a small die to 1e-8. `stats` adds ngspice's run statistics (Newton iterations).
 */
export function batchOptions(o: { bypass?: boolean; stats?: boolean } = {}): SimOptions {
  return { ...DEFAULT_OPTIONS, bypass: o.bypass !== false, stats: o.stats === true };
}

/** A batch's netlist and how its result rows map to sweep points (deterministic: same design, seed and options, same text). */
function batchTestbench(design: Design, seed: number, b: Batch, start?: SynapseStart, options: SimOptions = batchOptions()): { text: string; layout: Layout } {
  const c = design.config.characterize;
  const last = design.config.layers.length - 1;
  if (b.kind === 'soma') {
    const specs: SomaSpec[] = b.somas.map(({ layer, i }) => ({ path: somaPath(layer, i), ...(layer === last ? { readout: { path: readoutPath(i) } } : {}) }));
    const text = somaBatchTestbench(design, seed, specs, { sweep: sweepOf(c.soma_sweep), options, title: `codesign characterization ${b.id}: ${specs.length} soma(s)` }).text;
    return { text, layout: { perConfig: c.soma_sweep.points, point: [], index: (p) => p } };
  }
  const pres: PreSpec[] = b.pres.map(({ i, posts }) => ({
    path: somaPath(b.layer, i),
    synapses: posts.map((j) => ({ path: synapsePath(b.layer, i, j) })),
  }));
  const n = pres.reduce((a, p) => a + p.synapses.length, 0);
  const { sweep, index } = synapseBatchSweep(design, b.holdout);
  const tb = synapseBatchTestbench(design, seed, pres, {
    sweep,
    vout: c.synapse_vout,
    codes: CODES,
    start,
    options,
    title: `codesign characterization ${b.id}: ${n} synapse(s), each swept through one bit at a time for both signs${b.holdout ? '' : ', fit points only'}`,
  });
  return { text: tb.text, layout: { ...tb.rows, index } };
}

/** How a batch's result rows map to measurement points: rows per configuration, each row's sweep point (-1: the pinned start), a sweep point's index in the design's sweep. */
interface Layout {
  perConfig: number;
  point: number[];
  index: (p: number) => number;
}


/** The netlist of a batch (deterministic: the same design, seed, start aid and options give the same text). */
export function batchNetlist(design: Design, seed: number, b: Batch, start?: SynapseStart, options?: SimOptions): string {
  return batchTestbench(design, seed, b, start, options).text;
}

/** Measurement rows of a batch from its simulation results (vector order matches batchNetlist). */
function batchRows(b: Batch, vectors: Record<string, Float64Array>, scale: string, layout: Layout): MeasurementRow[] {
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
  const per = layout.perConfig;
  if (x.length !== per * SYNAPSE_CONFIGS.length) throw new Error(`batch ${b.id}: ${x.length} result rows, expected ${per * SYNAPSE_CONFIGS.length}`);
  // Rows in sweep-point order within each configuration (the pinned start rows left out).
  const order = layout.point.map((p, r) => [p, r]).filter(([p]) => p >= 0).sort((u, v) => u[0] - v[0]);
  let s = 0;
  b.pres.forEach(({ i, posts }, k) => {
    const h = vectors[`i(vprobe${k})`];
    for (const j of posts) {
      const y = vectors[`i(vout${s++})`];
      SYNAPSE_CONFIGS.forEach((cfg, c) => {
        for (const [p, r] of order) rows.push({ device: synapsePath(b.layer, i, j), kind: 'synapse', layer: b.layer, pre: i, post: j, config: cfg, point: layout.index(p), x_a: h[c * per + r], y_a: y[c * per + r] });
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
  /** Newton iterations of the simulated batches (with `stats`, on engines that report them). */
  iterations?: number;
}

export interface CharacterizeOptions {
  /** Called as each batch finishes (skipped: found complete on disk). */
  onBatch?: (b: Batch, skipped: boolean) => void;
  /** Called with each batch's rows as they are ready (`index`: the batch's place in the plan; the result's rows are the batches' in plan order). */
  onRows?: (index: number, rows: MeasurementRow[]) => void;
  /**
   * Start each bit configuration of a synapse batch pinned near a nominal synapse's state and
   * step the input down from the top (default true; see synapse_dc.sp.hbs). Same measurement
   * points either way; off is the plain nested sweep, kept for comparison.
   */
  startAid?: boolean;
  /** Device bypass in the batches (default true; see batchOptions). Off: every device evaluated at every iteration. */
  bypass?: boolean;
  /** Count the batches' Newton iterations (ngspice's acct; native engine): CharacterizeStats.iterations. */
  stats?: boolean;
  /**
   * Return every row (default true). A caller that takes them batch by batch through onRows
   * says false: an MNIST die's 223,000 row objects, held to the end, made every young-generation
   * collection copy them (about 2 s of node's time per die).
   */
  keepRows?: boolean;
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
  opts: CharacterizeOptions = {},
): Promise<{ rows: MeasurementRow[]; stats: CharacterizeStats }> {
  const batches = planBatches(design);
  const stats: CharacterizeStats = { batches: batches.length, simulated: 0, skipped: 0 };
  const timeoutMs = design.config.characterize.timeout_s * 1000;
  // The synapse batches' start points (one per sweep top), solved while the soma batches run (they do not need them).
  const starts = new Map<boolean, Promise<SynapseStart | undefined>>();
  const startOf = (holdout: boolean) => {
    let s = starts.get(holdout);
    if (!s) starts.set(holdout, (s = opts.startAid === false ? Promise.resolve(undefined) : synapseStart(engine, design, synapseBatchSweep(design, holdout).top)));
    return s;
  };
  // Netlists are built only when a simulator slot is free, to bound memory on big dies.
  const options = batchOptions(opts);
  const keep = opts.keepRows !== false;
  // The batches that measure the held-out points (about 1.4x the Newton iterations of the others) go first, so the
  // last ones to finish are short and no simulator waits long for the other at the end. Results stay in plan order.
  const order = batches.map((b, index) => ({ b, index })).sort((u, v) => Number(heavy(v.b)) - Number(heavy(u.b)));
  const byOrder = await mapLimit(order, engine.concurrency * 2, async ({ b, index }) => {
    const { text: netlist, layout } = batchTestbench(design, seed, b, b.kind === 'synapse' ? await startOf(b.holdout) : undefined, options);
    const key = sha256(netlist);
    const file = join(dir, 'batches', `${b.id}.json`);
    if (existsSync(file)) {
      try {
        const stored = JSON.parse(await readFile(file, 'utf8')) as StoredBatch;
        if (stored.netlist_sha256 === key) {
          const rows = batchRows(b, columns(stored.vectors), stored.scale, layout);
          opts.onRows?.(index, rows);
          stats.skipped++;
          opts.onBatch?.(b, true);
          return keep ? rows : [];
        }
      } catch {
        // A damaged batch file is measured again.
      }
    }
    const r = await engine.run({ netlist, label: b.id, timeoutMs });
    if (r.iterations !== undefined) stats.iterations = (stats.iterations ?? 0) + r.iterations;
    const rows = batchRows(b, r.vectors, r.scale, layout);
    opts.onRows?.(index, rows);
    const stored: StoredBatch = { id: b.id, netlist_sha256: key, engine: r.engine, scale: r.scale, vectors: Object.fromEntries(Object.entries(r.vectors).map(([k, v]) => [k, Array.from(v)])) };
    await writeFileAtomic(file, JSON.stringify(stored));
    stats.simulated++;
    opts.onBatch?.(b, false);
    return keep ? rows : [];
  });
  const results = new Array<MeasurementRow[]>(batches.length);
  order.forEach(({ index }, k) => (results[index] = byOrder[k]));
  return { rows: results.flat(), stats };
}

const heavy = (b: Batch) => b.kind === 'synapse' && b.holdout;

/** A finished batch on disk: the simulator's vectors, from which its rows are rebuilt. */
interface StoredBatch {
  id: string;
  netlist_sha256: string;
  engine: string;
  scale: string;
  vectors: Record<string, number[]>;
}

const columns = (v: Record<string, number[]>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Float64Array.from(x)]));
