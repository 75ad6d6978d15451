export { networkNetlist, networkFiles, weightsInclude, inputsInclude, inlineIncludes, checkCodes, type Codes } from './network.js';
export { verifyLayered, verifyFullDc, decisions, pwlPoints, type SpiceOutputs, type LayeredOptions, type SampleFailure } from './layered.js';
export { verifyTransient, TRANSIENT_OPTIONS, type TransientOptions, type TransientResult, type SampleTiming } from './transient.js';
export { verifyRun, type VerifyMode, type VerifyOptions, type VerifyResult } from './run.js';
