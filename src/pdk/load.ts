import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import { parseSi } from '../util/si.js';
import { parseOrThrow } from '../util/zod.js';
import { pdkDescriptorSchema, type DeviceType, type Pdk, type PdkDescriptorFile, type SizeM } from './descriptor.js';
import { parseEntry } from './spice-text.js';

/** The folder of bundled descriptors. */
export function pdkModelsDir(): string {
  return join(packageRoot(), 'pdk-models');
}

/** Names of the bundled PDKs. */
export function listPdks(): string[] {
  return readdirSync(pdkModelsDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * Loads a PDK by bundled name ("gf180mcu") or by a path to a descriptor file.
 * Unknown names list the known ones.
 */
export function loadPdk(nameOrPath: string): Pdk {
  const byPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/');
  const file = byPath ? resolve(nameOrPath) : join(pdkModelsDir(), `${nameOrPath}.json`);
  if (!existsSync(file)) {
    if (byPath) throw new ConfigError(`PDK descriptor not found: ${file}`);
    throw new ConfigError(`unknown PDK "${nameOrPath}" (known: ${listPdks().join(', ')}; or give a path to a descriptor .json)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`PDK descriptor ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const d = parseOrThrow(pdkDescriptorSchema, raw, `PDK descriptor ${file}`);
  return resolveDescriptor(d, file);
}

function resolveDescriptor(d: PdkDescriptorFile, file: string): Pdk {
  const device = (type: DeviceType) => {
    const x = d.devices[type];
    return {
      type,
      model: x.model,
      minW: parseSi(x.min_w, `${file}: devices.${type}.min_w`),
      minL: parseSi(x.min_l, `${file}: devices.${type}.min_l`),
      avt: x.avt_mv_um * 1e-3 * 1e-6,
      abeta: x.abeta_pct_um * 1e-2 * 1e-6,
      ...(x.review_cell ? { reviewCell: x.review_cell, modelCell: x.model_cell ?? x.review_cell } : {}),
      bins: x.bins?.map((b) => ({
        w: b.w,
        l: b.l,
        avt: b.avt_mv_um === undefined ? undefined : b.avt_mv_um * 1e-9,
        abeta: b.abeta_pct_um === undefined ? undefined : b.abeta_pct_um * 1e-8,
      })),
    };
  };
  const corners: Record<string, string[]> = {};
  for (const [name, c] of Object.entries(d.corners)) {
    corners[name] = typeof c === 'string' ? [c] : c;
    for (const e of corners[name]) parseEntry(e);
  }
  let referenceSizes: Record<string, Record<string, SizeM>> | undefined;
  if (d.reference_sizes) {
    referenceSizes = {};
    for (const [cell, groups] of Object.entries(d.reference_sizes)) {
      referenceSizes[cell] = {};
      for (const [g, s] of Object.entries(groups))
        referenceSizes[cell][g] = { w: parseSi(s.w, `${file}: reference_sizes.${cell}.${g}.w`), l: parseSi(s.l, `${file}: reference_sizes.${cell}.${g}.l`) };
    }
  }
  return {
    name: d.name,
    description: d.description,
    descriptorPath: file,
    supply: d.supply,
    devices: { nfet: device('nfet'), pfet: device('pfet') },
    corners,
    cornerHint: d.corner_hint,
    referenceSizes,
    models: d.models,
    ...(d.review ? { review: d.review } : {}),
  };
}

function cornerEntries(pdk: Pdk, corner: string): string[] {
  const f = pdk.corners[corner];
  if (!f) throw new ConfigError(`unknown corner "${corner}" for PDK ${pdk.name} (known: ${Object.keys(pdk.corners).join(', ')})${pdk.cornerHint ? `; ${pdk.cornerHint}` : ''}`);
  return f;
}

/** The model file a derived PDK's netlists include for a corner. */
export function derivedFileName(pdk: Pdk, corner: string): string {
  return `${pdk.name}.${corner}.spice`;
}

/** What a corner loads, as written in netlist headers ("file" or "file section", comma-separated); unknown corners list the known ones. */
export function cornerInclude(pdk: Pdk, corner: string): string {
  if (pdk.models.derive) {
    cornerEntries(pdk, corner);
    return derivedFileName(pdk, corner);
  }
  return cornerEntries(pdk, corner).join(', ');
}

/** The netlist lines that load a corner's models: `.include file` or `.lib file section`. */
export function cornerLines(pdk: Pdk, corner: string): string[] {
  if (pdk.models.derive) return [`.include ${cornerInclude(pdk, corner)}`];
  return cornerEntries(pdk, corner).map((e) => {
    const { file, section } = parseEntry(e);
    return section === undefined ? `.include ${file}` : `.lib ${file} ${section}`;
  });
}

/** The model entries of a corner as written in the descriptor (for derivation and file collection). */
export function cornerModelEntries(pdk: Pdk, corner: string): string[] {
  return cornerEntries(pdk, corner);
}

/**
 * For descriptors whose models live on disk: the directory, absolute or under $PDK_ROOT
 * ("path"), or next to the descriptor ("local"). Undefined for models bundled in the wasm engine.
 */
export function modelDirOnDisk(pdk: Pdk): string | undefined {
  if (pdk.models.source === 'local') return resolve(dirname(pdk.descriptorPath), pdk.models.path ?? '.');
  if (pdk.models.source !== 'path') return undefined;
  const p = pdk.models.path;
  if (!p) throw new ConfigError(`${pdk.descriptorPath}: models.path is required when models.source is "path"`);
  if (isAbsolute(p)) return p;
  const root = process.env.PDK_ROOT;
  if (!root) throw new ConfigError(`${pdk.descriptorPath}: models.path "${p}" is relative, so PDK_ROOT must be set`);
  return join(root, p);
}
