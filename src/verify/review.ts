/**
 * The review netlist of a trained network: the circuit as the layout will be checked against it
 * (LVS), written with the PDK's own device cells (the descriptor's review_cell) and no mismatch,
 * in a hierarchy a reviewer can read (soma, synapse, one subcircuit per soma layer, network on
 * top with named pins); the weight bits tied off in their own include (weights.inc: per weight
 * layer the synapse array, every synapse's bits tied to its code); codes.csv; and review.json,
 * the manifest of what the folder was made from (hashes of design, PDK descriptor, model files,
 * codes) and what it holds (transistors per cell and type, the device table checked against the
 * PDK's limits, gate area). The simulation netlist's cell templates (netlists/cells) give the
 * topology; only the device line differs (netlists/review/mos.hbs). reviewBench and
 * verifyReviewDc simulate the review files with the PDK's cells at nominal.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { countTransistors } from '../characterize/index.js';
import { CELLS, cellGroups, resolveDesign, type CellDevice, type CellName, type Design } from '../design/index.js';
import { codeBits, commonData, render, type SimOptions } from '../netlist/index.js';
import type { DeviceType, Pdk } from '../pdk/index.js';
import { nativeModelDir, type Engine } from '../spice/index.js';
import { checkModelsForDesign, dieOf, readModels, readRunWeights, type WeightsSource } from '../train/index.js';
import { ConfigError } from '../util/errors.js';
import { readRunJson, writeFileAtomic } from '../util/fs.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { formatNumber, formatSi, parseSi } from '../util/si.js';
import { GENERATOR_VERSION } from '../util/version.js';
import { pwlPoints, type SpiceOutputs } from './layered.js';
import { checkCodes, inlineIncludes, type Codes } from './network.js';

/** Partials that turn the simulation cell templates into review cells. */
const REVIEW_PARTIALS = { mos: 'review/mos.hbs', params: 'review/no-params.hbs', 'params-note': 'review/no-params.hbs' };

/** Names of the files of a review folder, in the order they are written. */
export const REVIEW_FILES = ['network.spice', 'weights.inc', 'codes.csv', 'review.json'] as const;

/** The PDK's device cell for a device type; a descriptor without one cannot give a review netlist. */
export function pdkCell(pdk: Pdk, type: DeviceType): string {
  const cell = pdk.devices[type].reviewCell;
  if (!cell) throw new ConfigError(`${pdk.descriptorPath}: devices.${type}.review_cell is not set, so ${pdk.name} has no device cell for review netlists`);
  return cell;
}

const multiplierForm = (pdk: Pdk) => pdk.review?.multiplier ?? 'm';

/** One device as the review mos partial writes it: its unit instances (parallel form) or one instance with m. */
function reviewDevice(design: Design, cell: CellName, d: CellDevice, name = d.name) {
  const s = design.sizes[cell][d.group];
  const parallel = multiplierForm(design.pdk) === 'parallel';
  const ld = design.pdk.review?.diffusion_length;
  const diff = ld === undefined ? 0 : parseSi(ld, `${design.pdk.descriptorPath}: review.diffusion_length`);
  const area = formatSi(s.w * diff), perimeter = formatSi(2 * (s.w + diff));
  return {
    name,
    role: d.role,
    cell: pdkCell(design.pdk, d.type),
    w: formatSi(s.w),
    l: formatSi(s.l),
    units: parallel && d.m > 1 ? Array.from({ length: d.m }, (_, k) => `${name}_${k + 1}`) : [name],
    geometry: diff > 0 ? ` as=${area} ad=${area} ps=${perimeter} pd=${perimeter}` : '',
    mParam: parallel ? '' : ` m=${d.m}`,
  };
}

const cellTemplateData = (design: Design, cell: CellName) => ({
  dev: Object.fromEntries(CELLS[cell].map((d) => [d.name, reviewDevice(design, cell, d)])),
  nominal: [],
});

