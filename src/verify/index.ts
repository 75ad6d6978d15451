export { networkNetlist, networkFiles, weightsInclude, inputsInclude, inlineIncludes, checkCodes, type Codes } from './network.js';
export { verifyLayered, verifyFullDc, decisions, pwlPoints, type SpiceOutputs, type LayeredOptions } from './layered.js';
export { verifyTransient, windowTimings, TRANSIENT_OPTIONS, type TransientOptions, type TransientResult, type SampleTiming, type Waves } from './transient.js';
export { deviceTables, estimateReduced, reducedNetlist, type DeviceTables, type ReducedOptions, type ReducedResult } from './reduced.js';
export { verifyRun, type VerifyMode, type VerifyOptions } from './run.js';
export { defaultEnergyMode, estimateRun, ESTIMATE_ABOVE_TRANSISTORS, ESTIMATE_DEFAULTS, type EnergyMode, type EstimateOptions } from './estimate.js';
