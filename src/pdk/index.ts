export type { Pdk, PdkDevice, DeviceType, SizeM } from './descriptor.js';
export { pdkDescriptorSchema } from './descriptor.js';
export { loadPdk, listPdks, cornerInclude, cornerLines, cornerModelEntries, derivedFileName, modelDirOnDisk, pdkModelsDir } from './load.js';
export { binFor, allowedSizes, checkDeviceSize } from './sizes.js';
export { derivePrimitive, binCoefficients, type DerivedLibrary, type DerivedDevice, type BinMismatch } from './derive.js';
export { flattenEntry, parseEntry, statements, type Flattened, type ModelEntry } from './spice-text.js';