/** Names as continuation lines of `per` names each. */
const chunks = (names: string[], per: number) => Array.from({ length: Math.ceil(names.length / per) }, (_, k) => names.slice(k * per, (k + 1) * per).join(' '));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Port lines of weight layer k's synapse array: the presynaptic gates, the postsynaptic soma inputs, supplies. */
function weightsPins(layers: number[], k: number): string[] {
  return [...range(layers[k]).map((i) => `s${k}_${i}_vp s${k}_${i}_vn`), ...chunks(range(layers[k + 1]).map((j) => `s${k + 1}_${j}`), 10), 'vdd vss'];
}

/** Port lines of soma layer k's subcircuit (also the net names network connects it with). */
function layerPins(layers: number[], k: number): string[] {
  const last = layers.length - 1;
  const gates = (layer: number) => range(layers[layer]).map((i) => `s${layer}_${i}_vp s${layer}_${i}_vn`);
  const lines: string[] = [];
  if (k === 0) lines.push(...chunks(range(layers[0]).map((i) => `in_${i}`), 10));
  else lines.push(...gates(k - 1));
  if (k === last) lines.push(...chunks(range(layers[k]).map((j) => `out_${j}`), 10));
  else lines.push(...gates(k));
  lines.push('vdd vss');
  return lines;
}

const ioLines = (layers: number[], input = 'in_', output = 'out_') => [
  ...chunks(range(layers[0]).map((i) => `${input}${i}`), 10),
  ...chunks(range(layers[layers.length - 1]).map((j) => `${output}${j}`), 10),
];

/** Transistors per cell and device type, and instances per cell, of a network. */
export function transistorCounts(design: Design) {
  const counts = countTransistors(design.config.layers);
  const instances: Record<CellName, number> = { soma: counts.somas, synapse: counts.synapses, readout: counts.readouts };
  const perCell = (units: boolean) =>
    Object.fromEntries(
      (Object.keys(CELLS) as CellName[]).map((cell) => {
        const by: Record<DeviceType, number> = { nfet: 0, pfet: 0 };
        for (const d of CELLS[cell]) by[d.type] += units ? d.m : 1;
        return [cell, by];
      }),
    ) as Record<CellName, Record<DeviceType, number>>;
  const total = (per: Record<CellName, Record<DeviceType, number>>) => {
    const by: Record<DeviceType, number> = { nfet: 0, pfet: 0 };
    for (const cell of Object.keys(per) as CellName[]) for (const t of ['nfet', 'pfet'] as const) by[t] += per[cell][t] * instances[cell];
    return { ...by, total: by.nfet + by.pfet };
  };
  const transistors = perCell(false), units = perCell(true);
  return { instances, per_cell: transistors, network: total(transistors), units_per_cell: units, units_network: total(units) };
}

/** The review netlist (network.spice): cells, one subcircuit per soma layer, network on top. No weights, no die. */
export function reviewNetlist(design: Design): string {
  const layers = design.config.layers;
  const last = layers.length - 1;
  const counts = countTransistors(layers);
  const parallel = multiplierForm(design.pdk) === 'parallel';
  const layerData = layers.map((n, k) => ({
    name: `layer${k}`,
    layer: k,
    description:
      k === 0
        ? `layer0: the ${n} input somas, each fed at its pin in_<i>`
        : `layer${k}: the ${n} somas of layer ${k}${k === last ? ', each read by its readout nFET' : ''}, and weights${k - 1}, the ${layers[k - 1]} x ${n} synapses from soma layer ${k - 1} (weights.inc)`,
    pins: layerPins(layers, k),
    weights: k === 0 ? false : { name: `weights${k - 1}`, pins: weightsPins(layers, k - 1) },
    somas: range(n).map((i) => ({ i, input: k === 0 ? `in_${i}` : `s${k}_${i}` })),
    readouts: k === last ? range(n).map((j) => ({ i: j, dev: reviewDevice(design, 'readout', CELLS.readout[0], `mr_${j}`), drain: `out_${j}`, gate: `s${k}_${j}` })) : [],
  }));
  return render(
    'review/network.spice.hbs',
    {
      title: `codesign review netlist: ${layers.join('-')} network`,
      version: GENERATOR_VERSION,
      design: design.config.name,
      designHash: design.hash,
      pdk: design.pdk.name,
      cells: (['nfet', 'pfet'] as const).map((type) => ({ type, cell: pdkCell(design.pdk, type) })),
      parallel,
      multiplierWhy: `${design.pdk.name}'s device cells ignore an instance's m in ngspice`,
      lastLayer: last,
      lastWeights: last - 1,
      counts,
      units: transistorCounts(design).units_network.total,
      somaCell: cellTemplateData(design, 'soma'),
      synapseCell: cellTemplateData(design, 'synapse'),
      layers: layerData,
      topPins: [...ioLines(layers), 'vdd vss'],
    },
    REVIEW_PARTIALS,
  );
}

