export { CODE_MAX, effective, quantize, shadowGrad, type Effective } from './codes.js';
export { deviceNet, nominalNet, medianGains, type DeviceNet, type SomaLayer, type SynapseLayer } from './device.js';
export { matmul, matmulAT, matmulBT, transpose } from './kernel.js';
export { backward, forward, hLogH, inputLayer, softmaxCrossEntropy, type LayerGrad, type LayerTape } from './network.js';
export { evaluate, initialWeights, train, type EpochLog, type TrainOptions, type TrainResult } from './train.js';
export { defaultTrainOptions, trainWithBaselines, type BaselineName, type BaselineRow, type BaselinesResult } from './baselines.js';
export { NOMINAL, syntheticModels, type SyntheticDie } from './synthetic.js';
export { ENGINE, weightsSchema, trainingSchema, WEIGHTS_FORMAT, TRAINING_FORMAT, type WeightsFile, type TrainingFile } from './files.js';
export { readModels, trainRun, trainRunFull, type TrainRunOptions, type TrainRunResult } from './run.js';
