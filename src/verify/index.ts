export { networkNetlist, networkFiles, weightsInclude, inputsInclude, inlineIncludes, checkCodes, type Codes } from './network.js';
export { verifyLayered, verifyFullDc, decisions, pwlPoints, type SpiceOutputs, type LayeredOptions, type LayeredRelease, type SampleFailure } from './layered.js';
export { verifyTransient, windowTimings, TRANSIENT_OPTIONS, type TransientOptions, type TransientResult, type SampleTiming, type Waves } from './transient.js';
export { deviceTables, estimateReduced, reducedNetlist, type DeviceTables, type ReducedOptions, type ReducedResult } from './reduced.js';
export { verifyRun, type VerifyMode, type VerifyOptions, type VerifyResult } from './run.js';
export { defaultEnergyMode, estimateRun, ESTIMATE_ABOVE_TRANSISTORS, ESTIMATE_DEFAULTS, type EnergyMode, type EstimateOptions } from './estimate.js';
export { reviewNetlist, reviewWeights, reviewBench, verifyReviewDc, reviewFiles, reviewManifest, writeReview, readRunNetwork, codesCsv, deviceTable, transistorCounts, modelFileHashes, pdkCell, REVIEW_FILES, type DeviceRow, type ReviewManifest, type ModelFileHash } from './review.js';
export { lvsNetwork, lvsView, runNetgen, netgenSetup, netgenVersion, reviewLvsDeck, simulationDeck, type LvsResult } from './lvs.js';
export { diffFolders, diffNetworks, readFolderNetwork, parseCodesCsv, netlistSections, changedFields, type FolderDiff, type FolderNetwork, type CodeChange, type SectionDiff } from './diff.js';