/** sha256 of the codes as the simulation's weights.inc records it (its first 16 digits). */
export const codesHash = (codes: Codes) => sha256(canonicalJson(codes));

/** The review weights.inc: per weight layer the synapse array, every synapse's bit gates tied to vdd or vss. */
export function reviewWeights(design: Design, seed: number, codes: Codes): string {
  const layers = design.config.layers;
  checkCodes(codes, layers, 'weights');
  const weightLayers = codes.map((m, layer) => ({
    layer,
    next: layer + 1,
    count: m.length * layers[layer + 1],
    pins: weightsPins(layers, layer),
    synapses: m.flatMap((row, i) => row.map((code, j) => ({ i, j, code: code > 0 ? `+${code}` : String(code), bits: codeBits(code) }))),
  }));
  return render('review/weights.inc.hbs', {
    layerText: layers.join('-'),
    count: weightLayers.reduce((a, w) => a + w.count, 0),
    version: GENERATOR_VERSION,
    designHash: design.hash,
    seed,
    codesHash: codesHash(codes).slice(0, 16),
    layers: weightLayers,
  });
}

/** codes.csv: one row per synapse (layer, presynaptic, postsynaptic, code). */
export function codesCsv(codes: Codes): string {
  const rows = codes.flatMap((m, layer) => m.flatMap((row, i) => row.map((code, j) => `${layer},${i},${j},${code}`)));
  return ['layer,presynaptic,postsynaptic,code', ...rows].join('\n') + '\n';
}

/** One device group of a cell: its size, its devices with their multipliers, checked against the PDK's limits. */
export interface DeviceRow {
  cell: CellName;
  group: string;
  type: DeviceType;
  pdk_cell: string;
  devices: string[];
  m: number[];
  w: string;
  l: string;
  min_w: string;
  min_l: string;
  /** Violations of the PDK's limits; empty when the group is within them. */
  violations: string[];
  /** Gate area of the group in one cell instance, sum of m*W*L, um^2. */
  gate_area_um2: number;
}

/** The device table: every size group of every cell, with its limits check. */
export function deviceTable(design: Design): DeviceRow[] {
  return (Object.keys(CELLS) as CellName[]).flatMap((cell) =>
    cellGroups(cell).flatMap((group) => {
      const { w, l } = design.sizes[cell][group];
      return (['nfet', 'pfet'] as const).flatMap((type) => {
        const devs = CELLS[cell].filter((d) => d.group === group && d.type === type);
        if (devs.length === 0) return [];
        const lim = design.pdk.devices[type];
        const violations = [
          ...(w < lim.minW * (1 - 1e-9) ? [`W ${formatSi(w)} < min ${formatSi(lim.minW)}`] : []),
          ...(l < lim.minL * (1 - 1e-9) ? [`L ${formatSi(l)} < min ${formatSi(lim.minL)}`] : []),
        ];
        const m = devs.map((d) => d.m);
        return [{ cell, group, type, pdk_cell: pdkCell(design.pdk, type), devices: devs.map((d) => d.name), m, w: formatSi(w), l: formatSi(l), min_w: formatSi(lim.minW), min_l: formatSi(lim.minL), violations, gate_area_um2: Number(formatNumber(m.reduce((a, b) => a + b, 0) * w * l * 1e12, 9)) }];
      });
    }),
  );
}

