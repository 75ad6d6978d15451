export type { Pdk, PdkDevice, DeviceType } from './descriptor.js';
export { pdkDescriptorSchema } from './descriptor.js';
export { loadPdk, listPdks, cornerInclude, modelDirOnDisk, pdkModelsDir, modelFor } from './load.js';
