export { measureSomas, measureSynapses, type SomaCurve, type SynapseCurve } from './cells.js';
export { fitLine } from './linefit.js';
export { somaPath, synapsePath, readoutPath, countTransistors } from './die.js';
export { planBatches, batchNetlist, batchOptions, characterizeDie, characterizationSweeps, synapseStart, type Batch, type CharacterizeStats, type CharacterizeOptions } from './network.js';
export { readMeasurements, writeMeasurements, measurementLines, writeMeasurementLines, MEASUREMENT_COLUMNS, SYNAPSE_CONFIGS, type MeasurementRow } from './table.js';
export { predictSomaGainSpread, type GainSpreadPrediction } from './sensitivity.js';