export interface ModelFileHash {
  file: string;
  sha256: string;
}

const fileSha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** sha256 of each model file the PDK's netlists include (the text native ngspice reads). */
export async function modelFileHashes(pdk: Pdk): Promise<ModelFileHash[]> {
  const dir = await nativeModelDir(pdk);
  return pdk.models.files.map((file) => ({ file, sha256: fileSha256(readFileSync(join(dir, file))) }));
}

/** review.json: what the review folder was made from and what it holds. */
export function reviewManifest(design: Design, seed: number, codes: Codes, files: Record<'network.spice' | 'weights.inc' | 'codes.csv', string>, models: ModelFileHash[]) {
  const table = deviceTable(design);
  const counts = transistorCounts(design);
  const cellArea = (cell: CellName) => table.filter((r) => r.cell === cell).reduce((a, r) => a + r.gate_area_um2, 0);
  const area = (Object.keys(counts.instances) as CellName[]).reduce((a, cell) => a + counts.instances[cell] * cellArea(cell), 0);
  const flat = codes.flat(2);
  return {
    format: 'codesign-review/1',
    generator: `codesign ${GENERATOR_VERSION}`,
    network: design.config.layers.join('-'),
    design: { name: design.config.name, hash: design.hash, die_seed: seed, config: design.config },
    pdk: {
      name: design.pdk.name,
      descriptor_sha256: fileSha256(readFileSync(design.pdk.descriptorPath)),
      corner: design.config.corner,
      corner_include: design.modelInclude,
      model_files: models,
      device_cells: { nfet: pdkCell(design.pdk, 'nfet'), pfet: pdkCell(design.pdk, 'pfet') },
      multiplier: multiplierForm(design.pdk),
    },
    codes: { sha256: codesHash(codes), synapses: flat.length, nonzero: flat.filter((c) => c !== 0).length },
    files: Object.fromEntries(Object.entries(files).map(([f, text]) => [f, fileSha256(text)])),
    transistors: counts,
    devices: table,
    limits_ok: table.every((r) => r.violations.length === 0),
    gate_area_um2: Number(formatNumber(area, 9)),
  };
}

export type ReviewManifest = ReturnType<typeof reviewManifest>;

/** Every file of a review folder, by name. */
export async function reviewFiles(design: Design, seed: number, codes: Codes): Promise<Record<(typeof REVIEW_FILES)[number], string>> {
  const text = { 'network.spice': reviewNetlist(design), 'weights.inc': reviewWeights(design, seed, codes), 'codes.csv': codesCsv(codes) };
  const manifest = reviewManifest(design, seed, codes, text, await modelFileHashes(design.pdk));
  return { ...text, 'review.json': JSON.stringify(manifest, null, 2) + '\n' };
}

/** A run folder's design and codes (design.json, weights.json), checked. */
export function readRunNetwork(run: string, weightsFile?: string): { design: Design; seed: number; codes: Codes; weights: WeightsSource } {
  const dir = resolve(run);
  const design = resolveDesign(readRunJson(dir, 'design.json', 'run codesign characterize first'), join(dir, 'design.json'));
  // The same checks as verify and the simulation netlist: weights trained for this die and its models, or given on purpose.
  const models = existsSync(join(dir, 'models.json')) ? readModels(dir) : undefined;
  if (models) checkModelsForDesign(design, join(dir, 'design.json'), models.models, models.path);
  const deployed = readRunWeights(dir, dieOf(design, models?.hash), weightsFile);
  const codes = (deployed.raw as { codes?: Codes }).codes as Codes;
  checkCodes(codes, design.config.layers, deployed.path);
  return { design, seed: design.config.seed, codes, weights: deployed.source };
}

