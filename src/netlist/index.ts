export { render, templatesDir } from './env.js';
export { DEFAULT_OPTIONS, optionsLine, commonData, instanceParams, deviceData, deviceModel, type SimOptions } from './data.js';
export {
  somaBatchTestbench,
  synapseBatchTestbench,
  type SomaSpec,
  type SomaBatch,
  type PreSpec,
  type SynapseSpec,
  type SynapseBatch,
  type SynapseStart,
  synapseStartNodes,
  somaTestbench,
  synapseTestbench,
  codeBits,
  type Sweep,
  type Testbench,
  type SomaTestbench,
  type SomaTestbenchOptions,
  type SynapseTestbench,
  type SynapseTestbenchOptions,
} from './testbench.js';
