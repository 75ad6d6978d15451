/**
 * What differs between two regenerations of a network: two run folders (design.json,
 * weights.json), two review folders (review.json, codes.csv, network.spice, weights.inc), or one
 * of each. A run folder is compared through the review files it gives, so both kinds read the
 * same: the design fields, the device table (sizes, multipliers, PDK cells), the provenance
 * (generator, PDK descriptor and model file hashes), the weight codes synapse by synapse, and a
 * unified diff of each netlist section (header, one .subckt per section) that differs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { diffAligned, diffLines, unifiedHunks } from '../util/line-diff.js';
import type { Codes } from './network.js';
import { readRunNetwork, reviewFiles, type ReviewManifest } from './review.js';

/** A folder's network as the diff reads it. */
export interface FolderNetwork {
  dir: string;
  kind: 'run' | 'review';
  manifest: ReviewManifest;
  codes: Codes;
  /** network.spice and weights.inc. */
  netlists: Record<'network.spice' | 'weights.inc', string>;
}

const readText = (dir: string, file: string) => {
  const p = join(dir, file);
  if (!existsSync(p)) throw new ConfigError(`${p} not found: a review folder holds ${['review.json', 'codes.csv', 'network.spice', 'weights.inc'].join(', ')}`);
  return readFileSync(p, 'utf8');
};

/** codes.csv back into code matrices of the given network shape; bad rows name the file and line. */
export function parseCodesCsv(text: string, layers: number[], file: string): Codes {
  const codes: (number | undefined)[][][] = layers.slice(0, -1).map((n, k) => Array.from({ length: n }, () => new Array<number | undefined>(layers[k + 1]).fill(undefined)));
  const lines = text.split('\n');
  if (lines[0].trim() !== 'layer,presynaptic,postsynaptic,code') throw new ConfigError(`${file}:1: expected the header layer,presynaptic,postsynaptic,code`);
  lines.slice(1).forEach((line, q) => {
    if (line.trim() === '') return;
    const f = line.split(',').map((x) => Number(x.trim()));
    const [k, i, j, c] = f;
    const ok = f.length === 4 && f.every(Number.isInteger) && k >= 0 && k < codes.length && i >= 0 && i < layers[k] && j >= 0 && j < layers[k + 1] && c >= -7 && c <= 7;
    if (!ok) throw new ConfigError(`${file}:${q + 2}: "${line}" is not a synapse of the ${layers.join('-')} network with a code in -7..7`);
    codes[k][i][j] = c;
  });
  codes.forEach((m, k) => m.forEach((row, i) => row.forEach((c, j) => {
    if (c === undefined) throw new ConfigError(`${file}: no row for synapse layer ${k}, presynaptic ${i}, postsynaptic ${j}`);
  })));
  return codes as Codes;
}

/** Reads a run or review folder (a review folder is one with review.json). */
export async function readFolderNetwork(path: string): Promise<FolderNetwork> {
  const dir = resolve(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`${dir}: no such folder`);
  if (existsSync(join(dir, 'review.json'))) {
    let manifest: ReviewManifest;
    try {
      manifest = JSON.parse(readText(dir, 'review.json')) as ReviewManifest;
    } catch (e) {
      throw new ConfigError(`${join(dir, 'review.json')} is not valid JSON: ${(e as Error).message}`);
    }
    const where = join(dir, 'review.json');
    const layers = manifest.design?.config?.layers;
    if (!Array.isArray(layers)) throw new ConfigError(`${where}: design.config.layers is missing`);
    if (!Array.isArray(manifest.devices)) throw new ConfigError(`${where}: devices is missing (a review.json of another version?)`);
    if (!Array.isArray(manifest.pdk?.model_files)) throw new ConfigError(`${where}: pdk.model_files is missing (a review.json of another version?)`);
    const codes = parseCodesCsv(readText(dir, 'codes.csv'), layers, join(dir, 'codes.csv'));
    return { dir, kind: 'review', manifest, codes, netlists: { 'network.spice': readText(dir, 'network.spice'), 'weights.inc': readText(dir, 'weights.inc') } };
  }
  if (!existsSync(join(dir, 'design.json'))) throw new ConfigError(`${dir} is neither a review folder (review.json) nor a run folder (design.json, weights.json)`);
  const { design, seed, codes } = readRunNetwork(dir);
  const files = await reviewFiles(design, seed, codes);
  return { dir, kind: 'run', manifest: JSON.parse(files['review.json']) as ReviewManifest, codes, netlists: { 'network.spice': files['network.spice'], 'weights.inc': files['weights.inc'] } };
}

export interface FieldChange {
  field: string;
  a: unknown;
  b: unknown;
}

/** Leaf values of a JSON value by dotted path (arrays of numbers count as one leaf). */
function leaves(v: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (v && typeof v === 'object' && !(Array.isArray(v) && v.every((x) => typeof x !== 'object'))) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) leaves(x, path ? `${path}.${k}` : k, out);
  } else out.set(path, v);
  return out;
}

/** Fields whose values differ between two JSON values (absent on one side: undefined). */
export function changedFields(a: unknown, b: unknown): FieldChange[] {
  const la = leaves(a), lb = leaves(b);
  const keys = [...new Set([...la.keys(), ...lb.keys()])].sort();
  return keys.filter((k) => JSON.stringify(la.get(k)) !== JSON.stringify(lb.get(k))).map((field) => ({ field, a: la.get(field), b: lb.get(field) }));
}

