export { MODELS_FORMAT, modelsSchema, type DieModels, type SomaLayerModel, type SynapseLayerModel } from './models.js';
export { fitSoma, somaOut, type SomaFit, type SomaModelKind } from './soma.js';
export { fitSynapse, synapseOut } from './synapse.js';
export { buildModels, summarizeModels, paramStats, median, type ModelsMeta, type HoldoutErrors, type ParamStats } from './build.js';
export { characterizeAndFit, fitMeasurements, type FitRunResult } from './run.js';