/** Writes the review folder of a run (network.spice, weights.inc, codes.csv, review.json) into `out`. */
export async function writeReview(run: string, out: string, weightsFile?: string): Promise<{ dir: string; files: string[]; manifest: ReviewManifest }> {
  const { design, seed, codes } = readRunNetwork(run, weightsFile);
  const files = await reviewFiles(design, seed, codes);
  const dir = resolve(out);
  for (const name of REVIEW_FILES) await writeFileAtomic(join(dir, name), files[name]);
  return { dir, files: REVIEW_FILES.map((f) => join(dir, f)), manifest: JSON.parse(files['review.json']) as ReviewManifest };
}

/**
 * A simulation deck around the review files: the corner's models with the cells' own mismatch
 * switched off (the descriptor's review.nominal_params), an alias for each cell the model files
 * name differently, `.include network.spice`, `weights.inc` and `inputs.inc` (the simulation
 * netlist's, driving s0_<i>), and the class outputs read through vr_<j>, as in network.cir.
 */
export function reviewBench(design: Design, seed: number, opts: { analysis?: string; options?: SimOptions } = {}): string {
  const layers = design.config.layers;
  const params = design.pdk.review?.nominal_params ?? {};
  const nominalParams = Object.keys(params).sort().map((name) => ({ name, value: formatNumber(params[name]) }));
  const aliases = (['nfet', 'pfet'] as const)
    .map((t) => design.pdk.devices[t])
    .filter((d) => d.modelCell && d.modelCell !== d.reviewCell)
    .map((d) => ({ cell: d.reviewCell!, model: d.modelCell!, w: formatSi(d.minW), l: formatSi(d.minL), geometry: design.pdk.review?.diffusion_length === undefined ? [] : ['as', 'ad', 'ps', 'pd'] }));
  return render('review/bench.cir.hbs', {
    ...commonData(design, seed, `codesign review bench: ${layers.join('-')} network with the ${design.pdk.name} device cells at nominal`, opts.options),
    mismatch: `off (the device cells' own mismatch switched off${nominalParams.length ? `: ${nominalParams.map((p) => `${p.name}=${p.value}`).join(' ')}` : ''})`,
    nominalText: nominalParams.length ? nominalParams.map((p) => `${p.name}=${p.value}`).join(', ') : 'the descriptor names no switch',
    nominalParams,
    aliases,
    netPins: [...ioLines(layers, 's0_', 'r_'), 'vdd vss'],
    readouts: range(layers[layers.length - 1]).map((i) => ({ i })),
    analysis: opts.analysis ?? '',
  });
}

/**
 * The review netlist simulated in DC with the PDK's device cells at nominal, every sample one
 * point of a DC sweep (as verifyFullDc sweeps the simulation netlist): class currents per sample.
 */
export async function verifyReviewDc(engine: Engine, design: Design, seed: number, codes: Codes, inputs: Float64Array, opts: { timeoutMs?: number } = {}): Promise<SpiceOutputs> {
  const layers = design.config.layers;
  const n0 = layers[0], C = layers[layers.length - 1];
  const N = inputs.length / n0;
  const saves = range(C).map((j) => `i(vr_${j})`).join(' ');
  const sources = range(n0).map((i) => ({ i, points: pwlPoints(Float64Array.from({ length: N }, (_, s) => inputs[s * n0 + i])) }));
  const text = inlineIncludes(reviewBench(design, seed, { analysis: `.dc vidx 0 ${Math.max(1, N - 1)} 1\n.save ${saves}` }), {
    'network.spice': reviewNetlist(design),
    'weights.inc': reviewWeights(design, seed, codes),
    'inputs.inc': render('inputs_swept.inc.hbs', { description: `${N} samples`, lastSample: Math.max(1, N - 1), sources }),
  });
  const r = await engine.run({ netlist: text, label: 'review-dc', timeoutMs: opts.timeoutMs });
  const currents = new Float64Array(N * C);
  for (let s = 0; s < N; s++) for (let j = 0; j < C; j++) currents[s * C + j] = r.vectors[`i(vr_${j})`][s];
  return { samples: N, classes: C, currents, runs: 1, failures: [] };
}