export interface CodeChange {
  layer: number;
  presynaptic: number;
  postsynaptic: number;
  a: number;
  b: number;
}

/** A netlist section: the header of a file, or one .subckt with the comment lines just before it. */
export interface Section {
  file: string;
  name: string;
  /** File line number of its first line. */
  first: number;
  lines: string[];
}

/** The sections of a netlist file, in order. */
export function netlistSections(file: string, text: string): Section[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const sections: Section[] = [];
  let start = 0, name = 'header';
  const close = (end: number) => {
    if (end > start) sections.push({ file, name, first: start + 1, lines: lines.slice(start, end) });
    start = end;
  };
  for (let q = 0; q < lines.length; q++) {
    const m = /^\.subckt\s+(\S+)/i.exec(lines[q]);
    if (!m) continue;
    // The comment block right above a .subckt belongs to it.
    let top = q;
    while (top > start && /^\*/.test(lines[top - 1])) top--;
    close(top);
    name = `.subckt ${m[1]}`;
  }
  close(lines.length);
  return sections;
}

export interface SectionDiff {
  file: string;
  section: string;
  /** Unified diff of the section, in file line numbers. */
  diff: string;
}

export interface FolderDiff {
  identical: boolean;
  a: { dir: string; kind: string };
  b: { dir: string; kind: string };
  design: FieldChange[];
  devices: FieldChange[];
  provenance: FieldChange[];
  codes: { comparable: boolean; synapses: number; changed: CodeChange[] };
  netlist: { sections: number; changed: SectionDiff[] };
}

const deviceKey = (r: ReviewManifest['devices'][number]) => `${r.cell}.${r.group}.${r.type}`;

/** Everything that differs between two folders (see the file comment). */
export function diffNetworks(A: FolderNetwork, B: FolderNetwork, opts: { context?: number } = {}): FolderDiff {
  const design = changedFields(A.manifest.design.config, B.manifest.design.config);
  const table = (m: ReviewManifest) => Object.fromEntries(m.devices.map((r) => [deviceKey(r), { pdk_cell: r.pdk_cell, w: r.w, l: r.l, m: r.m, devices: r.devices }]));
  const devices = changedFields(table(A.manifest), table(B.manifest));
  const prov = (m: ReviewManifest) => ({
    generator: m.generator,
    pdk: { name: m.pdk.name, descriptor_sha256: m.pdk.descriptor_sha256, device_cells: m.pdk.device_cells, multiplier: m.pdk.multiplier, model_files: Object.fromEntries(m.pdk.model_files.map((f) => [f.file, f.sha256])) },
  });
  const provenance = changedFields(prov(A.manifest), prov(B.manifest));

  const shape = (c: Codes) => c.map((m) => [m.length, m[0]?.length ?? 0].join('x')).join(',');
  const comparable = shape(A.codes) === shape(B.codes);
  const changed: CodeChange[] = [];
  if (comparable)
    A.codes.forEach((m, layer) => m.forEach((row, i) => row.forEach((a, j) => {
      const b = B.codes[layer][i][j];
      if (a !== b) changed.push({ layer, presynaptic: i, postsynaptic: j, a, b });
    })));

  const context = opts.context ?? 3;
  const sectionDiffs: SectionDiff[] = [];
  let sections = 0;
  for (const file of ['network.spice', 'weights.inc'] as const) {
    const sa = netlistSections(file, A.netlists[file]), sb = netlistSections(file, B.netlists[file]);
    const names = [...new Set([...sa.map((s) => s.name), ...sb.map((s) => s.name)])];
    sections += names.length;
    for (const name of names) {
      const x = sa.find((s) => s.name === name), y = sb.find((s) => s.name === name);
      if (x && y && x.lines.join('\n') === y.lines.join('\n')) continue;
      const la = x?.lines ?? [], lb = y?.lines ?? [];
      // Same shape (e.g. new codes): line by line keeps each synapse's lines together.
      const edits = la.length === lb.length ? diffAligned(la, lb) : diffLines(la, lb);
      const hunks = unifiedHunks(edits, context, { a: x?.first ?? 1, b: y?.first ?? 1 });
      const label = (f: FolderNetwork) => `${join(f.dir, file)}${f.kind === 'run' ? ' (written from the run)' : ''}`;
      sectionDiffs.push({ file, section: name, diff: [`--- ${label(A)}\t${name}`, `+++ ${label(B)}\t${name}`, ...hunks].join('\n') });
    }
  }
  const identical = design.length === 0 && devices.length === 0 && provenance.length === 0 && comparable && changed.length === 0 && sectionDiffs.length === 0;
  return {
    identical,
    a: { dir: A.dir, kind: A.kind },
    b: { dir: B.dir, kind: B.kind },
    design,
    devices,
    provenance,
    codes: { comparable, synapses: A.codes.flat(2).length, changed },
    netlist: { sections, changed: sectionDiffs },
  };
}

/** Reads two folders and diffs them. */
export async function diffFolders(a: string, b: string, opts: { context?: number } = {}): Promise<FolderDiff> {
  return diffNetworks(await readFolderNetwork(a), await readFolderNetwork(b), opts);
}
