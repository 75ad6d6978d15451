import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { modelDirOnDisk, type Pdk } from '../pdk/index.js';
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { cacheRoot } from './cache.js';
import { WasmEngine, eecircuitVersion } from './wasm.js';

/** Writes the model files a PDK uses into `dir` (from the wasm engine, or copied from disk). */
export async function exportModels(pdk: Pdk, dir: string): Promise<string[]> {
  const out = resolve(dir);
  const src = modelDirOnDisk(pdk);
  let files: { name: string; content: string }[];
  if (src) {
    files = pdk.models.files.map((name) => ({ name, content: readModelFile(src, name, pdk) }));
  } else {
    const engine = new WasmEngine({ workers: 1 });
    try {
      files = await engine.readFiles(pdk.models.files);
    } finally {
      await engine.close();
    }
  }
  for (const f of files) await writeFileAtomic(join(out, f.name), f.content);
  return files.map((f) => join(out, f.name));
}

function readModelFile(dir: string, name: string, pdk: Pdk): string {
  const p = join(dir, name);
  if (!existsSync(p)) throw new ConfigError(`${pdk.descriptorPath}: model file ${p} not found (models.files lists it)`);
  return readFileSync(p, 'utf8');
}

/**
 * The directory native ngspice runs in: the PDK's own directory on disk, or a cache of
 * the files bundled in eecircuit-engine (exported once per engine version).
 */
export async function nativeModelDir(pdk: Pdk): Promise<string> {
  const onDisk = modelDirOnDisk(pdk);
  if (onDisk) {
    for (const f of pdk.models.files) readModelFile(onDisk, f, pdk);
    return onDisk;
  }
  const dir = join(cacheRoot(), 'models', `eecircuit-engine-${eecircuitVersion()}`);
  if (!pdk.models.files.every((f) => existsSync(join(dir, f)))) await exportModels(pdk, dir);
  return dir;
}

/** Model files the wasm engine must be given (none when they are bundled). */
export function wasmModelFiles(pdk: Pdk): { name: string; content: string }[] {
  const onDisk = modelDirOnDisk(pdk);
  return onDisk ? pdk.models.files.map((name) => ({ name, content: readModelFile(onDisk, name, pdk) })) : [];
}
