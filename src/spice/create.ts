import type { Pdk } from '../pdk/index.js';
import { ConfigError } from '../util/errors.js';
import { CachedEngine } from './cache.js';
import { modelSet, wasmModelFiles } from './models.js';
import { NativeEngine } from './native.js';
import type { Engine, EngineName, EngineOptions } from './types.js';
import { WasmEngine } from './wasm.js';

export const ENGINES: readonly EngineName[] = ['wasm', 'ngspice'];

export interface CreateEngineOptions extends EngineOptions {
  /** Store results by content hash (default true); a directory overrides the default place. */
  cache?: boolean | string;
}

/** An engine for a PDK, by name, with its model files in place and (by default) a result cache. */
export async function createEngine(name: string, pdk: Pdk, opts: CreateEngineOptions = {}): Promise<Engine> {
  let engine: Engine;
  if (name === 'wasm') engine = new WasmEngine({ ...opts, files: await wasmModelFiles(pdk) });
  else if (name === 'ngspice') {
    const set = await modelSet(pdk);
    const native = new NativeEngine({ ...opts, modelDir: set.dir, modelFiles: set.files });
    await native.identity(); // fails early, with a clear message, when ngspice is missing
    engine = native;
  } else throw new ConfigError(`unknown engine "${name}" (known: ${ENGINES.join(', ')})`);
  if (opts.cache === false) return engine;
  return typeof opts.cache === 'string' ? new CachedEngine(engine, opts.cache) : new CachedEngine(engine);
}
