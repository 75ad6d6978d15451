export type { Engine, EngineName, EngineOptions, SimJob, SimResult } from './types.js';
export { createEngine, ENGINES, type CreateEngineOptions } from './create.js';
export { WasmEngine, eecircuitVersion } from './wasm.js';
export { NativeEngine, ngspiceHasKlu, ngspiceVersion } from './native.js';
export { CachedEngine, cacheRoot, type CacheStats } from './cache.js';
export { exportModels, nativeModelDir, modelSet, wasmModelFiles, type ModelSet } from './models.js';
export { parseRaw } from './raw.js';
export { writeResultsCsv } from './csv.js';
