export { render, templatesDir } from './env.js';
export { DEFAULT_OPTIONS, optionsLine, commonData, instanceParams, type SimOptions } from './data.js';
export {
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
