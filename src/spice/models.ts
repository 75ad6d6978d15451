/**
 * The model files an engine needs for a PDK, in one place: the files bundled in the wasm engine
 * (exported once for native ngspice), files shipped next to a descriptor ("local", e.g. the
 * derived SKY130 library), a PDK installed on disk ("path", e.g. under $PDK_ROOT), or, for an
 * installed PDK whose transistors are subcircuits ("path" with `derive`), a primitive-form
 * library derived from each corner's model text and cached by content.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  allowedSizes,
  cornerModelEntries,
  derivedFileName,
  derivePrimitive,
  flattenEntry,
  modelDirOnDisk,
  parseEntry,
  type Pdk,
} from '../pdk/index.js';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { GENERATOR_VERSION } from '../util/version.js';
import { cacheRoot } from './cache.js';
import { WasmEngine, eecircuitVersion } from './wasm.js';

/** A folder and the model files in it that netlists of the PDK load (names relative to it). */
export interface ModelSet {
  dir: string;
  files: string[];
}

function readModelFile(dir: string, name: string, pdk: Pdk): string {
  const p = join(dir, name);
  if (!existsSync(p)) throw new ConfigError(`${pdk.descriptorPath}: model file ${p} not found (models.files lists it)`);
  return readFileSync(p, 'utf8');
}

/** Where the model files of a PDK are, preparing them first when they must be exported or derived. */
export async function modelSet(pdk: Pdk): Promise<ModelSet> {
  const onDisk = modelDirOnDisk(pdk);
  if (pdk.models.derive) return derivedModels(pdk, onDisk!);
  if (onDisk) {
    for (const f of pdk.models.files) readModelFile(onDisk, f, pdk);
    return { dir: onDisk, files: pdk.models.files };
  }
  const dir = join(cacheRoot(), 'models', `eecircuit-engine-${eecircuitVersion()}`);
  if (!pdk.models.files.every((f) => existsSync(join(dir, f)))) {
    const engine = new WasmEngine({ workers: 1 });
    try {
      for (const f of await engine.readFiles(pdk.models.files)) await writeFileAtomic(join(dir, f.name), f.content);
    } finally {
      await engine.close();
    }
  }
  return { dir, files: pdk.models.files };
}

/** Writes the model files a PDK uses into `dir`; returns their paths. */
export async function exportModels(pdk: Pdk, dir: string): Promise<string[]> {
  const set = await modelSet(pdk);
  const out = resolve(dir);
  for (const f of set.files) await writeFileAtomic(join(out, f), readFileSync(join(set.dir, f)));
  return set.files.map((f) => join(out, f));
}

/** The directory native ngspice runs in (the netlists' include names are relative to it). */
export async function nativeModelDir(pdk: Pdk): Promise<string> {
  return (await modelSet(pdk)).dir;
}

/** Model files the wasm engine must be given (none when they are bundled in it). */
export async function wasmModelFiles(pdk: Pdk): Promise<{ name: string; content: string }[]> {
  if (pdk.models.source === 'eecircuit-engine') return [];
  const set = await modelSet(pdk);
  return set.files.map((name) => ({ name, content: readModelFile(set.dir, name, pdk) }));
}

interface Manifest {
  key: string;
  inputs: { path: string; size: number; mtimeMs: number }[];
  files: string[];
}

/**
 * Derives the primitive-form library of every corner of an installed PDK into the cache.
 * A manifest records the files read (size, mtime); while they are unchanged the derivation is
 * reused, so an engine start does not re-read a whole PDK install.
 */
async function derivedModels(pdk: Pdk, src: string): Promise<ModelSet> {
  const spec = { src, corners: pdk.corners, subckts: pdk.models.derive!.subckts, version: GENERATOR_VERSION };
  const key = sha256(canonicalJson(spec)).slice(0, 16);
  const dir = join(cacheRoot(), 'models', 'derived', `${pdk.name}-${key}`);
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    const fresh = m.key === key && m.inputs.every((i) => existsSync(i.path) && statSync(i.path).size === i.size && statSync(i.path).mtimeMs === i.mtimeMs);
    if (fresh && m.files.every((f) => existsSync(join(dir, f)))) return { dir, files: m.files };
  }
  const inputs = new Set<string>();
  const files: string[] = [];
  for (const corner of Object.keys(pdk.corners)) {
    const where = `${pdk.descriptorPath}: corner ${corner}`;
    const parts = cornerModelEntries(pdk, corner).map((e) => flattenEntry(src, parseEntry(e), where));
    for (const p of parts) for (const f of p.files) inputs.add(join(src, f));
    const header = [
      `${pdk.name} corner ${corner}: primitive-form nfet/pfet models derived by codesign ${GENERATOR_VERSION} (src/pdk/derive.ts)`,
      `from ${cornerModelEntries(pdk, corner).join(', ')} in ${src}; Monte Carlo terms removed. Generated: do not edit.`,
    ];
    const lib = derivePrimitive(parts.map((p) => p.text).join('\n'), pdk.models.derive!.subckts, header, where);
    for (const t of ['nfet', 'pfet'] as const) {
      const dev = pdk.devices[t];
      if (lib.devices[t].model.toLowerCase() !== dev.model.toLowerCase())
        throw new ConfigError(`${where}: the installed ${pdk.models.derive!.subckts[t]} uses model ${lib.devices[t].model}, the descriptor says ${dev.model}`);
      const have = allowedSizes({ ...dev, bins: lib.devices[t].bins }).map((s) => `${s.w}/${s.l}`).join(' ');
      if (dev.bins && have !== allowedSizes(dev).map((s) => `${s.w}/${s.l}`).join(' '))
        throw new ConfigError(`${where}: the installed ${t} model bins differ from the descriptor's devices.${t}.bins (a different PDK version?)`);
    }
    const name = derivedFileName(pdk, corner);
    await writeFileAtomic(join(dir, name), lib.text);
    files.push(name);
  }
  const manifest: Manifest = {
    key,
    inputs: [...inputs].sort().map((path) => ({ path, size: statSync(path).size, mtimeMs: statSync(path).mtimeMs })),
    files,
  };
  await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return { dir, files };
}
