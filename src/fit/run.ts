import { join, resolve } from 'node:path';
import { characterizeDie, countTransistors, measurementLines, readMeasurements, writeMeasurementLines, writeMeasurements, type Batch, type CharacterizeOptions, type CharacterizeStats, type MeasurementRow } from '../characterize/index.js';
import type { Design } from '../design/index.js';
import type { Engine } from '../spice/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { assembleModels, buildModels, fitDevices, summarizeModels, type DeviceFits } from './build.js';
import type { DieModels } from './models.js';

export interface FitRunResult {
  models: DieModels;
  /** elapsed_s: the whole call; measure_s: simulating (or reading) the measurements; the rest is fitting and writing the files. */
  summary: ReturnType<typeof summarizeModels> & { elapsed_s: number; measure_s: number; source: string; transistors: number };
  stats?: CharacterizeStats;
}

/** The run folder's files, written last-to-first so that models.json marks a complete run; the CSV from its pieces when the rows came in batches (measurementLines). */
async function writeOutputs(out: string, rows: MeasurementRow[], csvPieces: string[] | undefined, models: DieModels, summary: FitRunResult['summary'], stats: CharacterizeStats | undefined, t0: number) {
  const csv = join(out, 'characterization.csv');
  await (csvPieces ? writeMeasurementLines(csv, csvPieces) : writeMeasurements(csv, rows));
  summary.elapsed_s = (Date.now() - t0) / 1000;
  await writeFileAtomic(join(out, 'characterization.json'), JSON.stringify({ summary, stats }, null, 2) + '\n');
  await writeFileAtomic(join(out, 'models.json'), JSON.stringify(models) + '\n');
}

/**
 * What a run's files are made of: the measured rows and, from a characterization, each batch's
 * CSV lines and device fits, made as its rows arrived while the simulator ran the others.
 */
interface Measured {
  rows: MeasurementRow[];
  csvPieces?: string[];
  fits?: DeviceFits;
}

/** Fits the rows (or assembles the batches' fits), summarizes, and writes the run folder's files. */
async function fitAndWrite(measured: Measured, design: Design, seed: number, source: string, out: string, t0: number, measure_s: number, layers?: number[], stats?: CharacterizeStats): Promise<FitRunResult> {
  const meta = {
    design_hash: design.hash,
    die_seed: seed,
    pdk: design.pdk.name,
    corner: design.config.corner,
    input_scale: design.config.input_scale,
    soma_model: design.config.fit.soma_model,
    source,
    layers,
  };
  const { models, holdout } = measured.fits && layers ? assembleModels(measured.fits, { ...meta, layers }) : buildModels(measured.rows, meta);
  const summary = { ...summarizeModels(models, holdout), elapsed_s: 0, measure_s, source, transistors: countTransistors(models.layers).transistors };
  await writeOutputs(resolve(out), measured.rows, measured.csvPieces, models, summary, stats, t0);
  return { models, summary, stats };
}

/**
 * Characterizes every soma and synapse of the die in SPICE and fits each one's model:
 * writes design.json, characterization.csv, characterization.json and models.json to `out`.
 */
export async function characterizeAndFit(
  engine: Engine,
  design: Design,
  out: string,
  onBatch?: (b: Batch, skipped: boolean) => void,
  opts: Omit<CharacterizeOptions, 'onBatch' | 'onRows'> = {},
): Promise<FitRunResult> {
  const t0 = Date.now();
  const seed = design.config.seed;
  await writeFileAtomic(join(resolve(out), 'design.json'), JSON.stringify(design.config, null, 2) + '\n');
  // Each batch's CSV lines and device fits are made as its rows arrive, while the simulator runs the others, not all after the last.
  // By batch index: a batch given twice (a stored batch found damaged after its rows) replaces its pieces.
  const csvPieces: string[] = [];
  const batchFits: DeviceFits[] = [];
  const fitMeta = { input_scale: design.config.input_scale, soma_model: design.config.fit.soma_model };
  const onRows = (i: number, r: MeasurementRow[]) => {
    csvPieces[i] = measurementLines(r);
    batchFits[i] = fitDevices(r, fitMeta);
  };
  const { rows, stats } = await characterizeDie(engine, design, seed, resolve(out), { ...opts, onBatch, onRows, keepRows: false });
  const fits: DeviceFits = new Map();
  for (const f of batchFits) for (const [key, fit] of f) fits.set(key, fit);
  return fitAndWrite({ rows, csvPieces, fits }, design, seed, `spice:${await engine.identity()}`, out, t0, (Date.now() - t0) / 1000, design.config.layers, stats);
}

/** Fits the models from a measurement table (a real chip's, or an earlier characterization). */
export async function fitMeasurements(file: string, design: Design, out: string, seed = design.config.seed): Promise<FitRunResult> {
  const t0 = Date.now();
  const rows = await readMeasurements(file);
  return fitAndWrite({ rows }, design, seed, `measurements:${resolve(file)}`, out, t0, (Date.now() - t0) / 1000);
}
