export { CELLS, cellGroups, type CellDevice, type CellName } from './cells.js';
export { designSchema, resolveDesign, PRESETS, type Design, type DesignConfig, type DesignInput, type DeviceSize } from './config.js';
export { atOperatingPoint, checkCondition, conditionName, conditionRecord, conditionSchema, CONDITION_FORMAT, describePoint, inputScaleAt, operatingPoint, type ConditionRecord, type InputReference, type OperatingPoint } from './condition.js';
