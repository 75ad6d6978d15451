export { CELLS, cellGroups, type CellDevice, type CellName } from './cells.js';
export { designSchema, resolveDesign, PRESETS, type Design, type DesignConfig, type DesignInput, type DeviceSize } from './config.js';
